/*
 * `npm run bench`: the performance targets of issues 2 and 3, each figure beside its target.
 * A script, not a test: it exits 0 when a target is missed, and prints NO beside it.
 * Every measured piece of the app runs in a child process of its own; the simulator serves
 * from this process and Azurite runs in its own process (see bench/*.ts for each method).
 * Simulator: 10,000 customers, 1,430 non-MFA sign-ins a day (capped at 10,000 records),
 * 50 ms per page, default page sizes (Graph 100, Partner Center 500).
 */
import { cpus, loadavg } from 'node:os';
import { startBenchCloud } from './bench/benchCloud';
import { seconds } from './bench/benchFormat';
import { printBenchTable, type BenchRow } from './bench/benchRow';
import { benchCollectorGrowth, benchCollectorsAt10k, pageLatencyMs, type CollectorRun } from './bench/collectorBench';
import { benchDetector } from './bench/detectorBench';
import { benchEntryLoad } from './bench/entryLoadBench';
import { optionalQueryApiRows } from './bench/optionalQueryApiBench';
import { benchStorage, customerInsightsOf } from './bench/storageBench';
import { toError } from '../core/errors';

const customers = 10_000;
const grownCustomers = 50_000;
const nonMfaSignInsPerDay = 1_430;
const graphPageSize = 100;
const partnerCenterPageSize = 500;

function machine(): string {
  return `${cpus().length} CPUs, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const notes: string[] = [`machine at start: ${machine()}`];
  const issue2: BenchRow[] = [];
  const issue3: BenchRow[] = [];

  console.error('bench: loading the entry module...');
  const entryRows = await benchEntryLoad();

  const cloud = await startBenchCloud({ customers, nonMfaSignInsPerDay, graphPageSize, partnerCenterPageSize, pageLatencyMs });
  let growthBaseline: CollectorRun[] = [];
  try {
    console.error('bench: storage writes, batched vs one at a time...');
    const storage = await benchStorage(customerInsightsOf(cloud.sim));
    console.error(`bench: collectors at ${customers} customers...`);
    const collectors = await benchCollectorsAt10k(cloud, customers, graphPageSize, partnerCenterPageSize);
    growthBaseline = collectors.partnerSecurity;
    issue2.push(...collectors.rows, ...storage.rows);
    notes.push(...collectors.notes, ...storage.notes);
    console.error('bench: regression detection...');
    const baselineRun = collectors.partnerSecurity[0];
    if (baselineRun === undefined) throw new Error('no collectPartnerSecurity run to detect against');
    const detector = await benchDetector(cloud, baselineRun.tablePrefix);
    issue3.push(...detector.rows);
    notes.push(...detector.notes);
  } finally {
    await cloud.close();
  }

  console.error(`bench: collectPartnerSecurity at ${grownCustomers} customers...`);
  const growth = await benchCollectorGrowth(growthBaseline, customers, grownCustomers, graphPageSize);
  issue2.push(...growth.rows, ...entryRows);
  notes.push(...growth.notes, `machine at end: ${machine()}`, `time: ${seconds(performance.now() - started)}`);

  console.log(`\nIssue 2: collectors (simulator: ${customers.toLocaleString('en-US')} customers, ${pageLatencyMs} ms per page), storage, peak memory, entry load`);
  printBenchTable(issue2);
  console.log(`\nIssue 3: regression detection`);
  printBenchTable(issue3);
  console.log('\nNotes');
  for (const note of notes) console.log(`- ${note}`);

  // Printed last and on its own, so the figures above stand whatever happens to it.
  console.error('bench: query API...');
  const queryApiStarted = performance.now();
  try {
    const queryApi = await optionalQueryApiRows();
    if (queryApi.rows.length > 0) {
      console.log('\nQuery API');
      printBenchTable(queryApi.rows);
    }
    console.log(`- ${queryApi.note} (${seconds(performance.now() - queryApiStarted)})`);
  } catch (error) {
    console.log(`- query API: its bench failed, no rows: ${toError(error).message}`);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
