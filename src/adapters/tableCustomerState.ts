import type { TableClient } from '@azure/data-tables';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import { composeChanges, customersDiffering, insightChanged, newerRun, type CustomerChange, type CustomerChangesBetween, type RunChanges } from '../core/customerChanges';
import { measuresVersion, type CustomerMfaInsight } from '../core/model';
import { runIdRange, type SnapshotRun } from '../core/snapshotRun';
import type { CustomerRecording, CustomerState } from '../ports/customerState';
import type { CustomerChangePoints, Page, RowPosition, RunRange } from '../ports/queryReader';
import { BatchWriter, deleteRows, storageWriteFailure } from './batchWriter';
import { changeRow, customerRow, historyRow, type CurrentCustomer, type StoredCustomerRow } from './customerRows';
import { keyRangePage } from './keyRangePage';
import { isConflict, isNotFound } from './storageErrors';
import { appliedRunKey, customerChangeKey, customerHistoryKey, customerHistoryRange, customerKey, customerPartitionRange, inPartitions, inRowRange, runPartitionRange } from './tableLayout';
import { TableRunLedger } from './tableRunLedger';
import type { Tables } from './tables';
import type { UnreadableRowSink } from '../ports/queryReader';
import { optionalText, type StoredRow } from './unreadableRows';

/** The run the Customers table holds (null before the first), and the run being applied to it (null when none is). */
interface AppliedRun {
  runId: string | null;
  applying: string | null;
}

/**
 * The customers' state in three tables: Customers (one row per tenant, the state of the newest
 * applied run; a gone customer is a tombstone until retention drops it), CustomerChanges (each
 * run's own change points, written while it collects) and CustomerHistory (each customer's
 * change points of complete runs, one key range per customer). A run's change points are applied
 * to the other two once its ledger row says complete, by that run, or after a crash by the
 * source's next run: a read never writes.
 */
export class TableCustomerState implements CustomerState {
  private readonly ledger: TableRunLedger;
  private readonly limit: ConcurrencyLimit;

  constructor(
    private readonly tables: Tables,
    private readonly options: { maxTransactionsInFlight?: number; onUnreadable?: UnreadableRowSink } = {},
  ) {
    this.ledger = new TableRunLedger(tables);
    this.limit = new ConcurrencyLimit(this.transactionsInFlight);
  }

  /** Transactions a write keeps in flight at once (a read issues none). */
  private get transactionsInFlight(): number {
    return this.options.maxTransactionsInFlight ?? 8;
  }

  record(runId: string): CustomerRecording {
    return new TableCustomerRecording(this, runId, this.startRecording(runId), this.transactionsInFlight);
  }

  /** What a run compares with: the current state once every complete run is applied, less what a failed attempt under its id recorded. */
  private async startRecording(runId: string): Promise<Map<string, CurrentCustomer>> {
    await deleteRows(this.client('customerChanges'), await this.tables.keys('customerChanges', inPartitions(runPartitionRange(runId))), this.limit);
    await this.applyPending();
    return new Map((await this.currentCustomers()).map((customer) => [customer.tenantId, customer]));
  }

  /** Applies every complete run newer than the one the Customers table holds, oldest first: what a run stopped before applying left undone. */
  async applyPending(): Promise<string[]> {
    const applied = await this.currentRunId();
    const pending = (await this.completeRuns(null, applied)).filter((run) => run.runId !== applied).reverse();
    for (const run of pending) await this.applyRecorded(run.runId);
    return pending.map((run) => run.runId);
  }

  /** Applies a complete run from its stored change records. */
  async applyRecorded(runId: string): Promise<number> {
    return this.apply(runId, await this.changesOf(runId), []);
  }

  async currentRunId(): Promise<string | null> {
    return (await this.applied()).runId;
  }

  private async applied(): Promise<AppliedRun> {
    const read = (row: StoredRow<AppliedRun>): AppliedRun => ({ runId: optionalText(row, 'runId'), applying: optionalText(row, 'applying') });
    return (await this.tables.point('runs', appliedRunKey, read)) ?? { runId: null, applying: null };
  }

