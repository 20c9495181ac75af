/*
 * Child process of `npm run bench`: the regression detector, alone in its process, with the
 * real adapters from the composition root (Table Storage on Azurite, ACS on the simulator).
 * Usage: node detectorProcess.js run|compare, with the app settings in the environment.
 * - run: times runDetector end to end (lease, read both snapshots, compare, store findings,
 *   compose and deliver the message to each configured channel, release); peak RSS from process.resourceUsage().maxRSS. The
 *   adapters are wrapped only to add up the time spent in each of their methods.
 * - compare: reads what the detector would compare next (the latest complete partnerSecurity
 *   run and the one it last saw, the customers changed between them, with the stored findings), then times detectRegressions
 *   alone: its first call in this fresh process (what a detector run pays), then the median
 *   of five more. Stores nothing, so a following `run` sees the same input.
 */
import { regressionDetector } from '../../src/composition';
import { detectRegressions, type ComplianceSnapshot } from '../../src/core/detectRegressions';
import type { Logger, SnapshotReader } from '../../src/ports';
import { runDetector, type DetectorOutcome } from '../../src/detector/runDetector';
import { countStorageTraffic, type StorageTraffic } from './storageTraffic';

export interface DetectorRunMeasurement {
  wallMs: number;
  outcome: DetectorOutcome;
  /** Milliseconds spent awaiting each adapter method, e.g. `snapshots.customerChangesBetween` (concurrent calls add up). */
  adapterMs: Record<string, number>;
  maxRssBytes: number;
  /** Table Storage traffic of the run (see storageTraffic.ts). */
  storage: StorageTraffic;
}

export interface ComparisonMeasurement {
  firstCallMs: number;
  medianOfFiveMs: number;
  customerChanges: number;
  transitions: number;
}

async function load(snapshots: Pick<SnapshotReader, 'scoreOfRun' | 'requirementsOfRun'>, runId: string): Promise<ComplianceSnapshot> {
  const [score, requirements] = await Promise.all([snapshots.scoreOfRun(runId), snapshots.requirementsOfRun(runId)]);
  return { score, requirements };
}

async function compare(log: Logger): Promise<ComparisonMeasurement> {
  const { snapshots, store, settings } = await regressionDetector(log, process.env);
  const state = await store.readState();
  const latest = await snapshots.latestCompleteRun('partnerSecurity');
  const seen = state.lastSeen.partnerSecurity;
  if (latest === null || seen === undefined || latest.runId === seen) throw new Error('compare needs a new partnerSecurity run after one the detector has seen');
  const [current, previous, customerChanges] = await Promise.all([load(snapshots, latest.runId), load(snapshots, seen), snapshots.customerChangesBetween(seen, latest.runId)]);
  const findings = new Map((await store.readFindings()).map((finding) => [finding.key, finding]));
  const input = { previous, current, customerChanges, findings, consecutiveFailures: {}, thresholds: settings.thresholds, now: new Date().toISOString() };
  let started = performance.now();
  const result = detectRegressions(input);
  const firstCallMs = performance.now() - started;
  const repeats: number[] = [];
  for (let repeat = 0; repeat < 5; repeat += 1) {
    started = performance.now();
    detectRegressions(input);
    repeats.push(performance.now() - started);
  }
  repeats.sort((left, right) => left - right);
  return {
    firstCallMs,
    medianOfFiveMs: repeats[2] ?? NaN,
    customerChanges: customerChanges.changes.length,
    transitions: result.transitions.length,
  };
}

function timedAdapter<T extends object>(name: string, adapter: T, adapterMs: Record<string, number>): T {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...parameters: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          const key = `${name}.${String(property)}`;
          adapterMs[key] = (adapterMs[key] ?? 0) + performance.now() - started;
        }
      };
    },
  });
}

async function run(log: Logger): Promise<DetectorRunMeasurement> {
  const dependencies = await regressionDetector(log, process.env);
  const adapterMs: Record<string, number> = {};
  const timed = {
    ...dependencies,
    snapshots: timedAdapter('snapshots', dependencies.snapshots, adapterMs),
    store: timedAdapter('store', dependencies.store, adapterMs),
    sender: timedAdapter('sender', dependencies.sender, adapterMs),
    poster: timedAdapter('poster', dependencies.poster, adapterMs),
  };
  const storage = countStorageTraffic(/TableEndpoint=(https?:\/\/[^;]+)/i.exec(process.env.TABLES_CONNECTION_STRING ?? '')?.[1]);
  const started = performance.now();
  const outcome = await runDetector(timed);
  const wallMs = performance.now() - started;
  return { wallMs, outcome, adapterMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, storage: storage.sinceReset() };
}

async function main(mode: string | undefined): Promise<void> {
  const problems: string[] = [];
  const log: Logger = { info: () => undefined, warn: (message) => problems.push(message), error: (message) => problems.push(message) };
  let measurement: DetectorRunMeasurement | ComparisonMeasurement;
  if (mode === 'run') measurement = await run(log);
  else if (mode === 'compare') measurement = await compare(log);
  else throw new Error(`usage: detectorProcess run|compare (got ${mode})`);
  if (problems.length > 0) console.error(problems.join('\n'));
  console.log(JSON.stringify(measurement));
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
