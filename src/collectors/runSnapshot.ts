import { randomBytes } from 'node:crypto';
import { errorCode, MonitorError, toError } from '../core/errors';
import { abandonedRunMarginMs, DeadlineExceededError } from '../core/invocationDeadline';
import type { SnapshotSource } from '../core/model';
import type { Clock, Logger, SnapshotRunWriter, SnapshotStore } from '../ports';
import { CompleteRunFollowUpError, isRunId, newRunId, type SnapshotRun, type SnapshotRunCounts } from '../core/snapshotRun';
import { underLease, type HeldLease } from '../leases/underLease';

export interface CollectorDependencies {
  store: SnapshotStore;
  clock: Clock;
  log: Logger;
}

export interface CollectOptions {
  /** Re-running an existing run id rewrites the same rows instead of adding new ones. */
  runId?: string;
  /** When the invocation must stop: the work is cancelled and the run recorded `failed` (DeadlineExceeded). */
  deadline?: Date;
}

/** How long cancelled work may take to say what it was waiting for, before the run is failed without it. */
const cancellationGraceMs = 2_000;

/** How long recording a failure may take: past it the row stays `running`, and the next run marks it abandoned. */
const failureRecordingLimitMs = 30_000;


/**
 * The life of one snapshot run, shared by every collector: a `running` ledger row first,
 * the collector's work, then `complete` only after every row is durably written — or
 * `failed` with the error, so an outage never reads as "nothing to report".
 * Throws after recording a failure, so the Functions host sees the invocation fail too.
 * At the deadline the work is cancelled and the run fails as DeadlineExceeded, naming what was
 * being waited for, whatever the work was doing (a call that ignores cancellation included).
 * One run per source at a time, under the source's lease: a run started while another collects
 * (a manual `npm run invoke` during the timer's) does nothing, is recorded skipped with the
 * holder, and answers null; otherwise both would compare with the same starting state.
 */
export async function runSnapshot(
  dependencies: CollectorDependencies,
  source: SnapshotSource,
  options: CollectOptions,
  collect: (writer: SnapshotRunWriter, counts: SnapshotRunCounts, abortSignal: AbortSignal, warnings: string[]) => Promise<void>,
): Promise<SnapshotRun | null> {
  if (options.runId !== undefined && !isRunId(options.runId)) {
    throw new MonitorError('InvalidRunId', 'A run id must be 13 digits, a dash and 6-16 lowercase letters or digits');
  }
  const { store, clock, log } = dependencies;
  const startedAt = clock.now();
  const run = { runId: options.runId ?? newRunId(startedAt, randomBytes(4).toString('hex')), startedAt, deadline: options.deadline };
  return underLease({ lease: store.lease(source), clock, log }, source, run.runId, (lease) => collectUnderLease(dependencies, source, run, lease, collect));
}

/** The run itself, as the holder of its source's lease. */
async function collectUnderLease(
  dependencies: CollectorDependencies,
  source: SnapshotSource,
  { runId, startedAt, deadline }: { runId: string; startedAt: Date; deadline: Date | undefined },
  lease: HeldLease,
  collect: Parameters<typeof runSnapshot>[3],
): Promise<SnapshotRun> {
  const { store, clock, log } = dependencies;
  const writer = await store.openRun(source, runId, startedAt);
  log.info(`${source} run ${runId} started`);
  if (deadline !== undefined) await markAbandonedRuns(dependencies, source, runId, deadline.getTime() - startedAt.getTime());
  const counts: SnapshotRunCounts = {};
  const abort = new AbortController();
  const warnings: string[] = [];
  try {
    const work = (async () => {
      await collect(writer, counts, abort.signal, warnings);
      await lease.confirm('recording the run complete: the run that took the lease collects instead');
      return writer.complete(counts, warnings);
    })();
    const run = deadline === undefined ? await work : await beforeDeadline(work, deadline.getTime() - startedAt.getTime(), abort);
    for (const warning of warnings) log.warn(`${source} run ${runId}: ${warning}`);
    log.info(`${source} run ${runId} complete in ${clock.now().getTime() - startedAt.getTime()} ms: ${describeCounts(run.counts)}`);
    return run;
  } catch (thrown) {
    abort.abort();
    const error = toError(thrown);
    const code = errorCode(thrown);
    if (thrown instanceof CompleteRunFollowUpError) {
      // The run's data is complete and stays so; what failed after it is finished by the source's next run.
      log.error(`${source} run ${runId} complete, but ${code}: ${error.message}`);
      throw new MonitorError(code, `${source} run ${runId}: ${error.message}`, { cause: thrown });
    }
    log.error(`${source} run ${runId} failed (${code}): ${error.message}`);
    try {
      await withinLimit(writer.fail({ code, message: error.message }, counts), failureRecordingLimitMs);
    } catch (ledgerError) {
      // The ledger row stays `running`, which readers never take for data either.
      log.error(`${source} run ${runId}: could not record the failure in the ledger (${errorCode(ledgerError)})`);
    }
    throw new MonitorError(code, `${source} run ${runId} failed: ${error.message}`, { cause: thrown });
  }
}

