import type { CustomerMfaInsight } from './model';

/**
 * Customer history as change points: a run records a customer only when its insight differs from
 * the state the previous complete run left (a new customer, a changed one, or one that is gone).
 * The state of a customer at run R is then its newest change point of a complete run at or before R.
 */
export interface CustomerChange {
  tenantId: string;
  /** The state before this run (null: not a customer then), and the run that first saw it. */
  before: CustomerMfaInsight | null;
  beforeRunId: string | null;
  /** The state this run saw (null: gone). */
  after: CustomerMfaInsight | null;
}

/** The change points of one complete run. */
export interface RunChanges {
  runId: string;
  changes: readonly CustomerChange[];
}

const insightFields = ['compliantAdminsCount', 'compliantNonAdminsCount', 'totalUsersCount', 'securityDefaultsStatus', 'mfaConditionalAccessPolicyStatus', 'legacyPerUserMfaStatus'] as const;

/** Whether two states of a customer differ in anything the API serves (null is "not a customer"). */
export function insightChanged(before: CustomerMfaInsight | null, after: CustomerMfaInsight | null): boolean {
  if (before === null || after === null) return before !== after;
  return insightFields.some((field) => (before[field] ?? null) !== (after[field] ?? null));
}

/** Run ids sort newest first: a smaller id is a newer run. */
function newer(left: string, right: string): boolean {
  return left < right;
}

/**
 * What differs between the state `fromRunId` holds (the current table) and the state at
 * `targetRunId`, given the change points of every complete run between the two: tenant id ->
 * its state at the target (null: not a customer then). A tenant not in the answer is as `from`
 * holds it. Going forward (a newer target) takes each tenant's newest change up to the target;
 * going back (an older one) takes the state before each tenant's oldest change after it.
 */
export function customersDiffering(fromRunId: string | null, targetRunId: string, runs: readonly RunChanges[]): Map<string, CustomerMfaInsight | null> {
  const differing = new Map<string, CustomerMfaInsight | null>();
  if (fromRunId === targetRunId) return differing;
  const forward = fromRunId === null || newer(targetRunId, fromRunId);
  const between = runs.filter((run) =>
    forward
      ? !newer(run.runId, targetRunId) && (fromRunId === null || newer(run.runId, fromRunId))
      : newer(run.runId, targetRunId) && !newer(run.runId, fromRunId),
  );
  // Forward: oldest first, so the newest change wins. Back: newest first, so the oldest change's "before" wins.
  between.sort((left, right) => (forward ? right.runId.localeCompare(left.runId) : left.runId.localeCompare(right.runId)));
  for (const run of between) for (const change of run.changes) differing.set(change.tenantId, forward ? change.after : change.before);
  return differing;
}
