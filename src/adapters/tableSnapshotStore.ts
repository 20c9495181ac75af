import { odata, type TableClient, type TableEntity, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { composeChanges, customersDiffering, insightChanged, newerRun, type CustomerChange, type CustomerChangesBetween, type RunChanges } from '../core/customerChanges';
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
import type { Lease, LeaseName, SnapshotRunWriter, SnapshotStore } from '../ports';
import { CompleteRunFollowUpError, isRunId, runIdRange, type SnapshotRun, type SnapshotRunCounts } from '../core/snapshotRun';
import { BatchWriter, entityGroupTransactions } from './batchWriter';
import { describeStorageError, isConflict, isNotFound } from './storageErrors';
import { toTableKey } from './tableKey';
import { TableLease } from './tableLease';
import type { Tables } from './tables';
import { jsonField, readRow, requiredText, type UnreadableRowHandler } from './unreadableRows';
import {
  appliedRunKey,
  customerChangeKey,
  customerHistoryKey,
  customerKey,
  customerPartitionRange,
  fixedPartitions,
  principalKey,
  requirementRowKey,
  runPartitionRange,
  type TableName,
} from './tableLayout';

type Row = Record<string, unknown>;

/** Removes unknown (null) values: an absent property reads back as unknown. */
function defined(values: Row): Row {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== undefined));
}

function runEntity(run: SnapshotRun): TableEntity {
  return {
    partitionKey: run.source,
    rowKey: run.runId,
    ...defined({
      source: run.source,
      runId: run.runId,
      status: run.status,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      counts: JSON.stringify(run.counts),
      errorCode: run.errorCode,
      errorMessage: run.errorMessage?.slice(0, 2000),
      warnings: run.warnings.length > 0 ? JSON.stringify(run.warnings.map((warning) => warning.slice(0, 1000))) : null,
    }),
  };
}

/** The run the Customers table holds (null before the first), and the run being applied to it (null when none is). */
interface AppliedRun {
  runId: string | null;
  applying: string | null;
}

/** A customer as the Customers table holds it: its state (null: gone) and the run that first saw that state. */
export interface CurrentCustomer {
  tenantId: string;
  state: CustomerMfaInsight | null;
  sinceRunId: string;
}

/**
 * The customers' current state and its change points: the Customers table (one row per tenant,
 * the state of the newest applied run), the CustomerChanges table (each run's own change points,
 * written while it collects) and the CustomerHistory table (each customer's change points of
 * complete runs, one key range per customer).
 */
export class CustomerStateTables {
  constructor(private readonly tables: Tables) {}

  /** The run the Customers table holds, or null before the first run was applied. */
  async appliedRunId(): Promise<string | null> {
    return (await this.applied()).runId;
  }

  /** The run the Customers table holds, and the run being applied to it, if any (see apply). */
  async applied(): Promise<AppliedRun> {
    try {
      const row = await this.tables.clientFor('runs').getEntity<Row>(appliedRunKey.partitionKey, appliedRunKey.rowKey);
      return { runId: typeof row.runId === 'string' ? row.runId : null, applying: typeof row.applying === 'string' ? row.applying : null };
    } catch (error) {
      if (isNotFound(error)) return { runId: null, applying: null };
      throw error;
    }
  }

  /** Every row of the Customers table, tombstones included. */
  async current(onUnreadable?: UnreadableRowHandler): Promise<CurrentCustomer[]> {
    const filter = odata`PartitionKey ge ${customerPartitionRange.from} and PartitionKey le ${customerPartitionRange.to}`;
    const found: CurrentCustomer[] = [];
    for await (const row of this.tables.clientFor('customers').listEntities<Row>({ queryOptions: { filter } })) {
      const customer = readRow('customers', row, toCurrentCustomer, onUnreadable);
      if (customer !== undefined) found.push(customer);
    }
    return found;
  }

