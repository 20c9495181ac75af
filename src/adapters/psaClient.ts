import {
  createDefaultHttpClient,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  isRestError,
  RestError,
  retryPolicy,
  type HttpClient,
  type PipelineResponse,
  type RetryStrategy,
} from '@azure/core-rest-pipeline';
import { MonitorError } from '../core/errors';
import { psaLabels, type PsaName } from '../core/tickets';
import { retryAfterMs, retryStrategy } from './apiClient';

/**
 * One PSA's REST API over the Azure SDK's HTTP pipeline, with what every PSA client needs and
 * none of them should write again:
 * - a budget per call (PSA_TIMEOUT_SECONDS), retries after 429 and 5xx included, waiting
 *   `Retry-After` (or a jittered backoff) only when the wait fits it;
 * - pacing to the PSA's documented rate (its `<PSA>_REQUESTS_PER_MINUTE` setting), a wait that
 *   is also bounded by the budget;
 * - errors that name the PSA and what to check, never a credential, a header or a body
 *   beyond what `describeAnswer` picks from it (see PsaTickets for the codes).
 */
interface PsaClientOptions {
  psa: PsaName;
  /** The REST root requests are relative to; a function when it must be looked up first (Autotask's zone). */
  baseUrl: string | (() => Promise<string>);
  /** The credential headers of one request (a Basic key, Autotask's three headers, a bearer token). */
  authorization: () => Promise<Record<string, string>>;
  timeoutMs: number;
  requestsPerMinute: number;
  /** What to check when the PSA refuses the monitor (401, 403): the settings and the permission. */
  refusalHint: string;
  /** The vendor's error code and message from an error answer, as safe to log; null when it has none. */
  describeAnswer?: (body: unknown) => string | null;
  /** Called on a 401, so a cached token the PSA no longer accepts is fetched again. */
  onUnauthorized?: () => void;
  /**
   * Whether an answer to a write is the PSA refusing it, whatever its status: such an answer
   * is not retried, and fails PsaRejected (Autotask answers a create or an update it
   * refuses with 500 and its `errors`). Unset: only 4xx answers other than 401, 403 and 429 are.
   */
  isRejection?: (status: number, body: unknown) => boolean;
  /** Replaces the Node HTTP client (tests); defaults to the SDK's. */
  httpClient?: HttpClient;
}

export interface PsaRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the base URL, starting with `/`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** A 404 is an answer (null), not an error: reading something that may not exist. */
  notFoundIsNull?: boolean;
  /**
   * Whether sending it twice does no harm. Default: every method but POST. A request that is not
   * is never sent again once it may have reached the PSA (a connection lost after sending): that
   * fails PsaTimeout, and the caller looks it up before trying again (a POST query says `true`).
   */
  idempotent?: boolean;
}

/** Connection errors raised before anything was sent: a retry cannot repeat what the PSA did. */
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** A PSA's answer: its JSON body (null when empty), and its headers for paging. */
interface PsaAnswer {
  status: number;
  body: unknown;
  headers: { get(name: string): string | undefined };
}

export class PsaClient {
  private readonly httpClient: HttpClient;
  private readonly label: string;
  private readonly starts: number[] = [];
  /** Requests sent (attempts included): what a run costs against the PSA's limit. */
  requestCount = 0;

  constructor(private readonly options: PsaClientOptions) {
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
    this.label = psaLabels[options.psa];
  }

