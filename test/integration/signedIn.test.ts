import { endpoints } from '../../src/api/endpoints';
import { loadRegisteredFunctions, type RegisteredFunction } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { startCloud, type Cloud } from '../support/cloud';
import { accessTokenFor } from '../support/signIn';
import { savedEnvironment } from '../support/processEnvironment';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * People sign in; keys are for scripts. Through the local host over the registrations Azure
 * loads, with the simulator playing Entra. From the documents:
 * - "Azure Functions Flex Consumption plan hosting", Considerations (azure-docs
 *   articles/azure-functions/flex-consumption-plan.md, 2024): "EasyAuth isn't currently supported.
 *   Unauthenticated callers currently aren't blocked when EasyAuth is enabled" — so the app checks
 *   the token itself and the host checks no key on people's routes (authLevel anonymous).
 * - "Access tokens" (entra-docs access-tokens.md): web APIs must validate the access tokens sent to them.
 * - "Add app roles to your application and receive them in the token" (howto-add-app-roles-in-apps.md)
 *   and "Access token claims reference": the user's assigned app roles arrive in `roles`.
 * - RFC 6750 section 3: a request without a valid token is answered 401 with `WWW-Authenticate: Bearer`.
 * - "Azure Functions HTTP trigger", authLevel: `function` takes a function key, `admin` the master key.
 */

const functionKey = 'signin-test-function-key-0123';
const adminKey = 'signin-test-admin-key-456789';
const reader = { name: 'Riley Reader', username: 'riley.reader@partner.example', objectId: '0e8a1b2c-3d4e-4f50-8a61-72b3c4d5e6f7', roles: ['Monitor.Read'] };
const waiverAdmin = { name: 'Wren Admin', username: 'wren.admin@partner.example', objectId: '1f9b2c3d-4e5f-4061-9b72-83c4d5e6f708', roles: ['Waivers.Write'] };

let cloud: Cloud;
let host: LocalHost;
let functions: RegisteredFunction[];
const hostLines: string[] = [];
const restoreEnvironment = savedEnvironment();

beforeAll(async () => {
  cloud = await startCloud({ customers: 20, nonMfaSignInsPerDay: 2 });
  const settings = cloud.settings({ SIGN_IN_CLIENT_ID: cloud.sim.signIn.clientId });
  // The functions read their settings from the environment, as in Azure; registration reads SIGN_IN_CLIENT_ID.
  Object.assign(process.env, settings);
  functions = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' });
  host = await createLocalHost({ functions, port: 0, functionKey, adminKey, scheduleTimers: false, env: settings, log: (line) => hostLines.push(line) });
  await cloud.collectAll(settings);
  await cloud.run('detectRegressions', settings);
}, 120_000);
afterAll(async () => {
  await host?.close();
  await cloud?.close();
  restoreEnvironment();
});

