import { customersAt } from '../support/customerChanges';
import { randomBytes } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { customerHistoryKey, runPartitionRange } from '../../src/adapters/tableLayout';
import { TableQueryReader } from '../../src/adapters/tableQueryReader';
import { TableSnapshotReader, TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import type { CustomerMfaInsight, SecurityRequirement, SnapshotSource } from '../../src/core/model';
import { newRunId } from '../../src/core/snapshotRun';
import { snapshotPruner } from '../../src/composition';
import { pruneSnapshots } from '../../src/retention/pruneSnapshots';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createTables } from '../../tools/createTables';
import { runFunction } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

const dayMs = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * dayMs);

async function fresh() {
  const tablePrefix = `pr${randomBytes(4).toString('hex')}`;
  await createTables(azurite.tablesConnectionString, tablePrefix);
  const tables = new Tables({ connectionString: azurite.tablesConnectionString, endpoint: null, tablePrefix }, () => {
    throw new Error('no credential with a connection string');
  });
  const settings = { TABLES_CONNECTION_STRING: azurite.tablesConnectionString, TABLE_PREFIX: tablePrefix };
  return { store: new TableSnapshotStore(tables), reader: new TableSnapshotReader(tables), query: new TableQueryReader(tables), settings, tablePrefix };
}

