import { insightChanged, type CustomerChange, type CustomerChangesBetween } from '../../src/core/customerChanges';
import type { ComplianceSnapshot, DetectionInput } from '../../src/core/detectRegressions';
import type { CustomerMfaInsight } from '../../src/core/model';
import type { SnapshotReader } from '../../src/ports';

/**
 * The customers that differ between two whole snapshots: the oracle for what the store composes
 * from its change records. `before` null compares with nothing (every customer listed, before
 * null); otherwise the answer names `fromRunId`.
 */
export function snapshotDiff(before: readonly CustomerMfaInsight[] | null, after: readonly CustomerMfaInsight[], fromRunId = 'before'): CustomerChangesBetween {
  const earlier = new Map((before ?? []).map((customer) => [customer.tenantId, customer]));
  const later = new Map(after.map((customer) => [customer.tenantId, customer]));
  const changes: CustomerChange[] = [];
  for (const tenantId of new Set([...earlier.keys(), ...later.keys()])) {
    const was = earlier.get(tenantId) ?? null;
    const is = later.get(tenantId) ?? null;
    if (insightChanged(was, is)) changes.push({ tenantId, before: was, beforeRunId: null, beforeVersion: 1, after: is });
  }
  return { fromRunId: before === null ? null : fromRunId, changes };
}

/** A snapshot as the tests state it: every customer, beside the rest. */
export type SnapshotWithCustomers = ComplianceSnapshot & { customers?: readonly CustomerMfaInsight[] };

/** The detector's input for two whole snapshots: their customers become the changes between them, as the detector reads them. */
export function detectionInput(previous: SnapshotWithCustomers, current: SnapshotWithCustomers): Pick<DetectionInput, 'previous' | 'current' | 'customerChanges'> {
  const { customers: before, ...previousRest } = previous;
  const { customers: after, ...currentRest } = current;
  return { previous: previousRest, current: currentRest, ...(after === undefined ? {} : { customerChanges: snapshotDiff(before ?? null, after) }) };
}

/** Every customer as complete run `runId` saw it: the changes from nothing to that run. */
export async function customersAt(reader: Pick<SnapshotReader, 'customerChangesBetween'>, runId: string): Promise<CustomerMfaInsight[]> {
  return (await reader.customerChangesBetween(null, runId)).changes.flatMap((change) => (change.after === null ? [] : [change.after]));
}
