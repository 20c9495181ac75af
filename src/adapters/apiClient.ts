import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  decompressResponsePolicy,
  isRestError,
  retryPolicy,
  userAgentPolicy,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  type PipelineResponse,
  type RetryStrategy,
} from '@azure/core-rest-pipeline';
import { calculateRetryDelay } from '@azure/core-util';
import type { HttpConfig } from '../config';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import { MonitorError, toError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';
import { attemptTimedOut, attemptTimeoutPolicy, tokenObtainedPolicy } from './attemptTimeout';

/**
 * A JSON client for one Microsoft API, built on the Azure SDK's own HTTP pipeline
 * (@azure/core-rest-pipeline): its retry loop, jittered exponential delays, bearer-token
 * policy (token caching and refresh through any @azure/identity credential) and gzip
 * handling. What is ours is only the policy the monitor needs on top: exactly which
 * answers are retried, a timeout per attempt (token included), a cap on in-flight requests, and errors
 * that name the service and path without leaking tokens or query strings.
 */
interface ApiClientOptions {
  service: string;
  baseUrl: string;
  scope: string;
  credential: TokenCredential;
  http: HttpConfig;
  /** Replaces the Node HTTP client (tests); defaults to the SDK's. */
  httpClient?: HttpClient;
  /** Called on a 401, so the owner can drop a cached credential whose token the service no longer accepts. */
  onUnauthorized?: () => void;
  /** A 429 is the answer, never waited for: the caller reschedules the work (the customer-admin scan). */
  throttlingIsAnswer?: boolean;
}

/** What an error answer said, for callers that tell answers apart (a 403 for a missing licence from one for a missing role); never put in messages, as it may echo input. */
interface ServiceAnswer {
  code: string | undefined;
  message: string | undefined;
  retryAfterMs: number | null;
}

/** A failed call to a Microsoft API: its message names the service and path, `status` its answer (null when none came). */
export class ApiError extends MonitorError {
  readonly answer: ServiceAnswer | null;

  constructor(code: string, message: string, readonly status: number | null, options?: { cause?: unknown; answer?: ServiceAnswer }) {
    super(code, message, options);
    this.name = 'ApiError';
    this.answer = options?.answer ?? null;
  }
}

const retriedStatuses = new Set([429, 500, 502, 503, 504]);
const retriedErrorCodes = new Set(['ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const credentialErrors = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AuthenticationRequiredError', 'AggregateAuthenticationError']);

export class ApiClient {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  private readonly origin: string;

  constructor(private readonly options: ApiClientOptions) {
    this.origin = new URL(options.baseUrl).origin;
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
    this.pipeline = createEmptyPipeline();
    this.pipeline.addPolicy(userAgentPolicy({ userAgentPrefix: 'partner-mfa-monitor' }));
    this.pipeline.addPolicy(concurrencyPolicy(new ConcurrencyLimit(options.http.maxConcurrency)));
    this.pipeline.addPolicy(retryPolicy([retryStrategy({ ...options.http, throttlingIsAnswer: options.throttlingIsAnswer })], { maxRetries: options.http.maxRetries }));
    // Before the token: an attempt's time limit covers asking Entra (or the managed identity
    // endpoint, or the Secure Application Model's refresh) too, and a hung token request is
    // retried like a hung answer.
    this.pipeline.addPolicy(attemptTimeoutPolicy(options.http.timeoutMs, true));
    // Inside the retry loop: every attempt asks for a token, so an expired one is replaced.
    this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: options.scope }));
    this.pipeline.addPolicy(tokenObtainedPolicy());
    this.pipeline.addPolicy(decompressResponsePolicy());
  }

  /** Resolves a path or absolute URL against the base, refusing any other host (a token must not leave). */
  private resolve(pathOrUrl: string): string {
    const url = /^https?:\/\//i.test(pathOrUrl)
      ? new URL(pathOrUrl)
      : new URL(`${this.options.baseUrl}/${pathOrUrl.replace(/^\/+/, '')}`);
    if (url.origin !== this.origin) {
      throw new ApiError('UnexpectedLink', `${this.options.service} pointed to another host (${url.origin}); not following it`, null);
    }
    return url.toString();
  }

  /** The JSON body of a 2xx answer to GET `pathOrUrl`. */
  async getJson(pathOrUrl: string, options: { headers?: Record<string, string>; abortSignal?: AbortSignal } = {}): Promise<unknown> {
    const url = this.resolve(pathOrUrl);
    const where = `${this.options.service} GET ${new URL(url).pathname}`;
    const request = createPipelineRequest({
      url,
      method: 'GET',
      headers: createHttpHeaders({ Accept: 'application/json', 'Accept-Encoding': 'gzip', ...options.headers }),
      abortSignal: options.abortSignal,
    });
    const response = await this.pipeline.sendRequest(this.httpClient, request).catch((thrown: unknown) => {
      throw this.failure(thrown, where);
    });
    if (response.status < 200 || response.status >= 300) {
      if (response.status === 401) this.options.onUnauthorized?.();
      const body = jsonObject(response.bodyAsText);
      const error = isPlainObject(body.error) ? body.error : {};
      const answer = {
        code: jsonErrorCode(response.bodyAsText),
        message: typeof error.message === 'string' ? error.message : undefined,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      };
      throw new ApiError(statusCode(response.status), `${where} answered ${response.status}${serviceErrorSuffix(response)}`, response.status, { answer });
    }
    try {
      return JSON.parse(response.bodyAsText ?? '');
    } catch (cause) {
      throw new ApiError('MalformedResponse', `${where} answered ${response.status} with a body that is not valid JSON`, response.status, { cause });
    }
  }

  private failure(thrown: unknown, where: string): ApiError {
    if (thrown instanceof ApiError) return thrown;
    // A credential of ours (the Secure Application Model) already says what went wrong and what to do.
    if (thrown instanceof MonitorError) return new ApiError(thrown.code, `${where}: ${thrown.message}`, null, { cause: thrown });
    if (isRestError(thrown)) {
      if (thrown.code === attemptTimedOut) {
        const waitingFor = thrown.message.endsWith('waiting for a token') ? ' (the last one waiting for a token)' : '';
        return new ApiError('Timeout', `${where} timed out after ${this.options.http.timeoutMs} ms on every attempt${waitingFor}`, null);
      }
      if (thrown.response) {
        return new ApiError(statusCode(thrown.response.status), `${where} answered ${thrown.response.status}`, thrown.response.status);
      }
      return new ApiError('NetworkError', `${where} failed: ${thrown.code ?? 'network error'}`, null);
    }
    const { name, message } = toError(thrown);
    if (name === 'AbortError') {
      const waitingFor = /while waiting for (a token|the answer)$/.exec(message)?.[1];
      return new ApiError('Aborted', `${where} was cancelled${waitingFor === undefined ? '' : ` while waiting for ${waitingFor}`}`, null);
    }
    // Credential failures come from @azure/identity: keep its message (it names the tenant/app, never the secret).
    if (credentialErrors.has(name)) {
      return new ApiError('AuthenticationFailed', `${where}: could not get a token: ${message.split('\n')[0]}`, null, { cause: thrown });
    }
    return new ApiError('NetworkError', `${where} failed: ${message}`, null, { cause: thrown });
  }
}

