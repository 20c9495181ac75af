import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { TableSnapshotReader, TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import { tableNames, type TableName } from '../../src/adapters/tableLayout';
import { regressionDetector } from '../../src/composition';
import type { CustomerMfaInsight } from '../../src/core/model';
import { newRunId } from '../../src/core/snapshotRun';
import { runDetector } from '../../src/detector/runDetector';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 5 });
});
afterAll(async () => {
  await cloud?.close();
});

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Counts the entities each answer of the Table service carries: a query's answer is a JSON
 * `value` array, a point read one entity ("Query Entities",
 * https://learn.microsoft.com/rest/api/storageservices/query-entities, and "Get Entity"). A
 * key-range query reads the entities it returns ("Design for querying",
 * https://learn.microsoft.com/azure/storage/tables/table-storage-design-for-query), so rows
 * returned are rows read; Azurite's own speed, which scans, is no measure of it.
 */
function rowCounter(rows: Map<TableName, number>, name: TableName): PipelinePolicy {
  return {
    name: `countRowsRead-${name}`,
    async sendRequest(request, next) {
      const response = await next(request);
      if (request.method === 'GET' && response.status === 200 && response.bodyAsText) {
        const body = JSON.parse(response.bodyAsText) as { value?: unknown[] };
        rows.set(name, (rows.get(name) ?? 0) + (Array.isArray(body.value) ? body.value.length : 1));
      }
      return response;
    },
  };
}

function insight(index: number, compliantAdminsCount = 1): CustomerMfaInsight {
  return {
    tenantId: `${(index % 16).toString(16)}${String(index).padStart(7, '0')}-0000-4000-8000-000000000000`,
    compliantAdminsCount,
    compliantNonAdminsCount: 10,
    totalUsersCount: 20,
    securityDefaultsStatus: 'enabled',
    mfaConditionalAccessPolicyStatus: 'disabled',
    legacyPerUserMfaStatus: null,
  };
}

async function completeRun(store: TableSnapshotStore, daysAgo: number, customers: readonly CustomerMfaInsight[]): Promise<void> {
  const startedAt = new Date(Date.now() - daysAgo * 86_400_000);
  const writer = await store.openRun('partnerSecurity', newRunId(startedAt, `reads${daysAgo}`), startedAt);
  await writer.addCustomerInsights(customers);
  await writer.complete({ customers: customers.length });
}

/** The rows the detector's snapshot reads take from each table when 2 % of `customers` changed since the run it last saw. */
async function rowsReadAfterChurn(customers: number): Promise<{ changed: number; rows: Map<TableName, number> }> {
  const settings = cloud.settings();
  const storage = { connectionString: settings.TABLES_CONNECTION_STRING ?? null, endpoint: null, tablePrefix: settings.TABLE_PREFIX ?? '' };
  const noCredential = () => {
    throw new Error('no credential with a connection string');
  };
  const store = new TableSnapshotStore(new Tables(storage, noCredential));
  const population = Array.from({ length: customers }, (_, index) => insight(index));
  await completeRun(store, 2, population);
  const dependencies = await regressionDetector(quiet, settings);
  // The detector's first look: it sets the baseline from every customer.
  await runDetector(dependencies);
  const changed = customers / 50;
  // More compliant admins: a change, and no regression to send.
  await completeRun(store, 1, population.map((customer, index) => (index < changed ? insight(index, 2) : customer)));
  const counted = new Tables(storage, noCredential);
  const rows = new Map<TableName, number>();
  for (const name of Object.keys(tableNames) as TableName[]) counted.clientFor(name).pipeline.addPolicy(rowCounter(rows, name));
  const outcome = await runDetector({ ...dependencies, snapshots: new TableSnapshotReader(counted) });
  expect(outcome).toMatchObject({ skipped: false, transitions: 0 });
  return { changed, rows };
}

describe('the detector reads what changed', () => {
  it.each([250, 2500])('when 2 %% of %i customers changed since the run it last saw, then it reads their change records and no customer that did not change', async (customers) => {
    const { changed, rows } = await rowsReadAfterChurn(customers);
    expect({ changes: rows.get('customerChanges'), customers: rows.get('customers') ?? 0, history: rows.get('customerHistory') ?? 0 }).toEqual({ changes: changed, customers: 0, history: 0 });
    // Beside them, only the ledger: a few runs of each source.
    expect([...rows.values()].reduce((sum, count) => sum + count, 0)).toBeLessThan(changed + 20);
  });
});
