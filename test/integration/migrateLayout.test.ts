import { randomBytes } from 'node:crypto';
import { TableClient, TableServiceClient, odata } from '@azure/data-tables';
import { readConfig } from '../../src/config';
import { customerHistory, customerPage, principalPage } from '../../src/api/pageQueries';
import { runLedger } from '../../src/api/seriesQueries';
import { queryApi } from '../../src/composition';
import { TableCustomerState } from '../../src/adapters/tableCustomerState';
import { Tables } from '../../src/adapters/tables';
import { runStartedAt } from '../../src/core/snapshotRun';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createTables } from '../../tools/createTables';
import { migrateLayout, type MigrationOutcome } from '../../tools/migrate/migrateLayout';
import fixture from '../fixtures/layout-v1/tables.json';

type DumpedRow = { PartitionKey: string; RowKey: string; properties: Record<string, { type: string; value: unknown }> };
const earlier = fixture.tables as unknown as Record<string, DumpedRow[]>;

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

/** The fixture's rows, as the earlier layout's code wrote them, into tables under a fresh prefix; then the tables `azd provision` creates. */
async function deploymentWithEarlierData(): Promise<Record<string, string>> {
  const prefix = `mg${randomBytes(4).toString('hex')}`;
  for (const [name, rows] of Object.entries(earlier)) {
    const table = TableClient.fromConnectionString(azurite.tablesConnectionString, `${prefix}${name}`, { allowInsecureConnection: true });
    await table.createTable();
    for (const row of rows) {
      const properties = Object.fromEntries(Object.entries(row.properties).map(([key, { type, value }]) => [key, type === 'String' ? value : { type, value: Number(value) }]));
      await table.createEntity({ partitionKey: row.PartitionKey, rowKey: row.RowKey, ...properties });
    }
  }
  await createTables(azurite.tablesConnectionString, prefix);
  return { TABLES_CONNECTION_STRING: azurite.tablesConnectionString, TABLE_PREFIX: prefix };
}

function migrate(settings: Record<string, string>, options: { dryRun?: boolean; dropOld?: boolean; afterRun?: (runId: string) => void } = {}): Promise<MigrationOutcome> {
  return migrateLayout({
    storage: readConfig(settings, ['storage']).storage,
    credential: () => {
      throw new Error('a connection string needs no credential');
    },
    dryRun: options.dryRun ?? false,
    dropOld: options.dropOld ?? false,
    log: () => undefined,
    afterRun: options.afterRun,
  });
}

const ledger = earlier.Runs!.map((row) => ({ runId: row.RowKey, source: String(row.properties.source?.value), status: String(row.properties.status?.value) }));
const completeOf = (source: string) => ledger.filter((run) => run.source === source && run.status === 'complete').map((run) => run.runId).sort();
const fieldsOf = (row: DumpedRow) => Object.fromEntries(Object.entries(row.properties).map(([key, { type, value }]) => [key, type === 'String' ? value : Number(value)]));
/** One run's rows of a kind across the earlier bucket tables. */
const earlierRun = (kind: 'Customers' | 'Principals', runId: string) =>
  Object.entries(earlier).filter(([name]) => new RegExp(`^${kind}[0-9a-f]{2}$`).test(name)).flatMap(([, rows]) => rows.filter((row) => row.PartitionKey === runId).map(fieldsOf));

/** What the query API answers about everything the fixture holds. */
async function answers(settings: Record<string, string>) {
  const dependencies = await queryApi({ ...settings, API_TOKEN_SECRET: 'migration-test-secret' });
  const customers = await customerPage(dependencies, 'all', undefined, 1000, undefined);
  const tenantIds = [...new Set(completeOf('partnerSecurity').flatMap((runId) => earlierRun('Customers', runId).map((row) => String(row.tenantId))))].sort();
  const histories = await Promise.all(tenantIds.map(async (tenantId) => (await customerHistory(dependencies, tenantId, {})).body));
  return {
    customers: customers.body,
    histories,
    principals: (await principalPage(dependencies, undefined, 1000, undefined)).body,
    runs: (await runLedger(dependencies, undefined, 100)).body,
  };
}

async function newLayoutRows(settings: Record<string, string>): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const name of ['Customers', 'CustomerHistory', 'CustomerChanges', 'Principals', 'Runs']) {
    const table = TableClient.fromConnectionString(azurite.tablesConnectionString, `${settings.TABLE_PREFIX}${name}`, { allowInsecureConnection: true });
    rows[name] = [];
    for await (const { etag: _etag, timestamp: _timestamp, appliedAt: _appliedAt, ...row } of table.listEntities<Record<string, unknown>>()) rows[name]!.push(row);
  }
  return rows;
}

