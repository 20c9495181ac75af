import { createServer, type Server } from 'node:net';
import { openApiDocument } from '../../src/api/openApi';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { validate } from '../api/jsonSchema';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * /api/status shows when the app registration's client secret runs out, read from the expiry
 * recorded with its copy in Key Vault, and never fails for it.
 * Sources:
 * - Key Vault REST, Get Secret Versions (learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions):
 *   each version's attributes (`enabled`, `exp` in seconds since 1970), no values; "This
 *   operations requires the secrets/list permission" (RBAC: Key Vault Secrets User and Key Vault Reader hold secrets/readMetadata).
 * - Azure CLI, `az keyvault secret set --expires` (learn.microsoft.com/cli/azure/keyvault/secret): records `exp`.
 * - Microsoft Entra, "Add and manage application credentials": a client secret has an end date, at most 24 months.
 */
const functionKey = 'client-secret-status-key-0123456789';
let cloud: Cloud;
let host: LocalHost;
let settings: Record<string, string>;
const savedEnv = { ...process.env };
const inDays = (days: number): number => Math.floor(Date.now() / 1000) + Math.round(days * 86_400);

beforeAll(async () => {
  cloud = await startCloud({ customers: 8, nonMfaSignInsPerDay: 2 });
  settings = cloud.settings({ KEY_VAULT_URL: cloud.sim.keyVaultUrl });
  Object.assign(process.env, settings);
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey, scheduleTimers: false, env: settings, log: () => undefined });
  // A monitor that is healthy in every other respect.
  cloud.sim.setDay(20);
  await cloud.collectAll(settings);
  await cloud.run('detectRegressions', settings);
});

afterAll(async () => {
  await host?.close();
  await cloud?.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

interface Status {
  httpStatus: number;
  seconds: number;
  body: { healthy: boolean; problems: string[]; clientSecret: Record<string, unknown> | null };
}

async function status(overrides: Record<string, string>): Promise<Status> {
  Object.assign(process.env, settings, overrides);
  const started = Date.now();
  const response = await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey }, signal: AbortSignal.timeout(60_000) });
  const body = (await response.json()) as Status['body'];
  expect(validate(body, { $ref: '#/components/schemas/Status' }, (openApiDocument().components as { schemas: Record<string, Record<string, unknown>> }).schemas)).toEqual([]);
  return { httpStatus: response.status, seconds: (Date.now() - started) / 1000, body };
}

describe('the client secret in /api/status', () => {
  it('when the secret in Key Vault expires in 60 days, then the status is healthy and shows the date and the days left', async () => {
    cloud.sim.secrets.set('status-fine', cloud.sim.clientSecret, { expires: inDays(60) });
    const answer = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-fine' });
    expect(answer).toMatchObject({ httpStatus: 200, body: { healthy: true, problems: [] } });
    expect(answer.body.clientSecret).toEqual({ secret: 'status-fine', vault: '127.0.0.1', state: 'ok', expiresOn: expect.any(String), daysLeft: expect.any(Number), warning: null });
    expect(answer.body.clientSecret?.daysLeft).toBeGreaterThanOrEqual(59);
  });

  it('when it expires in 10 days, then the status lists it as a warning with the fix, and stays healthy', async () => {
    cloud.sim.secrets.set('status-soon', cloud.sim.clientSecret, { expires: inDays(10) });
    const answer = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-soon' });
    expect(answer).toMatchObject({ httpStatus: 200, body: { healthy: true, problems: [], clientSecret: { state: 'expiring', warning: expect.stringContaining('az keyvault secret set --vault-name 127.0.0.1 --name status-soon') } } });
  });

  it('when it expires in 3 days, or has expired, then the monitor is unhealthy (503) saying so', async () => {
    cloud.sim.secrets.set('status-urgent', cloud.sim.clientSecret, { expires: inDays(3) });
    const urgent = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-urgent' });
    expect(urgent).toMatchObject({ httpStatus: 503, body: { healthy: false, problems: [expect.stringMatching(/status-urgent .* expires on \S+, in [23] days: add a new client secret/)], clientSecret: { state: 'expiring', warning: null } } });
    cloud.sim.secrets.set('status-expired', cloud.sim.clientSecret, { expires: inDays(-1) });
    expect(await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-expired' })).toMatchObject({ httpStatus: 503, body: { problems: [expect.stringContaining('Entra refuses it and every collector fails')], clientSecret: { state: 'expired' } } });
  });

  it('when no expiry was recorded, then the status says so and how to record one, and stays healthy', async () => {
    cloud.sim.secrets.set('status-no-expiry', cloud.sim.clientSecret);
    const answer = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-no-expiry' });
    expect(answer).toMatchObject({
      httpStatus: 200,
      body: { healthy: true, clientSecret: { state: 'noExpiry', expiresOn: null, warning: expect.stringContaining('has no expiry recorded') } },
    });
    expect(answer.body.clientSecret?.warning).toContain('az keyvault secret set-attributes --vault-name 127.0.0.1 --name status-no-expiry --expires <its end date>');
  });

  it('when no secret is named, then the status has no client secret section and nothing is read from Key Vault', async () => {
    cloud.sim.clearRequestLog();
    expect(await status({ CLIENT_SECRET_KEY_VAULT_SECRET: '' })).toMatchObject({ httpStatus: 200, body: { healthy: true, clientSecret: null } });
    expect(cloud.sim.requestLog().filter((entry) => entry.service === 'keyVault')).toEqual([]);
  });

  it('when Key Vault fails or refuses connections, then the status still answers, within its request timeouts, with a reason naming KEY_VAULT_URL', async () => {
    cloud.sim.secrets.set('status-down', cloud.sim.clientSecret, { expires: inDays(60) });
    cloud.sim.injectFault({ kind: 'status', status: 503, service: 'keyVault', times: 100 });
    const failing = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-down', AZURE_REQUEST_TIMEOUT_SECONDS: '1' });
    cloud.sim.clearFaults();
    expect(failing).toMatchObject({ httpStatus: 503, body: { healthy: false, problems: [expect.stringContaining('cannot be read from Key Vault (KEY_VAULT_URL; 503')], clientSecret: { state: 'unreadable' } } });

    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-down', KEY_VAULT_URL: `https://127.0.0.1:${port}`, AZURE_REQUEST_TIMEOUT_SECONDS: '1' });
    expect(unreachable).toMatchObject({ httpStatus: 503, body: { healthy: false, problems: [expect.stringMatching(/cannot be read from Key Vault \(KEY_VAULT_URL; \w+\)/)], clientSecret: { state: 'unreadable' } } });
    expect(unreachable.seconds).toBeLessThan(30);
  });

  it('when the secret is named without KEY_VAULT_URL, or its credential cannot be built, then the status gives a reason rather than failing', async () => {
    const answer = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'graph-client-secret', KEY_VAULT_URL: '' });
    expect(answer).toMatchObject({ httpStatus: 503, body: { healthy: false, problems: ['KEY_VAULT_URL is required with CLIENT_SECRET_KEY_VAULT_SECRET'], clientSecret: null } });
    // @azure/identity refuses a tenant id with characters a tenant never has when the credential is built.
    const unbuildable = await status({ CLIENT_SECRET_KEY_VAULT_SECRET: 'status-fine', AZURE_TENANT_ID: 'not a tenant!' });
    expect(unbuildable).toMatchObject({ httpStatus: 503, body: { healthy: false, problems: [expect.stringContaining("the client secret's expiry cannot be checked")], clientSecret: null } });
  });
});
