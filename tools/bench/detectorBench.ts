/*
 * Detecting regressions across 10,000 customers between two snapshots.
 * Method: on the tables of a 10,000-customer collectPartnerSecurity run, a first detector run
 * (child process, not measured) takes that snapshot as its baseline; the simulator moves on
 * one day (the collector's daily cadence) and collectPartnerSecurity runs again. Then, each in a fresh child process
 * (detectorProcess) with the real adapters from the composition root (Azurite, the
 * simulator's ACS): `compare` times detectRegressions alone on the two snapshots, and `run`
 * times runDetector end to end and reads its process's peak RSS.
 */
import type { BenchCloud } from './benchCloud';
import { count, MB, megabytes, milliseconds, seconds } from './benchFormat';
import { measureCollector, type BenchSection } from './collectorBench';
import type { ComparisonMeasurement, DetectorRunMeasurement } from './detectorProcess';
import { runChild } from './runChild';

const endToEndTargetMs = 2_000;
const comparisonTargetMs = 200;
const rssTargetBytes = 256 * MB;
/** The production cadence: the collector runs daily, the detector compares consecutive snapshots. */
const daysBetweenSnapshots = 1;

export async function benchDetector(cloud: BenchCloud, tablePrefix: string): Promise<BenchSection> {
  const env = cloud.settings(tablePrefix);
  const baseline = await runChild<DetectorRunMeasurement>('detectorProcess', ['run'], { env });
  cloud.sim.advanceDays(daysBetweenSnapshots);
  const second = await measureCollector(cloud, 'collectPartnerSecurity', { tablePrefix });
  const comparison = await runChild<ComparisonMeasurement>('detectorProcess', ['compare'], { env });
  const detector = await runChild<DetectorRunMeasurement>('detectorProcess', ['run'], { env });
  const label = `${count(comparison.customersBefore)} vs ${count(comparison.customersAfter)} customers, ${daysBetweenSnapshots} day apart`;
  return {
    rows: [
      {
        measure: `regression detection end to end: runDetector on Azurite + ACS (${label})`,
        value: `${seconds(detector.wallMs)} (${detector.outcome.transitions} transitions, ${detector.outcome.sentMessageId === null ? 'no email' : '1 email'})`,
        target: `< ${seconds(endToEndTargetMs)}`,
        met: detector.wallMs < endToEndTargetMs,
      },
      {
        measure: `detectRegressions comparison alone (${label}), first call in a fresh process`,
        value: `${milliseconds(comparison.firstCallMs)} (next 5: median ${milliseconds(comparison.medianOfFiveMs)})`,
        target: `< ${comparisonTargetMs} ms`,
        met: comparison.firstCallMs < comparisonTargetMs,
      },
      {
        measure: `regression detection peak RSS (${label})`,
        value: megabytes(detector.maxRssBytes),
        target: `< ${megabytes(rssTargetBytes)}`,
        met: detector.maxRssBytes < rssTargetBytes,
      },
    ],
    notes: [
      `detector baseline run (not measured): ${seconds(baseline.wallMs)}, ${baseline.outcome.transitions} transitions, peak RSS ${megabytes(baseline.maxRssBytes)}; ` +
        `second snapshot collected in ${seconds(second.wallMs)}; the comparison found ${comparison.transitions} transitions, the measured run ${detector.outcome.transitions} (${detector.outcome.openFindings} open findings)`,
      `detector run, time awaiting each adapter (concurrent calls add up): ${Object.entries(detector.adapterMs)
        .sort(([, left], [, right]) => right - left)
        .map(([method, ms]) => `${method} ${milliseconds(ms)}`)
        .join(', ')}`,
    ],
  };
}
