import { startSimulator, type Simulator } from '../../tools/simulator';
import { documentedExample } from '../support/documented';
import { get } from './simulatorClient';

/*
 * The simulated customer tenants answer in the shapes Microsoft documents (each example is kept
 * verbatim in test/fixtures/documented, sources.md says where from): the same fields, in the
 * same order, for userRegistrationDetails, conditionalAccessPolicy, the security defaults
 * policy, directoryRole and authenticationMethod; and their token endpoints answer as Entra does
 * ("Microsoft Entra authentication and authorization error codes").
 */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 10 });
});
afterAll(async () => {
  await sim?.close();
});

const tenant = (index: number) => sim.expected().customers[index]!.tenantId;

async function redeem(tenantId: string, refreshToken = sim.refreshToken): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${sim.authorityHost}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: sim.clientId, grant_type: 'refresh_token', refresh_token: refreshToken, scope: `${sim.graphBaseUrl}/.default` }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const keysOf = (value: unknown) => Object.keys(value as object);
const documentedItem = (name: string) => (JSON.parse(documentedExample(name)) as { value: unknown[] }).value[0];

describe('a simulated customer tenant', () => {
  it('when its Graph endpoints are read with a token of that tenant, then every item has the documented fields in the documented order', async () => {
    const redeemed = await redeem(tenant(0));
    expect(redeemed.status).toBe(200);
    const token = String(redeemed.json.access_token);
    const registration = await get(`${sim.graphBaseUrl}/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isAdmin eq true`, token);
    expect(keysOf(registration.json.value[0])).toEqual(keysOf(documentedItem('graph-user-registration-details.json')));
    const policies = await get(`${sim.graphBaseUrl}/v1.0/identity/conditionalAccess/policies`, token);
    const documentedPolicy = documentedItem('graph-conditional-access-policies.json') as Record<string, Record<string, unknown>>;
    expect(keysOf(policies.json.value[0])).toEqual(keysOf(documentedPolicy));
    expect(keysOf(policies.json.value[0].conditions)).toEqual(keysOf(documentedPolicy.conditions));
    expect(keysOf(policies.json.value[0].grantControls)).toEqual(keysOf(documentedPolicy.grantControls));
    const defaults = await get(`${sim.graphBaseUrl}/v1.0/policies/identitySecurityDefaultsEnforcementPolicy`, token);
    expect(keysOf(defaults.json)).toEqual(keysOf(JSON.parse(documentedExample('graph-security-defaults.json'))));
    const roles = await get(`${sim.graphBaseUrl}/v1.0/directoryRoles?$expand=members`, token);
    // The documented directoryRole, with the expanded `members` navigation property after it.
    expect(keysOf(roles.json.value[0])).toEqual([...keysOf(documentedItem('graph-directory-roles.json')), 'members']);
    const admin = sim.customerTenants.admins(tenant(0))[3]!;
    const methods = await get(`${sim.graphBaseUrl}/v1.0/users/${admin.id}/authentication/methods`, token);
    expect(methods.json.value.map((method: { '@odata.type': string }) => method['@odata.type'])).toEqual(['#microsoft.graph.passwordAuthenticationMethod', '#microsoft.graph.fido2AuthenticationMethod']);
  });

  it('when a customer tenant\'s token is used, then the partner tenant\'s data is not reachable with it', async () => {
    const token = String((await redeem(tenant(0))).json.access_token);
    expect((await get(`${sim.graphBaseUrl}/beta/security/partner/securityScore`, token)).status).toBe(400);
  });

  it('when the partner refresh token is redeemed at a customer tenant, then it stays good (Entra does not revoke a refresh token on use)', async () => {
    expect((await redeem(tenant(1))).status).toBe(200);
    expect((await redeem(tenant(1))).status).toBe(200);
    expect((await redeem(tenant(1), 'not-a-token')).json).toMatchObject({ error: 'invalid_grant', error_codes: [70000] });
  });

  it('when a tenant has no GDAP relationship, no consent, or was deleted, then its token endpoint answers the documented AADSTS code', async () => {
    const byProfile = (profile: string) => sim.expected().customers.map((customer) => customer.tenantId).find((tenantId) => sim.customerTenants.profile(tenantId) === profile)!;
    expect((await redeem(byProfile('noGdapRelationship'))).json).toMatchObject({ error: 'invalid_grant', error_codes: [50020] });
    expect((await redeem(byProfile('appNotConsented'))).json).toMatchObject({ error: 'invalid_grant', error_codes: [65001] });
    expect((await redeem(byProfile('deleted'))).json).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('when the control route names an unknown admin or profile, then it answers 400, and an unknown tenant 404', async () => {
    const post = (tenantId: string, body: unknown) => fetch(`${sim.url}/_sim/customer-tenants/${tenantId}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post(tenant(0), { profile: 'nope' })).status).toBe(400);
    expect((await post(tenant(0), { registerAdmin: 'nobody@example.com' })).status).toBe(400);
    expect((await post('00000000-0000-0000-0000-000000000000', { profile: 'healthy' })).status).toBe(404);
  });
});

describe('a simulated customer tenant with latency', () => {
  // SimulatorOptions.pageLatencyMs: "every answer of a customer tenant (its Graph, its token endpoint)". Real Graph and
  // Entra take a round trip to refuse, throttle or issue a token as to serve a page; the scan's bench counts on it.
  const latencyMs = 300;
  let slow: Simulator;
  beforeAll(async () => {
    slow = await startSimulator({ customers: 10, pageLatencyMs: latencyMs });
  });
  afterAll(async () => {
    await slow?.close();
  });

  const timed = async <T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = performance.now();
    const value = await call();
    return { value, ms: performance.now() - started };
  };
  const byProfile = (profile: string) => slow.expected().customers.map((customer) => customer.tenantId).find((tenantId) => slow.customerTenants.profile(tenantId) === profile)!;
  const appToken = (tenantId: string) =>
    fetch(`${slow.authorityHost}/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: slow.clientId, client_secret: slow.clientSecret, grant_type: 'client_credentials', scope: `${slow.graphBaseUrl}/.default` }),
    }).then(async (response) => ({ status: response.status, json: (await response.json()) as Record<string, unknown> }));

  it('when a customer tenant issues or refuses a token, or its Graph refuses or throttles, then each answer takes the configured latency', async () => {
    const issued = await timed(() => appToken(byProfile('roleLacksPermission')));
    expect(issued.value.status).toBe(200);
    const refusedToken = await timed(() => appToken(byProfile('deleted')));
    expect(refusedToken.value.json).toMatchObject({ error: 'invalid_tenant' });
    const refusedRead = await timed(() => get(`${slow.graphBaseUrl}/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isAdmin eq true`, String(issued.value.json.access_token)));
    expect(refusedRead.value.status).toBe(403);
    const throttledToken = String((await appToken(byProfile('throttled'))).json.access_token);
    const throttled = await timed(() => get(`${slow.graphBaseUrl}/v1.0/directoryRoles?$expand=members`, throttledToken));
    expect(throttled.value.status).toBe(429);
    for (const answer of [issued, refusedToken, refusedRead, throttled]) expect(answer.ms).toBeGreaterThanOrEqual(latencyMs - 5);
  });
});
