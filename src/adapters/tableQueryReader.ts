import type { StoredFinding } from '../core/findings';
import { odata, type TableClient, type TableEntityQueryOptions, type TableEntityResult } from '@azure/data-tables';
import type { BucketPage, BucketPosition, QueryReader, RunRange, RunRow, UnreadableRowSink } from '../ports/queryReader';
import type { CustomerMfaInsight, NonMfaPrincipal, PartnerSecurityScore, RegistrationCounts, SecurityRequirement, SnapshotSource } from '../core/model';
import type { Delivery, DetectorCompletion, DetectorSkip, OutboxMessage } from '../ports';
import { runIdRange, type SnapshotRun } from '../core/snapshotRun';
import { TableDetectorStore } from './tableDetectorStore';
import { toTableKey } from '../core/tableKey';
import { bucketOf, buckets, customerHistoryRowKey, fixedPartitions, historyBucketOf, historyPartition, type BucketedTableName, type FixedTableName } from './tableLayout';
import { customerFieldNames, readBucketTable, TableSnapshotReader, toCustomer, toRequirement, type Tables } from './tableSnapshotStore';
import { jsonField, readRow } from './unreadableRows';

type Row = Record<string, unknown>;

/** Rows a filtered page reads per request when most rows may not match. */
const filteredPageSize = 1000;

/**
 * The query API's reads, each a partition or key-range query: no table is ever scanned. Every
 * value from a request reaches a filter through `odata`, which quotes and escapes it.
 */
export class TableQueryReader implements QueryReader {
  private readonly snapshots: TableSnapshotReader;
  private readonly detector: TableDetectorStore;

  constructor(
    private readonly tables: Tables,
    private readonly onUnreadable?: UnreadableRowSink,
    snapshots?: TableSnapshotReader,
  ) {
    // The snapshot reader is shared so its memory of complete runs outlives one request.
    this.snapshots = snapshots ?? new TableSnapshotReader(tables);
    this.detector = new TableDetectorStore(tables);
  }

  skippingUnreadable(sink: UnreadableRowSink): QueryReader {
    return new TableQueryReader(this.tables, sink, this.snapshots);
  }

  listRuns(source: SnapshotSource, options: RunRange & { top?: number; status?: SnapshotRun['status'] }): Promise<SnapshotRun[]> {
    return this.snapshots.listRuns(source, { ...options, onUnreadable: this.onUnreadable });
  }

  async scores(range: RunRange): Promise<RunRow<PartnerSecurityScore>[]> {
    const rows = await this.runSeries('scores', fixedPartitions.scores, range);
    return rows.map((row) => ({
      runId: String(row.runId),
      value: { id: text(row.id), currentScore: number(row.currentScore), maxScore: number(row.maxScore), lastRefreshDateTime: text(row.lastRefreshDateTime), updatedDateTime: text(row.updatedDateTime) },
    }));
  }

  async requirements(range: RunRange, requirementType?: string): Promise<RunRow<SecurityRequirement>[]> {
    const rows = await this.runSeries('requirements', fixedPartitions.requirements, range, requirementType);
    return rows.map((row) => ({ runId: String(row.runId), value: toRequirement(row) }));
  }

  async registrations(range: RunRange): Promise<RunRow<RegistrationCounts & { fallbackReason: string | null }>[]> {
    const rows = await this.runSeries('registrations', fixedPartitions.registrations, range);
    return rows.flatMap((row) => {
      const point = readRow('registrations', row, () => ({
        runId: String(row.runId),
        value: {
          report: row.report as RegistrationCounts['report'],
          totalUserCount: number(row.totalUserCount),
          mfaRegisteredUserCount: number(row.mfaRegisteredUserCount),
          countsByStatus: jsonField<Record<string, number>>('registrations', row, 'countsByStatus', {}),
          fallbackReason: text(row.fallbackReason),
        },
      }), this.onUnreadable);
      return point === undefined ? [] : [point];
    });
  }

  customersPage(runId: string, start: BucketPosition | null, top: number, include?: (customer: CustomerMfaInsight) => boolean): Promise<BucketPage<CustomerMfaInsight>> {
    return this.bucketPage('customers', runId, start, top, customerFieldNames, toCustomer, include);
  }

  principalsPage(runId: string, start: BucketPosition | null, top: number, include?: (principal: NonMfaPrincipal) => boolean): Promise<BucketPage<NonMfaPrincipal>> {
    const toPrincipal = (row: Row): NonMfaPrincipal => ({
      objectId: String(row.objectId),
      tenantId: text(row.tenantId),
      upn: text(row.upn),
      lastNonMfaRequestDateTime: String(row.lastNonMfaRequestDateTime),
    });
    return this.bucketPage('principals', runId, start, top, ['objectId', 'tenantId', 'upn', 'lastNonMfaRequestDateTime'], toPrincipal, include);
  }

  async customerHistory(tenantId: string, range: RunRange): Promise<RunRow<CustomerMfaInsight>[]> {
    const rows = await this.snapshots.customerHistory(tenantId, { ...range, onUnreadable: this.onUnreadable });
    return rows.map(({ runId, ...customer }) => ({ runId, value: customer }));
  }

