import { countOpenFindings, severities, type FindingState, type OpenFindingCounts, type StoredFinding } from '../core/findings';
import { odata } from '@azure/data-tables';
import type { TenantAdminScan } from '../core/adminScan';
import type { AdminScanSummary, FindingFilter, FindingPosition, Page, QueryReader, RowPosition, RunRange, RunRow, UnreadableRowSink } from '../ports/queryReader';
import type { NonMfaPrincipal, PartnerSecurityScore, SecurityRequirement } from '../core/model';
import type { Delivery, DetectorCompletion, DetectorRun, LeaseName, OutboxMessage, SkippedRun } from '../ports';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import { runIdRange } from '../core/snapshotRun';
import { keyRangePage, readUntil } from './keyRangePage';
import { principalRow, registrationRow, requirementRow, scoreRow, type StoredRegistrationCounts } from './snapshotRows';
import { findingFromRow, TableDetectorStore, type FindingEntity } from './tableDetectorStore';
import { fromTableKey, toTableKey } from './tableKey';
import { TableLease } from './tableLease';
import { fixedPartitions, inRowRange, principalRange, runPartitionRange, type TableName } from './tableLayout';
import { TableSnapshotReader } from './tableSnapshotStore';
import { optionalText, readRow, requiredText } from './unreadableRows';

type Row = Record<string, unknown>;

/**
 * The query API's reads, each a partition or key-range query: no table is ever scanned. Every
 * value from a request reaches a filter through `odata`, which quotes and escapes it.
 */
export class TableQueryReader extends TableSnapshotReader implements QueryReader {
  private readonly detector = new TableDetectorStore(this.tables);

  skippingUnreadable(sink: UnreadableRowSink): QueryReader {
    return new TableQueryReader(this.tables, { onUnreadable: sink });
  }

  scores(range: RunRange): Promise<RunRow<PartnerSecurityScore>[]> {
    return this.runSeries('scores', fixedPartitions.scores, range, scoreRow.from);
  }

  requirements(range: RunRange, requirementType?: string): Promise<RunRow<SecurityRequirement>[]> {
    return this.runSeries('requirements', fixedPartitions.requirements, range, requirementRow.from, requirementType);
  }

  registrations(range: RunRange): Promise<RunRow<StoredRegistrationCounts>[]> {
    return this.runSeries('registrations', fixedPartitions.registrations, range, registrationRow.from);
  }

  principalsPage(runId: string, start: RowPosition | null, top: number, include?: (principal: NonMfaPrincipal) => boolean): Promise<Page<NonMfaPrincipal>> {
    const request = { name: 'principals', partitions: runPartitionRange(runId), start, top, select: principalRow.select, convert: principalRow.from, ...this.reads };
    return keyRangePage(this.tables.clientFor('principals'), include === undefined ? request : { ...request, include });
  }

  /**
   * The service filters by severity and state, one severity after the other, so a page reads the
   * rows it lists, not the partition where resolved findings pile up.
   */
  async findingsPage(state: FindingState | 'all', start: FindingPosition | null, top: number, filter: FindingFilter = {}): Promise<Page<StoredFinding, FindingPosition>> {
    const table = this.tables.clientFor('findings');
    const items: StoredFinding[] = [];
    const wanted = severities.slice(start === null ? 0 : severities.indexOf(start.severity)).filter((severity) => filter.severity === undefined || severity === filter.severity);
    const narrowing = findingClauses(state, filter);
    for (const severity of wanted) {
      const after = start?.severity === severity ? toTableKey(start.key) : '';
      const query = `${odata`PartitionKey eq ${fixedPartitions.findings} and RowKey gt ${after} and severity eq ${severity}`}${narrowing}`;
      // A service page holds at most 1,000 rows (Query Timeout and Pagination): ask for no more than this page still needs.
      const stoppedAt = await readUntil<FindingEntity>(table, { filter: query }, Math.min(1000, top - items.length), (row) => {
        const finding = readRow('findings', row, findingFromRow, this.reads.onUnreadable);
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
    return (await this.detector.unsentMessages(this.reads.onUnreadable)).sort((left, right) => left.createdAt.localeCompare(right.createdAt));
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

  adminScan(runId: string, tenantId: string): Promise<TenantAdminScan | null> {
    return this.adminScans.scanOf(runId, tenantId);
  }

  adminScanSummaries(runId: string, tenantIds: readonly string[]): Promise<ReadonlyMap<string, AdminScanSummary>> {
    return this.adminScans.summariesOf(runId, tenantIds, this.reads.onUnreadable);
  }

  /** One key-range read per principal (its rows in a run start with its object id), a few at a time. */
  async principalUpns(runId: string, objectIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const upns = new Map<string, string>();
    const limit = new ConcurrencyLimit(8);
    const readOne = async (objectId: string): Promise<void> => {
      const query = { filter: inRowRange(principalRange(runId, objectId)), select: ['upn'] };
      const [upn] = await this.tables.rows('principals', query, (row: Row) => optionalText(row, 'upn') ?? '', { top: 1 });
      if (upn) upns.set(objectId, upn);
    };
    await Promise.all([...new Set(objectIds)].map((objectId) => limit.run(() => readOne(objectId))));
    return upns;
  }

  /** Rows of one fixed partition whose row keys start with a run id in the range, newest first; an unreadable row fails the read unless the sink takes it. */
  private runSeries<T>(name: TableName, partitionKey: string, range: RunRange, convert: (row: Row) => T, requirementType?: string): Promise<RunRow<T>[]> {
    const { lowest, highest } = runIdRange(range.from, range.to);
    const filter =
      requirementType === undefined
        ? odata`PartitionKey eq ${partitionKey} and RowKey ge ${lowest} and RowKey le ${highest}`
        : odata`PartitionKey eq ${partitionKey} and RowKey ge ${lowest} and RowKey le ${highest} and requirementType eq ${requirementType}`;
    return this.tables.rows(name, { filter }, (row: Row) => ({ runId: requiredText(name, row, 'runId'), value: convert(row) }), this.reads);
  }
}

/**
 * The rest of a findings query, each value through `odata` (strings compare as text: the stored
 * times are ISO 8601 in UTC, so text order is time order).
 */
function findingClauses(state: FindingState | 'all', filter: FindingFilter): string {
  const clauses = [
    state === 'all' ? '' : odata` and state eq ${state}`,
    filter.subject === undefined ? '' : odata` and subjectType eq ${filter.subject.type}`,
    filter.subject?.id === undefined ? '' : odata` and subjectId eq ${filter.subject.id}`,
    filter.changedSince === undefined ? '' : odata` and (openedAt ge ${filter.changedSince.toISOString()} or resolvedAt ge ${filter.changedSince.toISOString()})`,
  ];
  return clauses.join('');
}
