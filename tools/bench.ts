/*
 * `npm run bench`: the performance targets of the collectors, storage, regression detection and
 * the query API, each figure beside its target. A script, not a test: it exits 0 when a target
 * is missed, and prints NO beside it. Collectors and the detector run in child processes of
 * their own; the simulator serves from this process and Azurite runs in its own process (see
 * bench/*.ts for each method). Simulator: 10,000 customers, 1,430 non-MFA sign-ins a day
 * (capped at 10,000 records), 50 ms per page, default page sizes (Graph 100, Partner Center 500).
 * Churn: collectPartnerSecurity on the following day and the detector at 2 % (as real partners
 * see) and at the simulator's daily 69 %, with the storage requests after the last page.
 * `npm run bench -- --only detector` runs regression detection alone, on one collector run;
 * `--only churn` the churn section alone; `--only query` the query API alone; `--only scan` the
 * customer-admin scan through the queue alone (bench/scanBench.ts), with 1 and then 4 worker
 * processes, or those `--workers 1,2` names; `--only tickets` the tickets in the three simulated
 * PSAs, requests per run against each PSA's documented limit (bench/ticketBench.ts).
 */
import { cpus, loadavg } from 'node:os';
import { startBenchCloud } from './bench/benchCloud';
import { seconds } from './bench/benchFormat';
import { printBenchTable, type BenchRow } from './bench/benchRow';
import { benchCollectorGrowth, benchCollectorsAt10k, measureCollector, pageLatencyMs, type CollectorRun } from './bench/collectorBench';
import { benchChurn } from './bench/churnBench';
import { benchDetector } from './bench/detectorBench';
import { benchEntryLoad } from './bench/entryLoadBench';
import { benchPackageSize } from './bench/packageSizeBench';
import { benchQueryApi } from './bench/queryApiBench';
import { benchScan, scanCustomers } from './bench/scanBench';
import { benchStorage, customerInsightsOf } from './bench/storageBench';
import { benchTickets } from './bench/ticketBench';
import { storageVolumeRows } from './bench/storageVolume';

const customers = 10_000;
const grownCustomers = 50_000;
const nonMfaSignInsPerDay = 1_430;
const graphPageSize = 100;
const partnerCenterPageSize = 500;

function machine(): string {
  return `${cpus().length} CPUs, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`;
}

/** Regression detection alone: one collectPartnerSecurity run to detect against, then the detector's rows. */
async function detectionOnly(): Promise<void> {
  const started = performance.now();
  const cloud = await startBenchCloud({ customers, nonMfaSignInsPerDay, graphPageSize, partnerCenterPageSize, pageLatencyMs });
  try {
    console.error(`bench: collectPartnerSecurity at ${customers} customers, then regression detection...`);
    const baselineRun = await measureCollector(cloud, 'collectPartnerSecurity');
    const detector = await benchDetector(cloud, baselineRun.tablePrefix);
    console.log(`\nRegression detection (simulator: ${customers.toLocaleString('en-US')} customers)`);
    printBenchTable(detector.rows);
    console.log('\nNotes');
    for (const note of [`machine: ${machine()}`, ...detector.notes, `time: ${seconds(performance.now() - started)}`]) console.log(`- ${note}`);
  } finally {
    await cloud.close();
  }
}

/** The churn section alone. */
async function churnOnly(): Promise<void> {
  const started = performance.now();
  const churn = await benchChurn({ customers, graphPageSize, partnerCenterPageSize });
  console.log(`\nChurn (simulator: ${customers.toLocaleString('en-US')} customers, ${pageLatencyMs} ms per page)`);
  printBenchTable(churn.rows);
  console.log('\nNotes');
  for (const note of [`machine: ${machine()}`, ...churn.notes, `time: ${seconds(performance.now() - started)}`]) console.log(`- ${note}`);
}

/** The query API alone. */
async function queryOnly(): Promise<void> {
  const started = performance.now();
  const query = await benchQueryApi();
  console.log('\nQuery API');
  printBenchTable(query.rows);
  console.log('\nNotes');
  for (const note of [`machine: ${machine()}`, query.note, `time: ${seconds(performance.now() - started)}`]) console.log(`- ${note}`);
}

/** Worker processes of the scan's runs, one run each: `--workers 1,4`. */
function scanWorkerCounts(): number[] {
  const listed = process.argv.includes('--workers') ? process.argv[process.argv.indexOf('--workers') + 1] : '1,4';
  const counts = (listed ?? '').split(',').map(Number);
  if (counts.length === 0 || counts.some((workers) => !Number.isInteger(workers) || workers < 1 || workers > 16)) {
    throw new Error(`bench: --workers takes worker counts 1-16 separated by commas (got ${listed})`);
  }
  return counts;
}

const scanTitle = `Customer-admin scan through the queue (simulator: ${scanCustomers.toLocaleString('en-US')} customers, ${pageLatencyMs} ms per customer-tenant request; Azurite tables and queue)`;

const ticketCustomers = 1_000;
const ticketTitle = `Tickets in ConnectWise PSA, Autotask and HaloPSA (simulated), ${(ticketCustomers * 5).toLocaleString('en-US')} findings at ${ticketCustomers.toLocaleString('en-US')} customers; requests per run against each PSA's documented limit`;

