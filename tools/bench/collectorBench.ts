/*
 * The collectors at scale, against the simulator (50 ms per page) and Azurite.
 * Method: each run is a fresh child process (collectorProcess) with its own table prefix, so
 * every run starts from empty tables; the simulator's request log counts the pages served.
 * At 10,000 customers and 10,000 principals each collector runs three times: wall time and
 * peak RSS are the medians (the range is printed below the table). The floor is the sequential
 * page chains: the long nextLink chain, plus for collectPartnerSecurity the customer-name chains
 * it reads after the insights (each run starts with an empty directory, so each refreshes the
 * names; in production that happens once a day), each page x 50 ms. Diagnostics below the table: the chain read alone
 * (storing nothing), and the CPU each process used during each run. RSS growth runs once at 50,000 customers on a
 * fresh simulator and Azurite, and is compared with the 10,000-customer median.
 */
import { createTables } from '../createTables';
import type { BenchRow } from './benchRow';
import { startBenchCloud, type BenchCloud } from './benchCloud';
import { count, MB, median, megabytes, perSecond, seconds } from './benchFormat';
import type { CollectorMeasurement } from './collectorProcess';
import { runChild } from './runChild';
import { onAzure } from './storageTraffic';

export const pageLatencyMs = 50;
const wallTarget = 1.3;
const rssTargetBytes = 256 * MB;
const growthTarget = 5;
const runsPerCollector = 3;

type CollectorName = 'collectPartnerSecurity' | 'collectNonMfaPrincipals';

export interface CollectorRun extends CollectorMeasurement {
  tablePrefix: string;
  /** Data requests the simulator answered during the run (Graph or Partner Center). */
  requests: number;
  /** Of those, pages of the long sequential chain (customerInsights or principals). */
  chainPages: number;
  /** Pages of the customer-name chains (GDAP customers, then Partner Center customers) read after the chain. */
  namePages: number;
  /** CPU used during the run by Azurite (null where unreadable) and by the simulator's process. */
  azuriteCpuMs: number | null;
  simulatorCpuMs: number;
}

export interface BenchSection {
  rows: BenchRow[];
  notes: string[];
}

let prefixes = 0;

/** One run in a child process; a new table prefix gets its tables first (as the deployment creates them), outside the timing. */
export async function measureCollector(
  cloud: BenchCloud,
  collector: CollectorName,
  options: { tablePrefix?: string; pagesOnly?: boolean } = {},
): Promise<CollectorRun> {
  const tablePrefix = options.tablePrefix ?? `bench${collector === 'collectPartnerSecurity' ? 'ps' : 'nm'}${++prefixes}`;
  if (options.tablePrefix === undefined) await createTables(cloud.settings(tablePrefix).TABLES_CONNECTION_STRING ?? '', tablePrefix);
  cloud.sim.clearRequestLog();
  const before = cloud.cpuMs();
  const measurement = await runChild<CollectorMeasurement>('collectorProcess', options.pagesOnly === true ? [collector, '--pages-only'] : [collector], { env: cloud.settings(tablePrefix) });
  const after = cloud.cpuMs();
  const service = collector === 'collectPartnerSecurity' ? 'graph' : 'partnerCenter';
  const chain = collector === 'collectPartnerSecurity' ? 'customerInsights' : 'nonMfaCompliantPartnerPrincipals';
  const log = cloud.sim.requestLog().filter((entry) => entry.status === 200);
  const served = log.filter((entry) => entry.service === service);
  return {
    ...measurement,
    tablePrefix,
    requests: served.length,
    chainPages: served.filter((entry) => entry.path.includes(chain)).length,
    namePages: log.filter((entry) => (entry.service === 'graph' && entry.path.includes('/delegatedAdminCustomers')) || (entry.service === 'partnerCenter' && entry.path.includes('/v1/customers'))).length,
    azuriteCpuMs: after.azurite === null || before.azurite === null ? null : after.azurite - before.azurite,
    simulatorCpuMs: after.simulator - before.simulator,
  };
}

/**
 * The storage that follows the last page: its requests and their depth in sequence carry to
 * Azure; Azurite's time does not (it filters every row of a table per query, on shared cores).
 */
function afterLastPageRow(measure: string, runs: readonly CollectorRun[]): BenchRow {
  const byWall = [...runs].sort((left, right) => left.wallMs - right.wallMs);
  const run = byWall[Math.floor(byWall.length / 2)];
  if (run === undefined) throw new Error(`no run for ${measure}`);
  return {
    measure,
    value: `${onAzure(run.afterLastPage)}; Azurite took ${seconds(run.wallMs - run.lastPageMs)}; ${count(run.afterLastPage.rowsRead)} rows read, ${count(run.afterLastPage.rowsWritten)} written`,
    target: '(requests carry to Azure, Azurite time does not)',
    met: true,
  };
}

