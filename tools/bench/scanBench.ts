/*
 * The customer-admin scan at 10,000 customers through the queue (issue 20's targets), against the
 * simulator (50 ms per customer-tenant request: every Graph answer and token, refusals and 429s
 * too) and Azurite's tables and queue.
 * Method: a fresh table prefix and queue; one collectPartnerSecurity run (so there are customers);
 * then, started together, the scanCustomerAdmins timer in a child process and N worker child
 * processes (scanWorkerProcess), each the app's queue functions under the local queue trigger with
 * host.json's queue settings, as N Functions instances would run them; until the run's ledger row
 * says complete (polled here once a second). Then every tenant of the run's manifest must have
 * exactly one result. The simulator's request log is drained here as it fills (its own log keeps
 * the newest 20,000), so every Graph and token request of the run is counted.
 * From the figures, a projection for Flex Consumption (projectFlex): what carries to Azure and
 * what does not is said beside it.
 */
import { TableAdminScanStore } from '../../src/adapters/tableAdminScanStore';
import { TableRunLedger } from '../../src/adapters/tableRunLedger';
import { Tables } from '../../src/adapters/tables';
import { hostQueueSettings } from '../../src/adapters/hostJson';
import { closeGraceMs } from '../../src/core/adminScan';
import type { SnapshotRun } from '../../src/core/snapshotRun';
import type { RequestLogEntry } from '../simulator';
import { createQueue } from '../createQueue';
import { createTables } from '../createTables';
import type { BenchRow } from './benchRow';
import { startBenchCloud, type BenchCloud } from './benchCloud';
import { count, MB, median, megabytes, seconds } from './benchFormat';
import { measureCollector, pageLatencyMs, type BenchSection } from './collectorBench';
import { runChild } from './runChild';
import type { ScanProcessMeasurement } from './scanWorkerProcess';
import { onAzure } from './storageTraffic';

export const scanCustomers = 10_000;
/** The collectors' bound (collectorBench.ts): a worker holds at most 12 tenants' answers, far less than a collector's pages. */
const rssTargetBytes = 256 * MB;
/** The goal, against CIPP's one-hour ceiling. */
const goalMs = 15 * 60_000;
/** infra/main.bicep's maximumInstanceCount default. */
const maximumInstanceCount = 40;
/** host.json's functionTimeout: the timer must queue every message within it. */
const functionTimeoutMs = 10 * 60_000;
/** CUSTOMER_ADMINS_DEADLINE_MINUTES's default (30), and the close's grace after it: how long the bench waits for the run at most. */
const runLimitMs = 30 * 60_000 + closeGraceMs;

/** Assumptions of the projection, each stated in its note. */
const azure = {
  /** Per Graph or Entra request from Azure, conservatively above the simulator's 50 ms (report endpoints are not the fastest). */
  graphLatencyMs: 250,
  /** Table or queue round trip from a function app in the same region (storageTraffic.ts). */
  storageRoundTripMs: 20,
  /** Flex Consumption's default instance size, 2,048 MB, taken as one vCPU. */
  instanceCpus: 1,
  /** Time for the scale controller to add instances for a queue of 10,000 (taken, not measured). */
  scaleOutMs: 60_000,
};

interface ScanRun {
  workers: ScanProcessMeasurement[];
  timer: ScanProcessMeasurement;
  run: SnapshotRun;
  endToEndMs: number;
  /** From the timer's start to the last tenant's result (scannedAt), before the close message saw it. */
  lastResultMs: number;
  manifest: number;
  results: number;
  distinctResults: number;
  missing: number;
  requestsRecorded: number;
  fallbackTenants: number;
  graphRequests: number;
  tokenRequests: number;
  throttledAnswers: number;
}

function stores(settings: Record<string, string>): { scans: TableAdminScanStore; runs: TableRunLedger } {
  const tables = new Tables({ connectionString: settings.TABLES_CONNECTION_STRING ?? '', endpoint: null, tablePrefix: settings.TABLE_PREFIX ?? '' }, () => {
    throw new Error('a connection string needs no token');
  });
  return { scans: new TableAdminScanStore(tables), runs: new TableRunLedger(tables) };
}

