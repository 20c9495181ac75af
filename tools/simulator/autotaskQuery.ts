/*
 * What the simulated Autotask reads its queries with, as "Making basic query calls to the REST
 * API" and "Advanced query features of the REST API" describe them: a JSON body (POST) or a
 * `search` parameter (GET) holding `filter` (expressions with `op`, `field`, `value`, grouped
 * with `and` / `or` and `items`), `MaxRecords` (1 to 500) and, in the answer, `items` with
 * `pageDetails` (`count`, `requestCount`, `prevPageUrl`, `nextPageUrl`). The official Postman
 * samples spell field names in any case (`CompanyName`, `companyName`), so fields match case aside.
 */

/** One record as the API returns it: a flat object of fields. */
export type AutotaskRecord = Record<string, unknown>;

export interface AutotaskQuery {
  filter: unknown[];
  maxRecords: number;
}

/** The most records one query answer carries ("Specifying the maximum records to return"). */
export const MAX_RECORDS = 500;

/** Reads a query's body or `search` text; a string says what is wrong, as Autotask's `errors` would. */
export function readQuery(text: string | null): AutotaskQuery | string {
  if (text === null || text.trim() === '') return 'The query is missing: send a filter in the body (POST) or in the search parameter (GET).';
  const parsed = parseJson(text);
  if (parsed === undefined) return 'The query is not valid JSON.';
  if (parsed === null || typeof parsed !== 'object') return 'The query must be a JSON object.';
  const query = lowerKeys(parsed as Record<string, unknown>);
  if (!Array.isArray(query.filter) || query.filter.length === 0) return 'The query must have a filter with at least one expression.';
  const max = query.maxrecords === undefined ? MAX_RECORDS : Number(query.maxrecords);
  if (!Number.isInteger(max) || max < 1 || max > MAX_RECORDS) return `MaxRecords must be a whole number from 1 to ${MAX_RECORDS}.`;
  const problem = filterProblem(query.filter);
  return problem ?? { filter: query.filter, maxRecords: max };
}

const COMPARISONS = new Set(['eq', 'noteq', 'gt', 'gte', 'lt', 'lte', 'beginswith', 'endswith', 'contains', 'exist', 'notexist', 'in', 'notin']);

function filterProblem(expressions: unknown[]): string | undefined {
  for (const expression of expressions) {
    if (expression === null || typeof expression !== 'object') return 'Each filter expression must be an object.';
    const { op, field, items } = lowerKeys(expression as Record<string, unknown>);
    const name = String(op ?? '').toLowerCase();
    if (name === 'and' || name === 'or') {
      if (!Array.isArray(items)) return `The ${name} expression needs items.`;
      const inner = filterProblem(items);
      if (inner) return inner;
    } else if (!COMPARISONS.has(name)) {
      return `Unknown filter operator: ${String(op)}.`;
    } else if (typeof field !== 'string' || field === '') {
      return `The ${name} expression needs a field.`;
    }
  }
  return undefined;
}

/** Whether a record meets every top-level expression (they are ANDed, as the documents' examples read). */
export function matches(record: AutotaskRecord, expressions: unknown[], mode: 'and' | 'or' = 'and'): boolean {
  const results = expressions.map((expression) => {
    const { op, field, value, items } = lowerKeys(expression as Record<string, unknown>);
    const name = String(op).toLowerCase();
    if (name === 'and' || name === 'or') return matches(record, items as unknown[], name);
    return compare(fieldOf(record, String(field)), name, value);
  });
  return mode === 'and' ? results.every(Boolean) : results.some(Boolean);
}

function fieldOf(record: AutotaskRecord, field: string): unknown {
  const key = Object.keys(record).find((name) => name.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/** Text compares case aside, as the SQL Server collation behind Autotask does (not documented: see sources.md). */
function compare(actual: unknown, op: string, expected: unknown): boolean {
  if (op === 'exist') return actual !== null && actual !== undefined && actual !== '';
  if (op === 'notexist') return actual === null || actual === undefined || actual === '';
  if (op === 'in' || op === 'notin') {
    const listed = Array.isArray(expected) && expected.some((item) => same(actual, item));
    return op === 'in' ? listed : !listed;
  }
  if (actual === null || actual === undefined) return op === 'noteq';
  const [left, right] = [text(actual), text(expected)];
  switch (op) {
    case 'eq': return same(actual, expected);
    case 'noteq': return !same(actual, expected);
    case 'contains': return left.includes(right);
    case 'beginswith': return left.startsWith(right);
    case 'endswith': return left.endsWith(right);
    default: {
      const order = typeof actual === 'number' ? actual - Number(expected) : left.localeCompare(right);
      return op === 'gt' ? order > 0 : op === 'gte' ? order >= 0 : op === 'lt' ? order < 0 : order <= 0;
    }
  }
}

function same(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'number' || typeof actual === 'boolean') return String(actual) === String(expected).toLowerCase();
  return text(actual) === text(expected);
}

function text(value: unknown): string {
  return (typeof value === 'string' ? value : JSON.stringify(value) ?? '').toLowerCase();
}

function lowerKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key.toLowerCase(), value]));
}

/** Where the next page is: a GET the client follows as given, carrying the query and the position. */
export function pageToken(query: AutotaskQuery, offset: number): string {
  return Buffer.from(JSON.stringify({ filter: query.filter, maxRecords: query.maxRecords, offset }), 'utf8').toString('base64url');
}

export function readPageToken(token: string | null): (AutotaskQuery & { offset: number }) | undefined {
  if (token === null) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as AutotaskQuery & { offset: number };
    return Array.isArray(parsed.filter) && Number.isInteger(parsed.offset) && Number.isInteger(parsed.maxRecords) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSON as Autotask reads it: Datto's own samples, published as working requests, have a trailing
 * comma ("Create a Ticket") and an unquoted name ("Create a Ticket Note"), so those are read too.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      return JSON.parse(text.replace(/,(\s*[}\]])/g, '$1').replace(/([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:/g, '$1"$2":')) as unknown;
    } catch {
      return undefined;
    }
  }
}