  /** The change points one run recorded. */
  async changesOf(runId: string): Promise<CustomerChange[]> {
    const { from, to } = runPartitionRange(runId);
    const filter = odata`PartitionKey ge ${from} and PartitionKey le ${to}`;
    const changes: CustomerChange[] = [];
    for await (const row of this.tables.clientFor('customerChanges').listEntities<Row>({ queryOptions: { filter } })) changes.push(toChange(row));
    return changes;
  }

  /**
   * The state at `runId` of every customer whose state there may differ from the Customers
   * table's (see customersDiffering), read from the change points of the complete runs between
   * the two; and of every customer a run being applied has changed, as its rows may hold either
   * state until that run is applied (its invocation stopped midway: its source's next run does it).
   */
  async differingAt({ runId: appliedRunId, applying }: AppliedRun, runId: string, completeRuns: () => Promise<SnapshotRun[]>): Promise<Map<string, CustomerMfaInsight | null>> {
    const halfApplied = applying === null ? [] : (await this.changesOf(applying)).map((change) => [change.tenantId, change.before] as const);
    if (appliedRunId === runId) return new Map(halfApplied);
    const lower = appliedRunId === null || runId < appliedRunId ? runId : appliedRunId;
    const upper = appliedRunId === null || runId < appliedRunId ? appliedRunId : runId;
    const between = (await completeRuns()).filter((run) => run.runId >= lower && (upper === null || run.runId <= upper));
    const runs: RunChanges[] = await Promise.all(between.map(async (run) => ({ runId: run.runId, changes: await this.changesOf(run.runId) })));
    // Its changes between the two win: they include the half-applied run's when `runId` is that run or a newer one.
    return new Map([...halfApplied, ...customersDiffering(appliedRunId, runId, runs)]);
  }

  /** Deletes a run's change records: a run collected again under its id (after it failed or was abandoned) records its own. */
  async clearChanges(runId: string): Promise<void> {
    const table = this.tables.clientFor('customerChanges');
    const { from, to } = runPartitionRange(runId);
    const deletes: TransactionAction[] = [];
    for await (const row of table.listEntities({ queryOptions: { filter: odata`PartitionKey ge ${from} and PartitionKey le ${to}`, select: ['PartitionKey', 'RowKey'] } })) {
      deletes.push(['delete', { partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '' }]);
    }
    for (const transaction of entityGroupTransactions(deletes)) await table.submitTransaction(transaction);
  }

  /** Records one change point of a run in its change records (applied once the run is complete). */
  async recordChange(runId: string, change: CustomerChange, writer: BatchWriter): Promise<void> {
    await writer.upsert(this.tables.clientFor('customerChanges'), {
      ...customerChangeKey(runId, change.tenantId),
      tenantId: change.tenantId,
      ...defined({
        before: change.before === null ? null : JSON.stringify(withoutTenant(change.before)),
        beforeRunId: change.beforeRunId,
        after: change.after === null ? null : JSON.stringify(withoutTenant(change.after)),
      }),
    });
  }

  /**
   * Applies one complete run's change points: each to its customer's history and to the Customers
   * table, then records the run as applied. Safe to repeat; runs are applied oldest first, so a
   * newer state is never overwritten by an older one. The run is named `applying` first, so a
   * read while it is half applied (or after its invocation stopped midway) sets those rows from
   * its change records, and never serves half of it.
   */
  async apply(runId: string, writer: BatchWriter, recorded?: readonly CustomerChange[]): Promise<number> {
    // The run that recorded them passes its changes; a run finished later reads them back.
    const changes = recorded ?? (await this.changesOf(runId));
    await this.tables.clientFor('runs').upsertEntity({ ...appliedRunKey, applying: runId }, 'Merge');
    const history = this.tables.clientFor('customerHistory');
    const customers = this.tables.clientFor('customers');
    for (const change of changes) {
      const point = change.after === null ? { gone: true } : { point: JSON.stringify(change.after) };
      await writer.upsert(history, { ...customerHistoryKey(change.tenantId, runId), tenantId: change.tenantId, runId, ...point });
      await writer.upsert(customers, {
        ...customerKey(change.tenantId),
        runId,
        ...(change.after === null ? { tenantId: change.tenantId, gone: true } : defined({ ...change.after })),
      });
    }
    await writer.flush();
    await this.tables.clientFor('runs').upsertEntity({ ...appliedRunKey, runId, appliedAt: new Date().toISOString() }, 'Replace');
    return changes.length;
  }

