import { TableClient } from '@azure/data-tables';
import { TableLease } from '../../src/adapters/tableLease';
import { Tables } from '../../src/adapters/tables';
import { regressionDetector } from '../../src/composition';
import { readConfig } from '../../src/config';
import { runDetector } from '../../src/detector/runDetector';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 60, nonMfaSignInsPerDay: 2 });
});
afterAll(async () => {
  await cloud?.close();
});

const collectors = ['collectPartnerSecurity', 'collectNonMfaPrincipals', 'collectRegistrationCounts'];

function detectorLease(settings: Record<string, string>): TableLease {
  return new TableLease(new Tables(readConfig(settings, ['storage']).storage, () => {
    throw new Error('connection string only');
  }), 'detectRegressions');
}

/** The detector's lease row: in the Runs table, beside the collectors' (partition `lease`, one row per kind of run). */
function runsTable(settings: Record<string, string>): TableClient {
  return TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Runs`, { allowInsecureConnection: true });
}

function leaseRow(settings: Record<string, string>): Promise<Record<string, unknown>> {
  return runsTable(settings).getEntity<Record<string, unknown>>('lease', 'detectRegressions');
}

describe('the detector lease', () => {
  it('when another run holds the lease, then the run does nothing, and the skip is recorded with the holder for the status', async () => {
    const settings = cloud.settings();
    const lease = detectorLease(settings);
    const now = new Date();
    expect(await lease.acquire('other-run', now, new Date(now.getTime() + 60_000))).toBe(true);

    const logs = await cloud.run('detectRegressions', settings);

    expect(logs.some((line) => line.includes('another run holds the lease; this one does nothing'))).toBe(true);
    expect(await lease.lastSkipped()).toEqual({ at: expect.any(String), heldBy: 'other-run', heldUntil: new Date(now.getTime() + 60_000).toISOString() });
    await lease.release('other-run');
  });

  it('when a run holds the lease, then it expires two minutes after it was taken or renewed, and is released at the end', async () => {
    const settings = cloud.settings();
    cloud.sim.setDay(70);
    for (const name of collectors) await cloud.run(name, settings);
    await cloud.run('detectRegressions', settings);
    cloud.sim.setDay(74);
    for (const name of collectors) await cloud.run(name, settings);
    const dependencies = await regressionDetector({ info: () => {}, warn: () => {}, error: () => {} }, settings);
    const real = dependencies.sender;
    let seen: Record<string, unknown> | undefined;
    // Read as the run sends its email, so while it holds the lease.
    const sender = { status: (operationId: string) => real.status(operationId), send: async (email: Parameters<typeof real.send>[0], operationId: string) => ((seen = await leaseRow(settings)), real.send(email, operationId)) };
    const started = Date.now();

    expect(await runDetector({ ...dependencies, sender })).toMatchObject({ sentMessageId: expect.any(String) });

    const expiresIn = Date.parse(String(seen?.expiresAt)) - started;
    expect(expiresIn).toBeGreaterThan(110_000);
    expect(expiresIn).toBeLessThan(130_000);
    expect(await leaseRow(settings)).toMatchObject({ owner: '' });
  });

  it('when the lease is taken over while the run works, then it stops before sending with LeaseLost, and the next run sends the email once', async () => {
    const settings = cloud.settings();
    cloud.sim.setDay(60);
    for (const name of collectors) await cloud.run(name, settings);
    await cloud.run('detectRegressions', settings);
    cloud.sim.setDay(64);
    for (const name of collectors) await cloud.run(name, settings);
    const before = cloud.sim.inbox().length;
    const lease = detectorLease(settings);
    const dependencies = await regressionDetector({ info: () => {}, warn: () => {}, error: () => {} }, settings);
    // As if this run stalled past its lease and another run took the lease meanwhile.
    const takeOver = async (): Promise<void> => {
      await runsTable(settings).upsertEntity({ partitionKey: 'lease', rowKey: 'detectRegressions', owner: 'newer-run', expiresAt: new Date(Date.now() + 60_000).toISOString() }, 'Replace');
    };
    const directory = { ...dependencies.directory, customerNames: async () => (await takeOver(), dependencies.directory.customerNames()) };

    await expect(runDetector({ ...dependencies, directory })).rejects.toMatchObject({ code: 'LeaseLost' });

    expect(cloud.sim.inbox()).toHaveLength(before);
    expect(await leaseRow(settings)).toMatchObject({ owner: 'newer-run' });
    await lease.release('newer-run');
    await cloud.run('detectRegressions', settings);
    await cloud.run('detectRegressions', settings);
    expect(cloud.sim.inbox().length - before).toBe(1);
  });
});
