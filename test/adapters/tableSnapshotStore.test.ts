import { TableClient } from '@azure/data-tables';
import { TableSnapshotReader, TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { TableCustomerState } from '../../src/adapters/tableCustomerState';
import { TableRunLedger } from '../../src/adapters/tableRunLedger';
import { Tables } from '../../src/adapters/tables';
import { TableQueryReader } from '../../src/adapters/tableQueryReader';
import type { CustomerMfaInsight, SecurityRequirement } from '../../src/core/model';
import { newRunId, type SnapshotRun } from '../../src/core/snapshotRun';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createTables } from '../../tools/createTables';
import { snapshotDiff, customersAt } from '../support/customerChanges';
import type { CustomerChangesBetween } from '../../src/core/customerChanges';

let azurite: Azurite;
let prefix = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});

async function storeWithFreshTables(options: { create?: boolean } = {}) {
  prefix += 1;
  const tablePrefix = `t${prefix}`;
  if (options.create !== false) await createTables(azurite.tablesConnectionString, tablePrefix);
  const tables = new Tables({ connectionString: azurite.tablesConnectionString, endpoint: null, tablePrefix }, () => {
    throw new Error('no credential with a connection string');
  });
  return { tables, store: new TableSnapshotStore(tables), reader: new TableSnapshotReader(tables), query: new TableQueryReader(tables), prefix: tablePrefix };
}

/** A run whose change records are written and whose ledger row says `status`, stopped before anything applied them (as a killed invocation leaves it). */
async function recordedNotApplied(tables: Tables, runId: string, startedAt: Date, insights: CustomerMfaInsight[], status: 'complete' | 'failed'): Promise<void> {
  const ledger = new TableRunLedger(tables);
  const run: SnapshotRun = { source: 'partnerSecurity', runId, status: 'running', startedAt: startedAt.toISOString(), finishedAt: null, counts: {}, errorCode: null, errorMessage: null, warnings: [] };
  await ledger.open(run);
  const recording = new TableCustomerState(tables).record(runId);
  await recording.observe(insights);
  await recording.close();
  await ledger.open({ ...run, status, finishedAt: startedAt.toISOString() });
}

function table(tablePrefix: string, name: string): TableClient {
  return TableClient.fromConnectionString(azurite.tablesConnectionString, `${tablePrefix}${name}`, { allowInsecureConnection: true });
}

async function rowsOf(tablePrefix: string, name: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const row of table(tablePrefix, name).listEntities<Record<string, unknown>>()) rows.push(row);
  return rows;
}