/** Counts the customer tenants' Graph and Entra (token) requests as the simulator logs them, draining its log (read and cleared in one turn of this event loop). */
function simulatorRequests(cloud: BenchCloud): { drain(): void; counts: { graph: number; token: number; throttled: number } } {
  const counts = { graph: 0, token: 0, throttled: 0 };
  const partnerTenant = cloud.sim.tenantId.toLowerCase();
  const customerGraph = /\/v1\.0\/(reports\/authenticationMethods\/userRegistrationDetails|directoryRoles|policies\/identitySecurityDefaultsEnforcementPolicy|identity\/conditionalAccess\/policies|users\/[^/]+\/authentication\/methods)/;
  const tally = (entry: RequestLogEntry): void => {
    if (entry.service === 'graph' && customerGraph.test(entry.path)) counts.graph += 1;
    // A customer tenant's Entra requests: its token endpoint (MSAL adds a query) and the OpenID configuration MSAL reads first.
    else if (entry.service === 'login' && !entry.path.toLowerCase().startsWith(`/login/${partnerTenant}/`)) counts.token += 1;
    else return;
    if (entry.status === 429) counts.throttled += 1;
  };
  return {
    counts,
    drain: () => {
      const entries = cloud.sim.requestLog();
      cloud.sim.clearRequestLog();
      entries.forEach(tally);
    },
  };
}

let runs = 0;

