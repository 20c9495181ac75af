/*
 * The collectors and the detector at realistic churn: 2 % of customers changing a day, as real
 * partners see, beside the simulator's daily model (69 %). For each share, on a simulator of its
 * own (10,000 customers, 50 ms per page) and a fresh Azurite: collectPartnerSecurity's first run
 * and the detector's baseline run (not measured), then the following day's collectPartnerSecurity
 * run and a detector run with email only, each in a child process of its own. Beside each time:
 * the Table Storage requests, their depth in sequence and the rows read and written, counted in
 * the measured process (storageTraffic.ts): the figures that carry to Azure, where Azurite's time
 * does not.
 */
import { startBenchCloud, type BenchCloud } from './benchCloud';
import { count, seconds } from './benchFormat';
import { afterLastPage, measureCollector, pageLatencyMs, type BenchSection } from './collectorBench';
import type { DetectorRunMeasurement } from './detectorProcess';
import { runChild } from './runChild';
import { onAzure } from './storageTraffic';

const churns = [0.02, 0.69];
const wallTarget = 1.3;
/** Issue 18's target is at 2 %; at the daily model's 69 % the bench keeps its earlier 2 s. */
const detectorTargetMs = (churn: number): number => (churn <= 0.02 ? 1_000 : 2_000);

const percent = (share: number): string => `${Math.round(share * 100)} %`;

/** Share of customers whose served insight differs between the simulator's day and the next. */
function observedChurn(cloud: BenchCloud): number {
  const [today, tomorrow] = [cloud.sim.expected(cloud.sim.day).customerInsights, cloud.sim.expected(cloud.sim.day + 1).customerInsights];
  const changed = today.filter((insight, index) => JSON.stringify(insight) !== JSON.stringify(tomorrow[index])).length;
  return changed / Math.max(1, today.length);
}

async function atChurn(churn: number, options: { customers: number; graphPageSize: number; partnerCenterPageSize: number }): Promise<BenchSection> {
  const cloud = await startBenchCloud({ ...options, pageLatencyMs, churn });
  try {
    const label = `${count(options.customers)} customers, following day, ${percent(churn)} churn`;
    const observed = observedChurn(cloud);
    const first = await measureCollector(cloud, 'collectPartnerSecurity');
    const env = cloud.settings(first.tablePrefix);
    const baseline = await runChild<DetectorRunMeasurement>('detectorProcess', ['run'], { env });
    cloud.sim.advanceDays(1);
    const following = await measureCollector(cloud, 'collectPartnerSecurity', { tablePrefix: first.tablePrefix });
    const detector = await runChild<DetectorRunMeasurement>('detectorProcess', ['run'], { env });
    const floorMs = (following.chainPages + following.namePages) * pageLatencyMs;
    const tail = following.afterLastPage;
    const detectorTarget = detectorTargetMs(churn);
    return {
      rows: [
        {
          measure: `collectPartnerSecurity wall time (${label})`,
          value: `${seconds(following.wallMs)} (${(following.wallMs / floorMs).toFixed(2)}x floor)`,
          target: `<= ${wallTarget}x floor = ${seconds(floorMs * wallTarget)} (${following.chainPages} + ${following.namePages} name pages x ${pageLatencyMs} ms)`,
          met: following.wallMs <= floorMs * wallTarget,
        },
        {
          measure: `collectPartnerSecurity storage after the last page (${label})`,
          value: `${onAzure(tail)}; Azurite took ${seconds(following.wallMs - following.lastPageMs)}`,
          target: '(requests carry to Azure, Azurite time does not)',
          met: true,
        },
        {
          measure: `collectPartnerSecurity rows (${label})`,
          value: `${count(following.storage.rowsRead)} read, ${count(following.storage.rowsWritten)} written in ${count(following.storage.requests)} requests (after the last page: ${count(tail.rowsRead)} read, ${count(tail.rowsWritten)} written)`,
          target: '(for reference)',
          met: true,
        },
        {
          measure: `regression detection end to end, email only (${count(options.customers)} customers, ${percent(churn)} churn)`,
          value: `${seconds(detector.wallMs)} (${detector.outcome.transitions} transitions, ${detector.outcome.sentMessageId === null ? 'no email' : '1 email'})`,
          target: `< ${seconds(detectorTarget)}`,
          met: detector.wallMs < detectorTarget,
        },
        {
          measure: `regression detection storage (${percent(churn)} churn)`,
          value: `${onAzure(detector.storage)}; ${count(detector.storage.rowsRead)} rows read, ${count(detector.storage.rowsWritten)} written`,
          target: '(for reference)',
          met: true,
        },
      ],
      notes: [
        `${percent(churn)} churn: the simulator's insights changed for ${(observed * 100).toFixed(1)} % of customers from the first day to the next; ` +
          `first run ${seconds(first.wallMs)} (${count(first.storage.requests)} storage requests, ${count(first.storage.rowsWritten)} rows written), detector baseline ${seconds(baseline.wallMs)}`,
        `${percent(churn)} churn, collectPartnerSecurity following day: ${afterLastPage(following)}`,
        `${percent(churn)} churn, detector run: time awaiting each adapter: ${Object.entries(detector.adapterMs)
          .sort(([, left], [, right]) => right - left)
          .map(([method, ms]) => `${method} ${ms.toFixed(0)} ms`)
          .join(', ')}`,
      ],
    };
  } finally {
    await cloud.close();
  }
}

/** The churn section: 2 % then 69 %, each on its own simulator and Azurite. */
export async function benchChurn(options: { customers: number; graphPageSize: number; partnerCenterPageSize: number }): Promise<BenchSection> {
  const section: BenchSection = {
    rows: [],
    notes: [
      'churn, where Azurite distorts time: it parses and applies each 100-entity batch and filters every row of a table per query in JavaScript, ' +
        'on the cores the collector shares, so its time per request in sequence (below) is not Azure\'s 10-20 ms; the requests, their depth in sequence and the rows carry to Azure',
    ],
  };
  for (const churn of churns) {
    console.error(`bench: collectPartnerSecurity and the detector at ${percent(churn)} churn...`);
    const result = await atChurn(churn, options);
    section.rows.push(...result.rows);
    section.notes.push(...result.notes);
  }
  return section;
}
