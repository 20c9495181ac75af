import { PayloadError } from './errors';

/**
 * Reads one JSON object from a Microsoft API, naming the exact field on every error
 * (`customerInsights page 2: value[17].mfa.totalUsersCount: expected an integer, got an object`).
 * Errors describe the type of a bad value, never the value itself: it may be personal data.
 *
 * The readers accept the documented quirks: numbers sent as numeric strings, Single values
 * as "INF"/"-INF"/"NaN" (read as unknown), and enum values outside the documented set
 * (kept as-is: a new value is information, not an error).
 */
export class PayloadReader {
  constructor(
    private readonly object: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string): PayloadReader {
    if (!isPlainObject(value)) throw new PayloadError(`${path}: expected an object, got ${describe(value)}`);
    return new PayloadReader(value, path);
  }

  has(field: string): boolean {
    return this.object[field] !== undefined && this.object[field] !== null;
  }

  /** The first of several accepted spellings of one field that is present. */
  firstPresent(...fields: string[]): string | undefined {
    return fields.find((field) => this.has(field));
  }

  requiredString(field: string): string {
    const value = this.optionalString(field);
    if (value === null) throw this.error(field, 'a non-empty string', this.object[field]);
    return value;
  }

  optionalString(field: string): string | null {
    const value = this.object[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw this.error(field, 'a string', value);
    return value === '' ? null : value;
  }

  optionalBoolean(field: string): boolean | null {
    const value = this.object[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'boolean') throw this.error(field, 'a boolean', value);
    return value;
  }

  /** Int64 fields: integers, or integer strings (the services serialise them either way). */
  optionalInteger(field: string): number | null {
    const value = this.object[field];
    if (value === undefined || value === null) return null;
    const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw this.error(field, 'an integer', value);
    return number;
  }

  /** Single fields: numbers or numeric strings; INF/-INF/NaN are read as unknown (null). */
  optionalSingle(field: string): number | null {
    const value = this.object[field];
    if (value === undefined || value === null) return null;
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (trimmed === 'INF' || trimmed === '-INF' || trimmed === 'NaN') return null;
      if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
    }
    throw this.error(field, 'a number', value);
  }

  /** ISO 8601 timestamps; a value without an offset is UTC (Partner Center sends them so). */
  optionalTimestamp(field: string): string | null {
    const value = this.optionalString(field);
    if (value === null) return null;
    const withZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`;
    const time = Date.parse(withZone);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time)) throw this.error(field, 'an ISO 8601 date-time', value);
    return new Date(time).toISOString();
  }

  requiredTimestamp(field: string): string {
    const value = this.optionalTimestamp(field);
    if (value === null) throw this.error(field, 'an ISO 8601 date-time', this.object[field]);
    return value;
  }

  array(field: string): unknown[] {
    const value = this.object[field];
    if (!Array.isArray(value)) throw this.error(field, 'an array', value);
    return value;
  }

  child(field: string): PayloadReader | null {
    const value = this.object[field];
    if (value === undefined || value === null) return null;
    return PayloadReader.of(value, `${this.path}.${field}`);
  }

  error(field: string, expected: string, got: unknown): PayloadError {
    return new PayloadError(`${this.path}.${field}: expected ${expected}, got ${describe(got)}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return `a value of type ${typeof value}`;
}
