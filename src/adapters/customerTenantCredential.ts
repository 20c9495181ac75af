import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, createEmptyPipeline, createPipelineRequest, exponentialRetryPolicy, type HttpClient, type Pipeline } from '@azure/core-rest-pipeline';
import { MonitorError, TenantThrottledError, toError } from '../core/errors';
import type { RefreshTokenStore, StoredRefreshToken } from '../ports';
import { jsonObject } from './apiClient';
import { describeFailure, redeemRefreshToken } from './entraTokenRedemption';

/**
 * Graph tokens in each customer tenant (CUSTOMER_TENANT_AUTH): the Secure Application Model's
 * refresh token redeemed at the customer's token endpoint (`appUser`), or the app's own
 * credential asked for the customer tenant (`app`). Access tokens are kept per tenant until
 * shortly before they expire. Entra's 429 is thrown as TenantThrottledError, never waited for.
 */
export interface CustomerTenantTokens {
  /** A Graph token in `tenantId`; `onRequest` is called for each request made to Entra for it. */
  token(tenantId: string, onRequest: () => void): Promise<AccessToken>;
}

/** Entra refused a token in a customer tenant: its OAuth error and AADSTS codes say why (never the request). */
export class CustomerTokenRefusedError extends MonitorError {
  constructor(
    readonly errorCodes: readonly number[],
    readonly detail: string,
  ) {
    super('CustomerTokenRefused', `Entra refused a token in the customer tenant (${detail}); if it refused the refresh token itself (AADSTS70000, AADSTS70008), a partner admin must run \`npm run consent\``);
    this.name = 'CustomerTokenRefusedError';
  }
}

/** Renewed this long before it expires, so a scan never starts with a token about to lapse. */
const renewBeforeExpiryMs = 5 * 60_000;
/** How long Entra is left alone when it throttles without saying for how long. */
const defaultThrottleMs = 60_000;
/** More tenants than any partner has: past it, the cache starts over rather than grow. */
const maxCachedTenants = 20_000;

abstract class CachedTenantTokens implements CustomerTenantTokens {
  private readonly cached = new Map<string, AccessToken>();

  async token(tenantId: string, onRequest: () => void): Promise<AccessToken> {
    const key = tenantId.toLowerCase();
    const cached = this.cached.get(key);
    if (cached && cached.expiresOnTimestamp - renewBeforeExpiryMs > Date.now()) return cached;
    const token = await this.fetch(key, onRequest);
    if (this.cached.size >= maxCachedTenants) this.cached.clear();
    this.cached.set(key, token);
    return token;
  }

  protected abstract fetch(tenantId: string, onRequest: () => void): Promise<AccessToken>;
}

/**
 * `appUser`: the partner admin's refresh token (the Key Vault secret the Partner Center
 * credential keeps) redeemed at `{authorityHost}/{customerTenantId}/oauth2/v2.0/token` for
 * `{graph}/.default`; the token carries that admin's GDAP roles in the customer. The refresh
 * token the customer tenant returns is NOT stored: Entra does not revoke a refresh token when it
 * is used ("Refresh tokens in the Microsoft identity platform"), so the stored one stays good for
 * every tenant, and its rotation belongs to the partner-tenant chain alone
 * (SecureApplicationModelCredential's versioned writes); 10,000 writes a run would race that
 * chain and Key Vault's limits for nothing. The stored token is read at most every
 * `storeCacheMs` (a run of 10,000 tenants reads Key Vault a few times, not 10,000).
 */
export class SecureApplicationModelTenantTokens extends CachedTenantTokens {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient = createDefaultHttpClient();
  private stored: { refreshToken: Promise<StoredRefreshToken>; readAt: number } | null = null;

  constructor(private readonly options: { authorityHost: string; clientId: string; scope: string; store: RefreshTokenStore; storeCacheMs?: number }) {
    super();
    this.pipeline = createEmptyPipeline();
    // Transient 5xx and dropped connections, a few times; a 429 is returned, and rescheduled by the caller.
    this.pipeline.addPolicy(exponentialRetryPolicy({ maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 4000 }));
  }

