import { causeChain, ConfigurationError, errorCode, MonitorError } from '../core/errors';

/** One query parameter or body field a caller got wrong, and why. */
export interface InvalidParam {
  name: string;
  reason: string;
}

/**
 * An RFC 9457 problem: what went wrong with a request, for humans (`title`, `detail`) and for
 * scripts (`type`, `status`, and `invalid-params` naming each offending parameter, as in the
 * RFC's own example). It never carries internals: a 500 only says which correlation id to quote.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  'invalid-params'?: InvalidParam[];
  correlationId?: string;
  /** The status endpoint's own fields, so a script reading `healthy` and `problems` reads them here too. */
  healthy?: false;
  problems?: string[];
}

/** Each problem the API answers with, by its stable code: the `type`, `title` and `status` its body carries. */
const problemKinds = {
  InvalidParameter: { type: 'urn:mfa-monitor:problem:invalid-parameter', title: 'Invalid request parameter', status: 400 },
  NotFound: { type: 'urn:mfa-monitor:problem:not-found', title: 'Not found', status: 404 },
  SignInRequired: { type: 'urn:mfa-monitor:problem:sign-in-required', title: 'Unauthorized', status: 401 },
  RoleRequired: { type: 'urn:mfa-monitor:problem:role-required', title: 'Forbidden', status: 403 },
  PreconditionFailed: { type: 'urn:mfa-monitor:problem:precondition-failed', title: 'Precondition Failed', status: 412 },
  PreconditionRequired: { type: 'urn:mfa-monitor:problem:precondition-required', title: 'Precondition Required', status: 428 },
  StorageUnavailable: { type: 'urn:mfa-monitor:problem:storage-unavailable', title: 'Storage unavailable', status: 503 },
  SignInUnavailable: { type: 'urn:mfa-monitor:problem:sign-in-unavailable', title: 'Sign-in unavailable', status: 503 },
  InvalidConfiguration: { type: 'urn:mfa-monitor:problem:misconfigured', title: 'Misconfigured', status: 503 },
  /** A PSA the request had to ask did not answer as it should (refused the credentials, unavailable, timed out). */
  PsaFailed: { type: 'urn:mfa-monitor:problem:psa-failed', title: 'Bad Gateway', status: 502 },
  Unexpected: { type: 'about:blank', title: 'Internal Server Error', status: 500 },
} as const;

export class ProblemError extends MonitorError {
  readonly problem: ProblemDetails;
  /** Headers the answer carries beside the problem (a 401's WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: Exclude<keyof typeof problemKinds, 'Unexpected'>, detail: string, fields: Pick<ProblemDetails, 'invalid-params' | 'healthy' | 'problems'> = {}, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(code, detail, options);
    this.name = 'ProblemError';
    this.problem = { ...problemKinds[code], detail, ...fields };
    this.headers = options?.headers ?? {};
  }
}

export function invalidParameter(name: string, reason: string): ProblemError {
  return invalidParameters('Parameter', [{ name, reason }]);
}

/** A 400 naming every query parameter or body field (`kind`) that is wrong, and why. */
export function invalidParameters(kind: 'Parameter' | 'Field', invalid: readonly InvalidParam[]): ProblemError {
  const detail = invalid.map(({ name, reason }) => `${kind} "${name}" ${reason}.`).join(' ');
  return new ProblemError('InvalidParameter', detail, { 'invalid-params': invalid.map(({ name, reason }) => ({ name, reason })) });
}

/**
 * The monitor cannot read its own runs, findings or outbox, so it cannot vouch for its health:
 * that is itself the reason it is unhealthy. It names the innermost stable code of the failure
 * (e.g. ETIMEDOUT under StorageUnavailable), never its text.
 */
export function storageUnavailable(cause: unknown): ProblemError {
  const code = causeChain(cause).map(errorCode).filter((inner) => inner !== 'Unexpected').at(-1) ?? 'Unexpected';
  const problem = `Table Storage cannot be read (${code}): the monitor cannot see its runs, findings or outbox`;
  return new ProblemError('StorageUnavailable', `${problem}. The function log has the details.`, { healthy: false, problems: [problem] }, { cause });
}

/**
 * A setting this function needs cannot be read: nothing the caller can change, so a 503 (as
 * from the status when unhealthy) that names each problem in the words the log and
 * `/api/status` use, which name settings, never their values.
 */
export function misconfigured(error: ConfigurationError): ProblemError {
  const detail = `The function app's settings need fixing before this request can be served: ${error.problems.join('; ')}.`;
  return new ProblemError('InvalidConfiguration', detail, { healthy: false, problems: [...error.problems] }, { cause: error });
}

export function unexpectedProblem(correlationId: string): ProblemDetails {
  return { ...problemKinds.Unexpected, detail: `The request failed unexpectedly. Quote correlation id ${correlationId} when reporting it.`, correlationId };
}
