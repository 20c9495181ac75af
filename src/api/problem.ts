import { causeChain, ConfigurationError, errorCode, MonitorError } from '../core/errors';

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
  'invalid-params'?: { name: string; reason: string }[];
  correlationId?: string;
  /** The status endpoint's own fields, so a script reading `healthy` and `problems` reads them here too. */
  healthy?: false;
  problems?: string[];
}

const problemTypes = {
  invalidParameter: 'urn:mfa-monitor:problem:invalid-parameter',
  notFound: 'urn:mfa-monitor:problem:not-found',
  storageUnavailable: 'urn:mfa-monitor:problem:storage-unavailable',
  misconfigured: 'urn:mfa-monitor:problem:misconfigured',
  unexpected: 'about:blank',
} as const;

export class ProblemError extends MonitorError {
  readonly problem: ProblemDetails;

  constructor(code: string, problem: ProblemDetails, options?: { cause?: unknown }) {
    super(code, problem.detail, options);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}

export function invalidParameter(name: string, reason: string): ProblemError {
  return invalidParameters('Parameter', [{ name, reason }]);
}

/** A 400 naming every query parameter or body field (`kind`) that is wrong, and why. */
export function invalidParameters(kind: 'Parameter' | 'Field', invalid: readonly { name: string; reason: string }[]): ProblemError {
  return new ProblemError('InvalidParameter', {
    type: problemTypes.invalidParameter,
    title: 'Invalid request parameter',
    status: 400,
    detail: invalid.map(({ name, reason }) => `${kind} "${name}" ${reason}.`).join(' '),
    'invalid-params': invalid.map(({ name, reason }) => ({ name, reason })),
  });
}

export function notFound(detail: string): ProblemError {
  return new ProblemError('NotFound', { type: problemTypes.notFound, title: 'Not found', status: 404, detail });
}

/**
 * The monitor cannot read its own runs, findings or outbox, so it cannot vouch for its health:
 * that is itself the reason it is unhealthy. It names the innermost stable code of the failure
 * (e.g. ETIMEDOUT under StorageUnavailable), never its text.
 */
export function storageUnavailable(cause: unknown): ProblemError {
  const code = causeChain(cause).map(errorCode).filter((inner) => inner !== 'Unexpected').at(-1) ?? 'Unexpected';
  const problem = `Table Storage cannot be read (${code}): the monitor cannot see its runs, findings or outbox`;
  return new ProblemError(
    'StorageUnavailable',
    { type: problemTypes.storageUnavailable, title: 'Storage unavailable', status: 503, detail: `${problem}. The function log has the details.`, healthy: false, problems: [problem] },
    { cause },
  );
}

/**
 * A setting this function needs cannot be read: nothing the caller can change, so a 503 (as
 * from the status when unhealthy) that names each problem in the words the log and
 * `/api/status` use, which name settings, never their values.
 */
export function misconfigured(error: ConfigurationError): ProblemError {
  return new ProblemError(
    'InvalidConfiguration',
    {
      type: problemTypes.misconfigured,
      title: 'Misconfigured',
      status: 503,
      detail: `The function app's settings need fixing before this request can be served: ${error.problems.join('; ')}.`,
      healthy: false,
      problems: [...error.problems],
    },
    { cause: error },
  );
}

export function unexpectedProblem(correlationId: string): ProblemDetails {
  return {
    type: problemTypes.unexpected,
    title: 'Internal Server Error',
    status: 500,
    detail: `The request failed unexpectedly. Quote correlation id ${correlationId} when reporting it.`,
    correlationId,
  };
}
