import { odata, TableClient } from '@azure/data-tables';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 60, nonMfaSignInsPerDay: 2 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

function detect(settings: Record<string, string>): Promise<Error & { code?: string }> {
  return cloud.run('detectRegressions', settings).then(
    () => Object.assign(new Error('succeeded'), { code: 'Succeeded' }),
    (thrown: Error & { code?: string }) => thrown,
  );
}

function outboxTable(settings: Record<string, string>): TableClient {
  return TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Outbox`, { allowInsecureConnection: true });
}

/** The outbox's messages (`outbox`) or their deliveries, one per message and channel (`delivery`). */
async function outbox(settings: Record<string, string>, partition: 'outbox' | 'delivery' = 'outbox'): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const row of outboxTable(settings).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } })) rows.push(row);
  return rows;
}

/** Two days collected and detected, then two more collected: the next detection has an email to send. */
async function regressionsWaiting(settings: Record<string, string>, firstDay: number): Promise<number> {
  cloud.sim.setDay(firstDay);
  await cloud.collectAll(settings);
  expect((await detect(settings)).code).toBe('Succeeded');
  cloud.sim.setDay(firstDay + 4);
  await cloud.collectAll(settings);
  return cloud.sim.inbox().length;
}

describe('alerts that cannot be delivered are loud', () => {
  it('when ACS refuses the credentials, then each invocation fails saying so, the email stays in the outbox, and once fixed it is delivered exactly once', async () => {
    const settings = cloud.settings();
    const before = await regressionsWaiting(settings, 40);
    cloud.sim.injectFault({ kind: 'status', status: 401, service: 'acs' });

    const first = await detect(settings);
    const second = await detect(settings);

    for (const failure of [first, second]) {
      expect(failure).toMatchObject({ code: 'AlertUndeliverable', message: expect.stringContaining('ACS refused the monitor\'s credentials (status 401)') });
    }
    expect(cloud.sim.inbox()).toHaveLength(before);
    expect((await outbox(settings, 'delivery')).filter((row) => row.status !== 'sent')).toEqual([expect.objectContaining({ target: 'email', status: 'sending', lastError: expect.stringMatching(/401/) })]);

    cloud.sim.clearFaults();
    expect((await detect(settings)).code).toBe('Succeeded');
    expect((await detect(settings)).code).toBe('Succeeded');
    expect(cloud.sim.inbox().length - before).toBe(1);
    expect((await outbox(settings)).every((row) => row.status === 'sent')).toBe(true);
  });

  it('when ACS fails transiently, then the detector retries quietly until the email is older than ALERT_UNDELIVERED_HOURS, and then fails too', async () => {
    const settings = cloud.settings();
    const before = await regressionsWaiting(settings, 50);
    cloud.sim.injectFault({ kind: 'status', status: 500, service: 'acs', path: 'emails:send' });

    expect((await detect(settings)).code).toBe('Succeeded');
    const [waiting] = (await outbox(settings, 'delivery')).filter((row) => row.status !== 'sent');
    const createdAt = new Date(Date.now() - 3 * 3_600_000).toISOString();
    await outboxTable(settings).updateEntity({ partitionKey: String(waiting!.partitionKey), rowKey: String(waiting!.rowKey), createdAt }, 'Merge');

    expect(await detect(settings)).toMatchObject({ code: 'AlertUndelivered', message: expect.stringMatching(/has waited undelivered for 1[89]\d min, longer than ALERT_UNDELIVERED_HOURS \(2 h\)/) });
    cloud.sim.clearFaults();
    expect((await detect(settings)).code).toBe('Succeeded');
    expect(cloud.sim.inbox().length - before).toBe(1);
  });

  it('when a send could end after the invocation deadline, then the detector does not start it and fails as DeadlineExceeded; the next run with time sends it once', async () => {
    const settings = cloud.settings();
    const before = await regressionsWaiting(settings, 60);

    const failure = await detect({ ...settings, INVOCATION_DEADLINE_SECONDS: '5', EMAIL_TIMEOUT_SECONDS: '120' });

    expect(failure).toMatchObject({ code: 'DeadlineExceeded', message: expect.stringContaining('before sending: a send may wait 120 s for ACS') });
    expect(cloud.sim.inbox()).toHaveLength(before);
    expect((await outbox(settings)).filter((row) => row.status !== 'sent')).toHaveLength(1);
    expect((await detect(settings)).code).toBe('Succeeded');
    expect(cloud.sim.inbox().length - before).toBe(1);
  });
});