/** The tickets alone. */
async function ticketsOnly(): Promise<void> {
  const started = performance.now();
  const cloud = await startBenchCloud({ customers: ticketCustomers, graphPageSize, partnerCenterPageSize, psaRequestLimits: false });
  try {
    const tickets = await benchTickets(cloud, ticketCustomers);
    console.log(`\n${ticketTitle}`);
    printBenchTable(tickets.rows);
    console.log('\nNotes');
    for (const note of [`machine: ${machine()}`, ...tickets.notes, `time: ${seconds(performance.now() - started)}`]) console.log(`- ${note}`);
  } finally {
    await cloud.close();
  }
}

/** The customer-admin scan alone. */
async function scanOnly(): Promise<void> {
  const started = performance.now();
  const scan = await benchScan(scanWorkerCounts());
  console.log(`\n${scanTitle}`);
  printBenchTable(scan.rows);
  console.log('\nNotes');
  for (const note of [`machine: ${machine()} (shared with other work)`, ...scan.notes, `time: ${seconds(performance.now() - started)}`]) console.log(`- ${note}`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const notes: string[] = [`machine at start: ${machine()}`];
  const collection: BenchRow[] = [];
  const detection: BenchRow[] = [];

  console.error('bench: loading the entry module...');
  const entryRows = await benchEntryLoad();
  console.error('bench: building the deployment package...');
  const packageRows = benchPackageSize();

  const cloud = await startBenchCloud({ customers, nonMfaSignInsPerDay, graphPageSize, partnerCenterPageSize, pageLatencyMs });
  let growthBaseline: CollectorRun[] = [];
  try {
    console.error('bench: storage writes, batched vs one at a time...');
    const storage = await benchStorage(customerInsightsOf(cloud.sim));
    console.error(`bench: collectors at ${customers} customers...`);
    const collectors = await benchCollectorsAt10k(cloud, customers, graphPageSize, partnerCenterPageSize);
    growthBaseline = collectors.partnerSecurity;
    const volume = storageVolumeRows(
      { first: collectors.partnerSecurity[0]!, following: collectors.following.partnerSecurity[0]! },
      { first: collectors.principals[0]!, following: collectors.following.principals[0]! },
    );
    collection.push(...collectors.rows, ...storage.rows, ...volume.rows);
    notes.push(...collectors.notes, ...storage.notes, ...volume.notes);
    console.error('bench: regression detection...');
    const baselineRun = collectors.partnerSecurity[0];
    if (baselineRun === undefined) throw new Error('no collectPartnerSecurity run to detect against');
    const detector = await benchDetector(cloud, baselineRun.tablePrefix);
    detection.push(...detector.rows);
    notes.push(...detector.notes);
  } finally {
    await cloud.close();
  }

  const churn = await benchChurn({ customers, graphPageSize, partnerCenterPageSize });
  notes.push(...churn.notes);
  console.error(`bench: collectPartnerSecurity at ${grownCustomers} customers...`);
  const growth = await benchCollectorGrowth(growthBaseline, customers, grownCustomers, graphPageSize);
  collection.push(...growth.rows, ...entryRows, ...packageRows);
  console.error('bench: query API...');
  const queryStarted = performance.now();
  const query = await benchQueryApi();
  notes.push(`${query.note} (${seconds(performance.now() - queryStarted)})`);
  console.error('bench: customer-admin scan through the queue...');
  const scan = await benchScan(scanWorkerCounts());
  notes.push(...scan.notes);
  console.error('bench: tickets in the simulated PSAs...');
  const ticketCloud = await startBenchCloud({ customers: ticketCustomers, graphPageSize, partnerCenterPageSize, psaRequestLimits: false });
  const tickets = await benchTickets(ticketCloud, ticketCustomers).finally(() => ticketCloud.close());
  notes.push(...tickets.notes);
  notes.push(...growth.notes, `machine at end: ${machine()}`, `time: ${seconds(performance.now() - started)}`);

  console.log(`\nCollectors (simulator: ${customers.toLocaleString('en-US')} customers, ${pageLatencyMs} ms per page), storage, peak memory, entry load, package`);
  printBenchTable(collection);
  console.log(`\nRegression detection`);
  printBenchTable(detection);
  console.log(`\nChurn: collectPartnerSecurity on the following day and the detector, at 2 % and at the simulator's daily 69 %`);
  printBenchTable(churn.rows);
  console.log('\nQuery API');
  printBenchTable(query.rows);
  console.log(`\n${scanTitle}`);
  printBenchTable(scan.rows);
  console.log(`\n${ticketTitle}`);
  printBenchTable(tickets.rows);
  console.log('\nNotes');
  for (const note of notes) console.log(`- ${note}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const parts: Record<string, () => Promise<void>> = { detector: detectionOnly, churn: churnOnly, query: queryOnly, scan: scanOnly, tickets: ticketsOnly };
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const part = only === undefined ? main : parts[only];
if (part === undefined) {
  console.error(`bench: --only takes ${Object.keys(parts).map((name) => `"${name}"`).join(', ')} (got ${only})`);
  process.exit(2);
}
part().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
