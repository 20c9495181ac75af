import { SecretClient } from '@azure/keyvault-secrets';
import { startSimulator, type Simulator } from '../../tools/simulator';
import { credentialFor, get, tokenFor } from './simulatorClient';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const client = () => new SecretClient(sim.keyVaultUrl, credentialFor(sim), { disableChallengeResourceVerification: true });

describe('Key Vault secrets', () => {
  it('when the real SecretClient writes twice and reads, then it gets the newest version, and each version by id', async () => {
    sim.clearRequestLog();
    const vault = client();
    const first = await vault.setSecret('rotating', 'one');
    const second = await vault.setSecret('rotating', 'two');
    expect(first.properties.version).not.toBe(second.properties.version);
    const latest = await vault.getSecret('rotating');
    expect(latest).toMatchObject({ value: 'two', properties: { version: second.properties.version, name: 'rotating' } });
    expect((await vault.getSecret('rotating', { version: first.properties.version })).value).toBe('one');
    expect(sim.secrets.versions('rotating').map((version) => version.value)).toEqual(['one', 'two']);
    const requests = sim.requestLog().filter((entry) => entry.service === 'keyVault');
    // The SDK's challenge: the first request goes out without a token and is answered 401.
    expect(requests[0]).toMatchObject({ status: 401 });
    expect(requests.slice(1).every((entry) => entry.headers.authorization === 'Bearer [redacted]')).toBe(true);
  });

  it('when a secret is missing, then the SDK sees 404 SecretNotFound', async () => {
    await expect(client().getSecret('never-written')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
  });

  it('when a request has no token or a token for another resource, then it is refused with the Key Vault challenge', async () => {
    const anonymous = await get(`${sim.keyVaultUrl}/secrets/rotating?api-version=7.5`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(`Bearer authorization="https://login.microsoftonline.com/${sim.tenantId}", resource="https://vault.azure.net"`);
    const graphToken = await tokenFor(sim, sim.graphBaseUrl);
    expect((await get(`${sim.keyVaultUrl}/secrets/rotating?api-version=7.5`, graphToken)).status).toBe(401);
  });

  it('when seeded through the simulator handle, then the SDK reads the same secret', async () => {
    const { version } = sim.secrets.set('seeded', 'value-1');
    expect((await client().getSecret('seeded')).properties.version).toBe(version);
  });

  it('when a 403 fault targets the vault, then the SDK sees it, with the body of a vault whose caller has no RBAC role (ForbiddenByRbac)', async () => {
    sim.injectFault({ kind: 'status', status: 403, service: 'keyVault', times: 3 });
    await expect(client().getSecret('seeded')).rejects.toMatchObject({ statusCode: 403 });
    const token = (await credentialFor(sim).getToken('https://vault.azure.net/.default')).token;
    const refused = await get(`${sim.keyVaultUrl}/secrets/seeded?api-version=7.5`, token);
    expect(refused).toMatchObject({ status: 403, json: { error: { code: 'Forbidden', innererror: { code: 'ForbiddenByRbac' } } } });
  });

  it('when the real SecretClient lists secrets, then it gets the properties of each newest version and never a value', async () => {
    sim.secrets.set('listed', 'old-value');
    const { version } = sim.secrets.set('listed', 'new-value');
    const listed: { name: string }[] = [];
    for await (const properties of client().listPropertiesOfSecrets()) listed.push(properties);
    expect(listed.find((properties) => properties.name === 'listed')).toMatchObject({ enabled: true, updatedOn: expect.any(Date) });
    const token = (await credentialFor(sim).getToken('https://vault.azure.net/.default')).token;
    const raw = await get(`${sim.keyVaultUrl}/secrets?api-version=7.5`, token);
    expect(raw.status).toBe(200);
    expect(raw.json.value.every((item: Record<string, unknown>) => !('value' in item))).toBe(true);
    expect(raw.text).not.toContain('new-value');
    expect(raw.text).not.toContain(version);
  });

  /*
   * Key Vault REST, Set Secret (learn.microsoft.com/rest/api/keyvault/secrets/set-secret/set-secret):
   * the body's SecretAttributes carry `exp`, the expiry, as an integer of seconds since
   * 1970-01-01T00:00:00Z, and the SecretBundle answered carries it back. Get Secret Versions
   * (learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions): "The
   * full secret identifier and attributes are provided in the response. No values are returned."
   */
  it('when a secret is written with an expiry (az keyvault secret set --expires), then Get Secret and Get Secret Versions carry it as attributes.exp in seconds, and the versions never a value', async () => {
    const expiresOn = new Date('2027-06-01T00:00:00.000Z');
    const written = await client().setSecret('expiring', 'client-secret-value', { expiresOn });
    expect(written.properties.expiresOn).toEqual(expiresOn);
    expect((await client().getSecret('expiring')).properties.expiresOn).toEqual(expiresOn);
    const versions = [];
    for await (const properties of client().listPropertiesOfSecretVersions('expiring')) versions.push(properties);
    expect(versions).toEqual([expect.objectContaining({ name: 'expiring', enabled: true, expiresOn })]);

    const token = (await credentialFor(sim).getToken('https://vault.azure.net/.default')).token;
    const bundle = await get(`${sim.keyVaultUrl}/secrets/expiring?api-version=7.5`, token);
    expect(bundle.json.attributes).toMatchObject({ enabled: true, exp: 1811808000, created: expect.any(Number), updated: expect.any(Number) });
    const listed = await get(`${sim.keyVaultUrl}/secrets/expiring/versions?api-version=7.5`, token);
    expect(listed.json.value).toEqual([{ id: expect.stringMatching(/\/secrets\/expiring\/[0-9a-f]{32}$/), attributes: expect.objectContaining({ exp: 1811808000 }) }]);
    expect(listed.text).not.toContain('client-secret-value');
  });

  it('when a secret is written without an expiry, then its attributes carry no exp', async () => {
    await client().setSecret('never-expiring', 'value');
    expect((await client().getSecret('never-expiring')).properties.expiresOn).toBeUndefined();
  });

  it('when the current version is disabled, then its value is refused (403 SecretDisabled) and its properties are still listed', async () => {
    sim.secrets.set('switched-off', 'value', { enabled: false });
    await expect(client().getSecret('switched-off')).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    const versions = [];
    for await (const properties of client().listPropertiesOfSecretVersions('switched-off')) versions.push(properties);
    expect(versions).toEqual([expect.objectContaining({ enabled: false })]);
  });
});
