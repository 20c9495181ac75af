import type { AccessToken } from '@azure/core-auth';
import { createHttpHeaders, createPipelineRequest, isRestError, type HttpClient, type Pipeline } from '@azure/core-rest-pipeline';
import { MonitorError, toError } from '../core/errors';
import { jsonObject, retryAfterMs } from './apiClient';

export interface TokenAnswer {
  ok: true;
  token: AccessToken;
  refreshToken: string | null;
}

export interface TokenRefusal {
  ok: false;
  status: number;
  /** The OAuth `error` (`invalid_grant`), or `http_<status>` when the body has none. */
  error: string;
  /** Entra's `error_codes` (the AADSTS numbers). */
  errorCodes: number[];
  /** ", AADSTS70000, correlation id ...": codes and ids, never the request. */
  detail: string;
  /** The answer's Retry-After (a 429), in milliseconds. */
  retryAfterMs: number | null;
}

/**
 * Redeems a refresh token at one tenant's v2.0 token endpoint (the Secure Application Model):
 * the partner tenant's for Partner Center, a customer tenant's for Graph there. The pipeline
 * decides what is retried; the answer or refusal is returned, never a token in an error.
 */
export async function redeemRefreshToken(
  http: { pipeline: Pipeline; httpClient: HttpClient },
  request: { tokenEndpoint: string; tenantId: string; clientId: string; refreshToken: string; scope: string },
): Promise<TokenAnswer | TokenRefusal> {
  const pipelineRequest = createPipelineRequest({
    url: request.tokenEndpoint,
    method: 'POST',
    headers: createHttpHeaders({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }),
    body: new URLSearchParams({ client_id: request.clientId, grant_type: 'refresh_token', refresh_token: request.refreshToken, scope: request.scope }).toString(),
    timeout: 30_000,
  });
  const { status, bodyAsText, headers } = await http.pipeline.sendRequest(http.httpClient, pipelineRequest).catch((error: unknown) => {
    throw new MonitorError('AuthenticationFailed', `Could not reach the Entra token endpoint of tenant ${request.tenantId} (${describeFailure(error)})`, { cause: error });
  });
  const body = jsonObject(bodyAsText);
  if (status === 200 && typeof body.access_token === 'string') {
    const expiresInSeconds = Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
    return {
      ok: true,
      token: { token: body.access_token, expiresOnTimestamp: Date.now() + expiresInSeconds * 1000, tokenType: 'Bearer' },
      refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null,
    };
  }
  const errorCodes = Array.isArray(body.error_codes) ? body.error_codes.filter((code): code is number => typeof code === 'number') : [];
  return {
    ok: false,
    status,
    error: typeof body.error === 'string' ? body.error : `http_${status}`,
    errorCodes,
    detail: entraDetail(errorCodes, body.correlation_id),
    retryAfterMs: retryAfterMs(headers.get('retry-after')),
  };
}

function entraDetail(codes: number[], correlationId: unknown): string {
  const parts: string[] = [];
  if (codes.length > 0) parts.push(codes.map((code) => `AADSTS${code}`).join('/'));
  if (typeof correlationId === 'string') parts.push(`correlation id ${correlationId.slice(0, 64)}`);
  return parts.length > 0 ? `, ${parts.join(', ')}` : '';
}

/** Status and code of a failed call (an SDK's RestError), else the first line of its message: never a token. */
export function describeFailure(error: unknown): string {
  if (isRestError(error) && (error.statusCode !== undefined || error.code !== undefined)) {
    return [error.statusCode, error.code].filter((part) => part !== undefined).join(' ');
  }
  return toError(error).message.split('\n')[0]!.slice(0, 200);
}