/** One run of the scan through the queue with `workerCount` worker processes, on its own tables and queue. */
async function scanThroughQueue(cloud: BenchCloud, workerCount: number): Promise<ScanRun> {
  const prefix = `benchscan${workerCount}w${++runs}`;
  const base = cloud.settings(prefix);
  await Promise.all([createTables(base.TABLES_CONNECTION_STRING ?? '', prefix), createQueue(base.ADMIN_SCAN_QUEUE ?? '', prefix)]);
  console.error(`bench: scan with ${workerCount} worker process(es): collectPartnerSecurity first...`);
  await measureCollector(cloud, 'collectPartnerSecurity', { tablePrefix: prefix });
  // The throttled tenants answer 429 to their first requests in each run, as a busy tenant would.
  for (const { tenantId } of cloud.sim.expected().customers) if (cloud.sim.customerTenants.profile(tenantId) === 'throttled') cloud.sim.customerTenants.setProfile(tenantId, 'throttled');
  const settings = { ...base, CUSTOMER_TENANT_AUTH: 'app' };
  const { scans, runs: ledger } = stores(settings);
  const requests = simulatorRequests(cloud);
  requests.drain();
  const counts = requests.counts;
  (['graph', 'token', 'throttled'] as const).forEach((name) => (counts[name] = 0));
  const drainer = setInterval(requests.drain, 500);
  const stop = new AbortController();
  let failure: unknown = null;
  const started = performance.now();
  const startedAt = Date.now();
  try {
    const workers = Array.from({ length: workerCount }, () =>
      runChild<ScanProcessMeasurement>('scanWorkerProcess', ['worker'], { env: settings, stop: stop.signal, timeoutMs: runLimitMs + 120_000 }).catch((error: unknown) => {
        failure ??= error;
        throw error;
      }),
    );
    // A rejected worker is reported through `failure` while the run is awaited; keep Node from calling it unhandled meanwhile.
    workers.forEach((worker) => worker.catch(() => undefined));
    console.error(`bench: scan with ${workerCount} worker process(es): the timer queues ${count(scanCustomers)} tenants...`);
    const timer = await runChild<ScanProcessMeasurement>('scanWorkerProcess', ['timer'], { env: settings, timeoutMs: functionTimeoutMs });
    const [opened] = await ledger.list('customerAdmins', { top: 1 });
    if (opened === undefined) throw new Error(`scanCustomerAdmins opened no run: ${timer.problems.join('; ')}`);
    let run = opened;
    let lastProgress = '';
    while (run.status === 'running') {
      if (failure !== null) throw failure;
      if (performance.now() - started > runLimitMs) throw new Error(`run ${run.runId} did not complete within ${seconds(runLimitMs)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      run = (await ledger.read('customerAdmins', opened.runId))?.run ?? run;
      const progress = `${run.counts.scanned ?? 0} scanned, ${run.counts.cannotSee ?? 0} cannot see`;
      if (progress !== lastProgress) console.error(`bench: ${seconds(performance.now() - started)}: ${progress}`);
      lastProgress = progress;
    }
    const endToEndMs = performance.now() - started;
    stop.abort();
    const measured = await Promise.all(workers);
    clearInterval(drainer);
    requests.drain();
    const [manifest, results] = await Promise.all([scans.readManifest(run.runId), scans.scansOfRun(run.runId)]);
    const resultIds = new Set(results.map((result) => result.tenantId));
    return {
      workers: measured,
      timer,
      run,
      endToEndMs,
      lastResultMs: Math.max(...results.map((result) => Date.parse(result.scannedAt))) - startedAt,
      manifest: manifest.length,
      results: results.length,
      distinctResults: resultIds.size,
      missing: manifest.filter((tenantId) => !resultIds.has(tenantId)).length,
      requestsRecorded: results.reduce((sum, result) => sum + result.requests, 0),
      fallbackTenants: results.filter((result) => result.outcome === 'scanned' && result.source === 'directoryRoles').length,
      graphRequests: counts.graph,
      tokenRequests: counts.token,
      throttledAnswers: counts.throttled,
    };
  } finally {
    clearInterval(drainer);
    stop.abort();
  }
}

const perTenant = (value: number, tenants: number): string => (value / tenants).toFixed(2);
const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/**
 * Flex Consumption, from one run's figures: per instance, batchSize + newBatchThreshold tenants
 * at once, each taking its sequential Graph round trips and storage round trips on Azure; an
 * instance is also bound by its CPU (the measured CPU per tenant). The instances that scan 10,000
 * tenants within the goal, after the timer's queueing, the scale-out and the close message's last look.
 */
function projectFlex(scan: ScanRun): { instances: number; note: string; perInstancePerSecond: number } {
  const { batchSize, newBatchThreshold } = hostQueueSettings();
  const concurrency = batchSize + newBatchThreshold;
  const tenants = scan.manifest;
  const workerStorage = sum(scan.workers.map((worker) => worker.storage.requests));
  const workerQueue = sum(scan.workers.map((worker) => worker.queue.requests));
  // Sequential round trips per tenant: the token, then its reads at once, then the fallback's methods where the report was refused.
  const graphInSequence = 2 + scan.fallbackTenants / tenants;
  // Every storage request of a tenant taken as sequential (an upper bound): its result check and rows, its message's receive share and delete.
  const storageInSequence = (workerStorage + workerQueue) / tenants;
  const tenantMs = graphInSequence * azure.graphLatencyMs + storageInSequence * azure.storageRoundTripMs;
  const cpuMsPerTenant = sum(scan.workers.map((worker) => worker.cpuMs)) / tenants;
  const byConcurrency = (concurrency * 1000) / tenantMs;
  const byCpu = (azure.instanceCpus * 1000) / cpuMsPerTenant;
  const perInstancePerSecond = Math.min(byConcurrency, byCpu);
  const queueingMs = scan.timer.queue.inSequence * azure.storageRoundTripMs + scan.timer.storage.inSequence * azure.storageRoundTripMs;
  const closeLookMs = 60_000;
  const budgetMs = goalMs - queueingMs - azure.scaleOutMs - closeLookMs;
  const instances = Math.ceil(tenants / ((perInstancePerSecond * budgetMs) / 1000));
  const measuredTenantMs = median(scan.workers.flatMap((worker) => worker.invocations.durationsMs));
  const instancesAt = (graphLatencyMs: number): number =>
    Math.ceil(tenants / ((Math.min((concurrency * 1000) / (graphInSequence * graphLatencyMs + storageInSequence * azure.storageRoundTripMs), byCpu) * budgetMs) / 1000));
  const atMeasuredSpeed = Math.ceil(tenants / ((Math.min((concurrency * 1000) / measuredTenantMs, byCpu) * budgetMs) / 1000));
  const note =
    `Flex Consumption projection: per instance ${concurrency} tenants at once (host.json batchSize ${batchSize} + newBatchThreshold ${newBatchThreshold}); a tenant on Azure ≈ ` +
    `${graphInSequence.toFixed(2)} Graph/Entra round trips in sequence x ${azure.graphLatencyMs} ms (assumed; the simulator answers in ${pageLatencyMs} ms) + ` +
    `${storageInSequence.toFixed(1)} storage requests x ${azure.storageRoundTripMs} ms (all taken as sequential) = ${tenantMs.toFixed(0)} ms, so ${byConcurrency.toFixed(1)} tenants/s per instance; ` +
    `CPU bound ${byCpu.toFixed(1)} tenants/s (${cpuMsPerTenant.toFixed(1)} ms CPU per tenant measured, ${azure.instanceCpus} vCPU per 2,048 MB instance assumed). ` +
    `Budget: ${seconds(goalMs)} - queueing ${seconds(queueingMs)} (the timer's ${scan.timer.queue.inSequence} queue + ${scan.timer.storage.inSequence} table requests in sequence x ${azure.storageRoundTripMs} ms) ` +
    `- scale-out ${seconds(azure.scaleOutMs)} (assumed) - the close message's last look ${seconds(closeLookMs)} = ${seconds(budgetMs)}: ` +
    `${instances} instance(s) scan ${count(tenants)} tenants within ${seconds(goalMs)} (${perInstancePerSecond.toFixed(1)} tenants/s each; ${instances * concurrency} tenants at once). ` +
    `At this machine's measured ${measuredTenantMs.toFixed(0)} ms per tenant (Azurite on shared cores) it would take ${atMeasuredSpeed}; were every Graph request 1 s, ${instancesAt(1000)}; 3 s, ${instancesAt(3000)}. ` +
    `The per-tenant Graph limit is no floor here: a tenant asks the identity reports once (userRegistrationDetails; 5 requests per 10 s per app per tenant allowed) and its other reads once each, ` +
    `so the run's floor is its slowest tenant (${tenantMs.toFixed(0)} ms, a throttled one Retry-After more), and across tenants ${concurrency} x ${instances} at once make ` +
    `~${((instances * perInstancePerSecond * (scan.graphRequests + scan.tokenRequests)) / tenants).toFixed(0)} Graph and token requests/s, against Graph's 130,000 per 10 s per app. ` +
    `Azurite distorts time, not counts: its single event loop serves every worker on the same 2 cores and filters rows in JavaScript (the close message counts all 10,000 results each look); the request and message counts carry to Azure.`;
  return { instances, note, perInstancePerSecond };
}

function scanRows(scan: ScanRun, workerCount: number, notes: string[]): BenchRow[] {
  const label = `${workerCount} worker${workerCount === 1 ? '' : 's'}`;
  const tenants = scan.manifest;
  const processes = [scan.timer, ...scan.workers];
  const tableRequests = sum(processes.map((process) => process.storage.requests));
  const rowsWritten = sum(processes.map((process) => process.storage.rowsWritten));
  const queueOf = (field: 'sent' | 'received' | 'deleted' | 'updated' | 'requests'): number => sum(processes.map((process) => process.queue[field]));
  const rescheduledOrClose = sum(scan.workers.map((worker) => worker.queue.sent));
  const projection = projectFlex(scan);
  notes.push(projection.note);
  notes.push(
    `scan, ${label}: run ${scan.run.runId} counts ${JSON.stringify(scan.run.counts)}; ${scan.throttledAnswers} answers were 429 (rescheduled through the queue); ` +
      `${count(scan.fallbackTenants)} tenants read through the directory-roles fallback; the results' own request counts add to ${count(scan.requestsRecorded)}; ` +
      `${count(sum(scan.workers.map((worker) => worker.invocations.succeeded + worker.invocations.failed)) - tenants)} invocations beyond one per tenant (the close message, a rescheduled tenant, messages handed out twice), none writing a second result`,
  );
  for (const [index, worker] of scan.workers.entries()) {
    const durations = [...worker.invocations.durationsMs].sort((left, right) => left - right);
    notes.push(
      `scan, ${label}, worker ${index + 1}: ${count(worker.tenantsRecorded)} tenants recorded, ${worker.invocations.succeeded} invocations succeeded, ${worker.invocations.failed} failed; ` +
        `invocation median ${(median(durations)).toFixed(0)} ms, p95 ${(durations[Math.floor(durations.length * 0.95)] ?? NaN).toFixed(0)} ms; first invocation at ${seconds(worker.firstInvocationMs ?? NaN)}; ` +
        `CPU ${seconds(worker.cpuMs)}; ${onAzure(worker.storage)}; queue: ${worker.queue.requests} requests, ${worker.queue.received} received, ${worker.queue.deleted} deleted, ${worker.queue.sent} sent` +
        (worker.problems.length > 0 ? `; logged: ${worker.problems.slice(0, 3).join(' | ')}` : ''),
    );
  }
  const rows: BenchRow[] = [
    {
      measure: `scan: every tenant accounted for (${label})`,
      value: `${count(scan.results)} results for ${count(scan.manifest)} manifest tenants; ${scan.results - scan.distinctResults} twice, ${scan.missing} missing`,
      target: `one result per tenant of ${count(scanCustomers)}`,
      met: scan.manifest === scanCustomers && scan.results === scan.manifest && scan.distinctResults === scan.results && scan.missing === 0,
    },
    {
      measure: `scan: timer queues ${count(tenants)} tenants (${label} running)`,
      value: `${seconds(scan.timer.wallMs)}; ${count(scan.timer.queue.sent)} messages in ${count(scan.timer.queue.requests)} queue requests (${scan.timer.queue.inSequence} in sequence), CPU ${seconds(scan.timer.cpuMs)}, peak RSS ${megabytes(scan.timer.maxRssBytes)}`,
      target: `< functionTimeout ${seconds(functionTimeoutMs)}`,
      met: scan.timer.wallMs < functionTimeoutMs,
    },
    {
      measure: `scan: end-to-end, timer to run complete (${label})`,
      value: `${seconds(scan.endToEndMs)} (last result at ${seconds(scan.lastResultMs)}; the close message looks at most a minute apart)`,
      target: '(this machine, Azurite; see the projection)',
      met: true,
    },
  ];
  for (const [index, worker] of scan.workers.entries()) {
    const activeMs = (worker.lastRecordedMs ?? NaN) - (worker.firstInvocationMs ?? NaN);
    rows.push(
      {
        measure: `scan: worker ${index + 1} of ${workerCount}: tenants per second`,
        value: `${(worker.tenantsRecorded / (activeMs / 1000)).toFixed(1)}/s (${count(worker.tenantsRecorded)} tenants in ${seconds(activeMs)}; CPU ${seconds(worker.cpuMs)} = ${(worker.cpuMs / Math.max(1, worker.tenantsRecorded)).toFixed(1)} ms per tenant)`,
        target: '(2 cores shared by the simulator, Azurite and other work)',
        met: true,
      },
      {
        measure: `scan: worker ${index + 1} of ${workerCount}: peak RSS`,
        value: megabytes(worker.maxRssBytes),
        target: `< ${megabytes(rssTargetBytes)} (the collectors' bound)`,
        met: worker.maxRssBytes < rssTargetBytes,
      },
    );
  }
  rows.push(
    {
      measure: `scan: Graph + Entra (token) requests per tenant (${label})`,
      value: `${perTenant(scan.graphRequests, tenants)} Graph + ${perTenant(scan.tokenRequests, tenants)} Entra = ${perTenant(scan.graphRequests + scan.tokenRequests, tenants)} (${count(scan.graphRequests + scan.tokenRequests)} in all, ${scan.throttledAnswers} answered 429)`,
      target: '(simulator request log)',
      met: true,
    },
    {
      measure: `scan: queue messages per tenant (${label})`,
      value:
        `sent ${perTenant(queueOf('sent'), tenants)} (timer ${count(scan.timer.queue.sent)}, reschedules and close checks ${count(rescheduledOrClose)}), received ${perTenant(queueOf('received'), tenants)}, ` +
        `deleted ${perTenant(queueOf('deleted'), tenants)}, made visible again ${count(queueOf('updated'))}; ${perTenant(queueOf('requests'), tenants)} queue requests`,
      target: '(requests carry to Azure)',
      met: true,
    },
    {
      measure: `scan: table storage per tenant (${label})`,
      value: `${perTenant(rowsWritten, tenants)} rows written, ${perTenant(tableRequests, tenants)} requests (transactions) (${count(rowsWritten)} rows, ${count(tableRequests)} requests in all)`,
      target: '(requests carry to Azure)',
      met: true,
    },
    {
      measure: `scan: projected Flex Consumption instances for ${count(scanCustomers)} tenants < ${seconds(goalMs)}`,
      value: `${projection.instances} instances (${projection.perInstancePerSecond.toFixed(1)} tenants/s each; see the note)`,
      target: `<= maximumInstanceCount default ${maximumInstanceCount} (infra/main.bicep)`,
      met: projection.instances <= maximumInstanceCount,
    },
  );
  return rows;
}

/** The scan section: a run with each worker count in turn, each on its own tables and queue, on one simulator and Azurite. */
export async function benchScan(workerCounts: readonly number[]): Promise<BenchSection> {
  const cloud = await startBenchCloud({ customers: scanCustomers, pageLatencyMs });
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    for (const workerCount of workerCounts) {
      const scan = await scanThroughQueue(cloud, workerCount);
      rows.push(...scanRows(scan, workerCount, notes));
    }
  } finally {
    await cloud.close();
  }
  return { rows, notes };
}
