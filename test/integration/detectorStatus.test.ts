import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/* A detector run that fails makes /api/status unhealthy, naming it and its code, until a run completes. */
const functionKey = 'detector-status-key-0123456789';
let cloud: Cloud;
let host: LocalHost;
let settings: Record<string, string>;
const savedEnv = { ...process.env };

beforeAll(async () => {
  cloud = await startCloud({ customers: 30, nonMfaSignInsPerDay: 2 });
  settings = cloud.settings();
  Object.assign(process.env, settings);
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey, scheduleTimers: false, env: settings, log: () => undefined });
});

afterAll(async () => {
  await host?.close();
  await cloud?.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

async function status(): Promise<{ httpStatus: number; body: { healthy: boolean; problems: string[]; detector: { lastRun: Record<string, unknown> | null } } }> {
  const response = await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey } });
  return { httpStatus: response.status, body: (await response.json()) as never };
}

async function collectAll(): Promise<void> {
  for (const name of ['collectPartnerSecurity', 'collectNonMfaPrincipals', 'collectRegistrationCounts']) await cloud.run(name, settings);
}

describe('the detector in /api/status', () => {
  it('when a detector run fails, then status is unhealthy naming it and its code, and a run that completes makes it healthy again', async () => {
    cloud.sim.setDay(20);
    await collectAll();
    await cloud.run('detectRegressions', settings);
    expect((await status()).body.detector.lastRun).toEqual({ startedAt: expect.any(String), finishedAt: expect.any(String), status: 'complete', errorCode: null });

    cloud.sim.setDay(24);
    await collectAll();
    // A send that could outlast the deadline is not started: the run fails, and nothing else is wrong.
    await expect(cloud.run('detectRegressions', { ...settings, INVOCATION_DEADLINE_SECONDS: '5', EMAIL_TIMEOUT_SECONDS: '120' })).rejects.toMatchObject({ code: 'DeadlineExceeded' });

    const failed = await status();
    expect(failed).toMatchObject({ httpStatus: 503, body: { healthy: false, problems: ['detectRegressions: the last run failed (DeadlineExceeded)'] } });
    expect(failed.body.detector.lastRun).toEqual({ startedAt: expect.any(String), finishedAt: expect.any(String), status: 'failed', errorCode: 'DeadlineExceeded' });

    await cloud.run('detectRegressions', settings);
    expect(await status()).toMatchObject({ httpStatus: 200, body: { healthy: true, problems: [], detector: { lastRun: { status: 'complete', errorCode: null } } } });
  });
});