export function afterLastPage(run: CollectorRun): string {
  const tail = run.afterLastPage;
  const azuriteMs = run.wallMs - run.lastPageMs;
  const perRoundTrip = tail.inSequence === 0 ? '' : `, ${(azuriteMs / tail.inSequence).toFixed(0)} ms per request in sequence`;
  return `after the last page: ${onAzure(tail)}, Azurite took ${seconds(azuriteMs)}${perRoundTrip}; ${count(tail.rowsRead)} rows read, ${count(tail.rowsWritten)} written`;
}

function describeCpu(run: CollectorRun): string {
  const azurite = run.azuriteCpuMs === null ? 'unknown' : seconds(run.azuriteCpuMs);
  return `CPU: collector ${seconds(run.cpuMs)} (event loop busy ${(run.eventLoopUtilization * 100).toFixed(0)}%), Azurite ${azurite}, simulator ${seconds(run.simulatorCpuMs)}`;
}

/** The long page chain alone, through the same source, storing nothing: what fetching costs without storage. */
async function pagesOnlyNote(cloud: BenchCloud, collector: CollectorName): Promise<string> {
  const run = await measureCollector(cloud, collector, { pagesOnly: true });
  const floorMs = run.chainPages * pageLatencyMs;
  return `${collector} page chain alone (no storage): ${seconds(run.wallMs)} = ${(run.wallMs / floorMs).toFixed(2)}x its floor of ${seconds(floorMs)}; ${describeCpu(run)}`;
}

function describeRange(runs: readonly CollectorRun[], pick: (run: CollectorRun) => number, format: (value: number) => string): string {
  const values = runs.map(pick);
  return `${format(Math.min(...values))} - ${format(Math.max(...values))}`;
}

function collectorRows(label: string, runs: readonly CollectorRun[], expectedPages: number, notes: string[]): BenchRow[] {
  const wallMs = median(runs.map((run) => run.wallMs));
  const rss = median(runs.map((run) => run.maxRssBytes));
  const pages = median(runs.map((run) => run.chainPages));
  const namePages = median(runs.map((run) => run.namePages));
  const requests = median(runs.map((run) => run.requests));
  const entities = median(runs.map((run) => run.counts.entitiesWritten ?? 0));
  const floorMs = (pages + namePages) * pageLatencyMs;
  const limitMs = floorMs * wallTarget;
  const name = runs[0]?.collector ?? '';
  for (const run of runs) {
    notes.push(
      `${name} ${run.tablePrefix}: wall ${seconds(run.wallMs)}, first page at ${seconds(run.firstPageMs)}, last page at ${seconds(run.lastPageMs)}, ` +
        `${afterLastPage(run)}; in all ${count(run.storage.rowsRead)} rows read, ${count(run.counts.entitiesWritten ?? 0)} entities written in ${count(run.storage.requests)} storage requests, peak RSS ${megabytes(run.maxRssBytes)}; ${describeCpu(run)}`,
    );
  }
  notes.push(`${name}: wall ${describeRange(runs, (run) => run.wallMs, seconds)}, peak RSS ${describeRange(runs, (run) => run.maxRssBytes, megabytes)} over ${runs.length} runs`);
  return [
    {
      measure: `${name} wall time (${label}, median of ${runs.length})`,
      value: `${seconds(wallMs)} (${(wallMs / floorMs).toFixed(2)}x floor)`,
      target: `<= ${wallTarget}x floor = ${seconds(limitMs)} (${namePages > 0 ? `${pages} + ${namePages} name pages` : `${pages} pages`} x ${pageLatencyMs} ms)`,
      met: wallMs <= limitMs,
    },
    afterLastPageRow(`${name} storage after the last page (${label}, median run)`, runs),
    {
      measure: `${name} pages fetched (${label})`,
      value: `${pages} chain pages, ${requests} requests in all`,
      target: `${expectedPages} chain pages, none fetched twice`,
      met: runs.every((run) => run.chainPages === expectedPages && run.pages === expectedPages),
    },
    {
      measure: `${name} entities written per second (${label})`,
      value: `${count(perSecond(entities, wallMs))}/s (${count(entities)} entities)`,
      target: `>= ${count(perSecond(entities, limitMs))}/s (entities / ${wallTarget}x floor)`,
      met: perSecond(entities, wallMs) >= perSecond(entities, limitMs),
    },
    {
      measure: `${name} peak RSS (${label}, median of ${runs.length})`,
      value: megabytes(rss),
      target: `< ${megabytes(rssTargetBytes)}`,
      met: rss < rssTargetBytes,
    },
  ];
}

/** A first run on empty tables, then the following simulated day's run on the same tables. */
async function firstAndFollowingDay(cloud: BenchCloud, collector: CollectorName): Promise<{ first: CollectorRun; following: CollectorRun }> {
  const first = await measureCollector(cloud, collector);
  const day = cloud.sim.day;
  cloud.sim.advanceDays(1);
  try {
    return { first, following: await measureCollector(cloud, collector, { tablePrefix: first.tablePrefix }) };
  } finally {
    cloud.sim.setDay(day);
  }
}

