import { InvocationContext } from '@azure/functions';
import { TableDetectorStore } from '../../src/adapters/tableDetectorStore';
import { fixedPartitions } from '../../src/adapters/tableLayout';
import { Tables } from '../../src/adapters/tables';
import { monitorStatus } from '../../src/api/monitorStatus';
import { queryApi } from '../../src/composition';
import { readConfig } from '../../src/config';
import { snapshotSources } from '../../src/core/model';
import { readSchedule } from '../../src/core/ncrontab';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { startCloud, type Cloud } from '../support/cloud';
import { savedEnvironment } from '../support/processEnvironment';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

const functionKey = 'schedule-health-key-0123456789';
const defaultGraceMs = 14 * 60_000;
let cloud: Cloud;
let settings: Record<string, string>;
let host: LocalHost;
const restoreEnvironment = savedEnvironment();

beforeAll(async () => {
  cloud = await startCloud();
  settings = cloud.settings();
  for (const name of ['collectPartnerSecurity', 'collectNonMfaPrincipals', 'collectRegistrationCounts', 'detectRegressions']) await cloud.run(name, settings);
  Object.assign(process.env, settings);
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey, scheduleTimers: false, env: settings, log: () => undefined });
}, 120_000);
afterAll(async () => {
  await host?.close();
  await cloud?.close();
  restoreEnvironment();
});

type Schedule = { setting: string; expression: string | null; expectedBy: string | null };
type Status = {
  healthy: boolean;
  problems: string[];
  sources: { source: string; lastCompleteRun: { startedAt: string }; schedule: Schedule }[];
  detector: { lastCompletedRun: { startedAt: string; finishedAt: string } | null; schedule: Schedule };
};

/** The status as of `now`, through the same dependencies the endpoint uses, with these settings. */
async function statusAt(now: Date, overrides: Record<string, string> = {}): Promise<{ body: Status; httpStatus?: number }> {
  const dependencies = await queryApi({ ...settings, ...overrides });
  const result = await monitorStatus({ ...dependencies, clock: { now: () => now } });
  return { body: result.body as unknown as Status, httpStatus: result.httpStatus };
}

const expectedBy = (expression: string, startedAt: string, graceMs = defaultGraceMs): string =>
  new Date(readSchedule('SCHEDULE', expression).nextAfter(new Date(startedAt))!.getTime() + graceMs).toISOString();

