import { TableClient } from '@azure/data-tables';
import { toTableKey } from '../../src/adapters/tableKey';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { endpoints } from '../../src/api/endpoints';
import { serveEndpoint } from '../../src/api/serveEndpoint';
import { queryApi } from '../../src/composition';
import { readConfig } from '../../src/config';
import { runMigrations } from '../../tools/migrate/migrations';
import { startCloud, type Cloud } from '../support/cloud';
import fixture from '../fixtures/detector-v1/tables.json';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * npm run migrate on the detector's rows, as the versions before it wrote them: the fixture holds
 * what the detector of commit 0a940a4 wrote (see its README); the rows below are what the earlier
 * shapes looked like. Each entity group transaction is atomic within its partition ("Performing
 * entity group transactions", Azure Table Storage REST API:
 * https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions),
 * which is what makes a finding pair's replacement safe to stop at any point. An email ACS may have
 * taken is found again by its operation id ("Get status of an email previously sent", --operation-id:
 * https://learn.microsoft.com/cli/azure/communication/email/status), so the pre-delivery message's
 * delivery keeps the message's own operation id rather than a new one.
 */

type DumpedRow = { PartitionKey: string; RowKey: string; properties: Partial<Record<string, { type: string; value: string }>> };
const written: Record<string, DumpedRow[]> = fixture.tables;

/** A message as the detector stored it before deliveries existed (tableDetectorStore's `messageRow` before commit 8f6887c): its one email's send state on the message, `sending` once an attempt may have reached ACS. */
const preDeliveryMessageId = '001796202000000-0a0b0c0d';
const preDeliveryOperationId = '00000000-0000-4000-8000-0000000000aa';
const preDeliveryMessage = {
  partitionKey: 'outbox', rowKey: preDeliveryMessageId,
  messageId: preDeliveryMessageId, operationId: preDeliveryOperationId, status: 'sending', createdAt: '2026-12-02T09:00:00.000Z', reminder: false,
  subject: 'MFA regressions: 1 new', attempts: 1, refusals: 0, firstAttemptAt: '2026-12-02T09:00:01.000Z', lastError: 'ACS did not answer within 30 s',
};

/** A count and its share as two findings (tableDetectorStore's `toRow` before commit adeca3c), opened and claimed by the message above. */
function findingPairRow(measure: 'compliantTenantCount' | 'compliantTenantShare', baseline: number, current: number) {
  return {
    partitionKey: 'finding', rowKey: toTableKey(`requirement/mfaEnforcedForPartnerTenants/${measure}`),
    kind: `${measure}Fell`, severity: 'warning', subjectType: 'requirement', subjectId: 'mfaEnforcedForPartnerTenants', measure, state: 'open',
    baseline: JSON.stringify(baseline), current: JSON.stringify(current), openedAt: '2026-12-02T09:00:00.000Z', event: false,
    announcedIn: preDeliveryMessageId, announcedChange: 'opened',
  };
}

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 30 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

const loadedAt = new Date().toISOString();
const detectorTables = ['Findings', 'Outbox', 'Detector', 'Runs'] as const;

function table(settings: Record<string, string>, name: string): TableClient {
  return TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}${name}`, { allowInsecureConnection: true });
}

/** A deployment holding the fixture's rows as written, and the earlier shapes' rows; `withEarlierShapes: false` leaves those out. */
async function deployment({ withEarlierShapes = true } = {}): Promise<Record<string, string>> {
  const settings = cloud.settings();
  for (const [name, rows] of Object.entries(written)) {
    for (const row of rows) {
      const properties = Object.fromEntries(
        Object.entries(row.properties).map(([key, property]) => {
          const { type, value } = property!;
          return [key, type === 'String' ? value : type === 'Boolean' ? value === 'true' : { type, value: type === 'Int64' ? value : Number(value) }];
        }),
      );
      await table(settings, name).createEntity({ partitionKey: row.PartitionKey, rowKey: row.RowKey, ...properties });
    }
  }
  if (withEarlierShapes) {
    await table(settings, 'Outbox').createEntity(preDeliveryMessage);
    await table(settings, 'Findings').createEntity(findingPairRow('compliantTenantCount', 20, 18));
    await table(settings, 'Findings').createEntity(findingPairRow('compliantTenantShare', 25.32, 22.78));
  }
  // Not a reminder: the fixture's last email is the one these messages are.
  await table(settings, 'Detector').updateEntity({ partitionKey: 'detector', rowKey: 'state', lastEmailAt: loadedAt }, 'Merge');
  return settings;
}

/** Every row of the detector's tables and the Runs table, without what the service sets on every write. */
async function rows(settings: Record<string, string>): Promise<Record<string, Record<string, unknown>[]>> {
  const all: Record<string, Record<string, unknown>[]> = {};
  for (const name of detectorTables) {
    all[name] = [];
    for await (const { etag: _etag, timestamp: _timestamp, ...row } of table(settings, name).listEntities()) all[name].push(row);
  }
  return all;
}

function migrate(settings: Record<string, string>, options: { dryRun?: boolean; afterStep?: () => void } = {}): Promise<Map<number, number>> {
  return runMigrations({
    storage: readConfig(settings, ['storage']).storage,
    credential: () => {
      throw new Error('a connection string needs no credential');
    },
    dryRun: options.dryRun ?? false,
    dropOld: false,
    log: () => undefined,
    afterStep: options.afterStep,
  });
}

async function detect(settings: Record<string, string>): Promise<string> {
  return cloud.run('detectRegressions', settings).then(
    () => 'Succeeded',
    (error: Error & { code?: string }) => `${error.code}: ${error.message}`,
  );
}

describe('npm run migrate on the rows the detector wrote before', () => {
  it('when run dry, then it reports what each migration would change and writes nothing', async () => {
    const settings = await deployment();
    const before = await rows(settings);
    // One finding pair; the pre-delivery message and the fixture's two waiting messages, which still carry their own send state; no bucket tables.
    expect(await migrate(settings, { dryRun: true })).toEqual(new Map([[1, 1], [2, 3], [3, 0]]));
    expect(await rows(settings)).toEqual(before);
  });

  it('when the detector starts on un-migrated rows, then it fails naming npm run migrate and sends nothing', async () => {
    const findingsAndMessage = await deployment();
    const sent = cloud.sim.inbox().length;
    expect(await detect(findingsAndMessage)).toMatch(/^UnreadableRow: A row of the findings table cannot be read: field "kind" is not one of .* \(if an earlier version wrote it, `npm run migrate` brings it to the current shape\)$/);
    // A message stored before deliveries, `ready` (never tried): only the migration can give it its delivery.
    const messageOnly = await deployment({ withEarlierShapes: false });
    await table(messageOnly, 'Outbox').createEntity({ ...preDeliveryMessage, status: 'ready', attempts: 0, firstAttemptAt: undefined, lastError: undefined });
    // ACS refuses the waiting messages' deliveries, so none reaches it: the message without deliveries fails the run all the same.
    cloud.sim.injectFault({ kind: 'status', status: 401, service: 'acs' });
    expect(await detect(messageOnly)).toMatch(/^MigrationNeeded: Outbox message 001796202000000-0a0b0c0d was stored by an earlier version, before messages had deliveries: run `npm run migrate`/);
    expect(cloud.sim.inbox().slice(sent).map((email) => email.operationId)).not.toContain(preDeliveryOperationId);
    // The status names the migration too, for the operator who reads it rather than the log.
    for (const settings of [findingsAndMessage, messageOnly]) {
      const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/status' });
      const context = new InvocationContext({ invocationId: 'migration-status', functionName: 'apiStatus', logHandler: () => undefined });
      const response = await serveEndpoint(endpoints.find((endpoint) => endpoint.name === 'apiStatus')!, request, context, () => queryApi({ ...settings, API_TOKEN_SECRET: 'migration-test-secret' }));
      expect((JSON.parse(String(response.body)) as { problems: string[] }).problems).toContainEqual(expect.stringMatching(/^detectRegressions: the last run failed \((UnreadableRow|MigrationNeeded)\); rows an earlier version wrote are brought to the current shape by `npm run migrate`$/));
    }
  });

  it('when migrated, then every waiting message is delivered once, the pre-delivery one under its own ACS operation id, the pair as one finding; a second run changes nothing', async () => {
    const settings = await deployment();
    expect(await migrate(settings)).toEqual(new Map([[1, 1], [2, 3], [3, 0]]));
    const migrated = await rows(settings);
    expect(migrated.Runs!.filter((row) => row.partitionKey === 'migration').map(({ rowKey, rowsChanged }) => [rowKey, rowsChanged])).toEqual([['0001', 1], ['0002', 3], ['0003', 0]]);
    expect(migrated.Outbox!.filter((row) => row.partitionKey === 'delivery' && row.messageId === preDeliveryMessageId)).toEqual([
      expect.objectContaining({ target: 'email', status: 'sending', operationId: preDeliveryOperationId, attempts: 1, firstAttemptAt: preDeliveryMessage.firstAttemptAt }),
    ]);
    // The messages keep no send state of their own: it is their deliveries'.
    expect(migrated.Outbox!.filter((row) => row.partitionKey === 'outbox' && row.status !== 'sent').map(({ status, operationId, attempts }) => ({ status, operationId, attempts }))).toEqual(
      Array.from({ length: 3 }, () => ({ status: 'ready', operationId: undefined, attempts: undefined })),
    );
    const pair = migrated.Findings!.filter((row) => String(row.subjectId) === 'mfaEnforcedForPartnerTenants');
    expect(pair).toEqual([expect.objectContaining({ rowKey: toTableKey('requirement/mfaEnforcedForPartnerTenants/compliantTenants'), kind: 'compliantTenantsFell', baseline: '20', current: '18', announcedIn: preDeliveryMessageId })]);

    expect(await migrate(settings)).toEqual(new Map([[1, 0], [2, 0], [3, 0]]));
    expect(await rows(settings)).toEqual(migrated);

    const sent = cloud.sim.inbox().length;
    expect(await detect(settings)).toBe('Succeeded');
    const emails = cloud.sim.inbox().slice(sent);
    const waiting = written.Outbox!.filter((row) => row.PartitionKey === 'delivery' && row.properties.status?.value !== 'sent').map((row) => row.properties.operationId?.value);
    expect(emails.map((email) => email.operationId).sort()).toEqual([preDeliveryOperationId, ...waiting].sort());
    expect(emails.find((email) => email.operationId === preDeliveryOperationId)?.plainText).toContain('compliant customer tenants');
    expect((await rows(settings)).Outbox!.filter((row) => row.partitionKey === 'outbox').every((row) => row.status === 'sent')).toBe(true);
  });

  it('when a migration is stopped half-way, then the next run completes it, to the same rows as one that was never stopped', async () => {
    const reference = await deployment();
    await migrate(reference);
    const settings = await deployment();
    let steps = 0;
    await expect(migrate(settings, { afterStep: () => {
      if (++steps === 3) throw new Error('stopped half-way');
    } })).rejects.toThrow('stopped half-way');
    // Stopped after the finding pair and the first message's delivery: the messages are half done.
    expect((await rows(settings)).Outbox!.filter((row) => row.partitionKey === 'outbox' && row.operationId !== undefined && row.status !== 'sent')).not.toHaveLength(0);
    expect(await migrate(settings)).toEqual(new Map([[1, 0], [2, 2], [3, 0]]));
    const [completed, expected] = await Promise.all([rows(settings), rows(reference)]);
    const withoutLedger = (all: Record<string, Record<string, unknown>[]>) => ({ ...all, Runs: all.Runs!.filter((row) => row.partitionKey !== 'migration') });
    expect(withoutLedger(completed)).toEqual(withoutLedger(expected));
  });
});
