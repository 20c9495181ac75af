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
 */
export async function pruneSnapshots(dependencies: PruneDependencies): Promise<PruneOutcome> {
  const { pruner, clock, log, settings } = dependencies;
  const cutoff = new Date(clock.now().getTime() - settings.retentionDays * dayMs);
  let budget = settings.maxRunsPerInvocation ?? 500;
  const outcome: PruneOutcome = { runsDeleted: 0, rowsDeleted: 0, keptAsNewestComplete: [], remaining: false };
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
      outcome.rowsDeleted += await pruner.deleteRun(run);
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
