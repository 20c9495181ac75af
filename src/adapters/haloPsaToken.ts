import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, isRestError, type HttpClient } from '@azure/core-rest-pipeline';
import { MonitorError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';
import type { HaloPsaConfig } from '../config';

/** What to fix when HaloPSA refuses the monitor, named by setting; never a value. */
export const haloRefusalHint =
  'check HALOPSA_CLIENT_ID, HALOPSA_CLIENT_SECRET and HALOPSA_TENANT (Configuration > Integrations > HaloPSA API > API Details), ' +
  'that the application is active with the Client ID and Secret (Services) method, and that its permissions (and its agent\'s) ' +
  'include read:tickets, edit:tickets and read:customers';

/** OAuth 2.0 errors (RFC 6749 §5.2) that mean the credentials or their grant: refused, not a passing failure. */
const REFUSALS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_scope']);

/**
 * HaloPSA's access token, by the client credentials grant at `{base}/auth/token?tenant=...`
 * (form-encoded, as OAuth 2.0 and Halo's authorisation guide have it), kept until shortly before
 * its `expires_in` and dropped when the API answers 401. Bounded by the same budget as any call.
 * Neither the secret nor the token ever appears in an error.
 */
export class HaloPsaToken {
  private cached: { token: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;
  /** Token requests sent. */
  requestCount = 0;
  private readonly httpClient: HttpClient;

  constructor(
    private readonly config: HaloPsaConfig,
    private readonly options: { timeoutMs: number; httpClient?: HttpClient },
  ) {
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
  }

  async get(): Promise<string> {
    if (this.cached !== null && Date.now() < this.cached.renewAt) return this.cached.token;
    // Concurrent calls share one token request.
    this.pending ??= this.request().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** The API refused the token (401): the next call asks for a new one. */
  drop(): void {
    this.cached = null;
  }

  private async request(): Promise<string> {
    const url = new URL(`${this.config.baseUrl}/auth/token`);
    if (this.config.tenant !== null) url.searchParams.set('tenant', this.config.tenant);
    // `all`, narrowed by the permissions the partner grants the application in Halo.
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.config.clientId, client_secret: this.config.clientSecret, scope: 'all' }).toString();
    const abortSignal = AbortSignal.timeout(this.options.timeoutMs);
    const headers = createHttpHeaders({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
    // Settings take only https URLs; the tests' local doubles speak http.
    const request = createPipelineRequest({ url: url.toString(), method: 'POST', headers, body, abortSignal, allowInsecureConnection: true });
    this.requestCount += 1;
    const response = await this.httpClient.sendRequest(request).catch((thrown: unknown) => {
      if (abortSignal.aborted) throw new MonitorError('PsaTimeout', `HaloPSA did not answer the token request within ${Math.round(this.options.timeoutMs / 1000)} s`, { cause: thrown });
      throw new MonitorError('PsaUnavailable', `HaloPSA's token endpoint could not be reached (${(isRestError(thrown) ? thrown.code : undefined) ?? 'network error'})`, { cause: thrown });
    });
    const answer = jsonOf(response.bodyAsText);
    const error = typeof answer?.error === 'string' ? answer.error : null;
    const status = response.status;
    if (status === 200 && typeof answer?.access_token === 'string') {
      const lifetimeS = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 3600;
      // Renewed a minute (or a tenth of its life, when shorter) before it expires, so no call carries a token about to lapse.
      this.cached = { token: answer.access_token, renewAt: Date.now() + (lifetimeS - Math.min(60, lifetimeS / 10)) * 1000 };
      return answer.access_token;
    }
    const said = `(status ${status}${error === null ? '' : `: ${error}`})`;
    if (status === 401 || status === 403 || (error !== null && REFUSALS.has(error))) {
      throw Object.assign(new MonitorError('PsaRefused', `HaloPSA refused the monitor's token request ${said}: ${haloRefusalHint}`), { statusCode: status });
    }
    if (status === 429 || status >= 500) throw Object.assign(new MonitorError('PsaUnavailable', `HaloPSA's token endpoint answered ${said}; retried on the next run`), { statusCode: status });
    throw Object.assign(new MonitorError('PsaRejected', `HaloPSA rejected the token request ${said}: check HALOPSA_BASE_URL and HALOPSA_TENANT`), { statusCode: status });
  }
}

function jsonOf(text: string | null | undefined): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text ?? '');
    return isPlainObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
