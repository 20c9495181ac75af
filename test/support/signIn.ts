import { createHash, randomBytes } from 'node:crypto';
import type { Simulator } from '../../tools/simulator';
import type { SignInPerson } from '../../tools/simulator/signInAuthority';

/** Where the dashboard is, as its app registration lists it (a `spa` redirect URI). */
export const dashboardRedirectUri = 'http://127.0.0.1:7071/api/dashboard';

/**
 * Signs `person` in through the simulated Entra as a single-page app does ("Microsoft identity
 * platform and OAuth 2.0 authorization code flow"): `/authorize` with a PKCE S256 challenge and
 * `response_mode=fragment`, then the code redeemed cross-origin (with an Origin header) with its
 * verifier. Resolves to the token endpoint's answer.
 */
export async function signIn(sim: Simulator, person: Partial<SignInPerson>, options: { verifier?: string } = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; code: string }> {
  sim.signIn.signInAs(person);
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/authorize`);
  for (const [name, value] of Object.entries({
    client_id: sim.signIn.clientId, response_type: 'code', redirect_uri: dashboardRedirectUri, response_mode: 'fragment', scope: `openid profile ${sim.signIn.clientId}/.default`,
    state: 'state-1', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })) authorize.searchParams.set(name, value);
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const answer = new URLSearchParams(new URL(redirect.headers.get('location') ?? '').hash.slice(1));
  const code = answer.get('code') ?? '';
  const response = await redeem(sim, { code, code_verifier: options.verifier ?? verifier });
  return { ...response, code };
}

/** The `authorization_code` grant at the simulated token endpoint, from the dashboard's origin unless `origin` is null. */
export async function redeem(sim: Simulator, form: Record<string, string>, origin: string | null = new URL(dashboardRedirectUri).origin): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: origin === null ? {} : { origin },
    body: new URLSearchParams({ client_id: sim.signIn.clientId, grant_type: 'authorization_code', redirect_uri: dashboardRedirectUri, scope: `openid profile ${sim.signIn.clientId}/.default`, ...form }),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

/** An access token for `person`, through the whole sign-in. */
export async function accessTokenFor(sim: Simulator, person: Partial<SignInPerson>): Promise<string> {
  const { status, json } = await signIn(sim, person);
  if (status !== 200 || typeof json.access_token !== 'string') throw new Error(`sign-in failed: ${status} ${JSON.stringify(json)}`);
  return json.access_token;
}