function insight(index: number, overrides: Partial<CustomerMfaInsight> = {}): CustomerMfaInsight {
  return {
    tenantId: `${(index % 16).toString(16)}0000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
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
  await writer.complete({ customers: customers.length });
  return runId;
}

const byTenant = (customers: CustomerMfaInsight[]) => [...customers].sort((left, right) => left.tenantId.localeCompare(right.tenantId));
const population = Array.from({ length: 250 }, (_, index) => insight(index));

describe('TableSnapshotStore against Azurite', () => {
  it('when a first run of 250 customers completes, then each is one change point, the current state and its history hold it, and the ledger says complete', async () => {
    const { store, reader, query, prefix: tablePrefix } = await storeWithFreshTables();
    const runId = newRunId(new Date('2026-01-05T00:00:00Z'), 'abcdef');
    const writer = await store.openRun('partnerSecurity', runId, new Date('2026-01-05T00:00:00Z'));
    expect((await reader.getRun('partnerSecurity', runId))?.status).toBe('running');
    await writer.addCustomerInsights(population);
    await writer.addRequirements([requirement('mfaEnforcedForAdmins', 'compliant'), requirement('a/b#c?', 'noncomplaint')]);
    const run = await writer.complete({ customers: 250 });
    // 250 change points, 2 requirements, then 250 history points and 250 current rows.
    expect(run).toMatchObject({ status: 'complete', counts: { customers: 250, customerChanges: 250, customersGone: 0, entitiesWritten: 752 } });
    expect(byTenant(await customersAt(reader, runId))).toEqual(byTenant(population));
    expect(await query.customers.currentRunId()).toBe(runId);
    expect((await rowsOf(tablePrefix, 'CustomerHistory')).length).toBe(250);
    const requirements = await reader.requirementsOfRun(runId);
    expect(requirements.map((found) => found.requirementType).sort()).toEqual(['a/b#c?', 'mfaEnforcedForAdmins']);
    expect((await reader.latestCompleteRun('partnerSecurity'))?.runId).toBe(runId);
  });

  it('when a following run sees 3 customers changed, 1 new and 1 gone, then it writes only those 5 change points and every run still reads as it saw its customers', async () => {
    const { store, reader, query, prefix: tablePrefix } = await storeWithFreshTables();
    const first = await completeRun(store, '2026-01-05', 'first1', population);
    const changed = population.slice(1).map((customer, index) => (index < 3 ? { ...customer, compliantAdminsCount: 9 } : customer));
    const second = await completeRun(store, '2026-01-06', 'second', [...changed, insight(999)]);
    expect((await reader.getRun('partnerSecurity', second))?.counts).toMatchObject({ customerChanges: 4, customersGone: 1 });
    expect((await rowsOf(tablePrefix, 'CustomerChanges')).filter((row) => String(row.partitionKey).startsWith(second))).toHaveLength(5);
    expect(byTenant(await customersAt(reader, second))).toEqual(byTenant([...changed, insight(999)]));
    // The earlier run, provably: the current state with the later run's change points undone.
    expect(byTenant(await customersAt(reader, first))).toEqual(byTenant(population));
    const gone = await query.customers.history(insight(0).tenantId, {});
    expect(gone.points.map((point) => [point.runId, point.value === null])).toEqual([[second, true], [first, false]]);
    expect(gone.asOfRunId).toBe(second);
    expect((await query.customers.history(insight(5).tenantId, {})).points.map((point) => point.runId)).toEqual([first]);
  });

  it('when a run fails, then it is never data: the current state, the history and the latest complete run stay those of the run before', async () => {
    const { store, reader, query } = await storeWithFreshTables();
    const good = await completeRun(store, '2026-01-05', 'good01', [insight(1, { compliantAdminsCount: 1 })]);
    const bad = newRunId(new Date('2026-01-06T00:00:00Z'), 'bad001');
    const second = await store.openRun('partnerSecurity', bad, new Date('2026-01-06T00:00:00Z'));
    await second.addCustomerInsights([insight(1, { compliantAdminsCount: 0 })]);
    const failed = await second.fail({ code: 'ServiceUnavailable', message: 'Graph answered 503' }, { customers: 1 });
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'ServiceUnavailable', errorMessage: 'Graph answered 503' });
    expect((await reader.latestCompleteRun('partnerSecurity'))?.runId).toBe(good);
    expect(await query.customers.currentRunId()).toBe(good);
    expect((await customersAt(reader, good))[0]?.compliantAdminsCount).toBe(1);
    expect((await query.customers.history(insight(1).tenantId, {})).points.map((point) => point.runId)).toEqual([good]);
  });

  it('when storage stalls at the deadline and the run is recorded failed first, then the complete that was in flight is refused and the run stays failed, never data', async () => {
    const { store, reader } = await storeWithFreshTables();
    const good = await completeRun(store, '2026-01-05', 'good02', [insight(1, { compliantAdminsCount: 1 })]);
    const late = newRunId(new Date('2026-01-06T00:00:00Z'), 'late01');
    const attempt = await store.openRun('nonMfaPrincipals', late, new Date('2026-01-06T00:00:00Z'));
    await attempt.addNonMfaPrincipals([{ objectId: 'o1', tenantId: null, upn: null, lastNonMfaRequestDateTime: '2026-01-05T10:00:00.000Z' }]);
    // The failure lands first (as a stalled emulator may apply two queued writes in either order).
    await attempt.fail({ code: 'DeadlineExceeded', message: 'the deadline passed' }, { principals: 1 });
    await expect(attempt.complete({ principals: 1 })).rejects.toMatchObject({ code: 'RunAlreadyFinished' });
    expect((await reader.listRuns('nonMfaPrincipals')).find((run) => run.runId === late)).toMatchObject({ status: 'failed', errorCode: 'DeadlineExceeded' });
    expect(await reader.latestCompleteRun('nonMfaPrincipals')).toBeNull();
    expect((await reader.latestCompleteRun('partnerSecurity'))?.runId).toBe(good);
  });

  it('when a run completed but applying its change points was cut short, then reads serve the state last applied without writing, and the next run applies it first and finds nothing left', async () => {
    const { tables, store, reader, query } = await storeWithFreshTables();
    const first = await completeRun(store, '2026-01-05', 'first1', [insight(1), insight(2)]);
    // The second run's change points and ledger row are written; it stops before applying them.
    const startedAt = new Date('2026-01-06T00:00:00Z');
    const second = newRunId(startedAt, 'cutoff');
    await recordedNotApplied(tables, second, startedAt, [insight(1, { compliantAdminsCount: 7 }), insight(2)], 'complete');
    expect(await new TableCustomerState(tables).currentRunId()).toBe(first);
    // What the run saw is still read (the detector compares it), from its change records laid over the applied state.
    expect(byTenant(await customersAt(reader, second))).toEqual(byTenant([insight(1, { compliantAdminsCount: 7 }), insight(2)]));
    expect(await query.customers.currentRunId()).toBe(first);
    expect((await query.customers.history(insight(1).tenantId, {})).points.map((point) => point.runId)).toEqual([first]);
    expect(await new TableCustomerState(tables).currentRunId()).toBe(first);
    const third = await completeRun(store, '2026-01-07', 'third1', [insight(1, { compliantAdminsCount: 7 }), insight(2)]);
    expect((await reader.getRun('partnerSecurity', third))?.counts).toMatchObject({ customerChanges: 0, customersGone: 0 });
    expect(await query.customers.currentRunId()).toBe(third);
    expect((await query.customers.history(insight(1).tenantId, {})).points.map((point) => point.runId)).toEqual([second, first]);
  });

  it('when applying a run stopped midway (one of its two customers written), then reads serve the run applied before, whole, and the run as it saw, until the next run applies it', async () => {
    const { tables, store, reader, query } = await storeWithFreshTables();
    const first = await completeRun(store, '2026-01-05', 'first1', [insight(1), insight(2)]);
    const startedAt = new Date('2026-01-06T00:00:00Z');
    const second = newRunId(startedAt, 'halfway');
    await recordedNotApplied(tables, second, startedAt, [insight(1, { compliantAdminsCount: 7 }), insight(2, { compliantAdminsCount: 8 })], 'complete');
    // Applying it wrote the first customer's rows, then the process died: the applied row still names the run before.
    const state = new TableCustomerState(tables);
    await state.apply(second, (await state.changesBetween(first, second)).changes.filter((change) => change.tenantId === insight(1).tenantId), []);
    await tables.clientFor('runs').upsertEntity({ partitionKey: 'applied', rowKey: 'customers', runId: first, applying: second }, 'Replace');

    expect(await query.customers.currentRunId()).toBe(first);
    expect(byTenant((await query.customers.page(first, null, 10)).items)).toEqual(byTenant([insight(1), insight(2)]));
    expect(byTenant(await customersAt(reader, first))).toEqual(byTenant([insight(1), insight(2)]));
    expect(byTenant(await customersAt(reader, second))).toEqual(byTenant([insight(1, { compliantAdminsCount: 7 }), insight(2, { compliantAdminsCount: 8 })]));
    expect((await query.customers.history(insight(1).tenantId, {})).points.map((point) => point.runId)).toEqual([first]);

    const third = await completeRun(store, '2026-01-07', 'third1', [insight(1, { compliantAdminsCount: 7 }), insight(2, { compliantAdminsCount: 8 })]);
    expect((await reader.getRun('partnerSecurity', third))?.counts).toMatchObject({ customerChanges: 0 });
    expect(await state.currentRunId()).toBe(third);
    expect((await tables.clientFor('runs').getEntity('applied', 'customers')).applying).toBeUndefined();
    expect((await query.customers.history(insight(2).tenantId, {})).points.map((point) => point.runId)).toEqual([second, first]);
  });

  it('when applying a complete run fails, then the run stays complete, complete() fails with CustomerStateNotApplied, and the next run once storage is back applies it', async () => {
    const { tables, store, reader, query, prefix: tablePrefix } = await storeWithFreshTables();
    const first = await completeRun(store, '2026-01-05', 'first1', [insight(1), insight(2)]);
    const startedAt = new Date('2026-01-06T00:00:00Z');
    const second = newRunId(startedAt, 'noapply');
    const writer = await store.openRun('partnerSecurity', second, startedAt);
    await writer.addCustomerInsights([insight(1, { compliantAdminsCount: 4 }), insight(2)]);
    // The history table goes missing between the run's writes and applying them.
    await table(tablePrefix, 'CustomerHistory').deleteTable();
    await expect(writer.complete({ customers: 2 })).rejects.toMatchObject({ code: 'CustomerStateNotApplied', message: expect.stringContaining(`${tablePrefix}CustomerHistory`) });
    expect((await reader.getRun('partnerSecurity', second))?.status).toBe('complete');
    expect(await new TableCustomerState(tables).currentRunId()).toBe(first);
    await createTables(azurite.tablesConnectionString, tablePrefix);
    expect(await query.customers.currentRunId()).toBe(first);
    const third = await completeRun(store, '2026-01-07', 'third1', [insight(1, { compliantAdminsCount: 4 }), insight(2)]);
    expect((await reader.getRun('partnerSecurity', third))?.counts).toMatchObject({ customerChanges: 0 });
    expect(await query.customers.currentRunId()).toBe(third);
    expect((await query.customers.page(third, null, 10)).items.find((customer) => customer.tenantId === insight(1).tenantId)?.compliantAdminsCount).toBe(4);
  });

  it('when a newer run is applied while a client pages the customers, then the later pages still list the run the first page began with', async () => {
    const { store, query } = await storeWithFreshTables();
    const customers = population.slice(0, 40);
    const first = await completeRun(store, '2026-01-05', 'first1', customers);
    const firstPage = await query.customers.page(first, null, 15, undefined);
    // The next day: one customer gone, one new, ten changed.
    const next = [...customers.slice(1).map((customer, index) => (index < 10 ? { ...customer, compliantAdminsCount: 7 } : customer)), insight(998)];
    const second = await completeRun(store, '2026-01-06', 'second', next);
    expect(await query.customers.currentRunId()).toBe(second);
    const listed = [...firstPage.items];
    for (let position = firstPage.next; position !== null; ) {
      const page = await query.customers.page(first, position, 15, undefined);
      listed.push(...page.items);
      position = page.next;
    }
    expect(byTenant(listed)).toEqual(byTenant(customers));
    const latest = await query.customers.page(second, null, 100, undefined);
    expect(byTenant(latest.items)).toEqual(byTenant(next));
  });

  it('when the measure table gains a measure, then the first run after records no change for it, the current rows gain its value, and its next change is recorded', async () => {
    const { store, reader, query, prefix: tablePrefix } = await storeWithFreshTables();
    const first = await completeRun(store, '2026-01-05', 'first1', [insight(1), insight(2)]);
    // Rows as a writer of an older measure table left them: version 0 knew none of today's measures, so never legacyPerUserMfaStatus.
    const customers = table(tablePrefix, 'Customers');
    for (const row of await rowsOf(tablePrefix, 'Customers')) {
      const { etag: _etag, legacyPerUserMfaStatus: _unknown, ...rest } = row;
      await customers.upsertEntity({ ...rest, partitionKey: String(row.partitionKey), rowKey: String(row.rowKey), measuresVersion: 0 }, 'Replace');
    }
    const withMeasure = [insight(1, { legacyPerUserMfaStatus: 'enabled' }), insight(2, { legacyPerUserMfaStatus: 'enabled' })];
    const second = await completeRun(store, '2026-01-06', 'second', withMeasure);
    expect((await reader.getRun('partnerSecurity', second))?.counts).toMatchObject({ customerChanges: 0, customersGone: 0 });
    expect((await reader.customerChangesBetween(first, second)).changes).toEqual([]);
    expect((await rowsOf(tablePrefix, 'Customers')).map((row) => [row.legacyPerUserMfaStatus, row.measuresVersion, row.runId])).toEqual([
      ['enabled', 1, first],
      ['enabled', 1, first],
    ]);
    expect(byTenant((await query.customers.page(second, null, 10)).items)).toEqual(byTenant(withMeasure));
    const third = await completeRun(store, '2026-01-07', 'third1', [insight(1, { legacyPerUserMfaStatus: 'disabled' }), withMeasure[1]!]);
    expect((await reader.customerChangesBetween(second, third)).changes.map((change) => [change.before?.legacyPerUserMfaStatus, change.after?.legacyPerUserMfaStatus])).toEqual([['enabled', 'disabled']]);
  });

  it("when a failed run's id is collected again, then the new attempt does not inherit the failed attempt's change records", async () => {
    const { tables, store, reader, prefix: tablePrefix } = await storeWithFreshTables();
    const first = await completeRun(store, '2026-01-05', 'first1', [insight(1), insight(2)]);
    const startedAt = new Date('2026-01-06T00:00:00Z');
    const retried = newRunId(startedAt, 'retry1');
    await recordedNotApplied(tables, retried, startedAt, [insight(1, { compliantAdminsCount: 5 }), insight(2, { compliantAdminsCount: 5 })], 'failed');
    const again = await store.openRun('partnerSecurity', retried, startedAt);
    await again.addCustomerInsights([insight(1), insight(2, { compliantAdminsCount: 6 })]);
    await again.complete({ customers: 2 });
    expect(byTenant(await customersAt(reader, retried))).toEqual(byTenant([insight(1), insight(2, { compliantAdminsCount: 6 })]));
    expect((await rowsOf(tablePrefix, 'CustomerChanges')).filter((row) => String(row.partitionKey).startsWith(retried)).map((row) => row.tenantId)).toEqual([insight(2).tenantId]);
    await expect(store.openRun('partnerSecurity', first, new Date('2026-01-05T00:00:00Z'))).rejects.toMatchObject({ code: 'RunAlreadyComplete' });
  });

  it('when history is asked for a time range, then the change points of runs inside it come back with the one in force when it begins, newest first', async () => {
    const { store, query } = await storeWithFreshTables();
    const days = ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05'];
    for (const [index, day] of days.entries()) await completeRun(store, day, `day00${index}`, [insight(1, { compliantAdminsCount: Math.min(index, 3) }), insight(2)]);
    const history = await query.customers.history(insight(1).tenantId, { from: new Date('2026-01-02T12:00:00Z'), to: new Date('2026-01-05T23:59:59Z') });
    // Day 3 and day 4 changed it; day 5 did not; day 2's point is the state when the range begins.
    expect(history.points.map((point) => point.value?.compliantAdminsCount)).toEqual([3, 2, 1]);
  });

  it('when a table the monitor uses does not exist, then the call fails with TableMissing naming the table and azd provision', async () => {
    const { store, reader, prefix: tablePrefix } = await storeWithFreshTables({ create: false });
    await expect(reader.latestCompleteRun('partnerSecurity')).rejects.toMatchObject({ code: 'TableMissing', message: expect.stringContaining(`${tablePrefix}Runs`) });
    await expect(store.openRun('partnerSecurity', newRunId(new Date(), 'nothere'), new Date())).rejects.toMatchObject({ message: expect.stringContaining('azd provision') });
  });

  it('when a transaction is refused by storage, then complete() throws, the run is not marked complete and the current state is untouched', async () => {
    const { store, reader, query, prefix: tablePrefix } = await storeWithFreshTables();
    const runId = newRunId(new Date('2026-01-05T00:00:00Z'), 'toobig');
    const writer = await store.openRun('partnerSecurity', runId, new Date('2026-01-05T00:00:00Z'));
    // A property over 64 KiB makes Azure (and Azurite) refuse the whole transaction.
    await writer.addCustomerInsights([insight(1, { securityDefaultsStatus: 'x'.repeat(70_000) })]);
    await expect(writer.complete({ customers: 1 })).rejects.toMatchObject({ code: 'StorageWriteFailed', message: expect.stringContaining(`${tablePrefix}CustomerChanges`) });
    expect((await reader.getRun('partnerSecurity', runId))?.status).toBe('running');
    expect(await query.customers.currentRunId()).toBeNull();
    expect(await rowsOf(tablePrefix, 'Customers')).toHaveLength(0);
  });
});

/** A small seeded generator (mulberry32): each seed replays the same runs. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value ^= value + Math.imul(value ^ (value >>> 7), 61 | value);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The changes between two runs are composed from each run's change records, found by key
 * range, newest run first (the log tail pattern of "Table design patterns",
 * https://learn.microsoft.com/azure/storage/tables/table-storage-design-patterns#log-tail-pattern);
 * the oracle is the diff of the two snapshots the runs saw.
 *
 * Runs of a churning population: each run changes some customers (often back to an earlier
 * value, the domains are small), loses some, gains some and brings some back; a failed run
 * between two complete ones records change records that are never data.
 */
async function churningRuns(store: TableSnapshotStore, seed: number): Promise<{ runIds: string[]; seen: CustomerMfaInsight[][] }> {
  const random = seeded(seed);
  const pick = <T,>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const statuses = ['enabled', 'disabled', null] as const;
  const randomInsight = (index: number): CustomerMfaInsight =>
    insight(index, { compliantAdminsCount: pick([0, 1, 2, null]), compliantNonAdminsCount: pick([0, 5, 10]), securityDefaultsStatus: pick(statuses), legacyPerUserMfaStatus: pick(statuses) });
  let population = Array.from({ length: 40 }, (_, index) => randomInsight(index));
  let next = 40;
  const runIds: string[] = [];
  const seen: CustomerMfaInsight[][] = [];
  for (let day = 1; day <= 6; day += 1) {
    if (day > 1) {
      population = population.filter(() => random() > 0.05).map((customer) => (random() < 0.2 ? randomInsight(Number(customer.tenantId.slice(-12))) : customer));
      for (let added = Math.floor(random() * 3); added > 0; added -= 1) population.push(randomInsight(next++));
      // A customer gone earlier comes back under its own tenant id.
      const back = Math.floor(random() * next);
      if (!population.some((customer) => Number(customer.tenantId.slice(-12)) === back)) population.push(randomInsight(back));
    }
    if (day === 3) {
      const failedAt = new Date('2026-03-03T12:00:00Z');
      const failed = await store.openRun('partnerSecurity', newRunId(failedAt, `failed${seed}`), failedAt);
      await failed.addCustomerInsights(population.map((customer) => ({ ...customer, compliantAdminsCount: 99 })));
      await failed.fail({ code: 'ServiceUnavailable', message: 'Graph answered 503' }, {});
    }
    runIds.push(await completeRun(store, `2026-03-0${day}`, `seed${seed}day${day}`, population));
    seen.push(population);
  }
  return { runIds, seen };
}

/** The answer without the run that first saw each "before" (the oracle does not track it), in tenant order. */
function comparable({ fromRunId, changes }: CustomerChangesBetween) {
  return { fromRunId, changes: changes.map(({ beforeRunId: _beforeRunId, ...change }) => change).sort((left, right) => left.tenantId.localeCompare(right.tenantId)) };
}

describe('customerChangesBetween against Azurite', () => {
  it.each([1, 2, 3, 4])('when runs churn (seed %i), then the changes between any two complete runs are the diff of the two snapshots they saw', async (seed) => {
    const { store, reader } = await storeWithFreshTables();
    const { runIds, seen } = await churningRuns(store, seed);
    for (let to = 0; to < runIds.length; to += 1) {
      // No earlier run: every customer at `to`, compared with nothing.
      expect(comparable(await reader.customerChangesBetween(null, runIds[to]!))).toEqual(comparable(snapshotDiff(null, seen[to]!)));
      for (let from = 0; from <= to; from += 1) {
        expect(comparable(await reader.customerChangesBetween(runIds[from]!, runIds[to]!))).toEqual(comparable(snapshotDiff(seen[from]!, seen[to]!, runIds[from])));
      }
    }
  });

  it('when the run compared with has been pruned, then the answer says it compares with nothing and lists every customer of the later run', async () => {
    const { store, reader, prefix: tablePrefix } = await storeWithFreshTables();
    const { runIds, seen } = await churningRuns(store, 5);
    // Retention deletes a run's ledger row last: once it is gone, the run is pruned.
    await table(tablePrefix, 'Runs').deleteEntity('partnerSecurity', runIds[0]!);
    expect(comparable(await reader.customerChangesBetween(runIds[0]!, runIds[3]!))).toEqual(comparable(snapshotDiff(null, seen[3]!)));
  });
});

