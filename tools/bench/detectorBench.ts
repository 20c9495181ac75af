/*
 * Detecting regressions across 10,000 customers between two snapshots.
 * Method: on the tables of a 10,000-customer collectPartnerSecurity run, a first detector run
 * (child process, not measured) takes that snapshot as its baseline; the simulator moves on
 * one day (the collector's daily cadence) and collectPartnerSecurity runs again. Then, each in a fresh child process
 * (detectorProcess) with the real adapters from the composition root (Azurite, the
 * simulator's ACS): `compare` times detectRegressions alone on the two snapshots, and `run`
 * times runDetector end to end and reads its process's peak RSS. Then the simulator moves on
 * another day, the collector runs again, and `run` is timed once more with Teams, Slack and the
 * signed webhook pointed at the simulator's receivers besides email (no routes: every finding to
 * every channel); the deliveries counted are those the simulator's inbox and receivers accepted.
 */
import { channelSettingsFor, type Simulator } from '../simulator';
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
/** Email to ALERT_TO, Teams, Slack and the signed webhook. */
const channelTargets = 4;

/** What the simulated inbox and the channel receivers have accepted so far. */
function deliveriesReceived(sim: Simulator): number {
  return sim.inbox().length + sim.received('teams').length + sim.received('slack').length + sim.received('webhook').length;
}

export async function benchDetector(cloud: BenchCloud, tablePrefix: string): Promise<BenchSection> {
  const env = cloud.settings(tablePrefix);
  const baseline = await runChild<DetectorRunMeasurement>('detectorProcess', ['run'], { env });
  cloud.sim.advanceDays(daysBetweenSnapshots);
  const second = await measureCollector(cloud, 'collectPartnerSecurity', { tablePrefix });
  const comparison = await runChild<ComparisonMeasurement>('detectorProcess', ['compare'], { env });
  const detector = await runChild<DetectorRunMeasurement>('detectorProcess', ['run'], { env });
  cloud.sim.advanceDays(daysBetweenSnapshots);
  const third = await measureCollector(cloud, 'collectPartnerSecurity', { tablePrefix });
  const deliveredBefore = deliveriesReceived(cloud.sim);
  const channelled = await runChild<DetectorRunMeasurement>('detectorProcess', ['run'], { env: { ...env, ...channelSettingsFor(cloud.sim) } });
  const deliveries = deliveriesReceived(cloud.sim) - deliveredBefore;
  const label = `${count(comparison.customerChanges)} customers changed, ${daysBetweenSnapshots} day apart`;
  return {
    rows: [
      {
        measure: `regression detection end to end: runDetector on Azurite + ACS (${label})`,
        value: `${seconds(detector.wallMs)} (${detector.outcome.transitions} transitions, ${detector.outcome.sentMessageId === null ? 'no email' : '1 email'})`,
        target: `< ${seconds(endToEndTargetMs)}`,
        met: detector.wallMs < endToEndTargetMs,
      },
      {
        measure: `regression detection end to end with email, Teams, Slack and the signed webhook on the simulator's receivers (${label})`,
        value: `${seconds(channelled.wallMs)} (${channelled.outcome.transitions} transitions, ${deliveries} of ${channelTargets} deliveries made)`,
        target: `< ${seconds(endToEndTargetMs)}, ${channelTargets} deliveries`,
        met: channelled.wallMs < endToEndTargetMs && deliveries === channelTargets,
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
        `second snapshot collected in ${seconds(second.wallMs)}; the comparison found ${comparison.transitions} transitions, the measured run ${detector.outcome.transitions} (${detector.outcome.openFindings} open findings); ` +
        `third snapshot collected in ${seconds(third.wallMs)} for the run with every channel, which found ${channelled.outcome.transitions} transitions (${channelled.outcome.openFindings} open findings)`,
      `detector run, time awaiting each adapter (concurrent calls add up): ${adapterTimes(detector)}`,
      `detector run with every channel, time awaiting each adapter: ${adapterTimes(channelled)}`,
    ],
  };
}

function adapterTimes(run: DetectorRunMeasurement): string {
  return Object.entries(run.adapterMs)
    .sort(([, left], [, right]) => right - left)
    .map(([method, ms]) => `${method} ${milliseconds(ms)}`)
    .join(', ');
}
