import { snapshotReader } from '../../src/composition';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

async function collect() {
  const settings = cloud.settings();
  const error = await cloud.run('collectRegistrationCounts', settings).then(
    () => null,
    (thrown: Error & { code?: string }) => thrown,
  );
  const reader = await snapshotReader(settings);
  const run = (await reader.listRuns('registrationCounts'))[0];
  return { error, run, counts: run ? await reader.registrationCountsOfRun(run.runId) : null };
}

describe('collectRegistrationCounts against the simulator and Azurite', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])('when the legacy report answers (day %i, either spelling), then its counts are stored', async (day) => {
    cloud.sim.setDay(day);
    const { error, counts } = await collect();
    expect(error).toBeNull();
    const served = cloud.sim.expected(day).registrationCounts.credentialUserRegistrationCount;
    expect(counts).toEqual({
      report: 'credentialUserRegistrationCount',
      totalUserCount: served.totalUserCount,
      mfaRegisteredUserCount: served.userRegistrationCounts.find((count) => count.registrationStatus === 'mfaRegistered')?.registrationCount ?? null,
      countsByStatus: Object.fromEntries(served.userRegistrationCounts.map((count) => [count.registrationStatus, count.registrationCount])),
      fallbackReason: null,
    });
  });

  it.each([400, 403, 404, 410] as const)('when the legacy report answers %i, then the v1.0 replacement is stored and the reason kept', async (status) => {
    cloud.sim.injectFault({ kind: 'status', status, service: 'graph', path: 'getCredentialUserRegistrationCount' });
    const { error, counts } = await collect();
    expect(error).toBeNull();
    const served = cloud.sim.expected().registrationCounts.usersRegisteredByFeature.all;
    expect(counts).toMatchObject({
      report: 'usersRegisteredByFeature',
      totalUserCount: served.totalUserCount,
      mfaRegisteredUserCount: served.userRegistrationFeatureCounts.find((count) => count.feature === 'mfaCapable')?.userCount,
      fallbackReason: `legacy report answered ${status}`,
    });
  });

  it('when the legacy report answers an empty collection, then the replacement is used', async () => {
    cloud.sim.injectFault({ kind: 'emptyCollection', service: 'graph', path: 'getCredentialUserRegistrationCount' });
    const { counts } = await collect();
    expect(counts).toMatchObject({ report: 'usersRegisteredByFeature', fallbackReason: 'legacy report returned no rows' });
  });

  it('when the legacy report keeps failing with 500, then that is a fault, not a refusal: no fallback, and the run fails', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 500, service: 'graph', path: 'getCredentialUserRegistrationCount' });
    const { error, run } = await collect();
    expect(error).toMatchObject({ code: 'ServiceUnavailable' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ServiceUnavailable' });
  });

  it('when both reports are refused, then the run fails naming the replacement', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 403, service: 'graph', path: 'reports' });
    const { error, run } = await collect();
    expect(error?.message).toContain('usersRegisteredByFeature');
    expect(run?.status).toBe('failed');
  });
});