  /**
   * Applies every complete run newer than the one the Customers table holds, oldest first: what a
   * run that completed but stopped before applying (killed, or its storage failing) left undone.
   * Only the next run of the source does this, under its lease: a read never writes.
   */
  async applyPending(maxTransactionsInFlight: number): Promise<string[]> {
    const applied = await this.appliedRunId();
    const pending = (await listRunsOf(this.tables, 'partnerSecurity', { status: 'complete', ...(applied === null ? {} : { newerThan: applied }) })).reverse();
    for (const run of pending) await this.apply(run.runId, new BatchWriter(maxTransactionsInFlight));
    return pending.map((run) => run.runId);
  }
}

function toCurrentCustomer(row: Row): CurrentCustomer {
  const tenantId = requiredText('customers', row, 'tenantId');
  return { tenantId, sinceRunId: requiredText('customers', row, 'runId'), state: row.gone === true ? null : toCustomer(row) };
}

function toChange(row: Row): CustomerChange {
  const tenantId = requiredText('customerChanges', row, 'tenantId');
  const before = jsonField<Row | null>('customerChanges', row, 'before', null);
  const after = jsonField<Row | null>('customerChanges', row, 'after', null);
  return {
    tenantId,
    before: before === null ? null : toCustomer({ ...before, tenantId }),
    beforeRunId: typeof row.beforeRunId === 'string' ? row.beforeRunId : null,
    after: after === null ? null : toCustomer({ ...after, tenantId }),
  };
}

export class TableSnapshotStore implements SnapshotStore {
  private readonly customerState: CustomerStateTables;

  constructor(
    private readonly tables: Tables,
    private readonly options: { maxTransactionsInFlight: number } = { maxTransactionsInFlight: 8 },
  ) {
    this.customerState = new CustomerStateTables(tables);
  }

  async openRun(source: SnapshotSource, runId: string, startedAt: Date): Promise<SnapshotRunWriter> {
    if (!isRunId(runId)) throw new MonitorError('InvalidRunId', 'A run id must be 13 digits, a dash and 6-16 lowercase letters or digits');
    const runs = await this.tables.client('runs');
    if (source === 'partnerSecurity') await this.startAfresh(runId);
    const run: SnapshotRun = {
      source,
      runId,
      status: 'running',
      startedAt: startedAt.toISOString(),
      finishedAt: null,
      counts: {},
      errorCode: null,
      errorMessage: null,
      warnings: [],
    };
    const opened = await runs.upsertEntity(runEntity(run), 'Replace');
    let baseline: Promise<Map<string, CurrentCustomer>> | null = null;
    if (source === 'partnerSecurity') {
      // A run compares with the state the newest complete run left: finish applying it first.
      // Read beside the first page's fetch: the writer waits for it only when the first page arrives.
      baseline = (async () => {
        await this.customerState.applyPending(this.options.maxTransactionsInFlight);
        return new Map((await this.customerState.current()).map((customer) => [customer.tenantId, customer]));
      })();
      baseline.catch(() => undefined);
    }
    return new TableSnapshotRunWriter(this.tables, this.customerState, runs, { run, etag: opened.etag ?? '*' }, new BatchWriter(this.options.maxTransactionsInFlight), baseline, this.options.maxTransactionsInFlight);
  }

