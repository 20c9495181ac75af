import { odata, type TableClient, type TableEntity } from '@azure/data-tables';
import { MonitorError } from '../core/errors';
import { snapshotSources, type SnapshotSource } from '../core/model';
import { runIdRange, type SnapshotRun, type SnapshotRunCounts } from '../core/snapshotRun';
import type { UnreadableRowSink } from '../ports/queryReader';
import { isConflict, isNotFound, unlessRefused } from './storageErrors';
import type { Tables } from './tables';
import { jsonField, oneOf, optionalText, requiredText } from './unreadableRows';

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

interface RunListing {
  top?: number;
  status?: SnapshotRun['status'];
  from?: Date;
  to?: Date;
  /** Run ids from `lowest` (newest) to `highest` (oldest), both included, instead of `from` and `to`. */
  between?: { lowest: string; highest: string };
  onUnreadable?: UnreadableRowSink;
}

/**
 * The run ledger: one row per run of each source, newest first (run ids sort that way). A run's
 * rows are data only once its ledger row says `complete`; every write of an end is conditional
 * on the row as its writer opened it, so two outcomes of one run can never both be recorded.
 */
export class TableRunLedger {
  constructor(private readonly tables: Tables) {}

  get(source: SnapshotSource, runId: string): Promise<SnapshotRun | null> {
    return this.tables.point('runs', { partitionKey: source, rowKey: runId }, fromRow);
  }

  /** A run's row with the ETag a conditional write of it needs: how a run ended elsewhere than where it began (the customer-admin scan) is written. */
  async read(source: SnapshotSource, runId: string): Promise<{ run: SnapshotRun; etag: string } | null> {
    return this.tables.point('runs', { partitionKey: source, rowKey: runId }, (row) => ({ run: fromRow(row), etag: row.etag }));
  }

  /** Replaces a run's row if it is still the version read (`etag`): its new ETag, or null when another writer changed it first. */
  async replaceIfUnchanged(run: SnapshotRun, etag: string): Promise<string | null> {
    const response = await unlessRefused(this.runs.updateEntity(toRow(run), 'Replace', { etag }), 404, 409, 412);
    return response === null ? null : (response.etag ?? '*');
  }

  /** Runs of a source, newest first: one key range. A row that cannot be read fails the listing, unless `onUnreadable` takes it. */
  list(source: SnapshotSource, options: RunListing = {}): Promise<SnapshotRun[]> {
    const { lowest, highest } = options.between ?? runIdRange(options.from, options.to);
    const keys = odata`PartitionKey eq ${source} and RowKey ge ${lowest} and RowKey le ${highest}`;
    const filter = options.status === undefined ? keys : `${keys} and ${odata`status eq ${options.status}`}`;
    // `top` asks for no more than wanted: the ledger keeps every run of the retention period.
    return this.tables.rows('runs', { filter }, fromRow, options);
  }

  /** Writes a run's opening row, replacing a failed attempt's; answers the row's ETag, which ending it requires. */
  async open(run: SnapshotRun): Promise<string> {
    return (await this.runs.upsertEntity(toRow(run), 'Replace')).etag ?? '*';
  }

  /**
   * Ends a run, conditional on the row its attempt opened (`etag`): `complete` and `fail` (or
   * another process's `Abandoned`) can be in flight together when storage stalls at the
   * deadline, and whichever the service applies first must be the only one.
   */
  async finish(run: SnapshotRun, etag: string): Promise<void> {
    try {
      await this.runs.updateEntity(toRow(run), 'Replace', { etag });
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
    // Older runs have larger keys: from the cut-off on is every run started before it.
    const { lowest } = runIdRange(undefined, startedBefore);
    const filter = odata`PartitionKey eq ${source} and RowKey ge ${lowest} and status eq ${'running'}`;
    const running = await this.tables.rows('runs', { filter }, (row) => ({ run: fromRow(row), etag: row.etag }), { onUnreadable: () => undefined });
    const marked: SnapshotRun[] = [];
    // A run re-run under an old id keeps that id's key but starts anew: its start time decides.
    for (const { run, etag } of running.filter(({ run }) => Date.parse(run.startedAt) < startedBefore.getTime())) {
      const abandoned: SnapshotRun = { ...run, status: 'failed', finishedAt: markedAt.toISOString(), errorCode: 'Abandoned', errorMessage: reason };
      // Conditional: a run that records its own end meanwhile keeps it.
      if ((await unlessRefused(this.runs.updateEntity(toRow(abandoned), 'Replace', { etag }), 404, 409, 412)) !== null) marked.push(abandoned);
    }
    return marked;
  }

  private get runs(): TableClient {
    return this.tables.clientFor('runs');
  }
}
