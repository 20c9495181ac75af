import { randomBytes } from 'node:crypto';
import { errorCode, MonitorError, toError } from '../core/errors';
import { abandonedRunMarginMs, DeadlineExceededError } from '../core/invocationDeadline';
import type { SnapshotSource } from '../core/model';
import type { Clock, Logger, Signal, SnapshotRunWriter, SnapshotStore } from '../ports';
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
      if ((await within(writer.fail({ code, message: error.message }, counts), failureRecordingLimitMs)) === timedOut) {
        throw new MonitorError('Timeout', `no answer within ${failureRecordingLimitMs} ms`);
      }
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
  const first = await within(work, budgetMs);
  if (first !== timedOut) return first;
  abort.abort();
  const outcome = await within(
    work.then(
      (result) => ({ result }),
      (thrown: unknown) => ({ waitingFor: `while waiting for: ${toError(thrown).message}` }),
    ),
    cancellationGraceMs,
  );
  if (outcome === timedOut) {
    throw new DeadlineExceededError(budgetMs, 'while waiting for a call that did not stop when cancelled (Table Storage or a token)');
  }
  // Work that finished as it was cancelled is complete: its ledger row already says so.
  if ('result' in outcome) return outcome.result;
  throw new DeadlineExceededError(budgetMs, outcome.waitingFor);
}

const timedOut = Symbol('timedOut');

/** The promise's outcome, or `timedOut` once `limitMs` has passed (the promise is then left to settle unobserved). */
async function within<T>(promise: Promise<T>, limitMs: number): Promise<T | typeof timedOut> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined);
  try {
    const limit = new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), Math.max(0, limitMs));
    });
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function describeCounts(counts: SnapshotRunCounts): string {
  return Object.entries(counts).map(([name, value]) => `${name}=${value}`).join(', ');
}

/**
 * Runs every task with one signal, ended by the run's or by the first failure: the others are
 * cancelled and awaited, then that first failure (not the cancellations it caused) is rethrown.
 */
export async function allOrAbort(runSignal: AbortSignal, tasks: ((signal: Signal) => Promise<unknown>)[]): Promise<void> {
  const abort = new AbortController();
  const signal = { abortSignal: AbortSignal.any([runSignal, abort.signal]) };
  const failures: unknown[] = [];
  await Promise.all(
    tasks.map((task) =>
      task(signal).catch((error: unknown) => {
        failures.push(error);
        abort.abort();
      }),
    ),
  );
  if (failures.length > 0) throw failures[0];
}

/** Writes a source's pages one by one, counting their items (and the pages, when named) under the names given. */
export async function writePages<T>(
  pages: AsyncIterable<T[]>,
  counts: SnapshotRunCounts,
  names: { pages?: string; items: string },
  write: (page: T[]) => Promise<void>,
): Promise<void> {
  let pageCount = 0;
  let itemCount = 0;
  counts[names.items] = 0;
  for await (const page of pages) {
    if (names.pages !== undefined) counts[names.pages] = ++pageCount;
    counts[names.items] = itemCount += page.length;
    await write(page);
  }
}
