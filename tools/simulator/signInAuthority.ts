/*
 * Entra ID as a single-page app signs people in: the v2.0 `/authorize` endpoint (the authorization
 * code flow with PKCE, "Microsoft identity platform and OAuth 2.0 authorization code flow"), the
 * `authorization_code` grant at the token endpoint, RS256-signed v2.0 access and ID tokens
 * ("Access token claims reference"), the keys at `jwks_uri`, and sign-out. No page asks for a
 * password: `/authorize` signs in the person the simulator is told to (a demo partner admin by
 * default), with the app roles it is told to, and redirects straight back.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { entraError } from './errorBodies';
import type { Exchange } from './exchange';

/** Who signs in at `/authorize` next, and the app roles assigned to them in Entra. */
export interface SignInPerson {
  name: string;
  username: string;
  objectId: string;
  roles: string[];
}

interface IssuedCode {
  redirectUri: string;
  challenge: string;
  person: SignInPerson;
  expiresAt: number;
}

/** "Authorization codes are short lived. Typically, they expire after about 10 minutes." */
const codeLifetimeMs = 10 * 60_000;
/** "Refresh tokens ... issued to single-page apps ... are only valid for 24 hours" ("Refresh tokens in the Microsoft identity platform"). */
const spaRefreshLifetimeMs = 24 * 3600_000;
const tokenLifetimeSeconds = 3600;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export class SignInAuthority {
  readonly clientId: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly kid = randomBytes(12).toString('base64url');
  private readonly codes = new Map<string, IssuedCode>();
  private readonly refreshTokens = new Map<string, { person: SignInPerson; expiresAt: number }>();
  private person: SignInPerson;

  constructor(clientId: string, private readonly issuer: () => string, private readonly tenantId: string) {
    this.clientId = clientId;
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
    this.person = SignInAuthority.demoAdmin();
  }

  static demoAdmin(): SignInPerson {
    return { name: 'Dana Admin', username: 'dana.admin@partner.example', objectId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', roles: ['Monitor.Read', 'Waivers.Write'] };
  }

  /** The person the next sign-in signs in (what a test sets to sign in as a reader or a waiver admin). */
  signInAs(person: Partial<SignInPerson>): SignInPerson {
    this.person = { ...SignInAuthority.demoAdmin(), ...person };
    return this.person;
  }

  /** The public keys, as the `jwks_uri` of the OpenID configuration lists them. */
  keys(): unknown {
    return { keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, ...this.publicKey.export({ format: 'jwk' }), issuer: this.issuer() }] };
  }

  /** `GET /authorize`: signs the person in and sends the code back in the query or the fragment (`response_mode`). */
  authorize(ex: Exchange): void {
    const query = ex.url.searchParams;
    const redirectUri = query.get('redirect_uri') ?? '';
    if (query.get('client_id')?.toLowerCase() !== this.clientId) {
      ex.send(400, entraError('unauthorized_client', 700_016, `Application with identifier '${query.get('client_id') ?? ''}' was not found in the directory '${this.tenantId}'.`));
      return;
    }
    if (!/^https?:\/\//.test(redirectUri)) {
      ex.send(400, entraError('invalid_request', 50_011, `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${this.clientId}'.`));
      return;
    }
    const challenge = query.get('code_challenge');
    const answer = new URLSearchParams();
    if (query.get('response_type') !== 'code') {
      answer.set('error', 'unsupported_response_type');
      answer.set('error_description', 'AADSTS70015: This sample of Entra supports response_type=code only.');
    } else if (challenge === null || query.get('code_challenge_method') !== 'S256') {
      // "required by the Microsoft identity platform for single page apps using the authorization code flow".
      answer.set('error', 'invalid_request');
      answer.set('error_description', "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.");
    } else {
      const code = randomBytes(32).toString('base64url');
      this.codes.set(code, { redirectUri, challenge, person: this.person, expiresAt: Date.now() + codeLifetimeMs });
      answer.set('code', code);
    }
    if (query.get('state') !== null) answer.set('state', query.get('state') ?? '');
    const fragment = query.get('response_mode') === 'fragment';
    ex.sendRaw(302, '', { location: `${redirectUri}${fragment ? '#' : redirectUri.includes('?') ? '&' : '?'}${answer.toString()}`, 'cache-control': 'no-store' });
  }

  /** The `authorization_code` grant: the code once, from the redirect URI it was issued to, with the verifier of its challenge. */
  redeem(ex: Exchange, form: URLSearchParams): void {
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    this.codes.delete(code);
    if (form.get('client_id')?.toLowerCase() !== this.clientId) {
      ex.send(400, entraError('unauthorized_client', 700_016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${this.tenantId}'.`), cors(ex));
      return;
    }
    if (!crossOrigin(ex)) return;
    if (issued === undefined || issued.expiresAt <= Date.now()) {
      ex.send(400, entraError('invalid_grant', 70_008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'), cors(ex));
      return;
    }
    if (form.get('redirect_uri') !== issued.redirectUri) {
      ex.send(400, entraError('invalid_grant', 500_112, 'The reply address does not match the reply address provided when requesting Authorization code.'), cors(ex));
      return;
    }
    if (createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') !== issued.challenge) {
      ex.send(400, entraError('invalid_grant', 501_481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'), cors(ex));
      return;
    }
    this.issue(ex, form, issued.person);
  }

  /**
   * The `refresh_token` grant of a single-page app: cross-origin, once per token (each answer
   * carries the next one), for the person it was issued to; expired after 24 hours.
   */
  refresh(ex: Exchange, form: URLSearchParams): void {
    const token = form.get('refresh_token') ?? '';
    const issued = this.refreshTokens.get(token);
    this.refreshTokens.delete(token);
    if (!crossOrigin(ex)) return;
    if (issued === undefined || issued.expiresAt <= Date.now()) {
      ex.send(400, entraError('invalid_grant', 700_084, 'The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page.'), cors(ex));
      return;
    }
    this.issue(ex, form, issued.person);
  }

  /** Forgets every refresh token, as when a sign-in session is revoked: the next renewal fails and the person signs in again. */
  revokeSessions(): void {
    this.refreshTokens.clear();
  }

  /** The tokens for a person, for this app's API; a refresh token with them when `offline_access` was asked for. */
  private issue(ex: Exchange, form: URLSearchParams, person: SignInPerson): void {
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const audiences = [`${this.clientId}/.default`, `api://${this.clientId}/.default`];
    if (!scopes.some((scope) => audiences.includes(scope.toLowerCase()))) {
      ex.send(400, entraError('invalid_scope', 70_011, `The provided request must include a 'scope' input parameter naming this app's API (${this.clientId}/.default).`), cors(ex));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const common = { iss: this.issuer(), tid: this.tenantId, oid: person.objectId, sub: base64url(person.objectId), iat: now, nbf: now, exp: now + tokenLifetimeSeconds, name: person.name, preferred_username: person.username, ver: '2.0' };
    let refreshToken: string | undefined;
    if (scopes.includes('offline_access')) {
      refreshToken = randomBytes(32).toString('base64url');
      this.refreshTokens.set(refreshToken, { person, expiresAt: Date.now() + spaRefreshLifetimeMs });
    }
    ex.send(200, {
      token_type: 'Bearer',
      scope: audiences[0],
      expires_in: tokenLifetimeSeconds,
      ext_expires_in: tokenLifetimeSeconds,
      access_token: this.signed({ ...common, aud: this.clientId, azp: this.clientId, azpacr: '0', roles: person.roles, uti: randomUUID() }),
      id_token: this.signed({ ...common, aud: this.clientId }),
      refresh_token: refreshToken,
    }, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', ...cors(ex) });
  }

  /** An RS256 JWT with this authority's key: what tests use to make tokens the app must refuse (another audience, expired). */
  signed(claims: Record<string, unknown>): string {
    const signingInput = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: this.kid }))}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), this.privateKey).toString('base64url')}`;
  }
}

/** A single-page app's code or refresh token is redeemed only cross-origin, from the browser: Entra wants the Origin header. */
function crossOrigin(ex: Exchange): boolean {
  if (ex.header('origin') !== undefined) return true;
  ex.send(400, entraError('invalid_request', 9_002_327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests."));
  return false;
}

/** The token endpoint answers a browser's cross-origin request to a spa redirect URI (CORS), as Entra does for SPAs. */
export function cors(ex: Exchange): Record<string, string> {
  const origin = ex.header('origin');
  return origin === undefined ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' };
}