  async customerKnown(tenantId: string): Promise<boolean> {
    const key = tenantId.toLowerCase();
    const table = this.tables.bucketReader('customerHistory', historyBucketOf(key));
    const filter = odata`PartitionKey eq ${historyPartition} and RowKey gt ${customerHistoryRowKey(key, '')} and RowKey lt ${customerHistoryRowKey(key, '~')}`;
    let known = false;
    await readBucketTable(async () => {
      for await (const page of table.listEntities<Row>({ queryOptions: { filter, select: ['RowKey'] } }).byPage({ maxPageSize: 1 })) {
        known = page.length > 0;
        if (known) return;
      }
    });
    return known;
  }

  findings(): Promise<StoredFinding[]> {
    return this.detector.readFindings(this.onUnreadable);
  }

  async undeliveredAlerts(): Promise<OutboxMessage[]> {
    return (await this.detector.unsentMessages()).sort((left, right) => left.createdAt.localeCompare(right.createdAt));
  }

  async undeliveredDeliveries(): Promise<Delivery[]> {
    return (await this.detector.unsentDeliveries()).sort((left, right) => left.messageId.localeCompare(right.messageId));
  }

  lastSkippedDetectorRun(): Promise<DetectorSkip | null> {
    return this.detector.lastSkippedRun();
  }

  lastCompletedDetectorRun(): Promise<DetectorCompletion | null> {
    return this.detector.lastCompletedRun();
  }

  /** One key-range read per principal (its rows start with its object id), a few at a time. */
  async principalUpns(runId: string, objectIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const upns = new Map<string, string>();
    const pending = [...new Set(objectIds)];
    const readOne = async (objectId: string): Promise<void> => {
      const table = this.tables.bucketReader('principals', bucketOf(objectId));
      const prefix = `${toTableKey(objectId)}_`;
      const filter = odata`PartitionKey eq ${runId} and RowKey gt ${prefix} and RowKey lt ${`${prefix}~`}`;
      await readUntil(table, { filter, select: ['RowKey', 'upn'] }, 1, (row) => {
        if (typeof row.upn === 'string' && row.upn !== '') upns.set(objectId, row.upn);
        return true;
      });
    };
    const workers = Array.from({ length: Math.min(8, pending.length) }, async () => {
      for (let objectId = pending.pop(); objectId !== undefined; objectId = pending.pop()) await readOne(objectId);
    });
    await Promise.all(workers);
    return upns;
  }

  /** Rows of one fixed partition whose row keys start with a run id in the range, newest first. */
  private async runSeries(name: FixedTableName, partitionKey: string, range: RunRange, requirementType?: string): Promise<TableEntityResult<Row>[]> {
    const table = await this.tables.client(name);
    const { lowest, highest } = runIdRange(range.from, range.to);
    const filter =
      requirementType === undefined
        ? odata`PartitionKey eq ${partitionKey} and RowKey ge ${lowest} and RowKey le ${highest}`
        : odata`PartitionKey eq ${partitionKey} and RowKey ge ${lowest} and RowKey le ${highest} and requirementType eq ${requirementType}`;
    const rows: TableEntityResult<Row>[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter } })) rows.push(row);
    return rows;
  }

  /**
   * Up to `top` matching rows of a run's bucket tables, in bucket then row-key order,
   * resuming after a position. Keyset paging (`RowKey gt last`) instead of the service's
   * continuation tokens keeps positions small, stable and ours to validate.
   */
  private async bucketPage<T>(
    name: BucketedTableName,
    runId: string,
    start: BucketPosition | null,
    top: number,
    fields: readonly string[],
    convert: (row: Row) => T,
    include?: (item: T) => boolean,
  ): Promise<BucketPage<T>> {
    const select = ['RowKey', ...fields];
    const items: T[] = [];
    for (let bucket = start?.bucket ?? 0; bucket < buckets.length; bucket += 1) {
      const table = this.tables.bucketReader(name, buckets[bucket] ?? '');
      const after = bucket === start?.bucket ? start.afterRowKey : '';
      const filter = after === '' ? odata`PartitionKey eq ${runId}` : odata`PartitionKey eq ${runId} and RowKey gt ${after}`;
      // Unfiltered, a first page of exactly what is wanted is one request; filtered, read more per request.
      const pageSize = include === undefined ? top - items.length : filteredPageSize;
      const stopAt = await readUntil(table, { filter, select }, pageSize, (row) => {
        const item = convert(row);
        if (include === undefined || include(item)) items.push(item);
        return items.length >= top;
      });
      if (stopAt !== null) return { items, next: { bucket, afterRowKey: stopAt } };
    }
    return { items, next: null };
  }
}

/** Reads rows in key order until `visit` says stop; returns the row key it stopped at, or null at the end. */
async function readUntil(table: TableClient, queryOptions: TableEntityQueryOptions, maxPageSize: number, visit: (row: TableEntityResult<Row>) => boolean): Promise<string | null> {
  let stoppedAt: string | null = null;
  await readBucketTable(async () => {
    for await (const page of table.listEntities<Row>({ queryOptions }).byPage({ maxPageSize })) {
      for (const row of page) {
        if (visit(row)) {
          stoppedAt = row.rowKey ?? '';
          return;
        }
      }
    }
  });
  return stoppedAt;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function number(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
