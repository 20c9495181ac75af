import { odata, type TableEntity } from '@azure/data-tables';
import { MonitorError } from '../core/errors';
import { snapshotSources, type SnapshotSource } from '../core/model';
import { runIdRange, type SnapshotRun, type SnapshotRunCounts } from '../core/snapshotRun';
import { isConflict, isNotFound } from './storageErrors';
import type { Tables } from './tables';
import { jsonField, oneOf, optionalText, readRow, requiredText, type UnreadableRowHandler } from './unreadableRows';

/** A run's ledger row (the Runs table, partition = its source, row key = its run id); absent fields are unknown. */
interface RunRow {
  source: SnapshotSource;
  runId: string;
  status: SnapshotRun['status'];
  startedAt: string;
  finishedAt?: string;
  counts: string;
  errorCode?: string;
  errorMessage?: string;
  warnings?: string;
}

const runStatuses: readonly SnapshotRun['status'][] = ['running', 'complete', 'failed'];

function toRow(run: SnapshotRun): TableEntity<RunRow> {
  return {
    partitionKey: run.source,
    rowKey: run.runId,
    source: run.source,
    runId: run.runId,
    status: run.status,
    startedAt: run.startedAt,
    counts: JSON.stringify(run.counts),
    ...(run.finishedAt === null ? {} : { finishedAt: run.finishedAt }),
    ...(run.errorCode === null ? {} : { errorCode: run.errorCode }),
    ...(run.errorMessage === null ? {} : { errorMessage: run.errorMessage.slice(0, 2000) }),
    ...(run.warnings.length === 0 ? {} : { warnings: JSON.stringify(run.warnings.map((warning) => warning.slice(0, 1000))) }),
  };
}

function fromRow(row: Record<string, unknown>): SnapshotRun {
  return {
    source: oneOf('runs', row, 'source', snapshotSources),
    runId: requiredText('runs', row, 'runId'),
    status: oneOf('runs', row, 'status', runStatuses),
    startedAt: requiredText('runs', row, 'startedAt'),
    finishedAt: optionalText(row, 'finishedAt'),
    counts: jsonField<SnapshotRunCounts>('runs', row, 'counts', {}),
    errorCode: optionalText(row, 'errorCode'),
    errorMessage: optionalText(row, 'errorMessage'),
    warnings: jsonField<string[]>('runs', row, 'warnings', []),
  };
}

export interface RunListing {
  top?: number;
  status?: SnapshotRun['status'];
  from?: Date;
  to?: Date;
  /** Only runs started after this run. */
  newerThan?: string;
  onUnreadable?: UnreadableRowHandler;
}

/**
 * The run ledger: one row per run of each source, newest first (run ids sort that way). A run's
 * rows are data only once its ledger row says `complete`; every write of an end is conditional
 * on the row as its writer opened it, so two outcomes of one run can never both be recorded.
 */
export class TableRunLedger {
  constructor(private readonly tables: Tables) {}

  async get(source: SnapshotSource, runId: string): Promise<SnapshotRun | null> {
    try {
      return fromRow(await (await this.tables.client('runs')).getEntity<Record<string, unknown>>(source, runId));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Runs of a source, newest first. A row that cannot be read fails the listing, unless `onUnreadable` takes it. */
  async list(source: SnapshotSource, options: RunListing = {}): Promise<SnapshotRun[]> {
    const runs = await this.tables.client('runs');
    const range = runIdRange(options.from, options.to);
    const below = options.newerThan !== undefined && options.newerThan < range.highest;
    const keys = below
      ? odata`PartitionKey eq ${source} and RowKey ge ${range.lowest} and RowKey lt ${options.newerThan}`
      : odata`PartitionKey eq ${source} and RowKey ge ${range.lowest} and RowKey le ${range.highest}`;
    const filter = options.status === undefined ? keys : `${keys} and ${odata`status eq ${options.status}`}`;
    const found: SnapshotRun[] = [];
    // Ask for no more than wanted: the ledger keeps every run of the retention period.
    for await (const page of runs.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(options.top ?? 1000, 1000) })) {
      for (const entity of page) {
        const run = readRow('runs', entity, fromRow, options.onUnreadable);
        if (run !== undefined) found.push(run);
        if (options.top !== undefined && found.length >= options.top) return found;
      }
    }
    return found;
  }

  /** The complete runs of `source` from `newest` to `oldest`, both included, newest first: one key range. */
  async completeBetween(source: SnapshotSource, newest: string, oldest: string): Promise<SnapshotRun[]> {
    const filter = odata`PartitionKey eq ${source} and RowKey ge ${newest} and RowKey le ${oldest} and status eq ${'complete'}`;
    const found: SnapshotRun[] = [];
    for await (const row of (await this.tables.client('runs')).listEntities<Record<string, unknown>>({ queryOptions: { filter } })) found.push(fromRow(row));
    return found;
  }

  /** Writes a run's opening row, replacing a failed attempt's; answers the row's ETag, which ending it requires. */
  async open(run: SnapshotRun): Promise<string> {
    return (await (await this.tables.client('runs')).upsertEntity(toRow(run), 'Replace')).etag ?? '*';
  }

  /**
   * Ends a run, conditional on the row its attempt opened (`etag`): `complete` and `fail` (or
   * another process's `Abandoned`) can be in flight together when storage stalls at the
   * deadline, and whichever the service applies first must be the only one.
   */
  async finish(run: SnapshotRun, etag: string): Promise<void> {
    try {
      await (await this.tables.client('runs')).updateEntity(toRow(run), 'Replace', { etag });
    } catch (error) {
      if (!isConflict(error) && !isNotFound(error)) throw error;
      throw new MonitorError('RunAlreadyFinished', `run ${run.runId} was not recorded ${run.status}: its ledger row was already ended (by this attempt's other outcome, or marked abandoned)`, { cause: error });
    }
  }

  /**
   * Records as `failed` (code `Abandoned`, with `reason`) every run of `source` still `running`
   * that started before `startedBefore`, unless its row changed meanwhile; returns those marked.
   */
  async markAbandoned(source: SnapshotSource, startedBefore: Date, reason: string, markedAt: Date): Promise<SnapshotRun[]> {
    const runs = await this.tables.client('runs');
    // Older runs have larger keys: from the cut-off on is every run started before it.
    const { lowest } = runIdRange(undefined, startedBefore);
    const filter = odata`PartitionKey eq ${source} and RowKey ge ${lowest} and status eq ${'running'}`;
    const marked: SnapshotRun[] = [];
    for await (const entity of runs.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const run = readRow('runs', entity, fromRow, () => undefined);
      // A run re-run under an old id keeps that id's key but starts anew: its start time decides.
      if (run === undefined || !(Date.parse(run.startedAt) < startedBefore.getTime())) continue;
      const abandoned: SnapshotRun = { ...run, status: 'failed', finishedAt: markedAt.toISOString(), errorCode: 'Abandoned', errorMessage: reason };
      try {
        // Conditional: a run that records its own end meanwhile keeps it.
        await runs.updateEntity(toRow(abandoned), 'Replace', { etag: entity.etag });
        marked.push(abandoned);
      } catch (error) {
        if (!isConflict(error) && !isNotFound(error)) throw error;
      }
    }
    return marked;
  }
}