  /** The complete runs from `newest` to `oldest` (both included; null: no bound), newest first: one key range of the ledger. */
  private completeRuns(newest: string | null, oldest: string | null): Promise<SnapshotRun[]> {
    return this.ledger.list('partnerSecurity', { status: 'complete', between: { lowest: newest ?? '0', highest: oldest ?? '~' } });
  }

  /** Every row of the Customers table, tombstones included. */
  currentCustomers(): Promise<CurrentCustomer[]> {
    return this.tables.rows('customers', { filter: inPartitions(customerPartitionRange) }, customerRow.from);
  }

  private changesOf(runId: string): Promise<CustomerChange[]> {
    return this.tables.rows('customerChanges', { filter: inPartitions(runPartitionRange(runId)) }, changeRow.from);
  }

  /** Records one change point of run `runId` (applied once the run is complete). */
  async recordChange(runId: string, change: CustomerChange, writer: BatchWriter): Promise<void> {
    await writer.upsert(this.client('customerChanges'), changeRow.to(runId, change));
  }

  /**
   * Applies one complete run's change points to each customer's history and to the Customers
   * table, then records the run as applied; `refreshed` are customers whose state only gained
   * measures the table added since it was recorded (no change, so no history point). Safe to
   * repeat; runs are applied oldest first, so a newer state is never overwritten by an older one.
   * The run is named `applying` first, so a read while it is half applied (or after its invocation
   * stopped midway) sets those rows from its change records, and never serves half of it.
   */
  async apply(runId: string, changes: readonly CustomerChange[], refreshed: readonly CurrentCustomer[]): Promise<number> {
    const writer = new BatchWriter(this.transactionsInFlight);
    await this.client('runs').upsertEntity({ ...appliedRunKey, applying: runId }, 'Merge');
    for (const change of changes) {
      await writer.upsert(this.client('customerHistory'), historyRow.to(runId, change));
      await writer.upsert(this.client('customers'), customerRow.to({ tenantId: change.tenantId, state: change.after, sinceRunId: runId, version: measuresVersion }));
    }
    for (const customer of refreshed) await writer.upsert(this.client('customers'), customerRow.to(customer));
    await writer.flush();
    await this.client('runs').upsertEntity({ ...appliedRunKey, runId, appliedAt: new Date().toISOString() }, 'Replace');
    return writer.entitiesWritten;
  }

  /**
   * The customers whose state differs between complete runs `fromRunId` and `toRunId` (see
   * CustomerChangesBetween), composed from the change records of every complete run after
   * `fromRunId` up to `toRunId`: one ledger range and one key range per run, so the rows read
   * follow what changed, not how many customers there are. Retention deletes a run's ledger row
   * last and the oldest run first, so while `fromRunId` is listed complete every later run is
   * whole; when it is not (pruned, null on a first look, or not older than `toRunId`), the
   * answer compares with nothing: every customer at `toRunId`, before null.
   */
  async changesBetween(fromRunId: string | null, toRunId: string): Promise<CustomerChangesBetween> {
    if (fromRunId === toRunId) return { fromRunId, changes: [] };
    const runs = fromRunId === null || newerRun(fromRunId, toRunId) ? [] : await this.completeRuns(toRunId, fromRunId);
    if (fromRunId === null || runs[runs.length - 1]?.runId !== fromRunId) {
      const customers = await this.customersAt(toRunId);
      return { fromRunId: null, changes: customers.map((after) => ({ tenantId: after.tenantId, before: null, beforeRunId: null, beforeVersion: measuresVersion, after })) };
    }
    const later = runs.filter((run) => run.runId !== fromRunId);
    const changes = await Promise.all(later.map(async (run): Promise<RunChanges> => ({ runId: run.runId, changes: await this.changesOf(run.runId) })));
    return { fromRunId, changes: composeChanges(changes) };
  }

  /** Every customer as complete run `runId` saw it. */
  private async customersAt(runId: string): Promise<CustomerMfaInsight[]> {
    const [differing, current] = await Promise.all([this.differingAt(runId), this.currentCustomers()]);
    const customers: CustomerMfaInsight[] = [];
    for (const customer of current) {
      const state = differing.has(customer.tenantId) ? differing.get(customer.tenantId) : customer.state;
      differing.delete(customer.tenantId);
      if (state) customers.push(state);
    }
    // Customers a newer run than the table's listed first (only while it waits to be applied).
    for (const state of differing.values()) if (state) customers.push(state);
    return customers;
  }

