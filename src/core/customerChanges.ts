import { customerMeasureNames, customerMeasures, measuresVersion, type CustomerMfaInsight } from './model';

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
  /** The version of the measure table `before` was recorded with (see customerMeasures): measures added since are not changes. */
  beforeVersion: number;
  /** The state this run saw (null: gone). */
  after: CustomerMfaInsight | null;
}

/** The change points of one complete run. */
export interface RunChanges {
  runId: string;
  changes: readonly CustomerChange[];
}

/**
 * Whether two states of a customer differ in a measure (null is "not a customer"). `recordedWith`
 * is the version of the measure table `before` was recorded with: a measure it did not know yet
 * is not compared, so the first run after a measure is added records no change for it.
 */
export function insightChanged(before: CustomerMfaInsight | null, after: CustomerMfaInsight | null, recordedWith = measuresVersion): boolean {
  if (before === null || after === null) return before !== after;
  return customerMeasureNames.some((name) => customerMeasures[name].since <= recordedWith && (before[name] ?? null) !== (after[name] ?? null));
}

/** Run ids sort newest first: a smaller id is a newer run. */
export function newerRun(left: string, right: string): boolean {
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
  const forward = fromRunId === null || newerRun(targetRunId, fromRunId);
  const between = runs.filter((run) =>
    forward
      ? !newerRun(run.runId, targetRunId) && (fromRunId === null || newerRun(run.runId, fromRunId))
      : newerRun(run.runId, targetRunId) && !newerRun(run.runId, fromRunId),
  );
  // Forward: oldest first, so the newest change wins. Back: newest first, so the oldest change's "before" wins.
  between.sort((left, right) => (forward ? right.runId.localeCompare(left.runId) : left.runId.localeCompare(right.runId)));
  for (const run of between) for (const change of run.changes) differing.set(change.tenantId, forward ? change.after : change.before);
  return differing;
}

/**
 * The customers whose state differs between two complete runs, each with its state at both.
 * `fromRunId` is the run compared with; null when there is none to compare with (no earlier
 * run, or it has been pruned): then every customer at the later run is listed, before null, and
 * a customer absent from the list is not a customer then.
 */
export interface CustomerChangesBetween {
  fromRunId: string | null;
  changes: CustomerChange[];
}

/**
 * The changes between the state before the oldest of `runs` and the state after the newest:
 * each run's change records hold a customer's state before it and after it, so composing the
 * records of consecutive complete runs is the diff of their two snapshots. A customer changed
 * and changed back is not a change.
 */
export function composeChanges(runs: readonly RunChanges[]): CustomerChange[] {
  // Oldest first (the larger id): the first change keeps "before", the newest sets "after".
  const oldestFirst = [...runs].sort((left, right) => (newerRun(left.runId, right.runId) ? 1 : -1));
  const composed = new Map<string, CustomerChange>();
  for (const run of oldestFirst) {
    for (const change of run.changes) {
      const earlier = composed.get(change.tenantId);
      composed.set(change.tenantId, earlier === undefined ? change : { ...earlier, after: change.after });
    }
  }
  return [...composed.values()].filter((change) => insightChanged(change.before, change.after, change.beforeVersion));
}

/** The customers as they were before `changes`, from the customers after them. */
export function customersBefore(customers: readonly CustomerMfaInsight[], changes: readonly CustomerChange[]): CustomerMfaInsight[] {
  const changed = new Map(changes.map((change) => [change.tenantId, change.before]));
  const before = customers.filter((customer) => !changed.has(customer.tenantId));
  for (const state of changed.values()) if (state !== null) before.push(state);
  return before;
}
