/*
 * The simulated HaloPSA's authorisation server: `POST /auth/token?tenant=<tenant>` with the
 * OAuth 2.0 client credentials grant (form-encoded grant_type, client_id, client_secret, scope),
 * answering errors as RFC 6749 §5.2 words them (`invalid_request`, `invalid_client`,
 * `unsupported_grant_type`), with 400 as IdentityServer-style servers answer a client that sent
 * its credentials in the body; and the bearer check of every `/api` request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Exchange } from './exchange';

export interface HaloCredentials {
  tenant: string;
  clientId: string;
  clientSecret: string;
}

/** Deterministic per seed, so the settings a demo prints stay the same from run to run. */
export function haloCredentials(seed: number): HaloCredentials {
  const digest = (label: string) => createHash('sha256').update(`halopsa-${label}-${seed}`).digest('hex');
  const id = digest('client');
  return {
    tenant: 'simulatedpartner',
    clientId: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
    clientSecret: `${digest('secret').slice(0, 36)}-${digest('secret2').slice(0, 36)}`,
  };
}

interface IssuedToken {
  expiresAt: number;
  scope: string;
}

export class HaloAuthorisation {
  private readonly tokens = new Map<string, IssuedToken>();
  constructor(
    private readonly credentials: HaloCredentials,
    private readonly tokenLifetimeSeconds: number,
  ) {}

  /** POST /auth/token. */
  token(ex: Exchange): void {
    if (ex.method !== 'POST') return ex.send(405, { error: 'invalid_request', error_description: 'The token endpoint takes POST.' });
    if (!(ex.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return ex.send(400, { error: 'invalid_request', error_description: 'The body must be application/x-www-form-urlencoded.' });
    }
    const form = new URLSearchParams(ex.body.toString('utf8'));
    const grantType = form.get('grant_type');
    if (grantType === null) return ex.send(400, { error: 'invalid_request', error_description: 'grant_type is missing.' });
    if (grantType !== 'client_credentials') return ex.send(400, { error: 'unsupported_grant_type' });
    const tenant = ex.url.searchParams.get('tenant');
    const clientId = form.get('client_id');
    const clientSecret = form.get('client_secret');
    // A hosted instance knows its applications only under its own tenant; any mismatch is the same invalid_client.
    if (tenant !== this.credentials.tenant || clientId !== this.credentials.clientId || clientSecret !== this.credentials.clientSecret) {
      return ex.send(400, { error: 'invalid_client' });
    }
    const scope = form.get('scope') ?? 'all';
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, { expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000, scope });
    ex.send(200, { scope, token_type: 'Bearer', access_token: accessToken, expires_in: this.tokenLifetimeSeconds });
  }

  /** Whether the request carries a live token; answers 401 when it does not. */
  authorised(ex: Exchange): boolean {
    const token = /^Bearer\s+(\S+)$/i.exec(ex.header('authorization') ?? '')?.[1];
    const issued = token === undefined ? undefined : this.tokens.get(token);
    if (issued !== undefined && issued.expiresAt > Date.now()) return true;
    const why = token === undefined ? 'invalid_request' : 'invalid_token';
    ex.send(401, undefined, { 'www-authenticate': `Bearer error="${why}"` });
    return false;
  }
}
