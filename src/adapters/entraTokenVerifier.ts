import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { MonitorError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';
import type { SignInConfig } from '../config';
import type { AccessTokenVerifier, SignedInPerson } from '../ports';

/** GETs a JSON document within the signal's time; the seam tests count fetches through. */
export type FetchJson = (url: string, signal: AbortSignal) => Promise<unknown>;

/** Clocks of this app and of Entra differ a little: a token is taken this long before `nbf` and after `exp`. */
const clockSkewSeconds = 120;
/** "A reasonable frequency to check for updates to the public keys used by Microsoft Entra ID is every 24 hours." (Access tokens, Validate the signature) */
const keysMaxAgeMs = 24 * 3_600_000;
/** A token naming a key Entra does not list refreshes the keys at most this often, so made-up `kid`s cannot make the app hammer Entra. */
const unknownKeyRefreshMs = 60_000;

interface SigningKeys {
  issuer: string;
  keys: Map<string, KeyObject>;
  fetchedAt: number;
}

const rejected = (reason: string) => new MonitorError('TokenRejected', `the token ${reason}`);

/**
 * Entra ID access tokens for the sign-in app, checked as "Access tokens" (Microsoft identity
 * platform, Validate tokens) describes: the RS256 signature against a key the tenant's OpenID
 * configuration (`jwks_uri`) lists, chosen by the token's `kid`; `iss` exactly the configuration's
 * `issuer`, and `tid` the tenant in it; `aud` the app's client id (what v2.0 tokens always carry,
 * "Access token claims reference"); and `nbf`/`exp`. The keys are kept a day, and read again when
 * a token names a key they lack (Entra rotates them); every fetch is bounded by the timeout.
 */
export class EntraTokenVerifier implements AccessTokenVerifier {
  private keys: SigningKeys | undefined;
  private reading: Promise<SigningKeys> | undefined;

  constructor(
    private readonly settings: SignInConfig,
    private readonly fetchJson: FetchJson = fetchJsonDocument,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(token: string): Promise<SignedInPerson> {
    const [headerPart = '', payloadPart = '', signaturePart = '', ...rest] = token.split('.');
    if (rest.length > 0 || signaturePart === '') throw rejected('is not a signed JWT (three dot-separated parts)');
    const header = decodePart(headerPart, 'header');
    const claims = decodePart(payloadPart, 'payload');
    if (header.alg !== 'RS256') throw rejected('is not signed with RS256');
    if (typeof header.kid !== 'string') throw rejected('names no signing key (kid)');
    const signing = await this.signingKeys(header.kid);
    const key = signing.keys.get(header.kid);
    if (key === undefined) throw rejected("names a signing key Entra does not list for the tenant");
    if (!verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signaturePart, 'base64url'))) throw rejected('signature does not verify');
    if (claims.iss !== signing.issuer) throw rejected("issuer is not the tenant's");
    if (typeof claims.tid !== 'string' || !signing.issuer.includes(`/${claims.tid}/`)) throw rejected('tenant (tid) is not the issuer\'s');
    if (claims.aud !== this.settings.clientId) throw rejected('audience is not this app (SIGN_IN_CLIENT_ID)');
    const nowSeconds = this.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp + clockSkewSeconds <= nowSeconds) throw rejected('has expired');
    if (typeof claims.nbf === 'number' && claims.nbf - clockSkewSeconds > nowSeconds) throw rejected('is not valid yet (nbf)');
    const name = [claims.preferred_username, claims.name, claims.oid].find((value): value is string => typeof value === 'string' && value.trim() !== '');
    if (name === undefined) throw rejected('names no one (no preferred_username, name or oid)');
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
    return { name: name.trim().slice(0, 200), roles };
  }

  /** The keys, read afresh when a day old, or when `kid` is not among them and the last read is over a minute old. */
  private signingKeys(kid: string): Promise<SigningKeys> {
    const known = this.keys;
    const age = known === undefined ? Infinity : this.now() - known.fetchedAt;
    if (known !== undefined && age < keysMaxAgeMs && (known.keys.has(kid) || age < unknownKeyRefreshMs)) return Promise.resolve(known);
    // Requests at once share one read; a failed read is not kept, so the next request tries again.
    this.reading ??= this.readKeys()
      .then((read) => (this.keys = read))
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readKeys(): Promise<SigningKeys> {
    const { authorityHost, tenantId, timeoutMs } = this.settings;
    const configurationUrl = `${authorityHost}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
    const configuration = await this.fetchJson(configurationUrl, AbortSignal.timeout(timeoutMs));
    if (!isPlainObject(configuration) || typeof configuration.issuer !== 'string' || typeof configuration.jwks_uri !== 'string') {
      throw new MonitorError('SignInUnavailable', "Entra's OpenID configuration of the tenant has no issuer or jwks_uri");
    }
    const document = await this.fetchJson(configuration.jwks_uri, AbortSignal.timeout(timeoutMs));
    const listed = isPlainObject(document) && Array.isArray(document.keys) ? document.keys.filter(isPlainObject) : [];
    const keys = new Map<string, KeyObject>();
    for (const jwk of listed) {
      if (jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      try {
        // A key from Entra's list is a JWK by RFC 7517; one that is not is left out, the others still serve.
        keys.set(jwk.kid, createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as JsonWebKey, format: 'jwk' }));
      } catch {
        continue;
      }
    }
    return { issuer: configuration.issuer, keys, fetchedAt: this.now() };
  }
}

function decodePart(part: string, name: string): Record<string, unknown> {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (isPlainObject(decoded)) return decoded;
  } catch {
    // Falls through to the rejection below.
  }
  throw rejected(`${name} is not a JSON object`);
}

async function fetchJsonDocument(url: string, signal: AbortSignal): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: 'application/json' } });
  } catch (thrown) {
    throw new MonitorError('SignInUnavailable', `Entra could not be reached for the sign-in keys (${signal.aborted ? 'timed out' : 'no answer'})`, { cause: thrown });
  }
  if (!response.ok) throw new MonitorError('SignInUnavailable', `Entra answered ${response.status} for the sign-in keys`);
  try {
    return await response.json();
  } catch (thrown) {
    throw new MonitorError('SignInUnavailable', 'Entra answered the sign-in keys with no JSON', { cause: thrown });
  }
}