/**
 * Runs of this source left `running` by an invocation that was stopped from outside are marked
 * failed (Abandoned) so they count as failures and say why. Trouble marking them is only
 * logged: the next run tries again, and this one's own work matters more.
 */
async function markAbandonedRuns(dependencies: CollectorDependencies, source: SnapshotSource, runId: string, budgetMs: number): Promise<void> {
  const { store, clock, log } = dependencies;
  const now = clock.now();
  const limitMs = budgetMs + abandonedRunMarginMs;
  const reason = `no end was recorded within ${Math.round(limitMs / 1000)} s of its start: the invocation was stopped (process killed, host recycled or the function timeout reached) before it could record one; marked by run ${runId}`;
  try {
    for (const run of await store.markAbandonedRuns(source, new Date(now.getTime() - limitMs), reason, now)) {
      log.warn(`${source} run ${run.runId} (started ${run.startedAt}) was still running with no end recorded: marked failed as Abandoned`);
    }
  } catch (thrown) {
    log.warn(`${source}: could not mark abandoned runs (${errorCode(thrown)}): ${toError(thrown).message}`);
  }
}

/**
 * The work's result, or at the deadline a DeadlineExceededError: the work is cancelled and given
 * a moment to fail with its own account of what it was waiting for (e.g. "Graph GET /v1.0/...
 * was cancelled while waiting for a token").
 */
async function beforeDeadline<T>(work: Promise<T>, budgetMs: number, abort: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), Math.max(0, budgetMs));
  });
  work.catch(() => undefined);
  try {
    const first = await Promise.race([work, deadline]);
    if (first !== 'deadline') return first;
  } finally {
    clearTimeout(timer);
  }
  abort.abort();
  const outcome = await Promise.race([
    work.then(
      (result) => ({ result }),
      (thrown: unknown) => ({ waitingFor: `while waiting for: ${toError(thrown).message}` }),
    ),
    new Promise<{ waitingFor: string }>((resolve) =>
      setTimeout(() => resolve({ waitingFor: 'while waiting for a call that did not stop when cancelled (Table Storage or a token)' }), cancellationGraceMs).unref(),
    ),
  ]);
  // Work that finished as it was cancelled is complete: its ledger row already says so.
  if ('result' in outcome) return outcome.result;
  const cancelled = outcome.waitingFor;
  throw new DeadlineExceededError(budgetMs, cancelled);
}

/** The promise's outcome, or a timeout error once `limitMs` has passed. */
async function withinLimit<T>(promise: Promise<T>, limitMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined);
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new MonitorError('Timeout', `no answer within ${limitMs} ms`)), limitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeCounts(counts: SnapshotRunCounts): string {
  return Object.entries(counts).map(([name, value]) => `${name}=${value}`).join(', ');
}

/** Awaits every task; on the first failure cancels the others, waits for them, then rethrows that first failure (not the cancellations it caused). */
export async function allOrAbort(abort: AbortController, tasks: Promise<unknown>[]): Promise<void> {
  const failures: unknown[] = [];
  await Promise.all(
    tasks.map((task) =>
      task.catch((error: unknown) => {
        failures.push(error);
        abort.abort();
      }),
    ),
  );
  if (failures.length > 0) throw failures[0];
}