  protected async fetch(tenantId: string, onRequest: () => void): Promise<AccessToken> {
    const stored = await this.storedRefreshToken();
    const counting: HttpClient = {
      sendRequest: (request) => {
        onRequest();
        return this.httpClient.sendRequest(request);
      },
    };
    const tokenEndpoint = `${this.options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
    const answer = await redeemRefreshToken({ pipeline: this.pipeline, httpClient: counting }, { tokenEndpoint, tenantId, clientId: this.options.clientId, refreshToken: stored.value, scope: this.options.scope });
    if (answer.ok) return answer.token;
    if (answer.status === 429) throw new TenantThrottledError('Microsoft Entra', answer.retryAfterMs ?? defaultThrottleMs);
    throw new CustomerTokenRefusedError(answer.errorCodes, `${answer.error}${answer.detail}`);
  }

  private storedRefreshToken(): Promise<StoredRefreshToken> {
    const maxAge = this.options.storeCacheMs ?? 5 * 60_000;
    if (this.stored === null || Date.now() - this.stored.readAt > maxAge) {
      const refreshToken = this.readStore();
      this.stored = { refreshToken, readAt: Date.now() };
      // A failed read is not kept: the next tenant reads again.
      refreshToken.catch(() => {
        if (this.stored?.refreshToken === refreshToken) this.stored = null;
      });
    }
    return this.stored.refreshToken;
  }

  private async readStore(): Promise<StoredRefreshToken> {
    let stored: StoredRefreshToken | null;
    try {
      stored = await this.options.store.latest();
    } catch (error) {
      throw new MonitorError('KeyVaultUnavailable', `Could not read the partner admin's refresh token from ${this.options.store.description} (${describeFailure(error)}): the app's identity needs Key Vault Secrets User on the vault.`, { cause: error });
    }
    if (stored === null) throw new MonitorError('ConsentRequired', `CUSTOMER_TENANT_AUTH=appUser has no refresh token yet (${this.options.store.description} is empty): a partner admin must run \`npm run consent\`.`);
    return stored;
  }
}

/**
 * `app`: the app registration's own credential, built for the customer tenant. Not one
 * credential asked `getToken(scope, { tenantId })` (with `additionallyAllowedTenants`): MSAL
 * keys its token cache by the authority's first path segment, so under an authority host with a
 * path (a proxy's, the local simulator's) every tenant was handed the first tenant's token, a
 * silent cross-tenant mix-up; a credential per tenant names the tenant in its authority. Tokens
 * are cached here per tenant, the credentials are not kept. One token acquisition is counted as
 * one request: @azure/identity also reads the tenant's OpenID configuration first.
 */
export class AppTenantTokens extends CachedTenantTokens {
  private readonly httpClient: HttpClient = createDefaultHttpClient();

  constructor(
    private readonly credentialFor: (tenantId: string) => TokenCredential,
    private readonly scope: string,
    private readonly authorityHost: string,
  ) {
    super();
  }

  /**
   * Why Entra refused the tenant's OpenID configuration, which MSAL reads first and reports only
   * as `endpoints_resolution_error` (a deleted tenant's answer is AADSTS90002): its AADSTS codes.
   */
  private async discoveryRefusal(tenantId: string, onRequest: () => void): Promise<number[]> {
    onRequest();
    const url = `${this.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
    const response = await this.httpClient.sendRequest(createPipelineRequest({ url, timeout: 30_000 })).catch(() => null);
    const codes = jsonObject(response?.bodyAsText).error_codes;
    return Array.isArray(codes) ? codes.filter((code): code is number => typeof code === 'number') : [];
  }

  protected async fetch(tenantId: string, onRequest: () => void): Promise<AccessToken> {
    onRequest();
    try {
      const token = await this.credentialFor(tenantId).getToken(this.scope);
      if (token === null) throw new MonitorError('AuthenticationFailed', 'The app credential gave no token for the customer tenant');
      return token;
    } catch (error) {
      if (error instanceof MonitorError) throw error;
      const { statusCode, text } = identityFailure(error);
      const codes = text.includes('endpoints_resolution_error') ? await this.discoveryRefusal(tenantId, onRequest) : [...text.matchAll(/AADSTS(\d+)/g)].map((match) => Number(match[1]));
      if (statusCode === 429) throw new TenantThrottledError('Microsoft Entra', defaultThrottleMs);
      if (codes.length > 0) throw new CustomerTokenRefusedError(codes, codes.map((code) => `AADSTS${code}`).join('/'));
      throw error;
    }
  }
}

/** An @azure/identity AuthenticationError's status, and its text (searched for AADSTS codes only). */
function identityFailure(error: unknown): { statusCode: number | undefined; text: string } {
  const statusCode = typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined;
  return { statusCode, text: toError(error).message };
}
