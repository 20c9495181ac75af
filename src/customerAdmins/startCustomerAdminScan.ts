import { randomBytes } from 'node:crypto';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import { errorCode, MonitorError } from '../core/errors';
import { newRunId, type SnapshotRun } from '../core/snapshotRun';
import { underLease } from '../leases/underLease';
import { closeGraceMs, nextCloseCheckMs } from '../core/adminScan';
import type { AdminScanDependencies } from './scanDependencies';

/** Messages in flight at once while a run is queued: the queue takes thousands a second, one invocation's sockets fewer. */
const sendConcurrency = 32;

interface StartedScan {
  runId: string | null;
  tenants: number;
  /** Why no run started (one still scanning, or no customers known yet). */
  skipped: string | null;
}

/**
 * Starts a customer-admin run: its ledger row, the list of tenants it must account for, the
 * close message, then one message per tenant. Messages that could not be sent (or were never
 * sent: the invocation stopped) leave their tenants "not scanned (deadline)" when the run closes,
 * and fail this invocation, so Azure Monitor shows it.
 */
export async function startCustomerAdminScan(dependencies: AdminScanDependencies): Promise<StartedScan> {
  const { lease, clock, log } = dependencies;
  // Under the source's lease: two starts at once would each see no run and both open one.
  const started = await underLease({ lease, clock, log }, 'customerAdmins', randomBytes(4).toString('hex'), () => startUnderLease(dependencies));
  return started ?? { runId: null, tenants: 0, skipped: 'another start holds the lease' };
}

async function startUnderLease(dependencies: AdminScanDependencies): Promise<StartedScan> {
  const { runs, scans, queue, clock, log, settings } = dependencies;
  const now = clock.now();
  const [running] = await runs.list('customerAdmins', { status: 'running', top: 1 });
  if (running !== undefined && now.getTime() < Date.parse(running.startedAt) + settings.deadlineMs + closeGraceMs) {
    const skipped = `run ${running.runId} is still scanning (deadline ${new Date(Date.parse(running.startedAt) + settings.deadlineMs).toISOString()})`;
    log.info(`scanCustomerAdmins: no new run: ${skipped}`);
    return { runId: null, tenants: 0, skipped };
  }
  const tenantIds = await currentCustomers(dependencies);
  if (tenantIds === null) {
    log.info('scanCustomerAdmins: no new run: collectPartnerSecurity has not yet completed a run, so no customer is known');
    return { runId: null, tenants: 0, skipped: 'no customers known yet' };
  }
  const runId = newRunId(now, randomBytes(4).toString('hex'));
  const deadline = new Date(now.getTime() + settings.deadlineMs).toISOString();
  const run: SnapshotRun = { source: 'customerAdmins', runId, status: 'running', startedAt: now.toISOString(), finishedAt: null, counts: { tenants: tenantIds.length }, errorCode: null, errorMessage: null, warnings: [] };
  await runs.open(run);
  await scans.writeManifest(runId, tenantIds);
  // The close message first: an invocation stopped while it queues the tenants leaves a run that still closes.
  await queue.send({ kind: 'closeRun', runId, deadline }, { visibleAfterSeconds: Math.ceil(nextCloseCheckMs(now, now, new Date(deadline)) / 1000) });
  const limit = new ConcurrencyLimit(sendConcurrency);
  const sent = await Promise.allSettled(tenantIds.map((tenantId) => limit.run(() => queue.send({ kind: 'scanTenant', runId, tenantId, deadline }))));
  const failures = sent.filter((result) => result.status === 'rejected');
  log.info(`scanCustomerAdmins: run ${runId} queued ${tenantIds.length - failures.length} of ${tenantIds.length} customer tenants; deadline ${deadline}`);
  if (failures.length > 0) {
    throw new MonitorError('QueueUnavailable', `run ${runId}: ${failures.length} of ${tenantIds.length} tenant messages could not be sent (${errorCode(failures[0]?.reason)}); those tenants will be recorded "not scanned (deadline)"`);
  }
  return { runId, tenants: tenantIds.length, skipped: null };
}

/** Every customer tenant of the customers' current state (the newest applied partnerSecurity run), or null before there is one. */
async function currentCustomers({ customers }: AdminScanDependencies): Promise<string[] | null> {
  const runId = await customers.currentRunId();
  if (runId === null) return null;
  const tenantIds: string[] = [];
  for (let start = null, first = true; first || start !== null; first = false) {
    const page = await customers.page(runId, start, 1000);
    tenantIds.push(...page.items.map((customer) => customer.tenantId.toLowerCase()));
    start = page.next;
  }
  return tenantIds;
}
