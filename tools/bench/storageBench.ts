/*
 * Batched storage writes vs one upsert per entity.
 * Method: a fresh out-of-process Azurite and one child process (storageProcess) that writes
 * the 10,000 customer insights the simulator serves, first through the real
 * TableSnapshotStore (a first run: a change point, a history point and a current row per
 * customer, batches of up to 100 per partition,
 * 8 transactions in flight), then exactly the same entities with TableClient.upsertEntity one
 * at a time, sequentially (concurrency 1, the literal reading of "one upsert per entity"),
 * into fresh tables of the same Azurite. Entities/s = entities / elapsed wall time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CustomerMfaInsight } from '../../src/core/model';
import type { Simulator } from '../simulator';
import { startAzuriteProcess } from '../azuriteProcess';
import { count, perSecond, seconds } from './benchFormat';
import type { BenchSection } from './collectorBench';
import { runChild } from './runChild';
import type { StorageMeasurement } from './storageProcess';

const speedupTarget = 10;

/** The customer insights of the simulator's current day, as the collector parses them. */
export function customerInsightsOf(sim: Simulator): CustomerMfaInsight[] {
  return sim.expected().customerInsights.map((served) => ({ tenantId: served.tenantId, ...served.mfa }));
}

export async function benchStorage(insights: readonly CustomerMfaInsight[]): Promise<BenchSection> {
  const folder = mkdtempSync(join(tmpdir(), 'bench-storage-'));
  const insightsPath = join(folder, 'insights.json');
  writeFileSync(insightsPath, JSON.stringify(insights));
  const azurite = await startAzuriteProcess();
  try {
    const measured = await runChild<StorageMeasurement>('storageProcess', [insightsPath], {
      env: { TABLES_CONNECTION_STRING: azurite.tablesConnectionString },
      timeoutMs: 240_000,
    });
    const batched = perSecond(measured.batched.entities, measured.batched.ms);
    const oneByOne = perSecond(measured.oneByOne.entities, measured.oneByOne.ms);
    const ratio = batched / oneByOne;
    return {
      rows: [
        {
          measure: `storage writes: TableSnapshotStore batches vs upsertEntity one at a time (sequential), ${count(measured.batched.entities)} entities each`,
          value: `${count(batched)}/s (${seconds(measured.batched.ms)}) vs ${count(oneByOne)}/s (${seconds(measured.oneByOne.ms)}) = ${ratio.toFixed(1)}x`,
          target: `>= ${speedupTarget}x`,
          met: ratio >= speedupTarget,
        },
      ],
      notes: [
        `storage: ${count(insights.length)} customer insights = ${count(measured.batched.entities)} rows (change points, history points, current state), batched through TableSnapshotStore; ` +
          `the same rows one upsertEntity at a time, concurrency ${measured.oneByOne.concurrency}; same Azurite process, fresh tables each`,
      ],
    };
  } finally {
    await azurite.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