function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
  return fetch(`${host.url}/api/${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const draft = () => ({ scope: 'customer', target: cloud.sim.expected(0).customerInsights[0]!.tenantId, reason: 'being off-boarded', owner: 'Service desk', expiresAt: new Date(Date.now() + 10 * 86_400_000).toISOString() });

describe('people at /api/signed-in/..., scripts with keys at /api/...', () => {
  it('when sign-in is set, then every endpoint keeps its keyed function and gains a people route the host lets through for the app to check', () => {
    const http = new Map(functions.flatMap((fn) => (fn.trigger.type === 'http' ? [[fn.name, fn.trigger] as const] : [])));
    for (const endpoint of endpoints) {
      expect([endpoint.name, http.get(endpoint.name)]).toEqual([endpoint.name, expect.objectContaining({ route: endpoint.route, authLevel: 'function' })]);
      expect([endpoint.name, http.get(`${endpoint.name}SignedIn`)]).toEqual([endpoint.name, expect.objectContaining({ route: `signed-in/${endpoint.route}`, methods: ['GET'], authLevel: 'anonymous' })]);
    }
    for (const name of ['apiWaiverCreate', 'apiWaiverUpdate', 'apiWaiverDelete']) {
      expect(http.get(name)?.authLevel).toBe('admin');
      expect(http.get(`${name}SignedIn`)).toMatchObject({ route: `signed-in/${String(http.get(name)?.route)}`, authLevel: 'anonymous' });
    }
  });

  it('when no token or a token for another app comes, then 401 with a Bearer challenge; a function key does not open the people routes', async () => {
    const none = await call('GET', 'signed-in/status');
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    const keyed = await call('GET', 'signed-in/waivers', { 'x-functions-key': functionKey });
    expect(keyed.status).toBe(401);
    const otherApp = cloud.sim.signIn.signed({ aud: '00000003-0000-0000-c000-000000000000', iss: `${cloud.sim.authorityHost}/${cloud.sim.tenantId}/v2.0`, tid: cloud.sim.tenantId, preferred_username: 'eve@partner.example', roles: ['Waivers.Write'], exp: Math.floor(Date.now() / 1000) + 600 });
    const refused = await call('GET', 'signed-in/waivers', bearer(otherApp));
    expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
    expect(hostLines.filter((line) => line.includes(otherApp.split('.')[1]!))).toEqual([]);
  });

  it('when a reader signs in, then they read every endpoint the dashboard reads, and a waiver change is 403 naming the role', async () => {
    const token = await accessTokenFor(cloud.sim, reader);
    for (const route of ['status', 'score', 'requirements', 'customers?status=nonCompliant', 'findings?state=open', 'principals?top=100', 'waivers', 'waiver-audit?top=50']) {
      const response = await call('GET', `signed-in/${route}`, bearer(token));
      expect([route, response.status === 503 && route === 'status' ? 200 : response.status]).toEqual([route, 200]);
    }
    const write = await call('POST', 'signed-in/waivers', bearer(token), draft());
    expect(write.status).toBe(403);
    expect(((await write.json()) as { detail: string }).detail).toContain('Waivers.Write');
  });

  it('when a waiver admin signs in, then they create, change and delete waivers and the audit names them; the admin key still writes as "admin key"', async () => {
    const token = await accessTokenFor(cloud.sim, waiverAdmin);
    const created = (await (await call('POST', 'signed-in/waivers', bearer(token), draft())).json()) as Record<string, unknown>;
    expect([created.createdBy, created.updatedBy]).toEqual([waiverAdmin.username, waiverAdmin.username]);
    const changed = await call('PATCH', `signed-in/waivers/${String(created.id)}`, { ...bearer(token), 'if-match': String(created.etag) }, { reason: 'signed risk acceptance' });
    expect(((await changed.json()) as Record<string, unknown>).updatedBy).toBe(waiverAdmin.username);
    expect((await call('DELETE', `signed-in/waivers/${String(created.id)}`, { ...bearer(token), 'if-match': '*' })).status).toBe(204);
    const audit = (await (await call('GET', 'waiver-audit?top=3', { 'x-functions-key': functionKey })).json()) as { items: { actor: string; action: string }[] };
    expect(audit.items.map((entry) => [entry.action, entry.actor])).toEqual([['deleted', waiverAdmin.username], ['changed', waiverAdmin.username], ['created', waiverAdmin.username]]);

    const keyed = (await (await call('POST', 'waivers', { 'x-functions-key': adminKey }, draft())).json()) as Record<string, unknown>;
    expect(keyed.createdBy).toBe('admin key');
    expect((await call('POST', 'waivers', bearer(token), draft())).status).toBe(401);
    // Logs say a waiver changed, never who: the person is in the audit trail only.
    expect(hostLines.some((line) => line.includes(`Waiver ${String(created.id)} (customer) created by a signed-in person`))).toBe(true);
    expect(hostLines.filter((line) => line.includes(waiverAdmin.username) || line.includes(token.split('.')[1]!))).toEqual([]);
  });

  it('when the dashboard page is asked for, then it comes without a key (it holds no data) and may reach Entra to sign in', async () => {
    const page = await call('GET', 'dashboard');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${new URL(cloud.sim.authorityHost).origin};`);
    expect(await page.text()).toContain(`data-sign-in-client-id="${cloud.sim.signIn.clientId}"`);
  });
});
