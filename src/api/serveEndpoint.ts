import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { toCsv } from '../core/csv';
import { errorCode, toError } from '../core/errors';
import { ProblemError, unexpectedProblem, type ProblemDetails } from '../core/problem';
import { parseFormat, rejectUnknownParameters } from '../core/queryParameters';
import type { Endpoint } from './endpoints';
import type { QueryDependencies } from './queries';
import { csvColumns } from './schemas';

/**
 * An endpoint behind HTTP: the request is checked before any dependency is built (bad input is
 * a 400 even when storage is down), known problems keep their status, and anything else is a
 * 500 that names only the invocation id, under which the error itself is logged.
 */
export async function serveEndpoint(
  endpoint: Endpoint,
  request: HttpRequest,
  context: InvocationContext,
  dependencies: () => Promise<QueryDependencies>,
): Promise<HttpResponseInit> {
  try {
    rejectUnknownParameters(request.query, endpoint.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name));
    const format = parseFormat(request.query, request.headers.get('accept'), true);
    const run = endpoint.handle({ query: request.query, params: request.params });
    const result = await run(await dependencies());
    if (format === 'csv') {
      return {
        status: 200,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${endpoint.route.replace(/\W+/g, '-')}.csv"`, 'cache-control': 'no-store' },
        body: toCsv(csvColumns(endpoint.csvRowSchema), result.rows as Record<string, unknown>[]),
      };
    }
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(result.body) };
  } catch (thrown) {
    return problemResponse(thrown, context);
  }
}

export function problemResponse(thrown: unknown, context: InvocationContext): HttpResponseInit {
  let problem: ProblemDetails;
  if (thrown instanceof ProblemError) {
    problem = thrown.problem;
  } else {
    problem = unexpectedProblem(context.invocationId);
    context.error(`Request failed (${errorCode(thrown)}), correlation id ${context.invocationId}: ${toError(thrown).message}`);
  }
  return { status: problem.status, headers: { 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(problem) };
}
