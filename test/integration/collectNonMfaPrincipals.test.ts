import { snapshotReader } from '../../src/composition';
import { appSettingsFor, startSimulator } from '../../tools/simulator';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ nonMfaSignInsPerDay: 9, partnerCenterPageSize: 10 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

const utc = (time: string) => new Date(`${time}Z`).toISOString();

async function runAndRead(settings: Record<string, string>) {
  const outcome = await cloud.run('collectNonMfaPrincipals', settings).then(
    () => null,
    (error: Error & { code?: string }) => error,
  );
  const reader = await snapshotReader(settings);
  return { error: outcome, reader, runs: await reader.listRuns('nonMfaPrincipals') };
}

describe('collectNonMfaPrincipals against the simulator and Azurite', () => {
  it('when records span several pages, then every page is followed through links.next and every record is stored, both date-field spellings read', async () => {
    cloud.sim.clearRequestLog();
    const { error, reader, runs } = await runAndRead(cloud.settings());
    expect(error).toBeNull();
    const expected = cloud.sim.expected().nonMfaPrincipals;
    expect(expected.length).toBeGreaterThan(20);
    expect(runs[0]).toMatchObject({ status: 'complete', counts: { principals: expected.length, pages: Math.ceil(expected.length / 10) } });
    const stored = await reader.principalsOfRun(runs[0]!.runId);
    expect(stored.map((principal) => `${principal.objectId} ${principal.lastNonMfaRequestDateTime} ${principal.upn}`).sort()).toEqual(
      expected.map((principal) => `${principal.objectId} ${utc(principal.lastNonMfaCompliantRequestDateTime)} ${principal.upn}`).sort(),
    );
    const requests = cloud.sim.requestLog().filter((entry) => entry.service === 'partnerCenter');
    expect(requests.slice(1).every((entry) => entry.headers['ms-continuationtoken'] !== undefined)).toBe(true);
    expect(new Set(requests.map((entry) => entry.headers['ms-correlationid'])).size).toBe(1);
    expect(new Set(requests.map((entry) => entry.headers['ms-requestid'])).size).toBe(requests.length);
  });

  it('when a page answers 503 and then succeeds, then the retry reuses its MS-RequestId', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 503, service: 'partnerCenter', page: 1, times: 1 });
    cloud.sim.clearRequestLog();
    const { error, runs } = await runAndRead(cloud.settings());
    expect(error).toBeNull();
    expect(runs[0]?.status).toBe('complete');
    const requests = cloud.sim.requestLog().filter((entry) => entry.service === 'partnerCenter');
    const failedIndex = requests.findIndex((entry) => entry.status === 503);
    expect(failedIndex).toBeGreaterThan(0);
    expect(requests[failedIndex + 1]?.headers['ms-requestid']).toBe(requests[failedIndex]?.headers['ms-requestid']);
    expect(requests[failedIndex + 1]?.status).toBe(200);
  });

  it('when Partner Center throttles with Retry-After as an HTTP date, then the collector waits and completes', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 429, retryAfter: new Date(Date.now() + 2000).toUTCString(), service: 'partnerCenter', page: 0, times: 1 });
    const started = Date.now();
    const { error, runs } = await runAndRead(cloud.settings());
    expect(error).toBeNull();
    expect(runs[0]?.status).toBe('complete');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('when Partner Center asks to wait longer than the configured cap, then the run fails as throttled instead of sleeping', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 429, retryAfter: 3600, service: 'partnerCenter' });
    const { error, runs } = await runAndRead(cloud.settings({ HTTP_MAX_RETRY_AFTER_SECONDS: '5' }));
    expect(error).toMatchObject({ code: 'Throttled' });
    expect(runs[0]?.status).toBe('failed');
  });

  it('when a page fails mid-way, then the run is failed and the last complete snapshot stays the latest', async () => {
    const settings = cloud.settings();
    const good = await runAndRead(settings);
    cloud.sim.injectFault({ kind: 'status', status: 500, service: 'partnerCenter', page: 2 });
    const { error, reader, runs } = await runAndRead(settings);
    expect(error).toMatchObject({ code: 'ServiceUnavailable' });
    expect(runs[0]).toMatchObject({ status: 'failed', counts: { principals: 20, pages: 2 } });
    expect((await reader.latestCompleteRun('nonMfaPrincipals'))?.runId).toBe(good.runs[0]?.runId);
  });

  it('when there are no non-MFA sign-ins, then a complete run with zero principals is stored — unlike a failure', async () => {
    const quiet = await startCloud({ nonMfaSignInsPerDay: 0 });
    try {
      const settings = quiet.settings();
      await quiet.run('collectNonMfaPrincipals', settings);
      quiet.sim.injectFault({ kind: 'status', status: 500, service: 'partnerCenter' });
      await expect(quiet.run('collectNonMfaPrincipals', settings)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
      const runs = await (await snapshotReader(settings)).listRuns('nonMfaPrincipals');
      expect(runs.map((run) => [run.status, run.counts.principals])).toEqual([
        ['failed', 0],
        ['complete', 0],
      ]);
    } finally {
      await quiet.close();
    }
  });

  it('when a page is malformed, then the run fails naming it', async () => {
    cloud.sim.injectFault({ kind: 'malformed', service: 'partnerCenter', page: 1 });
    const { error, runs } = await runAndRead(cloud.settings());
    expect(error).toMatchObject({ code: 'MalformedResponse' });
    expect(error?.message).toContain('Partner Center GET /partnercenter/v1/nonMfaCompliantPartnerPrincipals');
    expect(runs[0]?.status).toBe('failed');
  });

  it('when Partner Center holds more than 10,000 records, then exactly the 10,000 it serves are stored', async () => {
    const busy = await startCloud({ nonMfaSignInsPerDay: 1600, partnerCenterPageSize: 1000 });
    try {
      const settings = busy.settings();
      await busy.run('collectNonMfaPrincipals', settings);
      const reader = await snapshotReader(settings);
      const run = await reader.latestCompleteRun('nonMfaPrincipals');
      expect(run?.counts).toMatchObject({ principals: 10_000, pages: 10 });
      expect(await reader.principalsOfRun(run!.runId)).toHaveLength(10_000);
    } finally {
      await busy.close();
    }
  });

  it.each(['versionless', 'versioned', 'absolute'] as const)('when Partner Center writes links.next %s, then every page is read under the version root and every record stored', async (form) => {
    const sim = await startSimulator({ customers: 40, nonMfaSignInsPerDay: 9, partnerCenterPageSize: 25, partnerCenterNextLink: form });
    try {
      const settings = { ...cloud.settings(), ...appSettingsFor(sim) };
      const { error, reader, runs } = await runAndRead(settings);
      expect(error).toBeNull();
      const expected = sim.expected().nonMfaPrincipals;
      expect(runs[0]).toMatchObject({ status: 'complete', counts: { principals: expected.length, pages: Math.ceil(expected.length / 25) } });
      expect((await reader.principalsOfRun(runs[0]!.runId)).map((principal) => principal.objectId).sort()).toEqual(expected.map((principal) => principal.objectId).sort());
      const paths = sim.requestLog().filter((entry) => entry.service === 'partnerCenter').map((entry) => [entry.path, entry.status]);
      expect(paths).toEqual([['/partnercenter/v1/nonMfaCompliantPartnerPrincipals', 200], ...paths.slice(1).map(() => ['/partnercenter/v1/nonMfaCompliantPartnerPrincipals?seekOperation=Next', 200])]);
    } finally {
      await sim.close();
    }
  });

  it('when links.next points to another host, then the run fails as UnexpectedLink without following it', async () => {
    const page = { totalCount: 0, items: [], links: { next: { uri: 'https://partner.example/v1/nonMfaCompliantPartnerPrincipals?seekOperation=Next', method: 'GET', headers: [{ key: 'MS-ContinuationToken', value: 't' }] } }, attributes: { objectType: 'Collection' } };
    cloud.sim.injectFault({ kind: 'verbatim', status: 200, body: JSON.stringify(page), service: 'partnerCenter', path: '/v1/nonMfaCompliantPartnerPrincipals', times: 1 });
    cloud.sim.clearRequestLog();
    const { error, runs } = await runAndRead(cloud.settings());
    expect(error).toMatchObject({ code: 'UnexpectedLink', message: expect.stringContaining('https://partner.example') });
    expect(runs[0]?.status).toBe('failed');
    expect(cloud.sim.requestLog().filter((entry) => entry.service === 'partnerCenter')).toHaveLength(1);
  });
});