  /**
   * The state at `runId` of every customer whose state there may differ from the Customers
   * table's (see customersDiffering), read from the change points of the complete runs between
   * the two; and of every customer a run being applied has changed, as its rows may hold either
   * state until that run is applied (its invocation stopped midway: its source's next run does it).
   */
  private async differingAt(runId: string): Promise<Map<string, CustomerMfaInsight | null>> {
    const { runId: appliedRunId, applying } = await this.applied();
    const halfApplied = applying === null ? [] : (await this.changesOf(applying)).map((change) => [change.tenantId, change.before] as const);
    if (appliedRunId === runId) return new Map(halfApplied);
    const [lower, upper] = appliedRunId === null || runId < appliedRunId ? [runId, appliedRunId] : [appliedRunId, runId];
    const between = await this.completeRuns(lower, upper);
    const runs: RunChanges[] = await Promise.all(between.map(async (run) => ({ runId: run.runId, changes: await this.changesOf(run.runId) })));
    // Its changes between the two win: they include the half-applied run's when `runId` is that run or a newer one.
    return new Map([...halfApplied, ...customersDiffering(appliedRunId, runId, runs)]);
  }

  /**
   * Customers as run `runId` saw them, from the Customers table in key order. For the run it holds
   * that is the table as it is; for an earlier run (a listing begun before a newer run was
   * applied), the change points of the runs since are undone on the rows of the page.
   */
  async page(runId: string, start: RowPosition | null, top: number, include?: (customer: CustomerMfaInsight) => boolean): Promise<Page<CustomerMfaInsight>> {
    const differing = await this.differingAt(runId);
    const convert = (row: StoredCustomerRow): CustomerMfaInsight | null => {
      const { tenantId, state } = customerRow.from(row);
      return differing.has(tenantId) ? (differing.get(tenantId) ?? null) : state;
    };
    const request = { name: 'customers', partitions: customerPartitionRange, start, top, select: customerRow.select, convert, onUnreadable: this.options.onUnreadable };
    return keyRangePage(this.client('customers'), include === undefined ? request : { ...request, include });
  }

  /**
   * One customer's change points: its whole history is one key range of one partition, read in
   * one request (a customer changes a few times a year, and retention keeps one point before the
   * cut-off); the range and the point in force at its start are picked here.
   */
  async history(tenantId: string, range: RunRange): Promise<CustomerChangePoints> {
    const query = { filter: inRowRange(customerHistoryRange(tenantId)), select: historyRow.select };
    const [stored, asOfRunId] = await Promise.all([this.tables.rows('customerHistory', query, historyRow.from, this.options), this.currentRunId()]);
    // A point of a run newer than the applied one is of a run half applied: not history yet.
    const points = stored.filter((point) => asOfRunId !== null && point.runId >= asOfRunId);
    const { lowest, highest } = runIdRange(range.from, range.to);
    // Newest first: those in the range, then the first before it (the state when the range begins).
    const inRange = points.filter((point) => point.runId >= lowest && point.runId <= highest);
    const before = points.find((point) => point.runId > highest);
    return { points: before === undefined ? inRange : [...inRange, before], asOfRunId };
  }

  async known(tenantId: string): Promise<boolean> {
    return (await this.tables.point('customers', customerKey(tenantId), () => true, ['RowKey'])) !== null;
  }

  /**
   * What retention removes of a run: its change records, and once it is complete what no read at
   * or after it can need: for each change it made, the change point it superseded (its own point
   * is the state at the cut-off, and stays); a customer gone in it leaves nothing.
   */
  async prune(run: SnapshotRun, signal?: AbortSignal): Promise<number> {
    const changes = await this.changesOf(run.runId);
    let deleted = 0;
    // Change points reach the history only once their run is complete.
    if (run.status === 'complete') {
      const superseded = changes.flatMap((change) => (change.beforeRunId === null ? [] : [customerHistoryKey(change.tenantId, change.beforeRunId)]));
      const gone = changes.filter((change) => change.after === null);
      deleted += await deleteRows(this.client('customerHistory'), [...superseded, ...gone.map((change) => customerHistoryKey(change.tenantId, run.runId))], this.limit, signal);
      deleted += await this.deleteTombstones(gone.map((change) => change.tenantId), run.runId, signal);
    }
    return deleted + (await deleteRows(this.client('customerChanges'), changes.map((change) => customerChangeKey(run.runId, change.tenantId)), this.limit, signal));
  }

