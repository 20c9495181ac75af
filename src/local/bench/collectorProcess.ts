/*
 * Child process of `npm run bench`: one collector run, alone in its process.
 * Usage: node collectorProcess.js collectPartnerSecurity|collectNonMfaPrincipals, with the app
 * settings in the environment. Builds the real adapters through the composition root, then
 * times the collector call itself (token, table creation, every page, every write, the ledger).
 * The source is wrapped only to timestamp each page as it reaches the collector, which tells
 * how long storage ran on after the last page. Prints one JSON line; the peak RSS is this
 * process's own, read from process.resourceUsage().maxRSS at the end.
 */
import { collectNonMfaPrincipals } from '../../collectors/collectNonMfaPrincipals';
import { collectPartnerSecurity } from '../../collectors/collectPartnerSecurity';
import { nonMfaPrincipalCollector, partnerSecurityCollector } from '../../composition';
import type { Logger } from '../../core/ports';
import type { SnapshotRunCounts } from '../../core/snapshotRun';

export interface CollectorMeasurement {
  collector: string;
  wallMs: number;
  /** From the start of the run to the arrival of the first and of the last page of the long chain. */
  firstPageMs: number;
  lastPageMs: number;
  pages: number;
  counts: SnapshotRunCounts;
  maxRssBytes: number;
}

function timed<T>(pages: AsyncIterable<T>, arrivals: number[], start: () => number): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const page of pages) {
        arrivals.push(performance.now() - start());
        yield page;
      }
    },
  };
}

async function main(collector: string | undefined): Promise<void> {
  const errors: string[] = [];
  const log: Logger = { info: () => undefined, warn: (message) => errors.push(message), error: (message) => errors.push(message) };
  const arrivals: number[] = [];
  let startedAt = 0;
  const since = (): number => startedAt;
  let counts: SnapshotRunCounts;
  if (collector === 'collectPartnerSecurity') {
    const dependencies = await partnerSecurityCollector(log, process.env);
    const source = dependencies.partnerSecurity;
    const partnerSecurity = {
      score: source.score.bind(source),
      requirements: source.requirements.bind(source),
      scoreHistory: source.scoreHistory.bind(source),
      customerInsights: (options?: Parameters<typeof source.customerInsights>[0]) => timed(source.customerInsights(options), arrivals, since),
    };
    startedAt = performance.now();
    counts = (await collectPartnerSecurity({ ...dependencies, partnerSecurity })).counts;
  } else if (collector === 'collectNonMfaPrincipals') {
    const dependencies = await nonMfaPrincipalCollector(log, process.env);
    const source = dependencies.nonMfaPrincipals;
    const nonMfaPrincipals = { principals: (options?: Parameters<typeof source.principals>[0]) => timed(source.principals(options), arrivals, since) };
    startedAt = performance.now();
    counts = (await collectNonMfaPrincipals({ ...dependencies, nonMfaPrincipals })).counts;
  } else {
    throw new Error(`usage: collectorProcess collectPartnerSecurity|collectNonMfaPrincipals (got ${collector})`);
  }
  const wallMs = performance.now() - startedAt;
  const measurement: CollectorMeasurement = {
    collector,
    wallMs,
    firstPageMs: arrivals[0] ?? NaN,
    lastPageMs: arrivals[arrivals.length - 1] ?? NaN,
    pages: arrivals.length,
    counts,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  if (errors.length > 0) console.error(errors.join('\n'));
  console.log(JSON.stringify(measurement));
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