  /**
   * A run id collected again: a complete run is what it saw and stays so (its change points are
   * history, and later runs were compared with it), so it is refused; a run that failed or was
   * abandoned leaves change records that the new attempt must not inherit.
   */
  private async startAfresh(runId: string): Promise<void> {
    let existing: SnapshotRun | null = null;
    try {
      existing = toRun(await this.tables.clientFor('runs').getEntity<Row>('partnerSecurity', runId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (existing === null) return;
    if (existing.status === 'complete') {
      throw new MonitorError('RunAlreadyComplete', `partnerSecurity run ${runId} is already complete: what it saw is kept as it was; collect a new run instead (without --run-id)`);
    }
    await this.customerState.clearChanges(runId);
  }

  lease(name: LeaseName): Lease {
    return new TableLease(this.tables, name);
  }

  async markAbandonedRuns(source: SnapshotSource, startedBefore: Date, reason: string, markedAt: Date): Promise<SnapshotRun[]> {
    const runs = await this.tables.client('runs');
    // Older runs have larger keys: from the cut-off on is every run started before it.
    const { lowest } = runIdRange(undefined, startedBefore);
    const filter = odata`PartitionKey eq ${source} and RowKey ge ${lowest} and status eq ${'running'}`;
    const marked: SnapshotRun[] = [];
    for await (const entity of runs.listEntities<Row>({ queryOptions: { filter } })) {
      const run = readRow('runs', entity, toRun, () => undefined);
      // A run re-run under an old id keeps that id's key but starts anew: its start time decides.
      if (run === undefined || !(Date.parse(run.startedAt) < startedBefore.getTime())) continue;
      const abandoned: SnapshotRun = { ...run, status: 'failed', finishedAt: markedAt.toISOString(), errorCode: 'Abandoned', errorMessage: reason };
      try {
        // Conditional: a run that records its own end meanwhile keeps it.
        await runs.updateEntity(runEntity(abandoned), 'Replace', { etag: entity.etag });
        marked.push(abandoned);
      } catch (error) {
        if (!isConflict(error) && !isNotFound(error)) throw error;
      }
    }
    return marked;
  }
}

class TableSnapshotRunWriter implements SnapshotRunWriter {
  /** Tenants this run has listed, to record those it no longer lists as gone. */
  private readonly seen = new Set<string>();
  /** This run's change points, applied from memory once it is complete. */
  private readonly changes: CustomerChange[] = [];

  constructor(
    private readonly tables: Tables,
    private readonly customerState: CustomerStateTables,
    private readonly runs: TableClient,
    /** The ledger row as this attempt wrote it: only that row may be finished, and only once. */
    private readonly opened: { run: SnapshotRun; etag: string },
    private readonly writer: BatchWriter,
    private readonly baseline: Promise<Map<string, CurrentCustomer>> | null,
    private readonly maxTransactionsInFlight: number,
  ) {}

  private get run(): SnapshotRun {
    return this.opened.run;
  }

  get runId(): string {
    return this.run.runId;
  }

  /** Records a change point for each customer whose insight differs from the state the last complete run left. */
  async addCustomerInsights(insights: readonly CustomerMfaInsight[]): Promise<void> {
    const baseline = await this.currentState();
    for (const insight of insights) {
      const tenantId = insight.tenantId.toLowerCase();
      this.seen.add(tenantId);
      const before = baseline.get(tenantId);
      if (!insightChanged(before?.state ?? null, insight)) continue;
      // Tenant ids are kept in lower case, as every key and lookup holds them.
      await this.recordChange({ tenantId, before: before?.state ?? null, beforeRunId: before?.sinceRunId ?? null, after: { ...insight, tenantId } });
    }
  }

  private async currentState(): Promise<Map<string, CurrentCustomer>> {
    if (this.baseline === null) throw new MonitorError('InvalidRun', `a ${this.run.source} run does not collect customers`);
    return this.baseline;
  }

  private async recordChange(change: CustomerChange): Promise<void> {
    this.changes.push(change);
    await this.customerState.recordChange(this.runId, change, this.writer);
  }

  async addRequirements(requirements: readonly SecurityRequirement[]): Promise<void> {
    const table = await this.tables.client('requirements');
    for (const requirement of requirements) {
      await this.writer.upsert(table, {
        partitionKey: fixedPartitions.requirements,
        rowKey: requirementRowKey(this.runId, requirement.requirementType),
        runId: this.runId,
        ...defined({ ...requirement }),
      });
    }
  }

  async putScore(score: PartnerSecurityScore): Promise<void> {
    const table = await this.tables.client('scores');
    await this.writer.upsert(table, { partitionKey: fixedPartitions.scores, rowKey: this.runId, runId: this.runId, ...defined({ ...score }) });
  }

  async addScoreHistory(entries: readonly ScoreHistoryEntry[]): Promise<void> {
    const table = await this.tables.client('scoreHistory');
    for (const entry of entries) {
      await this.writer.upsert(table, {
        partitionKey: fixedPartitions.scoreHistory,
        rowKey: toTableKey(entry.createdDateTime),
        lastSeenRunId: this.runId,
        ...defined({ ...entry }),
      });
    }
  }

  async addNonMfaPrincipals(principals: readonly NonMfaPrincipal[]): Promise<void> {
    const table = await this.tables.client('principals');
    for (const principal of principals) {
      await this.writer.upsert(table, { ...principalKey(this.runId, principal.objectId, principal.lastNonMfaRequestDateTime), ...defined({ ...principal }) });
    }
  }

  async putRegistrationCounts(counts: RegistrationCounts, fallbackReason: string | null): Promise<void> {
    const table = await this.tables.client('registrations');
    await this.writer.upsert(table, {
      partitionKey: fixedPartitions.registrations,
      rowKey: this.runId,
      runId: this.runId,
      ...defined({
        report: counts.report,
        totalUserCount: counts.totalUserCount,
        mfaRegisteredUserCount: counts.mfaRegisteredUserCount,
        countsByStatus: JSON.stringify(counts.countsByStatus),
        fallbackReason,
      }),
    });
  }

  /**
   * Records the customers this run no longer lists as gone, flushes every write, marks the run
   * complete, then applies its change points (history and current state). A failure while
   * applying leaves the run complete: the next run of the source finishes it first.
   */
  async complete(counts: SnapshotRunCounts, warnings: readonly string[] = []): Promise<SnapshotRun> {
    let gone = 0;
    if (this.baseline !== null && counts.customers !== undefined) {
      for (const [tenantId, customer] of await this.baseline) {
        if (customer.state === null || this.seen.has(tenantId)) continue;
        gone += 1;
        await this.recordChange({ tenantId, before: customer.state, beforeRunId: customer.sinceRunId, after: null });
      }
    }
    await this.writer.flush();
    const changes: SnapshotRunCounts = this.baseline === null ? {} : { customerChanges: this.changes.length - gone, customersGone: gone };
    const run = await this.finish({ status: 'complete', counts: { ...counts, ...changes, entitiesWritten: this.writer.entitiesWritten }, warnings: [...warnings] });
    if (this.baseline !== null) {
      const applying = new BatchWriter(this.maxTransactionsInFlight);
      try {
        await this.customerState.apply(this.runId, applying, this.changes);
      } catch (error) {
        throw new CompleteRunFollowUpError(
          `the run is complete, but applying its ${this.changes.length} change points to the customers' current state failed (${error instanceof MonitorError ? error.message : describeStorageError(error)}): the next partnerSecurity run finishes it`,
          { cause: error },
        );
      }
      return { ...run, counts: { ...run.counts, entitiesWritten: this.writer.entitiesWritten + applying.entitiesWritten } };
    }
    return run;
  }

  async fail(error: { code: string; message: string }, counts: SnapshotRunCounts): Promise<SnapshotRun> {
    await this.writer.abandon();
    return this.finish({ status: 'failed', counts, errorCode: error.code, errorMessage: error.message });
  }

  /**
   * Ends the run's ledger row, conditional on the row this attempt opened: `complete` and `fail`
   * (or another process's `Abandoned`) can be in flight together when storage stalls at the
   * deadline, and whichever the service applies first must be the only one.
   */
  private async finish(update: Partial<SnapshotRun>): Promise<SnapshotRun> {
    const finished: SnapshotRun = { ...this.run, ...update, finishedAt: new Date().toISOString() };
    try {
      await this.runs.updateEntity(runEntity(finished), 'Replace', { etag: this.opened.etag });
    } catch (error) {
      if (!isConflict(error) && !isNotFound(error)) throw error;
      throw new MonitorError('RunAlreadyFinished', `run ${this.run.runId} was not recorded ${finished.status}: its ledger row was already ended (by this attempt's other outcome, or marked abandoned)`, { cause: error });
    }
    return finished;
  }
}

function withoutTenant({ tenantId: _tenantId, ...insight }: CustomerMfaInsight): Row {
  return defined(insight);
}

/** Runs of a source, newest first; `newerThan` keeps those started after that run. */
async function listRunsOf(
  tables: Tables,
  source: SnapshotSource,
  options: { top?: number; status?: SnapshotRun['status']; from?: Date; to?: Date; newerThan?: string; onUnreadable?: UnreadableRowHandler },
): Promise<SnapshotRun[]> {
  const runs = await tables.client('runs');
  const range = runIdRange(options.from, options.to);
  const highest = options.newerThan !== undefined && options.newerThan < range.highest ? options.newerThan : range.highest;
  const below = options.newerThan !== undefined && options.newerThan < range.highest;
  const keys = below
    ? odata`PartitionKey eq ${source} and RowKey ge ${range.lowest} and RowKey lt ${highest}`
    : odata`PartitionKey eq ${source} and RowKey ge ${range.lowest} and RowKey le ${highest}`;
  const filter = options.status === undefined ? keys : `${keys} and ${odata`status eq ${options.status}`}`;
  const found: SnapshotRun[] = [];
  // Ask for no more than wanted: the ledger keeps every run of the retention period.
  for await (const page of runs.listEntities<Row>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(options.top ?? 1000, 1000) })) {
    for (const entity of page) {
      const run = readRow('runs', entity, toRun, options.onUnreadable);
      if (run !== undefined) found.push(run);
      if (options.top !== undefined && found.length >= options.top) return found;
    }
  }
  return found;
}

/** Reads snapshots back, using only point, partition and key-range queries. */
export class TableSnapshotReader {
  readonly customerState: CustomerStateTables;

