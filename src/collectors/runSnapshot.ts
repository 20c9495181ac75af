import { randomBytes } from 'node:crypto';
import { errorCode, MonitorError, toError } from '../core/errors';
import type { SnapshotSource } from '../core/model';
import type { Clock, Logger, SnapshotRunWriter, SnapshotStore } from '../core/ports';
import { isRunId, newRunId, type SnapshotRun, type SnapshotRunCounts } from '../core/snapshotRun';

export interface CollectorDependencies {
  store: SnapshotStore;
  clock: Clock;
  log: Logger;
}

export interface CollectOptions {
  /** Re-running an existing run id rewrites the same rows instead of adding new ones. */
  runId?: string;
}

/**
 * The life of one snapshot run, shared by every collector: a `running` ledger row first,
 * the collector's work, then `complete` only after every row is durably written — or
 * `failed` with the error, so an outage never reads as "nothing to report".
 * Throws after recording a failure, so the Functions host sees the invocation fail too.
 */
export async function runSnapshot(
  dependencies: CollectorDependencies,
  source: SnapshotSource,
  options: CollectOptions,
  collect: (writer: SnapshotRunWriter, counts: SnapshotRunCounts, abortSignal: AbortSignal, warnings: string[]) => Promise<void>,
): Promise<SnapshotRun> {
  const { store, clock, log } = dependencies;
  const startedAt = clock.now();
  if (options.runId !== undefined && !isRunId(options.runId)) {
    throw new MonitorError('InvalidRunId', 'A run id must be 13 digits, a dash and 6-16 lowercase letters or digits');
  }
  const runId = options.runId ?? newRunId(startedAt, randomBytes(4).toString('hex'));
  const writer = await store.openRun(source, runId, startedAt);
  log.info(`${source} run ${runId} started`);
  const counts: SnapshotRunCounts = {};
  const abort = new AbortController();
  const warnings: string[] = [];
  try {
    await collect(writer, counts, abort.signal, warnings);
    const run = await writer.complete(counts, warnings);
    for (const warning of warnings) log.warn(`${source} run ${runId}: ${warning}`);
    log.info(`${source} run ${runId} complete in ${clock.now().getTime() - startedAt.getTime()} ms: ${describeCounts(run.counts)}`);
    return run;
  } catch (thrown) {
    abort.abort();
    const error = toError(thrown);
    const code = errorCode(thrown);
    log.error(`${source} run ${runId} failed (${code}): ${error.message}`);
    try {
      await writer.fail({ code, message: error.message }, counts);
    } catch (ledgerError) {
      // The ledger row stays `running`, which readers never take for data either.
      log.error(`${source} run ${runId}: could not record the failure in the ledger (${errorCode(ledgerError)})`);
    }
    throw new MonitorError(code, `${source} run ${runId} failed: ${error.message}`, { cause: thrown });
  }
}

function describeCounts(counts: SnapshotRunCounts): string {
  return Object.entries(counts).map(([name, value]) => `${name}=${value}`).join(', ');
}

/** Awaits every task; on the first failure cancels the others, waits for them, then rethrows that first failure (not the cancellations it caused). */
export async function allOrAbort(abort: AbortController, tasks: Promise<unknown>[]): Promise<void> {
  let first: { error: unknown } | null = null;
  await Promise.all(
    tasks.map((task) =>
      task.catch((error: unknown) => {
        first ??= { error };
        abort.abort();
      }),
    ),
  );
  if (first !== null) throw (first as { error: unknown }).error;
}
