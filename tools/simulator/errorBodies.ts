/*
 * Error bodies in each service's own style, so clients parse the real shapes.
 */
import { randomUUID } from 'node:crypto';
import type { Exchange } from './exchange';
import type { SimulatedService } from './types';

const GRAPH_CODES: Record<number, string> = {
  400: 'BadRequest', 401: 'InvalidAuthenticationToken', 403: 'Authorization_RequestDenied', 404: 'ResourceNotFound',
  410: 'Gone', 429: 'TooManyRequests', 500: 'InternalServerError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
};

const REASONS: Record<number, string> = {
  400: 'The request is invalid.', 401: 'Authentication failed.', 403: 'Insufficient privileges to complete the operation.',
  404: 'The resource could not be found.', 410: 'This API has been retired.', 429: 'Too many requests; retry later.',
  500: 'An internal server error occurred.', 502: 'Bad gateway.', 503: 'The service is temporarily unavailable.', 504: 'The gateway timed out.',
};

export function graphError(ex: Exchange, status: number, message = REASONS[status] ?? 'Error', code = GRAPH_CODES[status] ?? 'UnknownError') {
  return {
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': ex.header('client-request-id') ?? randomUUID() },
    },
  };
}

/** Partner Center's error shape: a numeric code and a description. */
export function partnerCenterError(status: number, description = REASONS[status] ?? 'Error', code = status * 10) {
  return { code, description, data: [], source: 'PartnerFD' };
}

export function acsError(status: number, message = REASONS[status] ?? 'Error', code = GRAPH_CODES[status] ?? 'UnknownError') {
  return { error: { code, message } };
}

/**
 * Key Vault's error; a 403 is what a vault with Azure RBAC answers a caller without a data role
 * (Key Vault Secrets User): code Forbidden, inner code ForbiddenByRbac.
 */
function keyVaultFaultError(status: number) {
  if (status !== 403) return acsError(status);
  return {
    error: {
      code: 'Forbidden',
      message: "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nAssignment: (not found)\r\n",
      innererror: { code: 'ForbiddenByRbac' },
    },
  };
}

/** Entra's OAuth error: an `error` code plus an AADSTS-numbered description. */
export function entraError(error: string, aadsts: number, description: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  return {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  };
}

/** The body of an injected `status` fault, in the style of the service it hits. */
export function faultErrorBody(ex: Exchange, service: SimulatedService, status: number): unknown {
  switch (service) {
    case 'graph':
      return graphError(ex, status);
    case 'partnerCenter':
      return partnerCenterError(status);
    case 'acs':
      return acsError(status);
    case 'keyVault':
      return keyVaultFaultError(status);
    case 'login':
      return entraError(status >= 500 ? 'temporarily_unavailable' : 'invalid_request', status >= 500 ? 50001 : 90014, REASONS[status] ?? 'Error');
    case 'msi':
      return { statusCode: status, message: REASONS[status] ?? 'Error' };
    case 'control':
    case 'webhook':
      return { error: REASONS[status] ?? 'Error' };
    case 'teams':
      return { error: { code: status === 429 ? 'WorkflowTriggerIsThrottled' : status === 401 ? 'DirectApiAuthorizationRequired' : status === 404 ? 'WorkflowNotFound' : 'ServiceUnavailable', message: REASONS[status] ?? 'Error' } };
    case 'connectwise':
      // ConnectWise's error body: a code and a message ("PSA API Requests"; field errors only on a 400 InvalidObject).
      return { code: status === 429 ? 'TooManyRequests' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status >= 500 ? 'ServerError' : 'BadRequest', message: REASONS[status] ?? 'Error' };
    case 'autotask':
      // Autotask's failures carry a list of messages ("Updating data via PATCH request with the REST API").
      return { errors: [REASONS[status] ?? 'Error'] };
    case 'slack':
      // Slack answers in plain text, one code per status as "Sending messages using incoming webhooks" lists them (410: an archived channel).
      return status === 429 ? 'rate_limited' : status === 404 ? 'no_service' : status === 403 ? 'invalid_token' : status === 410 ? 'channel_is_archived' : status >= 500 ? 'service_unavailable' : 'invalid_payload';
  }
}
