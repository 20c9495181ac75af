/**
 * Errors carry a stable `code` that callers (and HTTP mappings) can switch on, and a
 * message written for an operator. Messages never include secrets, tokens or personal data.
 */
export class MonitorError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MonitorError';
    this.code = code;
  }
}

/** Thrown when settings are missing or malformed; lists every problem at once. */
export class ConfigurationError extends MonitorError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('InvalidConfiguration', `Invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}

/** Thrown when a Microsoft API answers with a body that does not have the documented shape. */
export class PayloadError extends MonitorError {
  constructor(message: string) {
    super('UnexpectedPayload', message);
    this.name = 'PayloadError';
  }
}

/**
 * Microsoft Graph or Entra answered 429 for one customer tenant: the tenant's scan is put back on
 * its queue, visible again after `retryAfterMs`, instead of a worker waiting that long.
 */
export class TenantThrottledError extends MonitorError {
  readonly retryAfterMs: number;

  constructor(service: string, retryAfterMs: number) {
    super('Throttled', `${service} throttled this tenant's requests; retry after ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'TenantThrottledError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** Turns any thrown value into an Error, so logging and ledger code has one shape to handle. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `Non-error thrown: ${describeType(thrown)}`);
}

export function errorCode(thrown: unknown): string {
  if (thrown instanceof MonitorError) return thrown.code;
  const code = typeof thrown === 'object' && thrown !== null && 'code' in thrown ? thrown.code : undefined;
  return typeof code === 'string' ? code : 'Unexpected';
}

/**
 * The thrown value followed by its causes, outermost first: what a caller reads to find the
 * innermost stable code or a status an SDK error carried. A cause chain may loop (an error
 * wrapped in itself), so a value already seen ends the chain, and so does the bound.
 */
export function causeChain(thrown: unknown, limit = 6): unknown[] {
  const chain: unknown[] = [];
  for (let error = thrown; error !== undefined && error !== null && chain.length < limit && !chain.includes(error); ) {
    chain.push(error);
    error = typeof error === 'object' && 'cause' in error ? error.cause : undefined;
  }
  return chain;
}

function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** The HTTP status an error carries (an Azure SDK RestError, a channel's answer), or undefined when no service answered. */
export function statusCodeOf(thrown: unknown): number | undefined {
  return thrown instanceof Error && 'statusCode' in thrown && typeof thrown.statusCode === 'number' ? thrown.statusCode : undefined;
}
