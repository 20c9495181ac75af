import { invalidParameter } from './problem';
import { runTimeRange } from '../core/snapshotRun';
import { isOneOf } from '../core/text';

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
      throw invalidParameter(name, `is not a parameter of this endpoint (it takes ${[...known, 'format'].join(', ') || 'format only'})`);
    }
  }
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO 8601 date (`2026-01-31`) or date-time with a zone (`2026-01-31T08:00:00Z`). A bare date
 * as an upper bound means the end of that day (UTC), so `from=2026-01-31&to=2026-01-31` is that day.
 */
export function parseDate(query: QueryParameters, name: string, bound: 'start' | 'end'): Date | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const match = datePattern.exec(raw);
  const time = match === null ? NaN : Date.parse(match[4] === undefined ? `${raw}T00:00:00Z` : raw);
  const [, year, month, day, hour, minute, second] = match ?? [];
  const calendarDate = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const valid =
    !Number.isNaN(time) &&
    calendarDate.getUTCFullYear() === Number(year) &&
    calendarDate.getUTCMonth() === Number(month) - 1 &&
    calendarDate.getUTCDate() === Number(day) &&
    Number(hour ?? 0) < 24 &&
    Number(minute ?? 0) < 60 &&
    Number(second ?? 0) < 60;
  if (!valid) throw invalidParameter(name, 'must be an ISO 8601 date (2026-01-31) or date-time with a zone (2026-01-31T08:00:00Z)');
  return new Date(match?.[4] === undefined && bound === 'end' ? time + 86_400_000 - 1 : time);
}

interface TimeRange {
  from?: Date;
  to?: Date;
}

/** `from` and `to` select runs by their ids, which can only hold times in `runTimeRange`. */
export function parseTimeRange(query: QueryParameters): TimeRange {
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

const topLimits = { min: 1, max: 1000 } as const;

export function parseTop(query: QueryParameters, fallback: number): number {
  const raw = query.get('top');
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d{1,4}$/.test(raw) || value < topLimits.min || value > topLimits.max) {
    throw invalidParameter('top', `must be a whole number from ${topLimits.min} to ${topLimits.max}`);
  }
  return value;
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

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant id is a GUID; it is stored lower-case as Graph serves it. */
export function parseTenantId(value: string | undefined, name = 'tenantId'): string {
  if (value === undefined || !guidPattern.test(value)) throw invalidParameter(name, 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');
  return value.toLowerCase();
}

type ResponseFormat = 'json' | 'csv';

/** `?format=csv|json` wins; otherwise `Accept: text/csv` asks for CSV. */
export function parseFormat(query: QueryParameters, accept: string | null, csvAllowed: boolean): ResponseFormat {
  const format = parseChoice(query, 'format', csvAllowed ? (['json', 'csv'] as const) : (['json'] as const));
  if (format !== undefined) return format;
  if (csvAllowed && accept !== null && /(^|,)\s*text\/csv\s*(;|,|$)/i.test(accept)) return 'csv';
  return 'json';
}