describe('npm run migrate against data written by the earlier layout', () => {
  it('when run dry, then it writes nothing', async () => {
    const settings = await deploymentWithEarlierData();
    const outcome = await migrate(settings, { dryRun: true });
    expect(outcome).toMatchObject({ earlierTables: Object.keys(earlier).filter((name) => /^(Customers|CustomerHistory|Principals)[0-9a-f]{2}$/.test(name)).length, customerRunsMigrated: 0, principalRunsCopied: 0 });
    const rows = await newLayoutRows(settings);
    expect([rows.Customers, rows.CustomerHistory, rows.CustomerChanges, rows.Principals].map((table) => table!.length)).toEqual([0, 0, 0, 0]);
  });

  it('when the current version took the earlier runs as its customers\' state before the migration ran, then the migration rebuilds their state and history from the earlier runs all the same', async () => {
    const expected = await deploymentWithEarlierData();
    await migrate(expected);
    const settings = await deploymentWithEarlierData();
    // The current version's next partnerSecurity run applies every complete run before it collects.
    expect((await new TableCustomerState(new Tables(readConfig(settings, ['storage']).storage, () => {
      throw new Error('a connection string needs no credential');
    })).applyPending()).at(-1)).toBe(completeOf('partnerSecurity')[0]);
    expect(await migrate(settings)).toMatchObject({ mismatches: [] });
    const rebuilt = await answers(settings);
    const reference = await answers(expected);
    expect(rebuilt.histories).toEqual(reference.histories);
    expect(rebuilt.customers.items).toEqual(reference.customers.items);
  });

  it('when migrated after being stopped half-way, then the query API answers the customers, history, principals and runs the earlier tables hold; a second run changes nothing; --drop-old then removes only the earlier tables', async () => {
    const settings = await deploymentWithEarlierData();
    let migrated = 0;
    await expect(migrate(settings, { afterRun: () => {
      if (++migrated === 2) throw new Error('stopped half-way');
    } })).rejects.toThrow('stopped half-way');
    const outcome = await migrate(settings);
    expect(outcome).toMatchObject({ customerRunsMigrated: completeOf('partnerSecurity').length - 2, mismatches: [], dropped: 0 });

    const answered = await answers(settings);
    const latestCustomers = completeOf('partnerSecurity')[0]!;
    // Customers: the latest complete run's, every one of them, as stored (16 of the 20: four are gone).
    expect(answered.customers).toMatchObject({ runId: latestCustomers });
    const listed = (answered.customers.items as Record<string, unknown>[]).map(({ tenantId, compliantAdminsCount, totalUsersCount }) => ({ tenantId, compliantAdminsCount, totalUsersCount }));
    expect(listed.sort((left, right) => String(left.tenantId).localeCompare(String(right.tenantId)))).toEqual(
      earlierRun('Customers', latestCustomers).map(({ tenantId, compliantAdminsCount, totalUsersCount }) => ({ tenantId, compliantAdminsCount, totalUsersCount })).sort((left, right) => String(left.tenantId).localeCompare(String(right.tenantId))),
    );
    expect(listed).toHaveLength(16);
    // History: each customer's states over the complete runs, collapsed into change points; the run killed mid-way is not in it.
    for (const history of answered.histories) {
      const tenantId = String(history.tenantId);
      const expected: { runId: string; compliantAdminsCount: unknown; gone: boolean }[] = [];
      for (const runId of [...completeOf('partnerSecurity')].reverse()) {
        const row = earlierRun('Customers', runId).find((candidate) => candidate.tenantId === tenantId);
        const point = { runId, compliantAdminsCount: row?.compliantAdminsCount ?? null, gone: row === undefined };
        const last = expected.at(-1);
        if (last === undefined ? !point.gone : JSON.stringify(earlierRun('Customers', last.runId).find((candidate) => candidate.tenantId === tenantId) ?? null) !== JSON.stringify(row ?? null)) expected.push(point);
      }
      const items = (history.items as Record<string, unknown>[]).map(({ runId, compliantAdminsCount, gone }) => ({ runId, compliantAdminsCount, gone }));
      expect({ tenantId, items }).toEqual({ tenantId, items: expected });
    }
    expect(answered.histories.some((history) => (history.items as unknown[]).length > 1)).toBe(true);
    expect(answered.histories.filter((history) => (history.items as { gone: boolean }[]).at(-1)?.gone === true)).toHaveLength(4);
    // Principals of the latest complete run; the ledger as it was.
    const latestPrincipals = completeOf('nonMfaPrincipals')[0]!;
    expect(answered.principals).toMatchObject({ runId: latestPrincipals, collectedAt: runStartedAt(latestPrincipals).toISOString() });
    expect((answered.principals.items as Record<string, unknown>[]).map((item) => `${String(item.objectId)} ${String(item.lastNonMfaRequestDateTime)}`).sort()).toEqual(
      earlierRun('Principals', latestPrincipals).map((row) => `${String(row.objectId)} ${String(row.lastNonMfaRequestDateTime)}`).sort(),
    );
    expect((answered.runs.items as { runId: string; status: string }[]).map(({ runId, status }) => `${runId} ${status}`).sort()).toEqual(ledger.map(({ runId, status }) => `${runId} ${status}`).sort());

    // Twice: nothing changes.
    const before = await newLayoutRows(settings);
    expect(await migrate(settings)).toMatchObject({ customerRunsMigrated: 0, mismatches: [] });
    expect(await newLayoutRows(settings)).toEqual(before);

    // --drop-old: the earlier tables go, the answers stay.
    expect((await migrate(settings, { dropOld: true })).dropped).toBe(Object.keys(earlier).filter((name) => /^(Customers|CustomerHistory|Principals)[0-9a-f]{2}$/.test(name)).length);
    const service = TableServiceClient.fromConnectionString(azurite.tablesConnectionString, { allowInsecureConnection: true });
    const left: string[] = [];
    for await (const table of service.listTables({ queryOptions: { filter: odata`TableName ge ${settings.TABLE_PREFIX} and TableName lt ${`${settings.TABLE_PREFIX}~`}` } })) left.push(String(table.name).slice(settings.TABLE_PREFIX!.length));
    expect(left.filter((name) => /[0-9a-f]{2}$/.test(name))).toEqual([]);
    expect(await answers(settings)).toEqual(answered);
    expect(await migrate(settings)).toMatchObject({ earlierTables: 0 });
  });
});