/**
 * Runs each collector three times at 10,000, each time a first run and the following day's run;
 * returns the rows and the first runs of partnerSecurity (the detector's baseline) and of both
 * (the storage volume figures).
 */
export async function benchCollectorsAt10k(
  cloud: BenchCloud,
  customers: number,
  graphPageSize: number,
  partnerCenterPageSize: number,
): Promise<BenchSection & { partnerSecurity: CollectorRun[]; following: { partnerSecurity: CollectorRun[]; principals: CollectorRun[] }; principals: CollectorRun[] }> {
  const notes: string[] = [];
  const partnerSecurity: CollectorRun[] = [];
  const principals: CollectorRun[] = [];
  const following = { partnerSecurity: [] as CollectorRun[], principals: [] as CollectorRun[] };
  for (let run = 0; run < runsPerCollector; run += 1) {
    const runs = await firstAndFollowingDay(cloud, 'collectPartnerSecurity');
    partnerSecurity.push(runs.first);
    following.partnerSecurity.push(runs.following);
  }
  for (let run = 0; run < runsPerCollector; run += 1) {
    const runs = await firstAndFollowingDay(cloud, 'collectNonMfaPrincipals');
    principals.push(runs.first);
    following.principals.push(runs.following);
  }
  notes.push(await pagesOnlyNote(cloud, 'collectPartnerSecurity'), await pagesOnlyNote(cloud, 'collectNonMfaPrincipals'));
  const principalCount = cloud.sim.expected().nonMfaPrincipals.length;
  const chain = Math.ceil(customers / graphPageSize);
  const rows = [
    ...collectorRows(`${count(customers)} customers, first run`, partnerSecurity, chain, notes),
    ...collectorRows(`${count(customers)} customers, following day`, following.partnerSecurity, chain, notes).slice(0, 2),
    ...collectorRows(`${count(principalCount)} principals, first run`, principals, Math.ceil(principalCount / partnerCenterPageSize), notes),
    ...collectorRows(`principals, following run`, following.principals, Math.ceil(cloud.sim.expected(cloud.sim.day + 1).nonMfaPrincipals.length / partnerCenterPageSize), notes).slice(0, 2),
  ];
  return { rows, notes, partnerSecurity, principals, following };
}

/** One collectPartnerSecurity run at `customers`, on its own simulator and Azurite, against the 10,000-customer median RSS. */
export async function benchCollectorGrowth(baseline: readonly CollectorRun[], baselineCustomers: number, customers: number, graphPageSize: number): Promise<BenchSection> {
  const cloud = await startBenchCloud({ customers, graphPageSize, pageLatencyMs });
  try {
    const { first: run, following } = await firstAndFollowingDay(cloud, 'collectPartnerSecurity');
    const baselineRss = median(baseline.map((entry) => entry.maxRssBytes));
    const ratio = run.maxRssBytes / baselineRss;
    const floorOf = (measured: CollectorRun): number => (measured.chainPages + measured.namePages) * pageLatencyMs;
    const describe = (label: string, measured: CollectorRun): string =>
      `collectPartnerSecurity at ${count(customers)} customers, ${label}: wall ${seconds(measured.wallMs)} (${(measured.wallMs / floorOf(measured)).toFixed(2)}x its floor of ${seconds(floorOf(measured))}), ` +
      `${measured.chainPages} + ${measured.namePages} name pages, ${count(measured.counts.entitiesWritten ?? 0)} entities in ${count(measured.storage.requests)} storage requests, ` +
      `${afterLastPage(measured)}, peak RSS ${megabytes(measured.maxRssBytes)}; ${describeCpu(measured)}`;
    const notes = [describe('first run', run), describe('following day', following)];
    const wallRow = (label: string, measured: CollectorRun): BenchRow => ({
      measure: `collectPartnerSecurity wall time (${count(customers)} customers, ${label})`,
      value: `${seconds(measured.wallMs)} (${(measured.wallMs / floorOf(measured)).toFixed(2)}x floor)`,
      target: `<= ${wallTarget}x floor = ${seconds(floorOf(measured) * wallTarget)}`,
      met: measured.wallMs <= floorOf(measured) * wallTarget,
    });
    return {
      notes,
      rows: [
        wallRow('first run', run),
        wallRow('following day', following),
        {
          measure: `collectPartnerSecurity peak RSS growth ${count(baselineCustomers)} -> ${count(customers)} customers`,
          value: `${megabytes(run.maxRssBytes)} / ${megabytes(baselineRss)} = ${ratio.toFixed(2)}x`,
          target: `< ${growthTarget}x (less than linear)`,
          met: ratio < growthTarget,
        },
      ],
    };
  } finally {
    await cloud.close();
  }
}
