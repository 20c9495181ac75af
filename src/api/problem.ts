import { MonitorError } from '../core/errors';

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
}

const problemTypes = {
  invalidParameter: 'urn:mfa-monitor:problem:invalid-parameter',
  notFound: 'urn:mfa-monitor:problem:not-found',
  unexpected: 'about:blank',
} as const;

export class ProblemError extends MonitorError {
  readonly problem: ProblemDetails;

  constructor(code: string, problem: ProblemDetails) {
    super(code, problem.detail);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}

export function invalidParameter(name: string, reason: string): ProblemError {
  return new ProblemError('InvalidParameter', {
    type: problemTypes.invalidParameter,
    title: 'Invalid request parameter',
    status: 400,
    detail: `Parameter "${name}" ${reason}.`,
    'invalid-params': [{ name, reason }],
  });
}

export function notFound(detail: string): ProblemError {
  return new ProblemError('NotFound', { type: problemTypes.notFound, title: 'Not found', status: 404, detail });
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
