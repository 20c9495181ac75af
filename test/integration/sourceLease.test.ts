import { TableClient } from '@azure/data-tables';
import { collectPartnerSecurity } from '../../src/collectors/collectPartnerSecurity';
import { partnerSecurityCollector, queryApi } from '../../src/composition';
import { readConfig } from '../../src/config';
import { monitorStatus } from '../../src/api/monitorStatus';
import { TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import type { TableName } from '../../src/adapters/tableLayout';
import type { Lease, LeaseName } from '../../src/ports';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/**
 * One run per source at a time. Azure Functions runs one instance of a timer function across the
 * app's instances ("Timer trigger for Azure Functions", Scale-out,
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#scale-out), but
 * nothing stops a run started by hand beside the timer's (`npm run invoke`, or the admin endpoint
 * of "Manually run a non HTTP-triggered function",
 * https://learn.microsoft.com/azure/azure-functions/functions-manually-run-non-http): the source's
 * own lease does.
 */
let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 60 });
});
afterAll(async () => {
  await cloud?.close();
});

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const noCredential = (): never => {
  throw new Error('connection string only');
};

function runsTable(settings: Record<string, string>): TableClient {
  return TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Runs`, { allowInsecureConnection: true });
}

async function ledger(settings: Record<string, string>): Promise<{ runId: string; status: string }[]> {
  const runs: { runId: string; status: string }[] = [];
  for await (const row of runsTable(settings).listEntities<{ runId: string; status: string }>({ queryOptions: { filter: "PartitionKey eq 'partnerSecurity'" } })) runs.push(row);
  return runs;
}

async function sourceStatus(settings: Record<string, string>) {
  const { body } = await monitorStatus(await queryApi(settings));
  return (body as { sources: { source: string; lastSkippedRun: unknown }[] }).sources.find((one) => one.source === 'partnerSecurity');
}

describe('the lease of a source', () => {
  it('when two partnerSecurity runs start at once, then exactly one collects, and the other is recorded skipped with the run that held the lease, in /api/status', async () => {
    const settings = cloud.settings();

    const outcomes = await Promise.allSettled([cloud.run('collectPartnerSecurity', settings), cloud.run('collectPartnerSecurity', settings)]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
    const logs = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : []));
    expect(logs.filter((lines) => lines.some((line) => line.includes('partnerSecurity: another run holds the lease; this one does nothing')))).toHaveLength(1);
    const runs = await ledger(settings);
    expect(runs.map((run) => run.status)).toEqual(['complete']);
    expect((await sourceStatus(settings))?.lastSkippedRun).toEqual({ at: expect.any(String), heldBy: runs[0]!.runId, heldUntil: expect.any(String) });
    expect((await runsTable(settings).getEntity('lease', 'partnerSecurity')).owner).toBe('');
  });

  it("when a run is killed after it completed, before it applied its records or released the lease, then the next run is skipped until the lease expires, and the run after applies the killed run's records first", async () => {
    const settings = cloud.settings();
    cloud.sim.setDay(20);
    await cloud.run('collectPartnerSecurity', settings);
    const storage = readConfig(settings, ['storage']).storage;
    // Applying fails (the history table missing under it) and the lease is never released: the process died there.
    const missing = new Tables({ ...storage, tablePrefix: 'nothere' }, noCredential);
    class HistoryMissing extends Tables {
      override clientFor(name: TableName): TableClient {
        return name === 'customerHistory' ? missing.clientFor(name) : super.clientFor(name);
      }
    }
    class KilledBeforeRelease extends TableSnapshotStore {
      override lease(name: LeaseName): Lease {
        const lease = super.lease(name);
        return { acquire: (...args) => lease.acquire(...args), renew: (...args) => lease.renew(...args), release: async () => undefined, recordSkipped: (at) => lease.recordSkipped(at), lastSkipped: () => lease.lastSkipped() };
      }
    }
    cloud.sim.setDay(21);
    const dependencies = await partnerSecurityCollector(quiet, settings);
    await expect(collectPartnerSecurity({ ...dependencies, store: new KilledBeforeRelease(new HistoryMissing(storage, noCredential)) })).rejects.toMatchObject({ code: 'CustomerStateNotApplied' });
    const killed = (await ledger(settings))[0]!;
    expect(killed.status).toBe('complete');

    cloud.sim.setDay(22);
    expect(await collectPartnerSecurity(await partnerSecurityCollector(quiet, settings))).toBeNull();
    expect((await sourceStatus(settings))?.lastSkippedRun).toMatchObject({ heldBy: killed.runId });

    // Two minutes later, as the next timer occurrence finds it: the lease has expired.
    const later = { now: () => new Date(Date.now() + 3 * 60_000) };
    const next = await collectPartnerSecurity({ ...(await partnerSecurityCollector(quiet, settings)), clock: later });
    expect(next?.status).toBe('complete');
    expect((await runsTable(settings).getEntity('applied', 'customers')).runId).toBe(next!.runId);
    const history = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}CustomerHistory`, { allowInsecureConnection: true });
    const points: unknown[] = [];
    for await (const row of history.listEntities<{ runId: string }>()) if (row.runId === killed.runId) points.push(row);
    expect(points.length).toBeGreaterThan(0);
  });
});
