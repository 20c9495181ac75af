import { DeadlineExceededError } from '../core/invocationDeadline';
import { snapshotSources } from '../core/model';
import type { Clock, Logger, SnapshotPruner } from '../ports';

export interface PruneDependencies {
  pruner: SnapshotPruner;
  clock: Clock;
  log: Logger;
  settings: {
    retentionDays: number;
    /** Bounds one invocation well inside the function timeout; the rest waits for the next. */
    maxRunsPerInvocation?: number;
  };
}

interface PruneOutcome {
  runsDeleted: number;
  rowsDeleted: number;
  /** Old runs kept because each is its source's newest complete run. */
  keptAsNewestComplete: string[];
  /** More old runs remain than one invocation deletes. */
  remaining: boolean;
}

const dayMs = 86_400_000;

/**
 * Retention: deletes snapshot runs started more than `retentionDays` ago, oldest first, with
 * all their rows. The newest complete run of each source is never deleted, however old: the
 * detector compares against it, and a source that stopped collecting must still be readable.
 * Within a deadline, a run's deletion is started only when the slowest one so far would still end
 * before it; at the deadline the deletion under way stops starting deletes, and the invocation
 * fails with DeadlineExceeded naming the run. The run stays listed until its ledger row, deleted
 * last, goes, so the next invocation carries on where this one stopped.
 */
export async function pruneSnapshots(dependencies: PruneDependencies, { deadline: at }: { deadline?: Date } = {}): Promise<PruneOutcome> {
  const { pruner, clock, log, settings } = dependencies;
  const startedAt = clock.now();
  const cutoff = new Date(startedAt.getTime() - settings.retentionDays * dayMs);
  let budget = settings.maxRunsPerInvocation ?? 500;
  const outcome: PruneOutcome = { runsDeleted: 0, rowsDeleted: 0, keptAsNewestComplete: [], remaining: false };
  const deadline = at === undefined ? null : watchDeadline(at, outcome, log);
  let slowestRunMs = 0;
  for (const source of snapshotSources) {
    const newestComplete = await pruner.latestCompleteRun(source);
    const old = (await pruner.listRuns(source, { to: cutoff })).reverse();
    for (const run of old) {
      if (run.runId === newestComplete?.runId) {
        outcome.keptAsNewestComplete.push(`${source}/${run.runId}`);
        continue;
      }
      if (budget === 0) {
        outcome.remaining = true;
        break;
      }
      const runStartedAt = clock.now();
      if (deadline !== null && runStartedAt.getTime() + slowestRunMs > deadline.at.getTime()) {
        const slowest = slowestRunMs === 0 ? '' : `: deleting a run has taken up to ${Math.ceil(slowestRunMs / 1000)} s here, so this one could end after it`;
        throw deadline.exceeded(`before deleting ${source} run ${run.runId}${slowest}`);
      }
      try {
        outcome.rowsDeleted += await pruner.deleteRun(run, deadline?.signal);
      } catch (thrown) {
        if (deadline?.signal.aborted) throw deadline.exceeded(`while deleting ${source} run ${run.runId}`);
        throw thrown;
      }
      slowestRunMs = Math.max(slowestRunMs, clock.now().getTime() - runStartedAt.getTime());
      outcome.runsDeleted += 1;
      budget -= 1;
    }
  }
  log.info(
    `pruneSnapshots: deleted ${outcome.runsDeleted} runs (${outcome.rowsDeleted} rows) started before ${cutoff.toISOString()}` +
      `${outcome.keptAsNewestComplete.length > 0 ? `; kept ${outcome.keptAsNewestComplete.join(', ')} as the newest complete run of its source` : ''}` +
      `${outcome.remaining ? '; more remain for the next run' : ''}`,
  );
  return outcome;
}

/** An AbortSignal that fires at the deadline (its timer holds no process open), and the failure, logged, that names what was cut short. */
function watchDeadline(at: Date, outcome: PruneOutcome, log: Logger) {
  const startedAt = Date.now();
  return {
    at,
    signal: AbortSignal.timeout(Math.max(0, at.getTime() - startedAt)),
    exceeded: (waitingFor: string) => {
      const error = new DeadlineExceededError(at.getTime() - startedAt, `${waitingFor} (${outcome.runsDeleted} runs, ${outcome.rowsDeleted} rows deleted by then; the next run carries on)`);
      log.error(`pruneSnapshots: ${error.message}`);
      return error;
    },
  };
}
