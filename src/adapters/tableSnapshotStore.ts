import type { TenantAdminScan } from '../core/adminScan';
import { TableAdminScanStore } from './tableAdminScanStore';
import { odata } from '@azure/data-tables';
import type { CustomerChangesBetween } from '../core/customerChanges';
import { MonitorError } from '../core/errors';
import type {
  CustomerMfaInsight,
  NonMfaPrincipal,
  PartnerSecurityScore,
  RegistrationCounts,
  ScoreHistoryEntry,
  SecurityRequirement,
  SnapshotSource,
} from '../core/model';
import type { Lease, LeaseName, SnapshotReader, SnapshotRunWriter, SnapshotStore } from '../ports';
import type { RunRange, UnreadableRowSink } from '../ports/queryReader';
import type { CustomerRecording } from '../ports/customerState';
import { CompleteRunFollowUpError, isRunId, type SnapshotRun, type SnapshotRunCounts } from '../core/snapshotRun';
import { BatchWriter } from './batchWriter';
import { principalRow, registrationRow, requirementRow, scoreHistoryRow, scoreRow, type StoredRegistrationCounts } from './snapshotRows';
import { describeStorageError } from './storageErrors';
import { TableCustomerState } from './tableCustomerState';
import { fixedPartitions, inPartitions, inRowRange, requirementRange, runPartitionRange } from './tableLayout';
import { TableLease } from './tableLease';
import { TableRunLedger } from './tableRunLedger';
import type { Tables } from './tables';

export class TableSnapshotStore implements SnapshotStore {
  private readonly ledger: TableRunLedger;
  private readonly customers: TableCustomerState;

  constructor(
    private readonly tables: Tables,
    private readonly options: { maxTransactionsInFlight: number } = { maxTransactionsInFlight: 8 },
  ) {
    this.ledger = new TableRunLedger(tables);
    this.customers = new TableCustomerState(tables, options);
  }

  /**
   * Opens a run. A run id collected again: a complete run is what it saw and stays so (its
   * change points are history, and later runs were compared with it), so it is refused; one that
   * failed or was abandoned starts afresh.
   */
  async openRun(source: SnapshotSource, runId: string, startedAt: Date): Promise<SnapshotRunWriter> {
    if (!isRunId(runId)) throw new MonitorError('InvalidRunId', 'A run id must be 13 digits, a dash and 6-16 lowercase letters or digits');
    if (source === 'partnerSecurity' && (await this.ledger.get(source, runId))?.status === 'complete') {
      throw new MonitorError('RunAlreadyComplete', `partnerSecurity run ${runId} is already complete: what it saw is kept as it was; collect a new run instead (without --run-id)`);
    }
    const run: SnapshotRun = { source, runId, status: 'running', startedAt: startedAt.toISOString(), finishedAt: null, counts: {}, errorCode: null, errorMessage: null, warnings: [] };
    const etag = await this.ledger.open(run);
    // The customers' recording reads what it compares with beside the first page's fetch.
    const customers = source === 'partnerSecurity' ? this.customers.record(runId) : null;
    return new TableSnapshotRunWriter(this.tables, this.ledger, { run, etag }, new BatchWriter(this.options.maxTransactionsInFlight), customers);
  }

  lease(name: LeaseName): Lease {
    return new TableLease(this.tables, name);
  }

  markAbandonedRuns(source: SnapshotSource, startedBefore: Date, reason: string, markedAt: Date): Promise<SnapshotRun[]> {
    return this.ledger.markAbandoned(source, startedBefore, reason, markedAt);
  }
}

class TableSnapshotRunWriter implements SnapshotRunWriter {
  constructor(
    private readonly tables: Tables,
    private readonly ledger: TableRunLedger,
    /** The ledger row as this attempt wrote it: only that row may be finished, and only once. */
    private readonly opened: { run: SnapshotRun; etag: string },
    private readonly writer: BatchWriter,
    private readonly customers: CustomerRecording | null,
  ) {}

  get runId(): string {
    return this.opened.run.runId;
  }

  addCustomerInsights(insights: readonly CustomerMfaInsight[]): Promise<void> {
    if (this.customers === null) throw new MonitorError('InvalidRun', `a ${this.opened.run.source} run does not collect customers`);
    return this.customers.observe(insights);
  }

  async addRequirements(requirements: readonly SecurityRequirement[]): Promise<void> {
    for (const requirement of requirements) await this.writer.upsert(this.tables.clientFor('requirements'), requirementRow.to(this.runId, requirement));
  }

  async putScore(score: PartnerSecurityScore): Promise<void> {
    await this.writer.upsert(this.tables.clientFor('scores'), scoreRow.to(this.runId, score));
  }

  async addScoreHistory(entries: readonly ScoreHistoryEntry[]): Promise<void> {
    for (const entry of entries) await this.writer.upsert(this.tables.clientFor('scoreHistory'), scoreHistoryRow.to(this.runId, entry));
  }

  async addNonMfaPrincipals(principals: readonly NonMfaPrincipal[]): Promise<void> {
    for (const principal of principals) await this.writer.upsert(this.tables.clientFor('principals'), principalRow.to(this.runId, principal));
  }

