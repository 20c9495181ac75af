import { MonitorError, toError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';
import { isOneOf } from '../core/text';
import type { UnreadableRowSink } from '../ports/queryReader';

/**
 * A row of entity E as the service hands it back: the fields the monitor writes, each `unknown`
 * until a helper below narrows it (anyone with access to the table may have edited the row).
 */
export type StoredRow<E> = { readonly [K in keyof E]?: unknown };

/**
 * A row the monitor writes, as an object type: the SDK's transactions and batches take entities
 * indexable by name, which an interface (Waiver, CustomerName) is not and its mapped copy is.
 */
export type Entity<T> = { [K in keyof T]: T[K] };

/** A row's field names, so that a misspelt one is a compile error. */
type FieldOf<R> = Extract<keyof R, string>;

/** A stored row that does not have the shape the monitor writes (edited by hand, or damaged). */
class UnreadableRowError extends MonitorError {
  constructor(table: string, reason: string, options?: { cause?: unknown }) {
    super('UnreadableRow', `A row of the ${table} table cannot be read: ${reason}`, options);
    this.name = 'UnreadableRowError';
  }
}

/**
 * Converts one stored row. Without a handler an unreadable row fails the read with
 * `UnreadableRow` (a writer must not act on what it cannot see); with one, the row is
 * skipped and reported, so one bad row cannot take a whole listing down.
 */
type Keyed = { partitionKey?: unknown; rowKey?: unknown };
export function readRow<R extends Keyed, T>(table: string, row: R, convert: (row: R) => T): T;
export function readRow<R extends Keyed, T>(table: string, row: R, convert: (row: R) => T, onUnreadable?: UnreadableRowSink): T | undefined;
export function readRow<R extends Keyed, T>(table: string, row: R, convert: (row: R) => T, onUnreadable?: UnreadableRowSink): T | undefined {
  try {
    return convert(row);
  } catch (thrown) {
    // Only our own reasons are passed on: a parser's message would quote the stored text.
    const reason = thrown instanceof UnreadableRowError ? thrown.message.replace(/^.*cannot be read: /, '') : `a field has an unexpected value (${toError(thrown).name})`;
    // The app reads the current shape only: rows of an earlier one are brought along by the migration.
    if (onUnreadable === undefined) throw new UnreadableRowError(table, `${reason} (if an earlier version wrote it, \`npm run migrate\` brings it to the current shape)`, { cause: thrown });
    onUnreadable(table, reason, `${String(row.partitionKey)}/${String(row.rowKey)}`);
    return undefined;
  }
}

/** A field stored as JSON, parsed and not yet narrowed; undefined when absent. */
function parsedJson<R extends object>(table: string, row: R, field: FieldOf<R>): unknown {
  const value: unknown = row[field];
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.parse(String(value));
  } catch {
    throw new UnreadableRowError(table, `field "${field}" is not JSON`);
  }
}

/** A field stored as JSON whose shape the caller names; `fallback` when absent. */
export function jsonField<T>(table: string, row: Readonly<Record<string, unknown>>, field: string, fallback: T): T {
  const value = parsedJson(table, row, field);
  // Not narrowed: its callers in the snapshot, query and detector adapters name the shape they
  // wrote (jsonObject is the narrowing form); JSON.parse's `any` would hide the same claim.
  return value === undefined ? fallback : (value as T);
}

/** A field stored as the JSON of an object, or null, read by `convert` (which narrows it with the helpers here); null when absent. */
export function jsonObject<T, R extends object>(table: string, row: R, field: FieldOf<R>, convert: (value: Readonly<Record<string, unknown>>) => T): T | null {
  const value = parsedJson(table, row, field);
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw new UnreadableRowError(table, `field "${field}" is not a JSON object`);
  return convert(value);
}

/** A text field holding one of `values`, the words of a union the monitor writes: anything else makes the row unreadable. */
export function oneOf<T extends string, R extends object>(table: string, row: R, field: FieldOf<R>, values: readonly T[]): T {
  const value = requiredText(table, row, field);
  if (!isOneOf(values, value)) throw new UnreadableRowError(table, `field "${field}" is not one of ${values.join(', ')}`);
  return value;
}

/** A text field the monitor may leave out: null when the row has none. */
export function optionalText<R extends object>(row: R, field: FieldOf<R>): string | null {
  const value: unknown = row[field];
  return typeof value === 'string' ? value : null;
}

/** A text field the monitor always writes. */
export function requiredText<R extends object>(table: string, row: R, field: FieldOf<R>): string {
  const value: unknown = row[field];
  if (typeof value !== 'string' || value === '') throw new UnreadableRowError(table, `field "${field}" is missing or not text`);
  return value;
}

/** A number field the monitor may leave out (an unknown measure): null when the row has none. */
export function optionalNumber<R extends object>(row: R, field: FieldOf<R>): number | null {
  const value: unknown = row[field];
  return typeof value === 'number' ? value : null;
}
