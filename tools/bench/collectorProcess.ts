/*
 * Child process of `npm run bench`: one collector run, alone in its process.
 * Usage: node collectorProcess.js collectPartnerSecurity|collectNonMfaPrincipals [--pages-only],
 * with the app settings in the environment. Builds the real adapters through the composition root, then
 * times the collector call itself (token, table creation, every page, every write, the ledger).
 * The source is wrapped only to timestamp each page as it reaches the collector, which tells
 * how long storage ran on after the last page. --pages-only reads the long page chain through
 * the same source and stores nothing: what the chain costs without storage. Prints one JSON line; the peak RSS is this
 * process's own, read from process.resourceUsage().maxRSS at the end.
 */
import { collectNonMfaPrincipals } from '../../src/collectors/collectNonMfaPrincipals';
import { collectPartnerSecurity } from '../../src/collectors/collectPartnerSecurity';
import { nonMfaPrincipalCollector, partnerSecurityCollector } from '../../src/composition';
import type { Logger } from '../../src/ports';
import type { SnapshotRun, SnapshotRunCounts } from '../../src/core/snapshotRun';
import { countStorageTraffic, type StorageTraffic } from './storageTraffic';

export interface CollectorMeasurement {
  collector: string;
  wallMs: number;
  /** From the start of the run to the arrival of the first and of the last page of the long chain. */
  firstPageMs: number;
  lastPageMs: number;
  pages: number;
  counts: SnapshotRunCounts;
  /** CPU time of this process during the run, and the share of the run its event loop was busy. */
  cpuMs: number;
  eventLoopUtilization: number;
  maxRssBytes: number;
  /**
   * Table Storage traffic of the whole run, and of what followed the arrival of the last page
   * (the critical path's tail): counts the machine cannot distort (see storageTraffic.ts).
   */
  storage: StorageTraffic;
  afterLastPage: StorageTraffic;
}

function timed<T>(pages: AsyncIterable<T>, arrivals: number[], start: () => number, arrived: () => void): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const page of pages) {
        arrivals.push(performance.now() - start());
        arrived();
        yield page;
      }
    },
  };
}

async function drain<T extends readonly unknown[]>(pages: AsyncIterable<T>): Promise<SnapshotRunCounts> {
  let items = 0;
  for await (const page of pages) items += page.length;
  return { items };
}

async function main(collector: string | undefined, pagesOnly: boolean): Promise<void> {
  const errors: string[] = [];
  const log: Logger = { info: () => undefined, warn: (message) => errors.push(message), error: (message) => errors.push(message) };
  const arrivals: number[] = [];
  let startedAt = 0;
  const since = (): number => startedAt;
  let counts: SnapshotRunCounts;
  let cpuAtStart = process.cpuUsage();
  let loopAtStart = performance.eventLoopUtilization();
  const storage = countStorageTraffic(/TableEndpoint=(https?:\/\/[^;]+)/i.exec(process.env.TABLES_CONNECTION_STRING ?? '')?.[1]);
  const arrived = (): void => storage.mark();
  const start = (): void => {
    storage.reset();
    cpuAtStart = process.cpuUsage();
    loopAtStart = performance.eventLoopUtilization();
    startedAt = performance.now();
  };
  if (collector === 'collectPartnerSecurity') {
    const dependencies = await partnerSecurityCollector(log, process.env);
    const source = dependencies.partnerSecurity;
    const partnerSecurity = {
      score: source.score.bind(source),
      requirements: source.requirements.bind(source),
      scoreHistory: source.scoreHistory.bind(source),
      customerInsights: (options?: Parameters<typeof source.customerInsights>[0]) => timed(source.customerInsights(options), arrivals, since, arrived),
    };
    start();
    counts = pagesOnly ? await drain(partnerSecurity.customerInsights()) : collected(await collectPartnerSecurity({ ...dependencies, partnerSecurity }));
  } else if (collector === 'collectNonMfaPrincipals') {
    const dependencies = await nonMfaPrincipalCollector(log, process.env);
    const source = dependencies.nonMfaPrincipals;
    const nonMfaPrincipals = { principals: (options?: Parameters<typeof source.principals>[0]) => timed(source.principals(options), arrivals, since, arrived) };
    start();
    counts = pagesOnly ? await drain(nonMfaPrincipals.principals()) : collected(await collectNonMfaPrincipals({ ...dependencies, nonMfaPrincipals }));
  } else {
    throw new Error(`usage: collectorProcess collectPartnerSecurity|collectNonMfaPrincipals (got ${collector})`);
  }
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuAtStart);
  const loop = performance.eventLoopUtilization(loopAtStart);
  const measurement: CollectorMeasurement = {
    collector,
    wallMs,
    firstPageMs: arrivals[0] ?? NaN,
    lastPageMs: arrivals[arrivals.length - 1] ?? NaN,
    pages: arrivals.length,
    counts,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventLoopUtilization: loop.utilization,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    storage: storage.sinceReset(),
    afterLastPage: storage.sinceMark(),
  };
  if (errors.length > 0) console.error(errors.join('\n'));
  console.log(JSON.stringify(measurement));
}

main(process.argv[2], process.argv[3] === '--pages-only').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/** A measured run's counts: the bench's tables are its own, so another run holding the lease is a mistake. */
function collected(run: SnapshotRun | null): SnapshotRunCounts {
  if (run === null) throw new Error('another run of this source held its lease: the bench measured nothing');
  return run.counts;
}
