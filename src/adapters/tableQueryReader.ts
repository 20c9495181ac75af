import type { StoredFinding } from '../core/findings';
import { odata, type TableClient, type TableEntityQueryOptions, type TableEntityResult } from '@azure/data-tables';
import type { CustomerChangePoints, Page, QueryReader, RowPosition, RunRange, RunRow, UnreadableRowSink } from '../ports/queryReader';
import type { CustomerMfaInsight, NonMfaPrincipal, PartnerSecurityScore, RegistrationCounts, SecurityRequirement, SnapshotSource } from '../core/model';
import type { Delivery, DetectorCompletion, DetectorRun, LeaseName, OutboxMessage, SkippedRun } from '../ports';
import { runIdRange, type SnapshotRun } from '../core/snapshotRun';
import { isNotFound } from './storageErrors';
import { TableDetectorStore } from './tableDetectorStore';
import { TableLease } from './tableLease';
import { customerHistoryRange, customerKey, customerPartitionRange, fixedPartitions, principalRange, runPartitionRange, type TableName } from './tableLayout';
import { customerFieldNames, TableSnapshotReader, toCustomer, toRequirement } from './tableSnapshotStore';
import type { Tables } from './tables';
import { jsonField, readRow, requiredText } from './unreadableRows';

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

  /** The run the Customers table holds: a complete run its invocation did not apply is listed once its source's next run has. */
  customersRunId(): Promise<string | null> {
    return this.snapshots.customerState.appliedRunId();
  }

  /**
   * Customers as run `runId` saw them, from the Customers table in key order. For the run it holds
   * that is the table as it is; for an earlier run (a listing begun before a newer run was
   * applied), the change points of the runs since are undone on the rows of the page.
   */
  async customersPage(runId: string, start: RowPosition | null, top: number, include?: (customer: CustomerMfaInsight) => boolean): Promise<Page<CustomerMfaInsight>> {
    const state = this.snapshots.customerState;
    const differing = await state.differingAt(await state.applied(), runId, () => this.snapshots.listRuns('partnerSecurity', { status: 'complete' }));
    const convert = (row: Row): CustomerMfaInsight | null => {
      const tenantId = requiredText('customers', row, 'tenantId');
      if (differing.has(tenantId)) return differing.get(tenantId) ?? null;
      return row.gone === true ? null : toCustomer(row);
    };
    return this.keyRangePage('customers', customerPartitionRange, start, top, ['tenantId', 'gone', ...customerFieldNames], convert, include);
  }

  principalsPage(runId: string, start: RowPosition | null, top: number, include?: (principal: NonMfaPrincipal) => boolean): Promise<Page<NonMfaPrincipal>> {
    const toPrincipal = (row: Row): NonMfaPrincipal => ({
      objectId: String(row.objectId),
      tenantId: text(row.tenantId),
      upn: text(row.upn),
      lastNonMfaRequestDateTime: String(row.lastNonMfaRequestDateTime),
    });
    return this.keyRangePage('principals', runPartitionRange(runId), start, top, ['objectId', 'tenantId', 'upn', 'lastNonMfaRequestDateTime'], toPrincipal, include);
  }

  /**
   * One customer's change points: its whole history is one key range of one partition, read in
   * one request (a customer changes a few times a year, and retention keeps one point before the
   * cut-off); the range and the point in force at its start are picked here.
   */
  async customerHistory(tenantId: string, range: RunRange): Promise<CustomerChangePoints> {
    const { partitionKey, from, to } = customerHistoryRange(tenantId);
    const table = await this.tables.client('customerHistory');
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey gt ${from} and RowKey lt ${to}`;
    const read = async (): Promise<RunRow<CustomerMfaInsight | null>[]> => {
      const points: RunRow<CustomerMfaInsight | null>[] = [];
      for await (const row of table.listEntities<Row>({ queryOptions: { filter, select: ['tenantId', 'runId', 'point', 'gone'] } })) {
        const point = readRow('customerHistory', row, (stored) => ({
          runId: requiredText('customerHistory', stored, 'runId'),
          value: stored.gone === true ? null : toCustomer({ ...jsonField<Row>('customerHistory', stored, 'point', {}), tenantId: requiredText('customerHistory', stored, 'tenantId') }),
        }), this.onUnreadable);
        if (point !== undefined) points.push(point);
      }
      return points;
    };
    const [stored, asOfRunId] = await Promise.all([read(), this.snapshots.customerState.appliedRunId()]);
    // A point of a run newer than the applied one is of a run half applied: not history yet.
    const points = stored.filter((point) => asOfRunId !== null && point.runId >= asOfRunId);
    const { lowest, highest } = runIdRange(range.from, range.to);
    // Newest first: those in the range, then the first before it (the state when the range begins).
    const inRange = points.filter((point) => point.runId >= lowest && point.runId <= highest);
    const before = points.find((point) => point.runId > highest);
    return { points: before === undefined ? inRange : [...inRange, before], asOfRunId };
  }

  async customerKnown(tenantId: string): Promise<boolean> {
    const { partitionKey, rowKey } = customerKey(tenantId);
    try {
      await (await this.tables.client('customers')).getEntity(partitionKey, rowKey, { queryOptions: { select: ['RowKey'] } });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  findings(): Promise<StoredFinding[]> {
    return this.detector.readFindings(this.onUnreadable);
  }

  async undeliveredAlerts(): Promise<OutboxMessage[]> {
    return (await this.detector.unsentMessages(this.onUnreadable)).sort((left, right) => left.createdAt.localeCompare(right.createdAt));
  }

  async undeliveredDeliveries(): Promise<Delivery[]> {
    return (await this.detector.unsentDeliveries()).sort((left, right) => left.messageId.localeCompare(right.messageId));
  }

  lastSkippedRun(name: LeaseName): Promise<SkippedRun | null> {
    return new TableLease(this.tables, name).lastSkipped();
  }

  lastDetectorRun(): Promise<DetectorRun | null> {
    return this.detector.lastRun();
  }

  lastCompletedDetectorRun(): Promise<DetectorCompletion | null> {
    return this.detector.lastCompletedRun();
  }

  /** One key-range read per principal (its rows in a run start with its object id), a few at a time. */
  async principalUpns(runId: string, objectIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const upns = new Map<string, string>();
    const pending = [...new Set(objectIds)];
    const table = await this.tables.client('principals');
    const readOne = async (objectId: string): Promise<void> => {
      const { partitionKey, from, to } = principalRange(runId, objectId);
      const filter = odata`PartitionKey eq ${partitionKey} and RowKey gt ${from} and RowKey lt ${to}`;
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
  private async runSeries(name: TableName, partitionKey: string, range: RunRange, requirementType?: string): Promise<TableEntityResult<Row>[]> {
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
   * Up to `top` matching rows of a partition-key range, in key order, resuming after a position.
   * Keyset paging instead of the service's continuation tokens keeps positions small, stable and
   * ours to validate. A position within a partition reads the rest of that partition, then the
   * partitions after it: two key-range queries (an `or` of the two would be a scan).
   */
  private async keyRangePage<T>(
    name: TableName,
    partitions: { from: string; to: string },
    start: RowPosition | null,
    top: number,
    fields: readonly string[],
    convert: (row: Row) => T | null,
    include?: (item: T) => boolean,
  ): Promise<Page<T>> {
    const table = await this.tables.client(name);
    const select = ['PartitionKey', 'RowKey', ...fields];
    const items: T[] = [];
    const filters =
      start === null
        ? [odata`PartitionKey ge ${partitions.from} and PartitionKey le ${partitions.to}`]
        : [odata`PartitionKey eq ${start.partitionKey} and RowKey gt ${start.rowKey}`, odata`PartitionKey gt ${start.partitionKey} and PartitionKey le ${partitions.to}`];
    for (const filter of filters) {
      // Unfiltered, a first page of exactly what is wanted is one request; filtered, read more per request.
      const pageSize = include === undefined ? Math.max(1, top - items.length) : filteredPageSize;
      const stoppedAt = await readUntil(table, { filter, select }, pageSize, (row) => {
        const item = readRow(name, row, convert, this.onUnreadable);
        if (item !== undefined && item !== null && (include === undefined || include(item))) items.push(item);
        return items.length >= top;
      });
      if (stoppedAt !== null) return { items, next: stoppedAt };
    }
    return { items, next: null };
  }
}

/** Reads rows in key order until `visit` says stop; returns the row it stopped at, or null at the end. */
async function readUntil(table: TableClient, queryOptions: TableEntityQueryOptions, maxPageSize: number, visit: (row: TableEntityResult<Row>) => boolean): Promise<RowPosition | null> {
  for await (const page of table.listEntities<Row>({ queryOptions }).byPage({ maxPageSize })) {
    for (const row of page) {
      if (visit(row)) return { partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '' };
    }
  }
  return null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function number(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
