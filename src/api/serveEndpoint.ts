import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { toCsv } from './csv';
import { ConfigurationError, errorCode, toError } from '../core/errors';
import { misconfigured, ProblemError, unexpectedProblem, type ProblemDetails } from './problem';
import { parseFormat, rejectUnknownParameters } from './queryParameters';
import type { Endpoint } from './endpoints';
import type { QueryDependencies } from './queries';
import type { UnreadableRowSink } from '../ports/queryReader';
import { csvColumns } from './schemas';

/** Headers of every answer: nothing here may be sniffed into another type, or kept by a cache. */
export const commonHeaders = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

/**
 * An endpoint behind HTTP: the request is checked before any dependency is built (bad input is
 * a 400 even when storage is down), known problems keep their status, and anything else is a
 * 500 that names only the invocation id, under which the error itself is logged. A stored row
 * that cannot be read is left out, counted in `skippedRows` (JSON) or `x-skipped-rows` (both
 * formats) and logged, so one damaged row never takes a whole endpoint down.
 */
export async function serveEndpoint(
  endpoint: Endpoint,
  request: HttpRequest,
  context: InvocationContext,
  dependencies: () => Promise<QueryDependencies>,
): Promise<HttpResponseInit> {
  try {
    rejectUnknownParameters(request.query, endpoint.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name));
    const format = parseFormat(request.query, request.headers.get('accept'));
    const run = endpoint.handle(request);
    // Rows the answer left out because they could not be read, by table.
    const skipped: { count: number; tables: Record<string, number> } = { count: 0, tables: {} };
    const reasons = new Set<string>();
    const seen = new Set<string>();
    const onUnreadable = (table: string, reason: string, rowKeys: string): void => {
      // One answer may read a row twice (the status reads the ledger twice): count rows, not reads.
      if (seen.has(`${table}/${rowKeys}`)) return;
      seen.add(`${table}/${rowKeys}`);
      skipped.count += 1;
      skipped.tables[table] = (skipped.tables[table] ?? 0) + 1;
      reasons.add(`${table}: ${reason}`);
    };
    const result = await run(skippingUnreadable(await dependencies(), onUnreadable));
    const skippedHeader: Record<string, string> = skipped.count > 0 ? { 'x-skipped-rows': String(skipped.count) } : {};
    if (skipped.count > 0) {
      context.warn(`Skipped ${skipped.count} stored row(s) that cannot be read (${[...reasons].join('; ')}); the answer lists the rest and says so in skippedRows`);
    }
    if (format === 'csv') {
      return {
        status: result.httpStatus ?? 200,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${endpoint.route.replace(/\W+/g, '-')}.csv"`, ...commonHeaders, ...skippedHeader },
        body: toCsv(csvColumns(endpoint.csvRowSchema), result.rows),
      };
    }
    const body = skipped.count > 0 ? { ...result.body, skippedRows: skipped } : result.body;
    return { status: result.httpStatus ?? 200, headers: { 'content-type': 'application/json; charset=utf-8', ...commonHeaders, ...skippedHeader }, body: JSON.stringify(body) };
  } catch (thrown) {
    return problemResponse(thrown, context);
  }
}

/** The dependencies, reading around every stored row that cannot be read: each is passed to `sink` and left out. */
export function skippingUnreadable(dependencies: QueryDependencies, sink: UnreadableRowSink): QueryDependencies {
  return { ...dependencies, reader: dependencies.reader.skippingUnreadable(sink), waivers: dependencies.waivers.skippingUnreadable(sink) };
}

export function problemResponse(failure: unknown, context: InvocationContext): HttpResponseInit {
  let problem: ProblemDetails;
  let headers: Readonly<Record<string, string>> = {};
  const thrown = failure instanceof ConfigurationError ? misconfigured(failure) : failure;
  if (thrown instanceof ProblemError) {
    problem = thrown.problem;
    headers = thrown.headers;
    // A failure of the service (storage that cannot be read) is the operator's to see in the log.
    if (problem.status >= 500) context.error(`Request failed (${thrown.code}): ${toError(thrown.cause ?? thrown).message}`);
  } else {
    problem = unexpectedProblem(context.invocationId);
    context.error(`Request failed (${errorCode(thrown)}), correlation id ${context.invocationId}: ${toError(thrown).message}`);
  }
  return { status: problem.status, headers: { 'content-type': 'application/problem+json; charset=utf-8', ...commonHeaders, ...headers }, body: JSON.stringify(problem) };
}
