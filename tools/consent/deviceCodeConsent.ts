import type { RefreshTokenStore } from '../../src/ports';

/** POSTs a form to Entra and hands back the status and JSON body. */
export type FormPoster = (url: string, form: Record<string, string>) => Promise<{ status: number; body: Record<string, unknown> }>;

interface ConsentOptions {
  tenantId: string;
  clientId: string;
  authorityHost: string;
  /** What the admin consents to: Partner Center, delegated. */
  scope: string;
  store: RefreshTokenStore;
  post: FormPoster;
  /** Shows the admin Entra's instructions (URL and code). */
  say: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

interface ConsentOutcome {
  version: string;
  signedInAs: string | null;
}

class ConsentError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConsentError';
  }
}

/**
 * The consent step of the Secure Application Model, by the OAuth device code flow: a partner
 * admin signs in (with MFA) in any browser, the first refresh token is stored as a new
 * version of the Key Vault secret, and the monitor rotates it from then on. The token is
 * never printed.
 */
export async function obtainRefreshToken(options: ConsentOptions): Promise<ConsentOutcome> {
  const base = `${options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0`;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const scope = `${options.scope} offline_access openid profile`;
  const start = await options.post(`${base}/devicecode`, { client_id: options.clientId, scope });
  if (start.status !== 200 || typeof start.body.device_code !== 'string') throw refusal('DeviceCodeRefused', 'Entra refused to start the sign-in', start.body);
  options.say(typeof start.body.message === 'string' ? start.body.message : `Open ${String(start.body.verification_uri)} and enter the code ${String(start.body.user_code)}.`);
  let intervalMs = Math.max(1, Number(start.body.interval) || 5) * 1000;
  const deadline = Date.now() + (Number(start.body.expires_in) || 900) * 1000;
  for (;;) {
    if (Date.now() > deadline) throw new ConsentError('ConsentTimedOut', 'The sign-in code expired before anyone used it: run the consent step again.');
    await sleep(intervalMs);
    const answer = await options.post(`${base}/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: options.clientId,
      device_code: start.body.device_code,
    });
    if (answer.status === 200) {
      const refreshToken = answer.body.refresh_token;
      if (typeof refreshToken !== 'string' || refreshToken === '') {
        throw new ConsentError('NoRefreshToken', 'Entra signed the admin in but returned no refresh token: the app registration must allow public client flows, and the scope must include offline_access.');
      }
      const version = await options.store.write(refreshToken);
      return { version, signedInAs: signedInAs(answer.body.id_token) };
    }
    const error = answer.body.error;
    if (error === 'authorization_pending') continue;
    if (error === 'slow_down') {
      intervalMs += 5000;
      continue;
    }
    if (error === 'authorization_declined') throw new ConsentError('ConsentDeclined', 'The sign-in was declined.');
    if (error === 'expired_token') throw new ConsentError('ConsentTimedOut', 'The sign-in code expired: run the consent step again.');
    throw refusal('ConsentRefused', 'Entra refused the sign-in', answer.body);
  }
}

function refusal(code: string, what: string, body: Record<string, unknown>): ConsentError {
  const aadsts = Array.isArray(body.error_codes) ? body.error_codes.map((number) => `AADSTS${String(number)}`).join('/') : '';
  const description = typeof body.error_description === 'string' ? body.error_description.split(/\r?\n| Trace ID:/)[0] : '';
  return new ConsentError(code, `${what} (${String(body.error ?? 'error')}${aadsts ? `, ${aadsts}` : ''})${description ? `: ${description}` : ''}`);
}

/** The admin's sign-in name from the id token, if Entra sent one (display only; not verified). */
function signedInAs(idToken: unknown): string | null {
  if (typeof idToken !== 'string') return null;
  try {
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { preferred_username?: unknown };
    return typeof claims.preferred_username === 'string' ? claims.preferred_username : null;
  } catch {
    return null;
  }
}