describe('health from each schedule', () => {
  it('when every source and the detector completed since their last scheduled time, then /api/health answers 200 without a key and with no body, and /api/status states when each next run is due by', async () => {
    const health = await fetch(`${host.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    expect(health.headers.get('cache-control')).toBe('no-store');
    // HEAD is GET without the content (RFC 9110, 9.3.2): the same status, as uptime monitors probe it.
    const head = await fetch(`${host.url}/api/health`, { method: 'HEAD' });
    expect({ status: head.status, body: await head.text(), cacheControl: head.headers.get('cache-control') }).toEqual({ status: 200, body: '', cacheControl: 'no-store' });

    const response = await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey } });
    const status = (await response.json()) as Status;
    expect({ status: response.status, healthy: status.healthy, problems: status.problems }).toEqual({ status: 200, healthy: true, problems: [] });
    const defaults = { partnerSecurity: ['SCHEDULE_PARTNER_SECURITY', '0 15 5 * * *'], nonMfaPrincipals: ['SCHEDULE_NON_MFA_PRINCIPALS', '0 0 */6 * * *'], registrationCounts: ['SCHEDULE_REGISTRATION_COUNTS', '0 30 5 * * *'] } as const;
    for (const source of status.sources) {
      const [setting, expression] = defaults[source.source as keyof typeof defaults];
      expect(source.schedule).toEqual({ setting, expression, expectedBy: expectedBy(expression, source.lastCompleteRun.startedAt) });
    }
    expect(status.detector.lastCompletedRun).toEqual({ startedAt: expect.any(String), finishedAt: expect.any(String) });
    expect(status.detector.schedule).toEqual({ setting: 'SCHEDULE_DETECT_REGRESSIONS', expression: '0 45 * * * *', expectedBy: expectedBy('0 45 * * * *', status.detector.lastCompletedRun!.startedAt) });
  });

  it('when the time a run was due by has passed without one, then each late source and the detector is a reason naming its schedule, and the status is a 503', async () => {
    const { body, httpStatus } = await statusAt(new Date(Date.now() + 2 * 86_400_000));
    expect(httpStatus).toBe(503);
    // The customer-admin scan is off here (CUSTOMER_TENANT_AUTH's default): it has no schedule to be late on.
    for (const name of [...snapshotSources.filter((source) => source !== 'customerAdmins'), 'detectRegressions']) {
      expect(body.problems.filter((problem) => problem.startsWith(`${name}: no complete run since the one started at `) && problem.includes('was due to complete by'))).toHaveLength(1);
    }
    expect(body.problems.find((problem) => problem.startsWith('partnerSecurity:'))).toContain('(SCHEDULE_PARTNER_SECURITY "0 15 5 * * *")');
  });

  it('when HEALTH_GRACE_MINUTES is set, then runs are expected that much after their scheduled time', async () => {
    const { body } = await statusAt(new Date(), { HEALTH_GRACE_MINUTES: '90' });
    const registrations = body.sources.find((source) => source.source === 'registrationCounts')!;
    expect(registrations.schedule.expectedBy).toBe(expectedBy('0 30 5 * * *', registrations.lastCompleteRun.startedAt, 90 * 60_000));
  });

  it('when HEALTH_GRACE_MINUTES is shorter than an invocation may work, then the status says so as its reason instead of failing', async () => {
    const { body, httpStatus } = await statusAt(new Date(), { HEALTH_GRACE_MINUTES: '3' });
    expect(httpStatus).toBe(503);
    expect(body.problems).toEqual([expect.stringContaining('HEALTH_GRACE_MINUTES (3) is shorter than an invocation may work (540 s)')]);
    expect(body.sources.every((source) => source.schedule === null)).toBe(true);
  });

  it('when INVOCATION_DEADLINE_SECONDS leaves no margin before the function timeout, then the status names it as its reason instead of failing', async () => {
    const { body, httpStatus } = await statusAt(new Date(), { INVOCATION_DEADLINE_SECONDS: '590' });
    expect(httpStatus).toBe(503);
    expect(body.problems).toEqual([expect.stringContaining('INVOCATION_DEADLINE_SECONDS (590) must leave at least 60 s before the function timeout (600 s)')]);
  });

  it('when a schedule setting is not NCRONTAB, then the status names the setting as a reason and still judges the others', async () => {
    const { body, httpStatus } = await statusAt(new Date(), { SCHEDULE_REGISTRATION_COUNTS: '0 30 5 * *' });
    expect(httpStatus).toBe(503);
    expect(body.problems).toEqual([
      'registrationCounts: SCHEDULE_REGISTRATION_COUNTS ("0 30 5 * *") is not a 6-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week}, UTC): Azure does not run the function until it is fixed',
    ]);
    expect(body.sources.find((source) => source.source === 'registrationCounts')!.schedule).toEqual({ setting: 'SCHEDULE_REGISTRATION_COUNTS', expression: null, expectedBy: null });
    expect(body.sources.find((source) => source.source === 'partnerSecurity')!.schedule.expectedBy).not.toBeNull();
  });

  it('when the monitor cannot even read its own settings, then /api/health answers 503 and the log says why under a correlation id', async () => {
    const logs: string[] = [];
    const context = new InvocationContext({ invocationId: 'health-check-1', functionName: 'apiHealth', logHandler: (level, ...args) => logs.push(`${level}: ${args.join(' ')}`) });
    const table = process.env.TABLES_CONNECTION_STRING;
    delete process.env.TABLES_CONNECTION_STRING;
    try {
      const health = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).find((fn) => fn.name === 'apiHealth')!;
      expect(await health.handler(undefined, context)).toEqual({ status: 503, headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
    } finally {
      process.env.TABLES_CONNECTION_STRING = table;
    }
    expect(logs).toEqual([expect.stringMatching(/^error: Health check failed \(InvalidConfiguration\), correlation id health-check-1: .*TABLES_CONNECTION_STRING or TABLES_ENDPOINT is required/s)]);
  });

  it('when a stored waiver cannot be read, then /api/health answers 200 as /api/status does, which leaves the row out and counts it', async () => {
    // The health check answers 200 exactly when /api/status would say healthy (Application Insights
    // availability tests, https://learn.microsoft.com/azure/azure-monitor/app/availability-overview,
    // alert on its status code alone); the status leaves out a row it cannot read and counts it.
    const waivers = await new Tables(readConfig(settings, ['storage']).storage, () => {
      throw new Error('connection string only');
    }).clientFor('waivers');
    const damaged = { partitionKey: fixedPartitions.waivers, rowKey: 'waiver_damaged', scope: 'not a scope' };
    await waivers.createEntity(damaged);
    const maxDays = process.env.WAIVER_MAX_DAYS;
    // Other settings, so the verdict an earlier test reached is not the one answered.
    process.env.WAIVER_MAX_DAYS = '179';
    try {
      const health = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).find((fn) => fn.name === 'apiHealth')!;
      const context = new InvocationContext({ invocationId: 'health-check-2', functionName: 'apiHealth' });
      expect(await health.handler(undefined, context)).toMatchObject({ status: 200 });
      const response = await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey } });
      const status = (await response.json()) as { skippedRows?: unknown };
      expect({ status: response.status, skippedRows: status.skippedRows }).toEqual({ status: 200, skippedRows: { count: 1, tables: { waivers: 1 } } });
    } finally {
      if (maxDays === undefined) delete process.env.WAIVER_MAX_DAYS;
      else process.env.WAIVER_MAX_DAYS = maxDays;
      await waivers.deleteEntity(damaged.partitionKey, damaged.rowKey);
    }
  });

  it('when a detector run fails, then it is not recorded as completed, and the last completed run stays the one the status judges by', async () => {
    const store = new TableDetectorStore(new Tables(readConfig(settings, ['storage']).storage, () => {
      throw new Error('connection string only');
    }));
    const before = await store.lastCompletedRun();
    // A 5 s deadline leaves no room for a send that may wait 120 s: the run fails before sending.
    await expect(cloud.run('detectRegressions', { ...settings, INVOCATION_DEADLINE_SECONDS: '5' })).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(await store.lastCompletedRun()).toEqual(before);
    await cloud.run('detectRegressions', settings);
    const after = await store.lastCompletedRun();
    expect(Date.parse(after!.startedAt)).toBeGreaterThan(Date.parse(before!.startedAt));
  });
});
