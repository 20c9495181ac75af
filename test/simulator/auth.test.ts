import { ManagedIdentityCredential } from '@azure/identity';
import { startSimulator, Simulator } from '../../tools/simulator';
import { credentialFor, get, tokenFor } from './simulatorClient';
import { EntraTokenVerifier } from '../../src/adapters/entraTokenVerifier';
import { redeem, signIn } from '../support/signIn';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const scoreUrl = () => `${sim.graphBaseUrl}/beta/security/partner/securityScore`;
const principalsUrl = () => `${sim.partnerCenterBaseUrl}/v1/nonMfaCompliantPartnerPrincipals`;

async function postToken(form: Record<string, string>, tenant = sim.tenantId) {
  const response = await fetch(`${sim.authorityHost}/${tenant}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('Entra token endpoint', () => {
  it('when the real ClientSecretCredential asks with the right secret, then its token opens Graph', async () => {
    const token = await tokenFor(sim, sim.graphBaseUrl);
    expect((await get(scoreUrl(), token)).status).toBe(200);
  });

  it('when the secret is wrong, then the credential fails with AADSTS7000215 invalid_client', async () => {
    await expect(credentialFor(sim, 'wrong-secret').getToken(`${sim.graphBaseUrl}/.default`)).rejects.toThrow(/AADSTS7000215/);
    const raw = await postToken({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: 'nope', scope: `${sim.graphBaseUrl}/.default` });
    expect(raw).toMatchObject({ status: 401, json: { error: 'invalid_client', error_codes: [7000215] } });
  });

  it('when the tenant or the client id is unknown, then Entra refuses them', async () => {
    await expect(credentialFor(sim, sim.clientSecret, '00000000-0000-0000-0000-000000000001').getToken(`${sim.graphBaseUrl}/.default`)).rejects.toThrow();
    const wrongClient = await postToken({ grant_type: 'client_credentials', client_id: '00000000-0000-0000-0000-000000000002', client_secret: sim.clientSecret, scope: `${sim.graphBaseUrl}/.default` });
    expect(wrongClient).toMatchObject({ status: 400, json: { error: 'unauthorized_client', error_codes: [700016] } });
    const wrongTenant = await postToken({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret, scope: `${sim.graphBaseUrl}/.default` }, 'contoso.example');
    expect(wrongTenant).toMatchObject({ status: 400, json: { error_codes: [90002] } });
  });

  it('when the client secret has expired, then the right secret is refused with AADSTS7000222 until the fault is cleared', async () => {
    sim.injectFault({ kind: 'expireClientSecret' });
    await expect(credentialFor(sim).getToken(`${sim.graphBaseUrl}/.default`)).rejects.toThrow(/AADSTS7000222/);
    const raw = await postToken({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret, scope: `${sim.graphBaseUrl}/.default` });
    expect(raw).toMatchObject({ status: 401, json: { error: 'invalid_client', error_codes: [7000222] } });
    sim.clearFaults();
    expect((await postToken({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret, scope: `${sim.graphBaseUrl}/.default` })).status).toBe(200);
  });

  it('when the scope is not <audience>/.default of a known resource, then Entra refuses it', async () => {
    const form = { grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret };
    expect(await postToken({ ...form, scope: `${sim.graphBaseUrl}/User.Read` })).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
    expect(await postToken({ ...form, scope: 'https://management.azure.com/.default' })).toMatchObject({ status: 400, json: { error: 'invalid_resource' } });
  });

  it('when a Graph token is used on Partner Center, then 401 with WWW-Authenticate: Bearer', async () => {
    const graphToken = await tokenFor(sim, sim.graphBaseUrl);
    const response = await get(principalsUrl(), graphToken);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await get(principalsUrl(), await tokenFor(sim, sim.partnerCenterBaseUrl))).status).toBe(200);
  });

  it('when the token is missing or made up, then 401 InvalidAuthenticationToken', async () => {
    const missing = await get(scoreUrl());
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe('InvalidAuthenticationToken');
    expect((await get(scoreUrl(), 'made-up')).status).toBe(401);
  });

  it('when tokens expire fast, then an expired one is refused and a fresh one works', async () => {
    sim.injectFault({ kind: 'expireTokens', lifetimeSeconds: 1 });
    const raw = await postToken({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret, scope: `${sim.graphBaseUrl}/.default` });
    expect(raw.json.expires_in).toBe(1);
    const token = raw.json.access_token as string;
    expect((await get(scoreUrl(), token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await get(scoreUrl(), token);
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toMatch(/expired/);
    sim.clearFaults();
    expect((await get(scoreUrl(), await tokenFor(sim, sim.graphBaseUrl))).status).toBe(200);
  });

  it('when tokens are revoked, then outstanding ones get 401 InvalidAuthenticationToken and new ones work', async () => {
    const raw = await postToken({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret, scope: `${sim.graphBaseUrl}/.default` });
    const token = raw.json.access_token as string;
    sim.injectFault({ kind: 'revokeTokens' });
    const refused = await get(scoreUrl(), token);
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('InvalidAuthenticationToken');
    const fresh = await postToken({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret, scope: `${sim.graphBaseUrl}/.default` });
    expect((await get(scoreUrl(), fresh.json.access_token as string)).status).toBe(200);
  });

  it('when a refresh token is redeemed, then a new access token and a rotated refresh token come back, and the old one is spent', async () => {
    const form = { grant_type: 'refresh_token', client_id: sim.clientId, client_secret: sim.clientSecret, scope: `${sim.partnerCenterBaseUrl}/.default offline_access` };
    const first = await postToken({ ...form, refresh_token: sim.refreshToken });
    expect(first.status).toBe(200);
    expect(first.json.refresh_token).toEqual(expect.any(String));
    expect(first.json.refresh_token).not.toBe(sim.refreshToken);
    expect((await get(principalsUrl(), first.json.access_token as string)).status).toBe(200);
    expect(await postToken({ ...form, refresh_token: sim.refreshToken })).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect((await postToken({ ...form, refresh_token: first.json.refresh_token as string })).status).toBe(200);
  });

  it('when nothing in the log is a secret, then tokens and secrets never appear in it', async () => {
    const token = await tokenFor(sim, sim.graphBaseUrl);
    await get(scoreUrl(), token);
    const log = JSON.stringify(sim.requestLog());
    expect(log).not.toContain(token);
    expect(log).not.toContain(sim.clientSecret);
    expect(log).toContain('Bearer [redacted]');
  });
});

describe('managed identity endpoint', () => {
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  afterEach(() => {
    for (const [name, value] of [['IDENTITY_ENDPOINT', saved.endpoint], ['IDENTITY_HEADER', saved.header]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('when the real ManagedIdentityCredential reads IDENTITY_ENDPOINT/IDENTITY_HEADER, then its token opens Graph', async () => {
    process.env.IDENTITY_ENDPOINT = sim.managedIdentity.endpoint;
    process.env.IDENTITY_HEADER = sim.managedIdentity.header;
    const token = await new ManagedIdentityCredential().getToken(`${sim.graphBaseUrl}/.default`);
    expect((await get(scoreUrl(), token.token)).status).toBe(200);
    expect(sim.requestLog().some((entry) => entry.service === 'msi' && entry.headers['x-identity-header'] === '[redacted]')).toBe(true);
  });

  it('when the identity header is wrong, then the endpoint refuses', async () => {
    const url = `${sim.managedIdentity.endpoint}?api-version=2019-08-01&resource=${encodeURIComponent(sim.graphBaseUrl)}`;
    expect((await get(url, undefined, { 'x-identity-header': 'wrong' })).status).toBe(401);
    expect((await get(url, undefined, { 'x-identity-header': sim.managedIdentity.header })).json).toMatchObject({ token_type: 'Bearer', resource: sim.graphBaseUrl });
  });
});

/*
 * The simulator plays Entra for people signing in to the dashboard, as the Microsoft identity
 * platform documents a single-page app's sign-in ("Microsoft identity platform and OAuth 2.0
 * authorization code flow", entra-docs v2-oauth2-auth-code-flow.md): PKCE is required for SPAs,
 * the code comes back with `state` in the chosen response mode, "Authorization codes are short
 * lived", a `spa` redirect URI is redeemed only with an `Origin` header (CORS), and errors carry
 * `error` and an AADSTS-numbered `error_description`. Tokens follow "Access token claims reference".
 */
describe('Entra sign-in for the dashboard (a single-page app)', () => {
  it('when a person signs in with PKCE, then the redeemed tokens are v2.0 JWTs for the app, naming them with their app roles, that the app verifies with the published keys', async () => {
    const { status, headers, json } = await signIn(sim, { name: 'Riley Reader', username: 'riley@partner.example', roles: ['Monitor.Read'] });
    expect(status).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:7071');
    expect(json).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    const claims = JSON.parse(Buffer.from(String(json.access_token).split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: sim.signIn.clientId, iss: `${sim.authorityHost}/${sim.tenantId}/v2.0`, tid: sim.tenantId, ver: '2.0', preferred_username: 'riley@partner.example', roles: ['Monitor.Read'] });
    const verifier = new EntraTokenVerifier({ clientId: sim.signIn.clientId, tenantId: sim.tenantId, authorityHost: sim.authorityHost, timeoutMs: 5000 });
    expect(await verifier.verify(String(json.access_token))).toEqual({ name: 'riley@partner.example', roles: ['Monitor.Read'] });
  });

  it('when the verifier does not match the challenge, the code is used twice, or the redemption comes without an Origin, then Entra refuses in its error shape', async () => {
    expect((await signIn(sim, {}, { verifier: 'not-the-verifier-of-the-challenge-0123456789' })).json).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });
    const first = await signIn(sim, {});
    expect(first.status).toBe(200);
    const again = await redeem(sim, { code: first.code, code_verifier: 'whatever' });
    expect(again).toMatchObject({ status: 400, json: { error: 'invalid_grant', error_codes: [70008], error_description: expect.stringMatching(/^AADSTS70008: /) } });
    expect(await redeem(sim, { code: 'any', code_verifier: 'any' }, null)).toMatchObject({ status: 400, json: { error_codes: [9002327] } });
  });

  it('when /authorize is asked without a PKCE challenge, then the error comes back to the redirect URI with the state', async () => {
    const url = `${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/authorize?client_id=${sim.signIn.clientId}&response_type=code&response_mode=fragment&redirect_uri=${encodeURIComponent('http://127.0.0.1:7071/api/dashboard')}&state=s1&scope=openid`;
    const answer = new URLSearchParams(new URL((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '').hash.slice(1));
    expect([answer.get('error'), answer.get('state'), answer.get('code')]).toEqual(['invalid_request', 's1', null]);
  });

  it('when a test or the demo tells the control API who signs in, then the next sign-in is that person with those roles', async () => {
    const told = await fetch(`${sim.url}/_sim/sign-in`, { method: 'POST', body: JSON.stringify({ name: 'Riley Reader', roles: ['Monitor.Read'] }) });
    expect([told.status, await told.json()]).toEqual([200, expect.objectContaining({ name: 'Riley Reader', username: 'dana.admin@partner.example', roles: ['Monitor.Read'] })]);
    expect((await fetch(`${sim.url}/_sim/sign-in`, { method: 'POST', body: JSON.stringify({ roles: 'Monitor.Read' }) })).status).toBe(400);
    sim.signIn.signInAs({});
  });
});
