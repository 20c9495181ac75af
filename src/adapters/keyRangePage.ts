import type { TableClient, TableEntityQueryOptions, TableEntityResult } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { Page, RowPosition, UnreadableRowSink } from '../ports/queryReader';
import { readRow } from './unreadableRows';

type Row = Record<string, unknown>;

/** Rows a filtered page reads per request when most rows may not match. */
const filteredPageSize = 1000;

interface KeyRangePageRequest<T> {
  /** The table's name in messages about unreadable rows. */
  name: string;
  partitions: { from: string; to: string };
  start: RowPosition | null;
  top: number;
  select: readonly string[];
  /** The item of a row, or null for a row the listing skips. */
  convert: (row: Row) => T | null;
  include?: (item: T) => boolean;
  onUnreadable?: UnreadableRowSink;
}

/**
 * Up to `top` matching rows of a partition-key range, in key order, resuming after a position.
 * Keyset paging instead of the service's continuation tokens keeps positions small, stable and
 * ours to validate. A position within a partition reads the rest of that partition, then the
 * partitions after it: two key-range queries (an `or` of the two would be a scan).
 */
export async function keyRangePage<T>(table: TableClient, request: KeyRangePageRequest<T>): Promise<Page<T>> {
  const { partitions, start, top, include } = request;
  const select = ['PartitionKey', 'RowKey', ...request.select];
  const items: T[] = [];
  const filters =
    start === null
      ? [odata`PartitionKey ge ${partitions.from} and PartitionKey le ${partitions.to}`]
      : [odata`PartitionKey eq ${start.partitionKey} and RowKey gt ${start.rowKey}`, odata`PartitionKey gt ${start.partitionKey} and PartitionKey le ${partitions.to}`];
  for (const filter of filters) {
    // Unfiltered, a first page of exactly what is wanted is one request; filtered, read more per request.
    const pageSize = include === undefined ? Math.max(1, top - items.length) : filteredPageSize;
    const stoppedAt = await readUntil(table, { filter, select }, pageSize, (row) => {
      const item = readRow(request.name, row, request.convert, request.onUnreadable);
      if (item !== undefined && item !== null && (include === undefined || include(item))) items.push(item);
      return items.length >= top;
    });
    if (stoppedAt !== null) return { items, next: stoppedAt };
  }
  return { items, next: null };
}

/** Reads rows in key order until `visit` says stop; returns the row it stopped at, or null at the end. */
export async function readUntil<R extends object = Row>(table: TableClient, queryOptions: TableEntityQueryOptions, maxPageSize: number, visit: (row: TableEntityResult<R>) => boolean): Promise<RowPosition | null> {
  for await (const page of table.listEntities<R>({ queryOptions }).byPage({ maxPageSize })) {
    for (const row of page) {
      if (visit(row)) return { partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '' };
    }
  }
  return null;
}