  /** The Customers table's rows of customers gone in this run, unless they came back since. */
  private async deleteTombstones(tenantIds: readonly string[], runId: string, signal: AbortSignal | undefined): Promise<number> {
    const customers = this.client('customers');
    let deleted = 0;
    for (const tenantId of tenantIds) {
      signal?.throwIfAborted();
      const { partitionKey, rowKey } = customerKey(tenantId);
      try {
        const row = await customers.getEntity<Record<string, unknown>>(partitionKey, rowKey);
        if (row.gone !== true || row.runId !== runId) continue;
        // Conditional: a run that lists the customer again meanwhile keeps its row.
        await customers.deleteEntity(partitionKey, rowKey, { etag: row.etag });
        deleted += 1;
      } catch (error) {
        if (!isNotFound(error) && !isConflict(error)) throw storageWriteFailure(customers.tableName, 'Deleting 1 row from', error);
      }
    }
    return deleted;
  }

  private client(name: 'runs' | 'customers' | 'customerChanges' | 'customerHistory'): TableClient {
    return this.tables.clientFor(name);
  }
}

/** One run's observations: a change point for each customer that differs from the state the last complete run left. */
class TableCustomerRecording implements CustomerRecording {
  /** Tenants this run has listed, to record those it no longer lists as gone. */
  private readonly seen = new Set<string>();
  /** This run's change points, applied from memory once it is complete. */
  private readonly changes: CustomerChange[] = [];
  /** Customers unchanged but for measures added since their state was recorded. */
  private readonly refreshed: CurrentCustomer[] = [];
  private readonly writer: BatchWriter;

  constructor(
    private readonly state: TableCustomerState,
    private readonly runId: string,
    /** Read beside the first page's fetch: the recording waits for it only when the first page arrives. */
    private readonly baseline: Promise<Map<string, CurrentCustomer>>,
    maxTransactionsInFlight: number,
  ) {
    baseline.catch(() => undefined);
    this.writer = new BatchWriter(maxTransactionsInFlight);
  }

  async observe(insights: readonly CustomerMfaInsight[]): Promise<void> {
    const baseline = await this.baseline;
    for (const insight of insights) {
      // Tenant ids are kept in lower case, as every key and lookup holds them.
      const tenantId = insight.tenantId.toLowerCase();
      const after = { ...insight, tenantId };
      this.seen.add(tenantId);
      const before = baseline.get(tenantId);
      if (insightChanged(before?.state ?? null, after, before?.version)) {
        await this.recordChange({ tenantId, before: before?.state ?? null, beforeRunId: before?.sinceRunId ?? null, beforeVersion: before?.version ?? measuresVersion, after });
      } else if (before !== undefined && before.version < measuresVersion) {
        this.refreshed.push({ ...before, state: after, version: measuresVersion });
      }
    }
  }

  private async recordChange(change: CustomerChange): Promise<void> {
    this.changes.push(change);
    await this.state.recordChange(this.runId, change, this.writer);
  }

  async close(): Promise<{ customerChanges: number; customersGone: number; entitiesWritten: number }> {
    let gone = 0;
    for (const [tenantId, customer] of await this.baseline) {
      if (customer.state === null || this.seen.has(tenantId)) continue;
      gone += 1;
      await this.recordChange({ tenantId, before: customer.state, beforeRunId: customer.sinceRunId, beforeVersion: customer.version, after: null });
    }
    await this.writer.flush();
    return { customerChanges: this.changes.length - gone, customersGone: gone, entitiesWritten: this.writer.entitiesWritten };
  }

  commit(): Promise<number> {
    return this.state.apply(this.runId, this.changes, this.refreshed);
  }

  abandon(): Promise<void> {
    return this.writer.abandon();
  }
}
