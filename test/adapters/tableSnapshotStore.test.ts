import { TableClient, TableServiceClient } from '@azure/data-tables';
import { bucketOf, bucketTableName } from '../../src/adapters/tableLayout';
import { Tables, TableSnapshotReader, TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import type { CustomerMfaInsight, SecurityRequirement } from '../../src/core/model';
import { newRunId } from '../../src/core/snapshotRun';
import { startAzurite, type Azurite } from '../../tools/azurite';

let azurite: Azurite;
let prefix = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});

function storeWithFreshTables() {
  prefix += 1;
  const tables = new Tables({ connectionString: azurite.tablesConnectionString, endpoint: null, tablePrefix: `t${prefix}` }, () => {
    throw new Error('no credential with a connection string');
  });
  return { store: new TableSnapshotStore(tables), reader: new TableSnapshotReader(tables), prefix: `t${prefix}` };
}

function insight(index: number, overrides: Partial<CustomerMfaInsight> = {}): CustomerMfaInsight {
  return {
    tenantId: `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
    compliantAdminsCount: index % 3,
    compliantNonAdminsCount: 10,
    totalUsersCount: 20,
    securityDefaultsStatus: 'enabled',
    mfaConditionalAccessPolicyStatus: 'disabled',
    legacyPerUserMfaStatus: null,
    ...overrides,
  };
}

const requirement = (type: string, status: string): SecurityRequirement => ({
  requirementType: type, kind: 'securityRequirement', odataType: null, id: null, complianceStatus: status, state: 'active', score: 1, maxScore: 1,
  actionUrl: null, helpUrl: null, updatedDateTime: null, totalTenantCount: null, compliantTenantCount: null, totalAdminsCount: null,
  adminsRequiredNotUsingMfaCount: null, mfaEnabledAdminsCount: null, totalUsersCount: null, usersRequiredNotUsingMfaCount: null,
  mfaEnabledUsersCount: null, compliantUsersCount: null, incompleteRegistrationUsersCount: null, totalCustomersCount: null,
  customersWithSpendBudgetCount: null, averageResponseTimeInHours: null, securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: null, perUserMfaStatus: null,
});

/** A run of the given customers, started on `day`, completed. */
async function completeRun(store: TableSnapshotStore, day: string, suffix: string, customers: CustomerMfaInsight[]): Promise<string> {
  const startedAt = new Date(`${day}T00:00:00Z`);
  const runId = newRunId(startedAt, suffix);
  const writer = await store.openRun('partnerSecurity', runId, startedAt);
  await writer.addCustomerInsights(customers);
  await writer.complete({});
  return runId;
}

describe('TableSnapshotStore against Azurite', () => {
  it('when a run of 250 customers completes, then every customer reads back from the run and the ledger says complete', async () => {
    const { store, reader } = storeWithFreshTables();
    const runId = newRunId(new Date('2026-01-05T00:00:00Z'), 'abcdef');
    const writer = await store.openRun('partnerSecurity', runId, new Date('2026-01-05T00:00:00Z'));
    expect((await reader.getRun('partnerSecurity', runId))?.status).toBe('running');
    await writer.addCustomerInsights(Array.from({ length: 250 }, (_, index) => insight(index)));
    await writer.addRequirements([requirement('mfaEnforcedForAdmins', 'compliant'), requirement('a/b#c?', 'noncomplaint')]);
    const run = await writer.complete({ customers: 250 });
    expect(run.status).toBe('complete');
    expect(run.counts).toMatchObject({ customers: 250, entitiesWritten: 502 });
    const customers = await reader.customersOfRun(runId);
    expect(customers).toHaveLength(250);
    expect(customers.find((customer) => customer.tenantId.endsWith('000000000007'))).toEqual(insight(7, { legacyPerUserMfaStatus: null }));
    const requirements = await reader.requirementsOfRun(runId);
    expect(requirements.map((found) => found.requirementType).sort()).toEqual(['a/b#c?', 'mfaEnforcedForAdmins']);
    expect((await reader.latestCompleteRun('partnerSecurity'))?.runId).toBe(runId);
  });

  it('when nothing was written, then reads find nothing and leave no bucket tables behind', async () => {
    const { reader, prefix: tablePrefix } = storeWithFreshTables();
    expect(await reader.customerHistory(insight(1).tenantId)).toEqual([]);
    expect(await reader.customersOfRun(newRunId(new Date('2026-01-05T00:00:00Z'), 'absent'))).toEqual([]);
    const service = TableServiceClient.fromConnectionString(azurite.tablesConnectionString, { allowInsecureConnection: true });
    const names: string[] = [];
    for await (const table of service.listTables()) if (table.name?.startsWith(tablePrefix) === true) names.push(table.name.slice(tablePrefix.length));
    expect(names.filter((name) => /^(Customers|CustomerHistory|Principals)/.test(name))).toEqual([]);
  });

  it('when the same run id is written twice, then rows are replaced, not duplicated', async () => {
    const { store, reader } = storeWithFreshTables();
    const runId = newRunId(new Date('2026-01-05T00:00:00Z'), 'rerun1');
    for (const admins of [1, 2]) {
      const writer = await store.openRun('partnerSecurity', runId, new Date('2026-01-05T00:00:00Z'));
      await writer.addCustomerInsights([insight(1, { compliantAdminsCount: admins }), insight(2)]);
      await writer.complete({});
    }
    const customers = await reader.customersOfRun(runId);
    expect(customers).toHaveLength(2);
    expect(customers.find((customer) => customer.tenantId.endsWith('1'))?.compliantAdminsCount).toBe(2);
    expect(await reader.customerHistory(insight(1).tenantId)).toHaveLength(1);
    expect(await reader.listRuns('partnerSecurity')).toHaveLength(1);
  });

  it('when a run fails, then it is never the latest complete run and its rows never appear in history', async () => {
    const { store, reader } = storeWithFreshTables();
    const good = newRunId(new Date('2026-01-05T00:00:00Z'), 'good01');
    const bad = newRunId(new Date('2026-01-06T00:00:00Z'), 'bad001');
    const first = await store.openRun('partnerSecurity', good, new Date('2026-01-05T00:00:00Z'));
    await first.addCustomerInsights([insight(1, { compliantAdminsCount: 1 })]);
    await first.complete({});
    const second = await store.openRun('partnerSecurity', bad, new Date('2026-01-06T00:00:00Z'));
    await second.addCustomerInsights([insight(1, { compliantAdminsCount: 0 })]);
    const failed = await second.fail({ code: 'ServiceUnavailable', message: 'Graph answered 503' }, { customers: 1 });
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'ServiceUnavailable', errorMessage: 'Graph answered 503' });
    expect((await reader.latestCompleteRun('partnerSecurity'))?.runId).toBe(good);
    const history = await reader.customerHistory(insight(1).tenantId);
    expect(history.map((entry) => entry.runId)).toEqual([good]);
  });

  it('when a run completes after the reader has remembered earlier ones, then its history row shows up at once, and not before', async () => {
    const { store, reader } = storeWithFreshTables();
    const first = await completeRun(store, '2026-01-05', 'first1', [insight(1)]);
    expect((await reader.customerHistory(insight(1).tenantId)).map((entry) => entry.runId)).toEqual([first]);
    const second = await completeRun(store, '2026-01-06', 'second', [insight(1, { compliantAdminsCount: 0 })]);
    const seen = await reader.customerHistory(insight(1).tenantId);
    expect(seen.map((entry) => entry.runId)).toEqual([second, first]);
    expect(seen[0]?.compliantAdminsCount).toBe(0);
  });

  it('when a run has written its rows but not finished, then the same reader keeps them out of history', async () => {
    const { store, reader } = storeWithFreshTables();
    const done = await completeRun(store, '2026-01-05', 'done01', [insight(1)]);
    const running = newRunId(new Date('2026-01-06T00:00:00Z'), 'busy01');
    expect(await reader.customerHistory(insight(1).tenantId)).toHaveLength(1);
    const writerTwo = await store.openRun('partnerSecurity', running, new Date('2026-01-06T00:00:00Z'));
    await writerTwo.addCustomerInsights([insight(1)]);
    // The rows reach storage, as a run that crashed after writing leaves them; the ledger still says running.
    await (writerTwo as unknown as { writer: { flush(): Promise<void> } }).writer.flush();
    expect((await reader.customerHistory(insight(1).tenantId)).map((entry) => entry.runId)).toEqual([done]);
  });

  it('when history is asked for a time range, then only complete runs started inside it come back, newest first', async () => {
    const { store, reader } = storeWithFreshTables();
    const days = ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04'];
    for (const [index, day] of days.entries()) {
      const started = new Date(`${day}T06:00:00Z`);
      const writer = await store.openRun('partnerSecurity', newRunId(started, `day00${index}`), started);
      await writer.addCustomerInsights([insight(1, { compliantAdminsCount: index }), insight(2)]);
      await writer.complete({});
    }
    const history = await reader.customerHistory(insight(1).tenantId, { from: new Date('2026-01-02T00:00:00Z'), to: new Date('2026-01-03T23:59:59Z') });
    expect(history.map((entry) => entry.compliantAdminsCount)).toEqual([2, 1]);
  });

  it('when a transaction is refused by storage, then complete() throws and the run is not marked complete', async () => {
    const { store, reader, prefix: tablePrefix } = storeWithFreshTables();
    const runId = newRunId(new Date('2026-01-05T00:00:00Z'), 'toobig');
    const writer = await store.openRun('partnerSecurity', runId, new Date('2026-01-05T00:00:00Z'));
    // A property over 64 KiB makes Azure (and Azurite) refuse the whole transaction.
    await writer.addCustomerInsights([insight(1, { securityDefaultsStatus: 'x'.repeat(70_000) })]);
    await expect(writer.complete({})).rejects.toMatchObject({ code: 'StorageWriteFailed', message: expect.stringMatching(/t\d+Customers[0-9a-f]{2}|t\d+CustomerHistory[0-9a-f]{2}/) });
    expect((await reader.getRun('partnerSecurity', runId))?.status).toBe('running');
    const customers = TableClient.fromConnectionString(azurite.tablesConnectionString, `${tablePrefix}${bucketTableName('customers', bucketOf(insight(1).tenantId))}`, { allowInsecureConnection: true });
    const rows = [];
    for await (const row of customers.listEntities()) rows.push(row);
    expect(rows).toHaveLength(0);
  });
});