  async putRegistrationCounts(counts: RegistrationCounts, fallbackReason: string | null): Promise<void> {
    await this.writer.upsert(this.tables.clientFor('registrations'), registrationRow.to(this.runId, { ...counts, fallbackReason }));
  }

  /**
   * Records the customers this run no longer lists as gone, flushes every write, marks the run
   * complete, then applies its change points (history and current state). A failure while
   * applying leaves the run complete: the next run of the source finishes it first.
   */
  async complete(counts: SnapshotRunCounts, warnings: readonly string[] = []): Promise<SnapshotRun> {
    const customers = this.customers === null ? null : await this.customers.close();
    await this.writer.flush();
    const written = this.writer.entitiesWritten + (customers?.entitiesWritten ?? 0);
    const changes: SnapshotRunCounts = customers === null ? {} : { customerChanges: customers.customerChanges, customersGone: customers.customersGone };
    const run = await this.finish({ status: 'complete', counts: { ...counts, ...changes, entitiesWritten: written }, warnings: [...warnings] });
    if (this.customers === null || customers === null) return run;
    try {
      const applied = await this.customers.commit();
      return { ...run, counts: { ...run.counts, entitiesWritten: written + applied } };
    } catch (error) {
      const points = customers.customerChanges + customers.customersGone;
      throw new CompleteRunFollowUpError(
        `the run is complete, but applying its ${points} change points to the customers' current state failed (${error instanceof MonitorError ? error.message : describeStorageError(error)}): the next partnerSecurity run finishes it`,
        { cause: error },
      );
    }
  }

  async fail(error: { code: string; message: string }, counts: SnapshotRunCounts): Promise<SnapshotRun> {
    await Promise.all([this.writer.abandon(), this.customers?.abandon()]);
    return this.finish({ status: 'failed', counts, errorCode: error.code, errorMessage: error.message });
  }

  private async finish(update: Partial<SnapshotRun>): Promise<SnapshotRun> {
    const finished: SnapshotRun = { ...this.opened.run, ...update, finishedAt: new Date().toISOString() };
    await this.ledger.finish(finished, this.opened.etag);
    return finished;
  }
}

/**
 * Reads snapshots back, using only point, partition and key-range queries. Without
 * `reads.onUnreadable` a row that cannot be read fails the read (the detector must not act on
 * what it cannot see); with it the row is skipped and reported (the query API).
 */
export class TableSnapshotReader implements SnapshotReader {
  private readonly ledger: TableRunLedger;
  readonly customers: TableCustomerState;
  /** The customer-admin scans, which the scan's own functions write (customerAdmins/). */
  readonly adminScans: TableAdminScanStore;

  constructor(
    protected readonly tables: Tables,
    protected readonly reads: { onUnreadable?: UnreadableRowSink } = {},
  ) {
    this.ledger = new TableRunLedger(tables);
    this.customers = new TableCustomerState(tables, reads);
    this.adminScans = new TableAdminScanStore(tables);
  }

  getRun(source: SnapshotSource, runId: string): Promise<SnapshotRun | null> {
    return this.ledger.get(source, runId);
  }

  listRuns(source: SnapshotSource, options: RunRange & { top?: number; status?: SnapshotRun['status'] } = {}): Promise<SnapshotRun[]> {
    return this.ledger.list(source, { ...options, ...this.reads });
  }

  async latestCompleteRun(source: SnapshotSource): Promise<SnapshotRun | null> {
    return (await this.listRuns(source, { status: 'complete', top: 1 }))[0] ?? null;
  }

  customerChangesBetween(fromRunId: string | null, toRunId: string): Promise<CustomerChangesBetween> {
    return this.customers.changesBetween(fromRunId, toRunId);
  }

  requirementsOfRun(runId: string): Promise<SecurityRequirement[]> {
    return this.tables.rows('requirements', { filter: inRowRange(requirementRange(runId)) }, requirementRow.from, this.reads);
  }

  scoreOfRun(runId: string): Promise<PartnerSecurityScore | null> {
    return this.tables.point('scores', { partitionKey: fixedPartitions.scores, rowKey: runId }, scoreRow.from);
  }

  scoreHistory(): Promise<ScoreHistoryEntry[]> {
    return this.tables.rows('scoreHistory', { filter: odata`PartitionKey eq ${fixedPartitions.scoreHistory}` }, scoreHistoryRow.from, this.reads);
  }

  principalsOfRun(runId: string): Promise<NonMfaPrincipal[]> {
    return this.tables.rows('principals', { filter: inPartitions(runPartitionRange(runId)) }, principalRow.from, this.reads);
  }

  registrationCountsOfRun(runId: string): Promise<StoredRegistrationCounts | null> {
    return this.tables.point('registrations', { partitionKey: fixedPartitions.registrations, rowKey: runId }, registrationRow.from);
  }

  adminScansOfRun(runId: string): Promise<TenantAdminScan[]> {
    return this.adminScans.scansOfRun(runId);
  }
}
