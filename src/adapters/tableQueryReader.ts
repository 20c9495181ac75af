import { countOpenFindings, severities, type FindingState, type OpenFindingCounts, type StoredFinding } from '../core/findings';
import { odata } from '@azure/data-tables';
import type { FindingPosition, Page, QueryReader, RowPosition, RunRange, RunRow, UnreadableRowSink } from '../ports/queryReader';
import type { NonMfaPrincipal, PartnerSecurityScore, SecurityRequirement, SnapshotSource } from '../core/model';
import type { Delivery, DetectorCompletion, DetectorRun, LeaseName, OutboxMessage, SkippedRun } from '../ports';
import { runIdRange, type SnapshotRun } from '../core/snapshotRun';
import { keyRangePage, readUntil } from './keyRangePage';
import { principalRow, registrationRow, requirementRow, scoreRow, type StoredRegistrationCounts } from './snapshotRows';
import { TableCustomerState } from './tableCustomerState';
import { findingFromRow, TableDetectorStore, type FindingEntity } from './tableDetectorStore';
import { fromTableKey, toTableKey } from './tableKey';
import { TableLease } from './tableLease';
import { fixedPartitions, principalRange, runPartitionRange, type TableName } from './tableLayout';
import { TableSnapshotReader } from './tableSnapshotStore';
import type { Tables } from './tables';
import { readRow, requiredText } from './unreadableRows';

type Row = Record<string, unknown>;

/**
 * The query API's reads, each a partition or key-range query: no table is ever scanned. Every
 * value from a request reaches a filter through `odata`, which quotes and escapes it.
 */
export class TableQueryReader implements QueryReader {
  private readonly snapshots: TableSnapshotReader;
  private readonly detector: TableDetectorStore;
  readonly customers: TableCustomerState;

  constructor(
    private readonly tables: Tables,
    private readonly onUnreadable?: UnreadableRowSink,
    snapshots?: TableSnapshotReader,
  ) {
    // The snapshot reader is shared so its memory of complete runs outlives one request.
    this.snapshots = snapshots ?? new TableSnapshotReader(tables);
    this.detector = new TableDetectorStore(tables);
    this.customers = new TableCustomerState(tables, onUnreadable === undefined ? {} : { onUnreadable });
  }

  skippingUnreadable(sink: UnreadableRowSink): QueryReader {
    return new TableQueryReader(this.tables, sink, this.snapshots);
  }

  listRuns(source: SnapshotSource, options: RunRange & { top?: number; status?: SnapshotRun['status'] }): Promise<SnapshotRun[]> {
    return this.snapshots.listRuns(source, { ...options, onUnreadable: this.onUnreadable });
  }

  async scores(range: RunRange): Promise<RunRow<PartnerSecurityScore>[]> {
    return this.runSeries('scores', fixedPartitions.scores, range, scoreRow.from);
  }

  requirements(range: RunRange, requirementType?: string): Promise<RunRow<SecurityRequirement>[]> {
    return this.runSeries('requirements', fixedPartitions.requirements, range, requirementRow.from, requirementType);
  }

  registrations(range: RunRange): Promise<RunRow<StoredRegistrationCounts>[]> {
    return this.runSeries('registrations', fixedPartitions.registrations, range, registrationRow.from);
  }



  async principalsPage(runId: string, start: RowPosition | null, top: number, include?: (principal: NonMfaPrincipal) => boolean): Promise<Page<NonMfaPrincipal>> {
    const request = { name: 'principals', partitions: runPartitionRange(runId), start, top, select: principalRow.select, convert: principalRow.from, onUnreadable: this.onUnreadable };
    return keyRangePage(await this.tables.client('principals'), include === undefined ? request : { ...request, include });
  }



  /**
   * The service filters by severity and state, one severity after the other, so a page reads the
   * rows it lists, not the partition where resolved findings pile up.
   */
  async findingsPage(state: FindingState | 'all', start: FindingPosition | null, top: number): Promise<Page<StoredFinding, FindingPosition>> {
    const table = await this.tables.client('findings');
    const items: StoredFinding[] = [];
    for (const severity of severities.slice(start === null ? 0 : severities.indexOf(start.severity))) {
      const after = start?.severity === severity ? toTableKey(start.key) : '';
      const inState = state === 'all' ? '' : odata` and state eq ${state}`;
      const filter = `${odata`PartitionKey eq ${fixedPartitions.findings} and RowKey gt ${after} and severity eq ${severity}`}${inState}`;
      // A service page holds at most 1,000 rows (Query Timeout and Pagination): ask for no more than this page still needs.
      const stoppedAt = await readUntil<FindingEntity>(table, { filter }, Math.min(1000, top - items.length), (row) => {
        const finding = readRow('findings', row, findingFromRow, this.onUnreadable);
        if (finding !== undefined) items.push(finding);
        return items.length >= top;
      });
      if (stoppedAt !== null) return { items, next: { severity, key: fromTableKey(stoppedAt.rowKey) } };
    }
    return { items, next: null };
  }

  /**
   * One row, the detector's summary. Until a detector run has written one (a monitor upgraded
   * since), the open findings are counted: right, at the cost of reading them, until that run.
   */
  async openFindingCounts(): Promise<OpenFindingCounts> {
    const { openFindings } = await this.detector.readState();
    return openFindings ?? countOpenFindings((await this.findingsPage('open', null, Infinity)).items);
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

  /** Rows of one fixed partition whose row keys start with a run id in the range, newest first; an unreadable row fails the read unless the sink takes it. */
  private async runSeries<T>(name: TableName, partitionKey: string, range: RunRange, convert: (row: Row) => T, requirementType?: string): Promise<RunRow<T>[]> {
    const table = await this.tables.client(name);
    const { lowest, highest } = runIdRange(range.from, range.to);
    const filter =
      requirementType === undefined
        ? odata`PartitionKey eq ${partitionKey} and RowKey ge ${lowest} and RowKey le ${highest}`
        : odata`PartitionKey eq ${partitionKey} and RowKey ge ${lowest} and RowKey le ${highest} and requirementType eq ${requirementType}`;
    const rows: RunRow<T>[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter } })) {
      const point = readRow(name, row, (stored: Row) => ({ runId: requiredText(name, stored, 'runId'), value: convert(stored) }), this.onUnreadable);
      if (point !== undefined) rows.push(point);
    }
    return rows;
  }
}
