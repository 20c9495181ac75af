import { ConfigurationError } from './errors';
import { abandonedRunMarginMs } from './invocationDeadline';
import type { Schedule } from './ncrontab';

/**
 * Whether scheduled work keeps to its schedule. The run due after the last complete one is the
 * schedule's first occurrence after that run started; it is expected to have completed within
 * the grace (an invocation's own time limit, plus slack for a cold start). Counting from the real
 * occurrences, not from a fixed period, keeps uneven schedules right: after Friday's run of a
 * weekdays-only schedule the next is expected on Monday, not on Saturday.
 */

/** A source's collector or the detector, with the schedule Azure runs it on. */
export interface ScheduledWork {
  /** What it is called in the status: a source, or `detectRegressions`. */
  name: string;
  /** Its schedule, or why the app setting holding it cannot be read. */
  schedule: Schedule | { setting: string; problem: string };
  /** When the newest complete run started; null when none has completed. */
  lastCompleteStartedAt: Date | null;
}

interface ScheduleVerdict {
  /** The schedule's setting and expression, as the status shows them. */
  setting: string;
  expression: string | null;
  /** When the next complete run is due by (ISO); null when none is due (no complete run yet, or a schedule that never fires again). */
  expectedBy: string | null;
  /** Why it is late, or why its schedule cannot be read; null when it keeps to its schedule. */
  problem: string | null;
}

/**
 * How long after its scheduled time a run may still complete: HEALTH_GRACE_MINUTES, else the
 * invocation's own time limit plus the margin after which a run still `running` is abandoned
 * (5 min: a cold start, a timer fired late, the ledger write). A grace shorter than the time
 * limit is refused: a run still within its limit would be reported late.
 */
export function healthGraceMs(invocationBudgetMs: number, graceMinutes: number | null): number {
  if (graceMinutes === null) return invocationBudgetMs + abandonedRunMarginMs;
  if (graceMinutes * 60_000 < invocationBudgetMs) {
    throw new ConfigurationError([
      `HEALTH_GRACE_MINUTES (${graceMinutes}) is shorter than an invocation may work (${Math.round(invocationBudgetMs / 1000)} s): a run still within its time limit would be reported late; leave it unset or raise it`,
    ]);
  }
  return graceMinutes * 60_000;
}

export function judgeSchedule(work: ScheduledWork, now: Date, graceMs: number): ScheduleVerdict {
  const { name, schedule, lastCompleteStartedAt } = work;
  if (!('nextAfter' in schedule)) {
    return { setting: schedule.setting, expression: null, expectedBy: null, problem: `${name}: ${schedule.problem}` };
  }
  const verdict = { setting: schedule.setting, expression: schedule.expression };
  // No complete run yet is a reason of its own, said where the runs are read; a schedule may never fire again.
  const due = lastCompleteStartedAt === null ? null : schedule.nextAfter(lastCompleteStartedAt);
  if (due === null || lastCompleteStartedAt === null) return { ...verdict, expectedBy: null, problem: null };
  const expectedBy = new Date(due.getTime() + graceMs);
  const late = now.getTime() > expectedBy.getTime();
  return {
    ...verdict,
    expectedBy: expectedBy.toISOString(),
    problem: late
      ? `${name}: no complete run since the one started at ${lastCompleteStartedAt.toISOString()}; the run scheduled for ${due.toISOString()} (${schedule.setting} "${schedule.expression}") was due to complete by ${expectedBy.toISOString()} (${formatMinutes(graceMs)} of grace)`
      : null,
  };
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} min`;
}