  /** One call: the answer, or null for a 404 read with `notFoundIsNull`; throws PsaRefused, PsaRejected, PsaUnavailable or PsaTimeout. */
  async request(call: PsaRequest & { notFoundIsNull: true }): Promise<PsaAnswer | null>;
  async request(call: PsaRequest): Promise<PsaAnswer>;
  async request(call: PsaRequest): Promise<PsaAnswer | null> {
    const { timeoutMs } = this.options;
    const endsAt = Date.now() + timeoutMs;
    const what = `${call.method} ${call.path}`;
    const base = typeof this.options.baseUrl === 'string' ? this.options.baseUrl : await this.options.baseUrl();
    const url = new URL(`${base}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const pipeline = createEmptyPipeline();
    const idempotent = call.idempotent ?? call.method !== 'POST';
    let answerLost = false;
    const keepUnsentOnly: RetryStrategy = {
      name: 'psaNoRepeatedCreate',
      retry: ({ responseError }) => {
        if (idempotent || responseError === undefined || notSentCodes.has(responseError.code ?? '')) return { skipStrategy: true };
        answerLost = true;
        return { errorToThrow: responseError };
      },
    };
    // A query sent as POST reads: only a write can be refused this way.
    const writes = call.method !== 'GET' && call.idempotent !== true;
    let rejection: PipelineResponse | null = null;
    const keepRejections: RetryStrategy = {
      name: 'psaRejectionIsAnAnswer',
      retry: ({ response }) => {
        if (response === undefined || !writes || this.options.isRejection?.(response.status, parsed(response.bodyAsText)) !== true) return { skipStrategy: true };
        rejection = response;
        return { errorToThrow: new RestError(`answered ${response.status}`, { statusCode: response.status, response }) };
      },
    };
    pipeline.addPolicy(retryPolicy([keepRejections, keepUnsentOnly, retryStrategy({ maxRetryAfterMs: timeoutMs, endsAt })], { maxRetries: 4 }));
    pipeline.addPolicy({
      name: 'psaPacing',
      sendRequest: async (request, next) => {
        await this.paced(endsAt, what);
        for (const [name, value] of Object.entries(await this.options.authorization())) request.headers.set(name, value);
        this.requestCount += 1;
        return next(request);
      },
    });
    const abortSignal = AbortSignal.timeout(Math.max(1, endsAt - Date.now()));
    const headers = createHttpHeaders({ accept: 'application/json', ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) });
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    // Settings take only https URLs; the tests' local doubles speak http.
    const request = createPipelineRequest({ url: url.toString(), method: call.method, headers, body, abortSignal, allowInsecureConnection: true });
    const response = await pipeline.sendRequest(this.httpClient, request).catch((thrown: unknown) => {
      if (thrown instanceof MonitorError) throw thrown;
      if (rejection !== null) throw this.failure(what, rejection, true);
      if (answerLost) throw new MonitorError('PsaTimeout', `${this.label} took ${what} but its answer was lost`, { cause: thrown });
      if (abortSignal.aborted) throw new MonitorError('PsaTimeout', `${this.label} did not answer ${what} within ${Math.round(timeoutMs / 1000)} s`, { cause: thrown });
      const code = isRestError(thrown) ? thrown.code : undefined;
      throw new MonitorError('PsaUnavailable', `${this.label} could not be reached for ${what} (${code ?? 'network error'})`, { cause: thrown });
    });
    if (response.status === 404 && call.notFoundIsNull) return null;
    if (response.status < 200 || response.status >= 300) throw this.failure(what, response);
    return { status: response.status, body: parsed(response.bodyAsText), headers: { get: (name) => response.headers.get(name) } };
  }

  /**
   * Waits, if the PSA's rate is spent, for the oldest request of the last minute to leave it:
   * the pace the vendor documents, never a 429 provoked. A wait past the call's budget fails it.
   */
  private async paced(endsAt: number, what: string): Promise<void> {
    const now = Date.now();
    while (this.starts.length > 0 && (this.starts[0] ?? 0) <= now - 60_000) this.starts.shift();
    if (this.starts.length >= this.options.requestsPerMinute) {
      const until = (this.starts[this.starts.length - this.options.requestsPerMinute] ?? now) + 60_000;
      if (until >= endsAt) {
        throw new MonitorError('PsaUnavailable', `${this.label}: ${what} would wait past its budget for the rate of ${this.options.requestsPerMinute} requests a minute`);
      }
      await new Promise((resolve) => setTimeout(resolve, until - now));
    }
    this.starts.push(Date.now());
  }

  private failure(what: string, response: PipelineResponse, rejected = false): MonitorError {
    const { status } = response;
    const said = this.options.describeAnswer?.(parsed(response.bodyAsText)) ?? null;
    const answered = `(status ${status}${said === null ? '' : `: ${said}`})`;
    if (status === 401) this.options.onUnauthorized?.();
    if (status === 401 || status === 403) {
      return Object.assign(new MonitorError('PsaRefused', `${this.label} refused the monitor ${answered} for ${what}: ${this.options.refusalHint}`), { statusCode: status });
    }
    if (rejected || (status !== 429 && status < 500)) return Object.assign(new MonitorError('PsaRejected', `${this.label} rejected ${what} ${answered}`), { statusCode: status });
    const asked = retryAfterMs(response.headers.get('retry-after'));
    const why = status === 429 ? `is throttling (429${asked === null ? '' : `, Retry-After ${Math.ceil(asked / 1000)} s`})` : `answered ${status}`;
    return Object.assign(new MonitorError('PsaUnavailable', `${this.label} ${why} for ${what}`), { statusCode: status });
  }
}

/** An answer's JSON, or null when it is empty or not JSON. */
function parsed(text: string | null | undefined): unknown {
  if (text === undefined || text === null || text.trim() === '') return null;
  try {
    // JSON.parse gives `any`: the answer is read as unknown, checked where it is used.
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
