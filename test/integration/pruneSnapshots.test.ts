import { randomBytes } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { bucketsOf, bucketTableName, historyBucketOf, type BucketedTableName } from '../../src/adapters/tableLayout';
import { Tables, TableSnapshotReader, TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import type { CustomerMfaInsight, SecurityRequirement, SnapshotSource } from '../../src/core/model';
import { newRunId } from '../../src/core/snapshotRun';
import { snapshotPruner } from '../../src/composition';
import { pruneSnapshots } from '../../src/retention/pruneSnapshots';
import { startAzurite, type Azurite } from '../../tools/azurite';
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

function fresh() {
  const tablePrefix = `pr${randomBytes(4).toString('hex')}`;
  const tables = new Tables({ connectionString: azurite.tablesConnectionString, endpoint: null, tablePrefix }, () => {
    throw new Error('no credential with a connection string');
  });
  const settings = { TABLES_CONNECTION_STRING: azurite.tablesConnectionString, TABLE_PREFIX: tablePrefix };
  return { store: new TableSnapshotStore(tables), reader: new TableSnapshotReader(tables), settings, tablePrefix };
}

const insight = (index: number): CustomerMfaInsight => ({
  tenantId: `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
  compliantAdminsCount: 1,
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

async function seed(store: TableSnapshotStore, source: SnapshotSource, startedAt: Date, options: { status?: 'complete' | 'failed'; customers?: number; principals?: number } = {}) {
  const runId = newRunId(startedAt, randomBytes(4).toString('hex'));
  const writer = await store.openRun(source, runId, startedAt);
  if (source === 'partnerSecurity') {
    await writer.addCustomerInsights(Array.from({ length: options.customers ?? 40 }, (_, index) => insight(index)));
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
  else await writer.complete({});
  return runId;
}

function bucketTable(tablePrefix: string, kind: BucketedTableName, bucket: string): TableClient {
  return TableClient.fromConnectionString(azurite.tablesConnectionString, `${tablePrefix}${bucketTableName(kind, bucket)}`, { allowInsecureConnection: true });
}

/** Rows of one kind across its bucket tables (a test may look at everything; the app never does). */
async function rowCount(tablePrefix: string, kind: BucketedTableName, filter?: string): Promise<number> {
  let count = 0;
  for (const bucket of bucketsOf(kind)) {
    try {
      for await (const _ of bucketTable(tablePrefix, kind, bucket).listEntities({ queryOptions: filter === undefined ? {} : { filter } })) count += 1;
    } catch (error) {
      // A bucket no row has fallen into has no table.
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
  return count;
}

describe('pruneSnapshots against Azurite', () => {
  it('when runs are older than 400 days, then they and every row they wrote are deleted, and newer runs are untouched', async () => {
    const { store, reader, settings, tablePrefix } = fresh();
    const oldest = await seed(store, 'partnerSecurity', daysAgo(500));
    const old = await seed(store, 'partnerSecurity', daysAgo(401));
    const recent = await seed(store, 'partnerSecurity', daysAgo(399));
    const newest = await seed(store, 'partnerSecurity', daysAgo(1));
    const logs = await runFunction('pruneSnapshots', settings);
    expect((await reader.listRuns('partnerSecurity')).map((run) => run.runId)).toEqual([newest, recent]);
    for (const runId of [oldest, old]) {
      expect(await reader.customersOfRun(runId)).toEqual([]);
      expect(await reader.requirementsOfRun(runId)).toEqual([]);
      expect(await reader.scoreOfRun(runId)).toBeNull();
      expect(await rowCount(tablePrefix, 'customerHistory', odata`runId eq ${runId}`)).toBe(0);
    }
    expect(await reader.customersOfRun(recent)).toHaveLength(40);
    expect(await reader.requirementsOfRun(recent)).toHaveLength(2);
    expect(await reader.scoreOfRun(recent)).not.toBeNull();
    expect(await rowCount(tablePrefix, 'customerHistory')).toBe(80);
    expect(await reader.customerHistory(insight(3).tenantId)).toHaveLength(2);
    expect(logs.join('\n')).toContain('deleted 2 runs');
  });

  it('when the only complete run of a source is older than the retention, then it is kept and older failed runs go', async () => {
    const { store, reader, settings } = fresh();
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
    const { store, reader, settings } = fresh();
    const fortyFive = await seed(store, 'registrationCounts', daysAgo(45));
    const ten = await seed(store, 'registrationCounts', daysAgo(10));
    await runFunction('pruneSnapshots', { ...settings, RETENTION_DAYS: '30' });
    expect((await reader.listRuns('registrationCounts')).map((run) => run.runId)).toEqual([ten]);
    expect(await reader.registrationCountsOfRun(fortyFive)).toBeNull();
  });

  it('when a run has more than 100 rows in one partition, then they are deleted in several transactions', async () => {
    const { store, reader, settings, tablePrefix } = fresh();
    const big = await seed(store, 'nonMfaPrincipals', daysAgo(500), { principals: 12_000 });
    await seed(store, 'nonMfaPrincipals', daysAgo(2));
    let largest = 0;
    for await (const _ of bucketTable(tablePrefix, 'principals', '00').listEntities({ queryOptions: { filter: odata`PartitionKey eq ${big}` } })) largest += 1;
    expect(largest).toBeGreaterThan(100);
    await runFunction('pruneSnapshots', settings);
    expect(await reader.principalsOfRun(big)).toEqual([]);
    expect(await rowCount(tablePrefix, 'principals')).toBe(30);
  });

  it('when an earlier prune stopped half-way, then the next one finishes the run', async () => {
    const { store, reader, settings, tablePrefix } = fresh();
    const old = await seed(store, 'partnerSecurity', daysAgo(500));
    await seed(store, 'partnerSecurity', daysAgo(1));
    // Half-way: some history rows already gone, the customers and the ledger row still there.
    let seen = 0;
    for (const bucket of new Set(Array.from({ length: 40 }, (_, index) => historyBucketOf(insight(index).tenantId)))) {
      const history = bucketTable(tablePrefix, 'customerHistory', bucket);
      for await (const row of history.listEntities({ queryOptions: { filter: odata`runId eq ${old}` } })) {
        if (seen++ % 2 === 0) await history.deleteEntity(String(row.partitionKey), String(row.rowKey));
      }
    }
    expect(seen).toBe(40);
    await runFunction('pruneSnapshots', settings);
    expect(await reader.getRun('partnerSecurity', old)).toBeNull();
    expect(await reader.customersOfRun(old)).toEqual([]);
    expect(await rowCount(tablePrefix, 'customerHistory', odata`runId eq ${old}`)).toBe(0);
  });

  it('when RETENTION_DAYS is not a number in range, then the function fails naming it', async () => {
    const { settings } = fresh();
    await expect(runFunction('pruneSnapshots', { ...settings, RETENTION_DAYS: '0' })).rejects.toThrow(/RETENTION_DAYS must be a whole number from 1 to 3650/);
  });
});

describe('pruneSnapshots within an invocation deadline', () => {
  const logs: string[] = [];
  const log = { info: (line: string) => logs.push(line), warn: (line: string) => logs.push(line), error: (line: string) => logs.push(`error: ${line}`) };

  it('when the deadline has passed before a run is deleted, then no deletion starts, the invocation fails with DeadlineExceeded naming the run, and the next run deletes it', async () => {
    const { store, reader, settings } = fresh();
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
    const { store, reader, settings, tablePrefix } = fresh();
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
    expect(await rowCount(tablePrefix, 'principals', odata`PartitionKey eq ${big}`)).toBeGreaterThan(0);

    await pruneSnapshots(await snapshotPruner(log, settings), { deadline: new Date(Date.now() + 120_000) });
    expect(await reader.getRun('nonMfaPrincipals', big)).toBeNull();
    expect(await rowCount(tablePrefix, 'principals')).toBe(30);
  });
});
