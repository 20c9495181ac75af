import { TenantThrottledError } from '../core/errors';
import { closeCustomerAdminScan } from './closeCustomerAdminScan';
import { readAdminScanMessage, type AdminScanDependencies } from './scanDependencies';

/** How far past Retry-After a rescheduled tenant becomes visible, at most: spreads a throttled tenant's retries from others throttled at once. */
const rescheduleJitterMs = 5_000;

type ScanMessageOutcome = 'scanned' | 'alreadyScanned' | 'pastDeadline' | 'rescheduled' | 'closed' | 'inProgress';

/**
 * One message of the scan queue. A tenant is scanned once per run: a message handled twice (the
 * queue delivers at least once) finds its result and stops, and the result row is insert-only.
 * Throttling puts the tenant back on the queue, visible after Retry-After, rather than holding
 * a worker. Any other failure is thrown: the queue makes the message visible again and, after
 * host.json's maxDequeueCount, moves it to the poison queue (recordPoisonedScan).
 */
export async function handleScanMessage(dependencies: AdminScanDependencies, value: unknown): Promise<ScanMessageOutcome> {
  const message = readAdminScanMessage(value);
  if (message.kind === 'closeRun') return closeCustomerAdminScan(dependencies, message);
  const { scans, queue, clock, log } = dependencies;
  const { runId, tenantId, deadline } = message;
  // Past the deadline the run's close records the tenant: a result now could come after it.
  if (clock.now().getTime() >= Date.parse(deadline)) return 'pastDeadline';
  if ((await scans.scanOf(runId, tenantId)) !== null) return 'alreadyScanned';
  const source = await dependencies.tenants();
  try {
    const result = await source.scanTenant(tenantId);
    const recorded = await scans.recordScan({ ...result, runId, tenantId, scannedAt: clock.now().toISOString() });
    log.info(`scanCustomerTenant: run ${runId}, tenant ${tenantId}: ${result.outcome === 'scanned' ? `${result.admins.length} admins` : `cannot see (${result.reason})`}, ${result.requests} requests${recorded ? '' : ', already recorded'}`);
    return recorded ? 'scanned' : 'alreadyScanned';
  } catch (thrown) {
    if (!(thrown instanceof TenantThrottledError)) throw thrown;
    await scans.markThrottled(runId, tenantId);
    const delayMs = thrown.retryAfterMs + Math.floor(Math.random() * rescheduleJitterMs);
    if (clock.now().getTime() + delayMs >= Date.parse(deadline)) {
      log.warn(`scanCustomerTenant: run ${runId}, tenant ${tenantId}: throttled until after the deadline; the run records it so`);
      return 'pastDeadline';
    }
    await queue.send(message, { visibleAfterSeconds: Math.ceil(delayMs / 1000) });
    log.info(`scanCustomerTenant: run ${runId}, tenant ${tenantId}: throttled, back on the queue in ${Math.ceil(delayMs / 1000)} s`);
    return 'rescheduled';
  }
}

/**
 * A message the queue gave up on (host.json's maxDequeueCount attempts failed): a tenant is
 * recorded as one the monitor could not scan, so the run accounts for it; a close message that
 * keeps failing fails its run, which /api/status then shows.
 */
export async function recordPoisonedScan(dependencies: AdminScanDependencies, value: unknown): Promise<void> {
  const message = readAdminScanMessage(value);
  const { scans, runs, clock, log, settings } = dependencies;
  const attempts = `${settings.maxDequeueCount} attempts`;
  if (message.kind === 'scanTenant') {
    await scans.recordScan({ outcome: 'cannotSee', reason: 'failedRepeatedly', detail: `moved to the poison queue after ${attempts}`, requests: 0, runId: message.runId, tenantId: message.tenantId, scannedAt: clock.now().toISOString() });
    log.error(`recordPoisonedScan: run ${message.runId}, tenant ${message.tenantId}: scanning failed ${attempts}; recorded as not scanned`);
    return;
  }
  const read = await runs.read('customerAdmins', message.runId);
  if (read === null || read.run.status !== 'running') return;
  const now = clock.now().toISOString();
  await runs.replaceIfUnchanged({ ...read.run, status: 'failed', finishedAt: now, errorCode: 'CloseFailed', errorMessage: `closing the run failed ${attempts}; its message is in the poison queue` }, read.etag);
  log.error(`recordPoisonedScan: run ${message.runId} could not be closed after ${attempts}: recorded failed`);
}
