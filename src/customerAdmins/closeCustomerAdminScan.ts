import { nextCloseCheckMs, type CannotSeeReason } from '../core/adminScan';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import type { SnapshotRunCounts } from '../core/snapshotRun';
import type { TenantOutcome } from '../ports';
import { runStartedAt } from '../core/snapshotRun';
import type { AdminScanDependencies, AdminScanMessage } from './scanDependencies';

const recordConcurrency = 16;

/**
 * The run's fan-in, done by its close message alone: it counts the tenants' result rows (one key
 * range per spread, no shared counter), writes the progress to the run's row, and comes back a
 * moment later (see nextCloseCheckMs), until every tenant has a result or the deadline passes. Then each tenant still
 * without one is recorded "not scanned (deadline)", or "throttled past the deadline" when Graph
 * throttled it, and the run completes. A close message delivered twice is harmless: result rows
 * are insert-only, the run's row is written only if unchanged since read, and only the writer
 * that succeeded sends the next check.
 */
export async function closeCustomerAdminScan(dependencies: AdminScanDependencies, message: Extract<AdminScanMessage, { kind: 'closeRun' }>): Promise<'closed' | 'inProgress'> {
  const { runs, scans, queue, clock, log } = dependencies;
  const read = await runs.read('customerAdmins', message.runId);
  if (read === null || read.run.status !== 'running') return 'closed';
  const [manifest, outcomes] = await Promise.all([scans.readManifest(message.runId), scans.outcomesOfRun(message.runId)]);
  const seen = new Set(outcomes.map((outcome) => outcome.tenantId));
  const missing = manifest.filter((tenantId) => !seen.has(tenantId));
  const now = clock.now();
  const deadline = Date.parse(message.deadline);
  if (missing.length > 0 && now.getTime() < deadline) {
    const etag = await runs.replaceIfUnchanged({ ...read.run, counts: progressCounts(manifest.length, outcomes) }, read.etag);
    if (etag === null) return 'inProgress';
    await queue.send(message, { visibleAfterSeconds: Math.ceil(nextCloseCheckMs(runStartedAt(message.runId), now, new Date(deadline)) / 1000) });
    return 'inProgress';
  }
  const throttled = missing.length === 0 ? new Set<string>() : await scans.throttledTenants(message.runId);
  const limit = new ConcurrencyLimit(recordConcurrency);
  await Promise.all(
    missing.map((tenantId) =>
      limit.run(() => {
        const reason: CannotSeeReason = throttled.has(tenantId) ? 'throttledPastDeadline' : 'notScannedDeadline';
        return scans.recordScan({ outcome: 'cannotSee', reason, detail: null, requests: 0, runId: message.runId, tenantId, scannedAt: now.toISOString() });
      }),
    ),
  );
  // Read again: a worker may have recorded a tenant between the count and the deadline's rows.
  const final = missing.length === 0 ? outcomes : await scans.outcomesOfRun(message.runId);
  const counts = progressCounts(manifest.length, final);
  const closed = await runs.replaceIfUnchanged({ ...read.run, status: 'complete', finishedAt: clock.now().toISOString(), counts }, read.etag);
  if (closed !== null) log.info(`scanCustomerTenant: customer-admin run ${message.runId} complete: ${describeCounts(counts)}`);
  return 'closed';
}

/** What a run has so far: every tenant, those scanned, those the monitor cannot see into, and each reason's count. */
function progressCounts(tenants: number, outcomes: readonly TenantOutcome[]): SnapshotRunCounts {
  const counts: SnapshotRunCounts = { tenants, scanned: 0, cannotSee: 0 };
  for (const { outcome, reason } of outcomes) {
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    if (reason !== null) counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}

function describeCounts(counts: SnapshotRunCounts): string {
  return Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}