const statusCodes: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 410: 'Gone', 429: 'Throttled' };

function statusCode(status: number): string {
  return statusCodes[status] ?? (status >= 500 ? 'ServiceUnavailable' : `Http${status}`);
}

/**
 * The error code of an error answer, and nothing else of it (its message may echo input):
 * Graph's, ACS's and the channels' `error.code`, Partner Center's top-level `code`.
 */
export function jsonErrorCode(body: string | null | undefined): string | undefined {
  const answer = jsonObject(body);
  const code = (isPlainObject(answer.error) ? answer.error.code : undefined) ?? answer.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}

/** An answer's JSON object, or an empty one when the body is not one (an error page, say). */
export function jsonObject(body: string | null | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    return isPlainObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** The service's own error code and request id help support; messages may echo input, so they are left out. */
function serviceErrorSuffix(response: PipelineResponse): string {
  const code = jsonErrorCode(response.bodyAsText);
  const requestId = response.headers.get('request-id') ?? response.headers.get('ms-requestid') ?? response.headers.get('x-ms-request-id');
  const parts = [code === undefined ? null : `code ${code.slice(0, 80)}`, requestId ? `request-id ${requestId.slice(0, 80)}` : null].filter((part) => part !== null);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * Retries 429/500/502/503/504, timeouts and dropped connections; never other 4xx (they are
 * answers, not faults). Honours Retry-After (seconds or HTTP date) on any retried status,
 * otherwise jittered exponential backoff. A Retry-After longer than the cap, or a wait that
 * would end past `endsAt`, ends the attempts and the last answer stands (as does any 429 with
 * `throttlingIsAnswer`: its caller reschedules rather than waits): waiting past the
 * function's own timeout (or a post's budget) would lose the whole run silently.
 */
export function retryStrategy(limits: { maxRetryAfterMs: number; endsAt?: number; throttlingIsAnswer?: boolean }): RetryStrategy {
  return {
    name: 'monitorRetryStrategy',
    retry({ retryCount, response, responseError }) {
      const status = response?.status;
      const retriable = status !== undefined ? retriedStatuses.has(status) && !(status === 429 && limits.throttlingIsAnswer) : retriedErrorCodes.has(responseError?.code ?? '');
      if (!retriable) return { skipStrategy: true };
      const asked = retryAfterMs(response?.headers.get('retry-after'));
      if (asked !== null && asked > limits.maxRetryAfterMs) return { skipStrategy: true };
      const wait = asked ?? calculateRetryDelay(retryCount, { retryDelayInMs: 500, maxRetryDelayInMs: 30_000 }).retryAfterInMs;
      return limits.endsAt !== undefined && Date.now() + wait >= limits.endsAt ? { skipStrategy: true } : { retryAfterInMs: wait };
    },
  };
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds; null when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined): number | null {
  const value = header?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function concurrencyPolicy(limit: ConcurrencyLimit): PipelinePolicy {
  return { name: 'concurrencyPolicy', sendRequest: (request, next) => limit.run(() => next(request)) };
}
