import { MonitorError, toError } from '../core/errors';
import { isOneOf } from '../core/text';

type Row = Record<string, unknown>;

/**
 * Told of each stored row a read skipped: the table, why, and the row's keys (to tell one row
 * read twice from two rows; not for logs, since keys hold tenant and object ids), never its content.
 */
export type UnreadableRowHandler = (table: string, reason: string, rowKeys: string) => void;

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
export function readRow<R extends Row, T>(table: string, row: R, convert: (row: R) => T): T;
export function readRow<R extends Row, T>(table: string, row: R, convert: (row: R) => T, onUnreadable?: UnreadableRowHandler): T | undefined;
export function readRow<R extends Row, T>(table: string, row: R, convert: (row: R) => T, onUnreadable?: UnreadableRowHandler): T | undefined {
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

/** A field stored as JSON; `fallback` when absent. */
export function jsonField<T>(table: string, row: Row, field: string, fallback: T): T {
  const value = row[field];
  if (value === undefined || value === null) return fallback;
  try {
    return JSON.parse(String(value)) as T;
  } catch {
    throw new UnreadableRowError(table, `field "${field}" is not JSON`);
  }
}

/** A text field holding one of `values`, the words of a union the monitor writes: anything else makes the row unreadable. */
export function oneOf<T extends string>(table: string, row: Row, field: string, values: readonly T[]): T {
  const value = requiredText(table, row, field);
  if (!isOneOf(values, value)) throw new UnreadableRowError(table, `field "${field}" is not one of ${values.join(', ')}`);
  return value;
}

/** A text field the monitor may leave out: null when the row has none. */
export function optionalText(row: Row, field: string): string | null {
  const value = row[field];
  return typeof value === 'string' ? value : null;
}

/** A text field the monitor always writes. */
export function requiredText(table: string, row: Row, field: string): string {
  const value = row[field];
  if (typeof value !== 'string' || value === '') throw new UnreadableRowError(table, `field "${field}" is missing or not text`);
  return value;
}