  constructor(private readonly tables: Tables) {
    this.customerState = new CustomerStateTables(tables);
  }

  async getRun(source: SnapshotSource, runId: string): Promise<SnapshotRun | null> {
    const runs = await this.tables.client('runs');
    try {
      return toRun(await runs.getEntity<Row>(source, runId));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Newest first. A ledger row that cannot be read fails the read, unless `onUnreadable` takes it. */
  listRuns(
    source: SnapshotSource,
    options: { top?: number; status?: SnapshotRun['status']; from?: Date; to?: Date; onUnreadable?: UnreadableRowHandler } = {},
  ): Promise<SnapshotRun[]> {
    return listRunsOf(this.tables, source, options);
  }

  async latestCompleteRun(source: SnapshotSource): Promise<SnapshotRun | null> {
    return (await this.listRuns(source, { status: 'complete', top: 1 }))[0] ?? null;
  }

  /**
   * Every customer as run `runId` saw it: the Customers table, with the change points of the
   * complete runs between the run it holds and `runId` laid over it: none for the run it holds,
   * those of a newer run whose invocation stopped before applying them (its source's next run does).
   */
  async customersOfRun(runId: string): Promise<CustomerMfaInsight[]> {
    const [applied, current] = await Promise.all([this.customerState.applied(), this.customerState.current()]);
    const differing = await this.customerState.differingAt(applied, runId, () => this.listRuns('partnerSecurity', { status: 'complete' }));
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
   * The customers whose state differs between complete runs `fromRunId` and `toRunId` (see
   * CustomerChangesBetween), composed from the change records of every complete run after
   * `fromRunId` up to `toRunId`: one ledger range and one key range per run, so the rows read
   * follow what changed, not how many customers there are. Retention deletes a run's ledger row
   * last and the oldest run first, so while `fromRunId` is listed complete every later run is
   * whole; when it is not (pruned, null on a first look, or not older than `toRunId`), the
   * answer compares with nothing: every customer at `toRunId`, before null.
   */
  async customerChangesBetween(fromRunId: string | null, toRunId: string): Promise<CustomerChangesBetween> {
    if (fromRunId === toRunId) return { fromRunId, changes: [] };
    const runs = fromRunId === null || newerRun(fromRunId, toRunId) ? [] : await this.completeRunsBetween(toRunId, fromRunId);
    if (fromRunId === null || runs[runs.length - 1]?.runId !== fromRunId) {
      const customers = await this.customersOfRun(toRunId);
      return { fromRunId: null, changes: customers.map((after) => ({ tenantId: after.tenantId, before: null, beforeRunId: null, after })) };
    }
    const later = runs.filter((run) => run.runId !== fromRunId);
    const changes = await Promise.all(later.map(async (run): Promise<RunChanges> => ({ runId: run.runId, changes: await this.customerState.changesOf(run.runId) })));
    return { fromRunId, changes: composeChanges(changes) };
  }

  /** The complete partnerSecurity runs from `newest` to `oldest`, both included, newest first: one RowKey range of the ledger. */
  private async completeRunsBetween(newest: string, oldest: string): Promise<SnapshotRun[]> {
    const filter = odata`PartitionKey eq ${'partnerSecurity'} and RowKey ge ${newest} and RowKey le ${oldest} and status eq ${'complete'}`;
    const runs: SnapshotRun[] = [];
    for await (const row of this.tables.clientFor('runs').listEntities<Row>({ queryOptions: { filter } })) runs.push(toRun(row));
    return runs;
  }

  async requirementsOfRun(runId: string): Promise<SecurityRequirement[]> {
    const table = await this.tables.client('requirements');
    const filter = odata`PartitionKey eq ${fixedPartitions.requirements} and RowKey gt ${`${runId}_`} and RowKey lt ${`${runId}_~`}`;
    const rows: SecurityRequirement[] = [];
    for await (const entity of table.listEntities<Row>({ queryOptions: { filter } })) rows.push(toRequirement(entity));
    return rows;
  }

  async scoreOfRun(runId: string): Promise<PartnerSecurityScore | null> {
    const row = await this.point('scores', fixedPartitions.scores, runId);
    return row === null ? null : (pick(row, ['id', 'currentScore', 'maxScore', 'lastRefreshDateTime', 'updatedDateTime']) as unknown as PartnerSecurityScore);
  }

  async scoreHistory(): Promise<ScoreHistoryEntry[]> {
    const table = await this.tables.client('scoreHistory');
    const rows: ScoreHistoryEntry[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter: odata`PartitionKey eq ${fixedPartitions.scoreHistory}` } })) {
      rows.push(pick(row, ['id', 'createdDateTime', 'score', 'compliantRequirementsCount', 'totalRequirementsCount']) as unknown as ScoreHistoryEntry);
    }
    return rows;
  }

