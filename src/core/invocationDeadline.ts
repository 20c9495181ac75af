import { MonitorError } from './errors';

/**
 * How long one invocation may work. Azure stops a function at `functionTimeout` without a
 * word to the code, so the monitor stops itself first, with room left to record why: a run
 * cut off by the host would stay `running` with no reason.
 */

/** The Flex Consumption plan's own limit when host.json sets none. */
const defaultFunctionTimeoutMs = 30 * 60_000;

/** With an unbounded `functionTimeout` (-1), the monitor still gives up after this long. */
const unboundedBudgetMs = 60 * 60_000;

/** What is kept back to record a failure (and let its ledger write retry) before the host's limit. */
function deadlineMarginMs(functionTimeoutMs: number): number {
  return Math.max(60_000, Math.round(functionTimeoutMs * 0.1));
}

/**
 * host.json's `functionTimeout`, a .NET TimeSpan (`hh:mm:ss` or `d.hh:mm:ss`), in ms; null
 * for `-1` (no limit); undefined when absent or unreadable, which the host treats as its default.
 */
export function parseFunctionTimeout(value: unknown): number | null | undefined {
  if (value === -1 || value === '-1') return null;
  if (typeof value !== 'string') return undefined;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(value.trim());
  if (match === null) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

/**
 * The time one invocation may take: the override when set, else the host's limit less the
 * margin. An override is refused when it leaves less than the margin, since it would let the
 * host end the run before the monitor records why.
 */
export function invocationBudgetMs(functionTimeoutMs: number | null | undefined, overrideSeconds: number | null): number {
  const limit = functionTimeoutMs === undefined ? defaultFunctionTimeoutMs : functionTimeoutMs;
  if (overrideSeconds !== null) {
    const override = overrideSeconds * 1000;
    if (limit !== null && override > limit - deadlineMarginMs(limit)) {
      throw new MonitorError(
        'InvalidConfiguration',
        `INVOCATION_DEADLINE_SECONDS (${overrideSeconds}) must leave at least ${deadlineMarginMs(limit) / 1000} s before the function timeout (${limit / 1000} s) to record a failure`,
      );
    }
    return override;
  }
  return limit === null ? unboundedBudgetMs : limit - deadlineMarginMs(limit);
}

/**
 * Past its deadline and this much more, a run still `running` has certainly stopped (its own
 * deadline, the failure recording and the host's function timeout all lie within), so it is
 * one that was killed, recycled or timed out by the host before it could say so.
 */
export const abandonedRunMarginMs = 5 * 60_000;

/** The invocation's own deadline passed: the work was cancelled and the run recorded as failed. */
export class DeadlineExceededError extends MonitorError {
  constructor(budgetMs: number, waitingFor: string) {
    super('DeadlineExceeded', `the invocation's deadline (${Math.round(budgetMs / 1000)} s) passed ${waitingFor}`);
    this.name = 'DeadlineExceededError';
  }
}
