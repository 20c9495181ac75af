import { invalidParameter } from './problem';
import { runTimeRange } from '../core/snapshotRun';
import { isOneOf } from '../core/text';
import type { RunRange } from '../ports/queryReader';

/**
 * Parsing of the query API's parameters. Each function throws a 400 problem naming the
 * parameter; nothing here trusts a value to be well-formed, and values that pass are still
 * only ever put in Table filters through the SDK's `odata` escaping.
 */
export interface QueryParameters {
  get(name: string): string | null;
  keys(): Iterable<string>;
}

/** Parameters every endpoint takes: the function key and the response format. */
const commonParameters = ['code', 'format'];

/** Unknown parameters are refused, so a misspelt filter (`?stauts=`) is not silently ignored. */
export function rejectUnknownParameters(query: QueryParameters, known: readonly string[]): void {
  for (const name of query.keys()) {
    if (!known.includes(name) && !commonParameters.includes(name)) {
      throw invalidParameter(name, `is not a parameter of this endpoint (it takes ${[...known, 'format'].join(', ')})`);
    }
  }
}

/** RFC 3339 section 5.6's full-date, or date-time with a zone (seconds and fraction optional, T and Z in either case). */
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/i;

/**
 * An RFC 3339 date or date-time with a zone as a time, or why it is not one. A bare date is the
 * start of that day (UTC), or its end as an upper `bound`, so `from=2026-01-31&to=2026-01-31` is
 * that day. RFC 3339 section 5.7: the day is at most what its month has (February 29 only in a
 * leap year), hours 00-23, minutes 00-59; the leap second 60 cannot be told apart from :59 here,
 * so seconds stop at 59. JavaScript's Date would roll 2027-02-30 over to 2 March instead.
 */
export function readDateTime(text: string, bound: 'start' | 'end'): { time: number } | { problem: string } {
  const match = dateTimePattern.exec(text);
  if (match === null) return { problem: 'must be an ISO 8601 date (2026-01-31) or date-time with a zone (2026-01-31T08:00:00Z)' };
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = match.slice(1).map((part) => (part === undefined ? undefined : Number(part)));
  if (month < 1 || month > 12) return { problem: 'must be a date that exists: the month is 01 to 12' };
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return { problem: `must be a date that exists: ${year}-${String(month).padStart(2, '0')} has days 01 to ${daysInMonth}` };
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) {
    return { problem: 'must be a time that exists: hours 00 to 23, minutes and seconds 00 to 59 (RFC 3339), in the time and in the zone offset' };
  }
  // Date.parse takes neither a bare date as UTC nor the lower-case t and z RFC 3339 allows.
  if (match[4] === undefined) return { time: Date.parse(`${match[0]}T00:00:00Z`) + (bound === 'end' ? 86_400_000 - 1 : 0) };
  return { time: Date.parse(match[0].toUpperCase()) };
}

/** A date parameter (see readDateTime). */
export function parseDate(query: QueryParameters, name: string, bound: 'start' | 'end'): Date | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const read = readDateTime(raw, bound);
  if ('problem' in read) throw invalidParameter(name, read.problem);
  return new Date(read.time);
}

/** `from` and `to` select runs by their ids, which can only hold times in `runTimeRange`. */
export function parseTimeRange(query: QueryParameters): RunRange {
  const from = withinRunTimes(parseDate(query, 'from', 'start'), 'from');
  const to = withinRunTimes(parseDate(query, 'to', 'end'), 'to');
  if (from !== undefined && to !== undefined && from.getTime() > to.getTime()) throw invalidParameter('from', 'is after "to"');
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

function withinRunTimes(time: Date | undefined, name: string): Date | undefined {
  if (time !== undefined && (time < runTimeRange.earliest || time > runTimeRange.latest)) {
    throw invalidParameter(name, `must be from ${runTimeRange.earliest.toISOString()} to ${runTimeRange.latest.toISOString()}, the times a run can have started`);
  }
  return time;
}

/** A whole number from 1 to `max` (`unit` names what it counts), or undefined when absent. */
export function parseCount(query: QueryParameters, name: string, max: number, unit = ''): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw invalidParameter(name, `must be a whole number${unit} from 1 to ${max}`);
  return Number(raw);
}

/** Items per page, 1 to 1000. */
export function parseTop(query: QueryParameters, fallback: number): number {
  return parseCount(query, 'top', 1000) ?? fallback;
}

export function parseChoice<T extends string>(query: QueryParameters, name: string, choices: readonly T[], fallback: T): T;
export function parseChoice<T extends string>(query: QueryParameters, name: string, choices: readonly T[], fallback?: undefined): T | undefined;
export function parseChoice<T extends string>(query: QueryParameters, name: string, choices: readonly T[], fallback?: T): T | undefined {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!isOneOf(choices, raw)) throw invalidParameter(name, `must be one of ${choices.join(', ')}`);
  return raw;
}

/** Free text (e.g. a requirement type, which Graph may extend), bounded in length. */
export function parseText(query: QueryParameters, name: string, maxLength = 200): string | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (raw === '' || raw.length > maxLength) throw invalidParameter(name, `must be 1 to ${maxLength} characters`);
  return raw;
}

export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant id is a GUID; it is stored lower-case as Graph serves it. */
export function parseTenantId(value: string | undefined): string {
  if (value === undefined || !guidPattern.test(value)) throw invalidParameter('tenantId', 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');
  return value.toLowerCase();
}

/** A waiver id: 12 lower-case hex digits, as GET /api/waivers lists them. */
export function parseWaiverId(value: string, name: string): string {
  if (!/^[0-9a-f]{12}$/.test(value)) throw invalidParameter(name, 'must be a waiver id (12 lower-case hex digits, as GET /api/waivers lists them)');
  return value;
}

/** `?format=csv|json` wins; otherwise `Accept: text/csv` asks for CSV. */
export function parseFormat(query: QueryParameters, accept: string | null): 'json' | 'csv' {
  const format = parseChoice(query, 'format', ['json', 'csv'] as const);
  if (format !== undefined) return format;
  return accept !== null && /(^|,)\s*text\/csv\s*(;|,|$)/i.test(accept) ? 'csv' : 'json';
}

