import { randomBytes } from 'node:crypto';
import { TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import { snapshotReader } from '../../src/composition';
import { readConfig } from '../../src/config';
import { newRunId } from '../../src/core/snapshotRun';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(async () => {
  await cloud?.close();
});

/** A ledger row left `running`, as by a process killed mid-run: opened, never finished. */
async function leaveRunning(settings: Record<string, string>, source: 'registrationCounts' | 'partnerSecurity', minutesAgo: number): Promise<string> {
  const store = new TableSnapshotStore(new Tables(readConfig(settings, ['storage']).storage, () => {
    throw new Error('connection string only');
  }));
  const startedAt = new Date(Date.now() - minutesAgo * 60_000);
  const runId = newRunId(startedAt, randomBytes(4).toString('hex'));
  await store.openRun(source, runId, startedAt);
  return runId;
}

describe('abandoned runs', () => {
  it('when a run of the source was left running past its deadline and margin, then the next run marks it failed as Abandoned with the reason, and leaves a recent one and other sources alone', async () => {
    const settings = cloud.settings();
    const killed = await leaveRunning(settings, 'registrationCounts', 20);
    const recent = await leaveRunning(settings, 'registrationCounts', 2);
    const otherSource = await leaveRunning(settings, 'partnerSecurity', 60);

    const logs = await cloud.run('collectRegistrationCounts', settings);

    const reader = await snapshotReader(settings);
    const runs = await reader.listRuns('registrationCounts');
    const byId = new Map(runs.map((run) => [run.runId, run]));
    const current = runs.find((run) => ![killed, recent].includes(run.runId))!;
    expect(current.status).toBe('complete');
    expect(byId.get(killed)).toMatchObject({
      status: 'failed',
      errorCode: 'Abandoned',
      finishedAt: expect.any(String),
      errorMessage: `no end was recorded within 840 s of its start: the invocation was stopped (process killed, host recycled or the function timeout reached) before it could record one; marked by run ${current.runId}`,
    });
    expect(byId.get(recent)).toMatchObject({ status: 'running', errorCode: null });
    expect((await reader.listRuns('partnerSecurity')).find((run) => run.runId === otherSource)).toMatchObject({ status: 'running' });
    expect(logs.filter((line) => line.includes(`registrationCounts run ${killed}`) && line.includes('marked failed as Abandoned'))).toHaveLength(1);
  });

  it('when the runs ledger is asked through the query reader, then the abandoned run is listed as failed with its code', async () => {
    const settings = cloud.settings({ INVOCATION_DEADLINE_SECONDS: '60' });
    const killed = await leaveRunning(settings, 'registrationCounts', 7);

    await cloud.run('collectRegistrationCounts', settings);

    const [{ TableQueryReader }] = await Promise.all([import('../../src/adapters/tableQueryReader')]);
    const reader = new TableQueryReader(new Tables(readConfig(settings, ['storage']).storage, () => {
      throw new Error('connection string only');
    }));
    const listed = (await reader.listRuns('registrationCounts', { status: 'failed' })).map((run) => [run.runId, run.errorCode]);
    expect(listed).toEqual([[killed, 'Abandoned']]);
  });

  it('when the detector runs before the source runs again, then the detector marks the abandoned run, naming itself', async () => {
    const settings = cloud.settings();
    const killed = await leaveRunning(settings, 'partnerSecurity', 30);

    const logs = await cloud.run('detectRegressions', settings);

    const run = (await (await snapshotReader(settings)).listRuns('partnerSecurity')).find((candidate) => candidate.runId === killed);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'Abandoned', errorMessage: expect.stringMatching(/^no end was recorded within 840 s of its start: .* marked by detectRegressions$/) });
    expect(logs.filter((line) => line.includes(`partnerSecurity run ${killed}`) && line.includes('marked failed as Abandoned'))).toHaveLength(1);
  });
});