const insight = (index: number, compliantAdminsCount = 1): CustomerMfaInsight => ({
  tenantId: `${(index % 16).toString(16)}0000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
  compliantAdminsCount,
  compliantNonAdminsCount: 10,
  totalUsersCount: 20,
  securityDefaultsStatus: 'enabled',
  mfaConditionalAccessPolicyStatus: 'disabled',
  legacyPerUserMfaStatus: 'disabled',
});

const requirement = (type: string): SecurityRequirement => ({
  requirementType: type, kind: 'securityRequirement', odataType: null, id: null, complianceStatus: 'compliant', state: 'active', score: 1, maxScore: 1,
  actionUrl: null, helpUrl: null, updatedDateTime: null, totalTenantCount: null, compliantTenantCount: null, totalAdminsCount: null,
  adminsRequiredNotUsingMfaCount: null, mfaEnabledAdminsCount: null, totalUsersCount: null, usersRequiredNotUsingMfaCount: null,
  mfaEnabledUsersCount: null, compliantUsersCount: null, incompleteRegistrationUsersCount: null, totalCustomersCount: null,
  customersWithSpendBudgetCount: null, averageResponseTimeInHours: null, securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: null, perUserMfaStatus: null,
});

async function seed(store: TableSnapshotStore, source: SnapshotSource, startedAt: Date, options: { status?: 'complete' | 'failed'; customers?: CustomerMfaInsight[]; principals?: number } = {}) {
  const runId = newRunId(startedAt, randomBytes(4).toString('hex'));
  const writer = await store.openRun(source, runId, startedAt);
  if (source === 'partnerSecurity') {
    await writer.addCustomerInsights(options.customers ?? population);
    await writer.addRequirements([requirement('mfaEnforcedForAdmins'), requirement('securityContactProvided')]);
    await writer.putScore({ id: 'score', currentScore: 50, maxScore: 100, lastRefreshDateTime: startedAt.toISOString(), updatedDateTime: startedAt.toISOString() });
  } else if (source === 'nonMfaPrincipals') {
    await writer.addNonMfaPrincipals(
      Array.from({ length: options.principals ?? 30 }, (_, index) => ({
        objectId: `p-${index}`,
        tenantId: 't',
        upn: `user${index}@partner.example`,
        lastNonMfaRequestDateTime: startedAt.toISOString(),
      })),
    );
  } else {
    await writer.putRegistrationCounts({ report: 'credentialUserRegistrationCount', totalUserCount: 10, mfaRegisteredUserCount: 5, countsByStatus: {} }, null);
  }
  if (options.status === 'failed') await writer.fail({ code: 'ServiceUnavailable', message: 'down' }, {});
  else await writer.complete(source === 'partnerSecurity' ? { customers: (options.customers ?? population).length } : {});
  return runId;
}

const population = Array.from({ length: 40 }, (_, index) => insight(index));

function table(tablePrefix: string, name: string): TableClient {
  return TableClient.fromConnectionString(azurite.tablesConnectionString, `${tablePrefix}${name}`, { allowInsecureConnection: true });
}

/** Rows of a table (a test may look at everything; the app never does). */
async function rowCount(tablePrefix: string, name: string, filter?: string): Promise<number> {
  let count = 0;
  for await (const _ of table(tablePrefix, name).listEntities({ queryOptions: filter === undefined ? {} : { filter } })) count += 1;
  return count;
}

/**
 * Four runs: 500 days ago every customer; 401 days ago customers 0-9 changed and 39 gone; 399
 * days ago customers 0-4 changed again; yesterday nothing changed.
 */
async function seedHistory(store: TableSnapshotStore) {
  const oldest = await seed(store, 'partnerSecurity', daysAgo(500));
  const old = await seed(store, 'partnerSecurity', daysAgo(401), { customers: population.slice(0, 39).map((customer, index) => (index < 10 ? { ...customer, compliantAdminsCount: 2 } : customer)) });
  const recentCustomers = population.slice(0, 39).map((customer, index) => ({ ...customer, compliantAdminsCount: index < 5 ? 3 : index < 10 ? 2 : 1 }));
  const recent = await seed(store, 'partnerSecurity', daysAgo(399), { customers: recentCustomers });
  const newest = await seed(store, 'partnerSecurity', daysAgo(1), { customers: recentCustomers });
  return { oldest, old, recent, newest, recentCustomers };
}

const byTenant = (customers: CustomerMfaInsight[]) => [...customers].sort((left, right) => left.tenantId.localeCompare(right.tenantId));

describe('pruneSnapshots against Azurite', () => {
  it('when runs are older than 400 days, then their ledger rows, change records, requirements and scores go, and of the history only what the state at the cut-off no longer needs', async () => {
    const { store, reader, query, settings, tablePrefix } = await fresh();
    const { oldest, old, recent, newest, recentCustomers } = await seedHistory(store);
    expect(await rowCount(tablePrefix, 'CustomerHistory')).toBe(40 + 11 + 5);
    const logs = await runFunction('pruneSnapshots', settings);
    expect((await reader.listRuns('partnerSecurity')).map((run) => run.runId)).toEqual([newest, recent]);
    for (const runId of [oldest, old]) {
      const { from, to } = runPartitionRange(runId);
      expect(await rowCount(tablePrefix, 'CustomerChanges', odata`PartitionKey ge ${from} and PartitionKey le ${to}`)).toBe(0);
      expect(await reader.requirementsOfRun(runId)).toEqual([]);
      expect(await reader.scoreOfRun(runId)).toBeNull();
    }
    // Customer 0: its states of 401 days ago (the state at the cut-off) and of 399 days ago.
    expect((await query.customers.history(insight(0).tenantId, {})).points.map((point) => point.runId)).toEqual([recent, old]);
    // Customer 20 never changed: its first point is the state at the cut-off, and stays.
    expect((await query.customers.history(insight(20).tenantId, {})).points.map((point) => point.runId)).toEqual([oldest]);
    // Customer 39 was gone before the cut-off: nothing of it is left.
    expect((await query.customers.history(insight(39).tenantId, {})).points).toEqual([]);
    expect(await query.customers.known(insight(39).tenantId)).toBe(false);
    expect(await rowCount(tablePrefix, 'CustomerHistory')).toBe(29 + 10 + 5);
    expect(byTenant(await customersAt(reader, recent))).toEqual(byTenant(recentCustomers));
    expect(byTenant(await customersAt(reader, newest))).toEqual(byTenant(recentCustomers));
    expect(await reader.requirementsOfRun(recent)).toHaveLength(2);
    expect(logs.join('\n')).toContain('deleted 2 runs');
  });

  it('when the only complete run of a source is older than the retention, then it is kept and older failed runs go', async () => {
    const { store, reader, settings } = await fresh();
    const failedBefore = await seed(store, 'nonMfaPrincipals', daysAgo(700), { status: 'failed' });
    const lastComplete = await seed(store, 'nonMfaPrincipals', daysAgo(600));
    const failedAfter = await seed(store, 'nonMfaPrincipals', daysAgo(450), { status: 'failed' });
    const registrations = await seed(store, 'registrationCounts', daysAgo(500));
    const logs = await runFunction('pruneSnapshots', settings);
    expect((await reader.listRuns('nonMfaPrincipals')).map((run) => run.runId)).toEqual([lastComplete]);
    expect(await reader.principalsOfRun(lastComplete)).toHaveLength(30);
    expect(await reader.principalsOfRun(failedBefore)).toEqual([]);
    expect(await reader.principalsOfRun(failedAfter)).toEqual([]);
    expect((await reader.latestCompleteRun('registrationCounts'))?.runId).toBe(registrations);
    expect(await reader.registrationCountsOfRun(registrations)).not.toBeNull();
    expect(logs.join('\n')).toContain(`kept nonMfaPrincipals/${lastComplete}`);
  });

  it('when RETENTION_DAYS is set, then it decides what is old', async () => {
    const { store, reader, settings } = await fresh();
    const fortyFive = await seed(store, 'registrationCounts', daysAgo(45));
    const ten = await seed(store, 'registrationCounts', daysAgo(10));
    await runFunction('pruneSnapshots', { ...settings, RETENTION_DAYS: '30' });
    expect((await reader.listRuns('registrationCounts')).map((run) => run.runId)).toEqual([ten]);
    expect(await reader.registrationCountsOfRun(fortyFive)).toBeNull();
  });

  it('when a run has more than 100 rows in one partition, then they are deleted in several transactions', async () => {
    const { store, reader, settings, tablePrefix } = await fresh();
    const big = await seed(store, 'nonMfaPrincipals', daysAgo(500), { principals: 3_000 });
    await seed(store, 'nonMfaPrincipals', daysAgo(2));
    const { from } = runPartitionRange(big);
    const firstPartition = (await table(tablePrefix, 'Principals').listEntities({ queryOptions: { filter: odata`PartitionKey ge ${from}` } }).byPage({ maxPageSize: 1 }).next()).value?.[0]?.partitionKey;
    expect(await rowCount(tablePrefix, 'Principals', odata`PartitionKey eq ${firstPartition}`)).toBeGreaterThan(100);
    await runFunction('pruneSnapshots', settings);
    expect(await reader.principalsOfRun(big)).toEqual([]);
    expect(await rowCount(tablePrefix, 'Principals')).toBe(30);
  });

  it('when an earlier prune stopped half-way, then the next one finishes the run', async () => {
    const { store, reader, query, settings, tablePrefix } = await fresh();
    const { oldest, old } = await seedHistory(store);
    // Half-way: some superseded history points already gone; the change records and the ledger row still there.
    for (const index of [0, 2, 4, 6]) await table(tablePrefix, 'CustomerHistory').deleteEntity(customerHistoryKey(insight(index).tenantId, oldest).partitionKey, customerHistoryKey(insight(index).tenantId, oldest).rowKey);
    await runFunction('pruneSnapshots', settings);
    for (const runId of [oldest, old]) expect(await reader.getRun('partnerSecurity', runId)).toBeNull();
    for (const index of [1, 2, 7]) expect((await query.customers.history(insight(index).tenantId, {})).points.map((point) => point.runId)).not.toContain(oldest);
    expect(await rowCount(tablePrefix, 'CustomerHistory')).toBe(29 + 10 + 5);
  });

  it('when RETENTION_DAYS is not a number in range, then the function fails naming it', async () => {
    const { settings } = await fresh();
    await expect(runFunction('pruneSnapshots', { ...settings, RETENTION_DAYS: '0' })).rejects.toThrow(/RETENTION_DAYS must be a whole number from 1 to 3650/);
  });
});

describe('pruneSnapshots within an invocation deadline', () => {
  const logs: string[] = [];
  const log = { info: (line: string) => logs.push(line), warn: (line: string) => logs.push(line), error: (line: string) => logs.push(`error: ${line}`) };

  it('when the deadline has passed before a run is deleted, then no deletion starts, the invocation fails with DeadlineExceeded naming the run, and the next run deletes it', async () => {
    const { store, reader, settings } = await fresh();
    const old = await seed(store, 'registrationCounts', daysAgo(500));
    await seed(store, 'registrationCounts', daysAgo(1));
    const dependencies = await snapshotPruner(log, settings);
    await expect(pruneSnapshots(dependencies, { deadline: new Date(Date.now() - 1000) })).rejects.toMatchObject({
      code: 'DeadlineExceeded',
      message: expect.stringContaining(`passed before deleting registrationCounts run ${old} (0 runs, 0 rows deleted by then; the next run carries on)`),
    });
    expect(logs.filter((line) => line.startsWith('error: pruneSnapshots:') && line.includes(old))).toHaveLength(1);
    expect(await reader.registrationCountsOfRun(old)).not.toBeNull();

    await expect(pruneSnapshots(await snapshotPruner(log, settings), { deadline: new Date(Date.now() + 60_000) })).resolves.toMatchObject({ runsDeleted: 1 });
    expect(await reader.getRun('registrationCounts', old)).toBeNull();
  });

  it('when the deadline comes while a run is being deleted, then it starts no more deletes, fails naming that run, and leaves it listed for the next run to finish', async () => {
    const { store, reader, settings, tablePrefix } = await fresh();
    const big = await seed(store, 'nonMfaPrincipals', daysAgo(500), { principals: 3000 });
    await seed(store, 'nonMfaPrincipals', daysAgo(2));
    const dependencies = await snapshotPruner(log, settings);
    // A clock stopped at the start lets the run begin; the deadline then comes, in real time, while its rows are read and deleted.
    const startedAt = new Date();
    await expect(pruneSnapshots({ ...dependencies, clock: { now: () => startedAt } }, { deadline: new Date(Date.now() + 20) })).rejects.toMatchObject({
      code: 'DeadlineExceeded',
      message: expect.stringContaining(`passed while deleting nonMfaPrincipals run ${big}`),
    });
    expect((await reader.getRun('nonMfaPrincipals', big))?.runId).toBe(big);
    const { from, to } = runPartitionRange(big);
    expect(await rowCount(tablePrefix, 'Principals', odata`PartitionKey ge ${from} and PartitionKey le ${to}`)).toBeGreaterThan(0);

    await pruneSnapshots(await snapshotPruner(log, settings), { deadline: new Date(Date.now() + 120_000) });
    expect(await reader.getRun('nonMfaPrincipals', big)).toBeNull();
    expect(await rowCount(tablePrefix, 'Principals')).toBe(30);
  });
});
