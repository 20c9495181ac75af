import { createCredential } from '../../src/adapters/credential';
import { readConfig } from '../../src/config';
import { startSimulator, type Simulator } from '../../tools/simulator';

/*
 * The app registration signed in to without a secret: the real ClientAssertionCredential, fed
 * by the real ManagedIdentityCredential, against the simulator's managed identity endpoint and
 * Entra token endpoint (which trusts managed identity tokens for api://AzureADTokenExchange, as
 * a federated identity credential on the registration does).
 */
let sim: Simulator;
const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };

beforeAll(async () => {
  sim = await startSimulator({ customers: 2 });
  process.env.IDENTITY_ENDPOINT = sim.managedIdentity.endpoint;
  process.env.IDENTITY_HEADER = sim.managedIdentity.header;
});

afterAll(async () => {
  for (const [name, value] of [['IDENTITY_ENDPOINT', saved.endpoint], ['IDENTITY_HEADER', saved.header]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await sim.close();
});

const federatedSettings = (overrides: Record<string, string> = {}) => ({
  APP_CREDENTIAL: 'managedIdentityFederation',
  AZURE_AUTHORITY_HOST: sim.authorityHost,
  AZURE_TENANT_ID: sim.tenantId,
  AZURE_CLIENT_ID: sim.clientId,
  ...overrides,
});

async function postToken(form: Record<string, string>) {
  const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('managed identity federation (APP_CREDENTIAL=managedIdentityFederation)', () => {
  it('when the app registration is signed in to with a managed identity token, then its Graph token opens Graph and no secret is sent', async () => {
    const { identity } = readConfig(federatedSettings(), ['identity']);
    const token = await createCredential(identity).getToken(`${sim.graphBaseUrl}/.default`);
    const score = await fetch(`${sim.graphBaseUrl}/beta/security/partner/securityScore`, { headers: { authorization: `Bearer ${token?.token ?? ''}` } });
    expect(score.status).toBe(200);
    const exchange = sim.requestLog().filter((entry) => entry.service === 'msi');
    expect(exchange.map((entry) => new URL(entry.path, 'https://x').searchParams.get('resource'))).toContain('api://AzureADTokenExchange');
  });

  it('when the managed identity named is not the app\'s, then no token is issued and the error names no secret', async () => {
    const { identity } = readConfig(federatedSettings({ MANAGED_IDENTITY_CLIENT_ID: '00000000-0000-0000-0000-0000000000aa' }), ['identity']);
    const failure: unknown = await createCredential(identity).getToken(`${sim.graphBaseUrl}/.default`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).not.toContain(sim.managedIdentity.header);
  });

  it('when Entra is sent an assertion that is not a token-exchange token, then it refuses the client with AADSTS70021', async () => {
    const graphToken = await createCredential(readConfig(federatedSettings(), ['identity']).identity).getToken(`${sim.graphBaseUrl}/.default`);
    const refused = await postToken({
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: graphToken?.token ?? '',
      scope: `${sim.graphBaseUrl}/.default`,
    });
    expect(refused).toMatchObject({ status: 401, json: { error: 'invalid_client', error_codes: [70021] } });
  });

  it('when settings are incomplete or also carry a secret, then the configuration names each problem', () => {
    expect(() => readConfig({ APP_CREDENTIAL: 'managedIdentityFederation' }, ['identity'])).toThrow(/AZURE_TENANT_ID is required with APP_CREDENTIAL=managedIdentityFederation[\s\S]*AZURE_CLIENT_ID \(the app registration\) is required/);
    expect(() => readConfig(federatedSettings({ AZURE_CLIENT_SECRET: 'x' }), ['identity'])).toThrow(/AZURE_CLIENT_SECRET is set, but APP_CREDENTIAL=managedIdentityFederation uses no secret/);
    expect(() => readConfig({ APP_CREDENTIAL: 'federated' }, ['identity'])).toThrow(/APP_CREDENTIAL must be auto or managedIdentityFederation$/m);
    expect(readConfig({ AZURE_CLIENT_SECRET: '' }, ['identity']).identity.credential).toBe('auto');
  });
});