  async principalsOfRun(runId: string): Promise<NonMfaPrincipal[]> {
    const table = await this.tables.client('principals');
    const { from, to } = runPartitionRange(runId);
    const rows: NonMfaPrincipal[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter: odata`PartitionKey ge ${from} and PartitionKey le ${to}` } })) {
      rows.push(pick(row, ['objectId', 'tenantId', 'upn', 'lastNonMfaRequestDateTime']) as unknown as NonMfaPrincipal);
    }
    return rows;
  }

  async registrationCountsOfRun(runId: string): Promise<(RegistrationCounts & { fallbackReason: string | null }) | null> {
    const row = await this.point('registrations', fixedPartitions.registrations, runId);
    if (row === null) return null;
    return {
      report: row.report as RegistrationCounts['report'],
      totalUserCount: numberOrNull(row.totalUserCount),
      mfaRegisteredUserCount: numberOrNull(row.mfaRegisteredUserCount),
      countsByStatus: JSON.parse(String(row.countsByStatus ?? '{}')) as Record<string, number>,
      fallbackReason: typeof row.fallbackReason === 'string' ? row.fallbackReason : null,
    };
  }

  private async point(name: TableName, partitionKey: string, rowKey: string): Promise<TableEntityResult<Row> | null> {
    const table = await this.tables.client(name);
    try {
      return await table.getEntity<Row>(partitionKey, rowKey);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

function pick(row: Row, fields: string[]): Row {
  return Object.fromEntries(fields.map((field) => [field, row[field] ?? null]));
}

function toRun(row: Row): SnapshotRun {
  return {
    source: row.source as SnapshotSource,
    runId: requiredText('runs', row, 'runId'),
    status: requiredText('runs', row, 'status') as SnapshotRun['status'],
    startedAt: requiredText('runs', row, 'startedAt'),
    finishedAt: typeof row.finishedAt === 'string' ? row.finishedAt : null,
    counts: jsonField<SnapshotRunCounts>('runs', row, 'counts', {}),
    errorCode: typeof row.errorCode === 'string' ? row.errorCode : null,
    errorMessage: typeof row.errorMessage === 'string' ? row.errorMessage : null,
    warnings: jsonField<string[]>('runs', row, 'warnings', []),
  };
}

/** The stored fields of a customer insight, also the `$select` of reads that want nothing else. */
export const customerFieldNames: (keyof CustomerMfaInsight)[] = [
  'tenantId',
  'compliantAdminsCount',
  'compliantNonAdminsCount',
  'totalUsersCount',
  'securityDefaultsStatus',
  'mfaConditionalAccessPolicyStatus',
  'legacyPerUserMfaStatus',
];

/** A stored row (or history point) as an insight: one object literal, as it is built for every row read. */
export function toCustomer(row: Row): CustomerMfaInsight {
  return {
    tenantId: String(row.tenantId),
    compliantAdminsCount: (row.compliantAdminsCount ?? null) as CustomerMfaInsight['compliantAdminsCount'],
    compliantNonAdminsCount: (row.compliantNonAdminsCount ?? null) as CustomerMfaInsight['compliantNonAdminsCount'],
    totalUsersCount: (row.totalUsersCount ?? null) as CustomerMfaInsight['totalUsersCount'],
    securityDefaultsStatus: (row.securityDefaultsStatus ?? null) as CustomerMfaInsight['securityDefaultsStatus'],
    mfaConditionalAccessPolicyStatus: (row.mfaConditionalAccessPolicyStatus ?? null) as CustomerMfaInsight['mfaConditionalAccessPolicyStatus'],
    legacyPerUserMfaStatus: (row.legacyPerUserMfaStatus ?? null) as CustomerMfaInsight['legacyPerUserMfaStatus'],
  };
}

const requirementFieldNames: (keyof SecurityRequirement)[] = [
  'requirementType', 'kind', 'odataType', 'id', 'complianceStatus', 'state', 'score', 'maxScore', 'actionUrl', 'helpUrl',
  'updatedDateTime', 'totalTenantCount', 'compliantTenantCount', 'totalAdminsCount', 'adminsRequiredNotUsingMfaCount',
  'mfaEnabledAdminsCount', 'totalUsersCount', 'usersRequiredNotUsingMfaCount', 'mfaEnabledUsersCount', 'compliantUsersCount',
  'incompleteRegistrationUsersCount', 'totalCustomersCount', 'customersWithSpendBudgetCount', 'averageResponseTimeInHours',
  'securityDefaultsStatus', 'mfaConditionalAccessPolicyStatus', 'perUserMfaStatus',
];

export function toRequirement(row: Row): SecurityRequirement {
  return pick(row, requirementFieldNames) as unknown as SecurityRequirement;
}
