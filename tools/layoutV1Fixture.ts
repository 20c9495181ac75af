/*
 * Writes test/fixtures/layout-v1/tables.json: every table row that the monitor's first table
 * layout (one table per bucket of customers, customer history and principals) held after a few
 * simulated days, with each property's EDM type. The migration test loads it into Azurite as it
 * is, so the migration is proven on data written by that layout's own code, not on rows made up
 * for the test.
 *
 * Usage (once, with the first layout's code): node dist/tools/withSimulatorTrust.js node dist/tools/layoutV1Fixture.js
 * What it records: four days of collectPartnerSecurity over 20 customers whose MFA settings change
 * every day, where on the fourth day 4 customers are gone; a failed run (a page answered 500); a
 * run left `running` with rows written (a process killed mid-way); three collectNonMfaPrincipals
 * runs and two collectRegistrationCounts runs.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TableClient, TableServiceClient, odata } from '@azure/data-tables';
import { collectNonMfaPrincipals } from '../src/collectors/collectNonMfaPrincipals';
import { collectPartnerSecurity } from '../src/collectors/collectPartnerSecurity';
import { collectRegistrationCounts } from '../src/collectors/collectRegistrationCounts';
import { nonMfaPrincipalCollector, partnerSecurityCollector, registrationCountCollector } from '../src/composition';
import type { Logger } from '../src/core/ports';
import { newRunId } from '../src/core/snapshotRun';
import { startAzurite } from './azurite';
import { appSettingsFor, startSimulator } from './simulator';
import { repoRoot } from './tls';

const prefix = 'v1';
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function main(): Promise<void> {
  const azurite = await startAzurite();
  const sim = await startSimulator({ customers: 20, nonMfaSignInsPerDay: 3, graphPageSize: 8 });
  // The same seed with fewer customers: the same first 16 tenants, the last 4 gone.
  const shrunk = await startSimulator({ customers: 16, nonMfaSignInsPerDay: 3, graphPageSize: 8 });
  try {
    const settingsOf = (cloud: typeof sim): Record<string, string> => ({
      ...appSettingsFor(cloud),
      TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
      TABLE_PREFIX: prefix,
      HTTP_MAX_RETRIES: '0',
    });
    const env = settingsOf(sim);
    const partnerSecurity = async (settings: Record<string, string>): Promise<void> => {
      await collectPartnerSecurity(await partnerSecurityCollector(quiet, settings)).catch((error: unknown) => console.error(`partnerSecurity run failed as intended: ${String(error)}`));
    };
    for (let day = 0; day < 3; day += 1) {
      sim.setDay(day);
      await partnerSecurity(env);
      await collectNonMfaPrincipals(await nonMfaPrincipalCollector(quiet, env));
      if (day !== 1) await collectRegistrationCounts(await registrationCountCollector(quiet, env));
    }
    // A failed run: the second page of customers answers 500 (no retries).
    sim.injectFault({ kind: 'status', status: 500, service: 'graph', path: 'customerInsights', page: 1 });
    await partnerSecurity(env);
    sim.clearFaults();
    shrunk.setDay(3);
    await partnerSecurity(settingsOf(shrunk));
    await leaveRunRunning(env);
    writeFixture(await dump(azurite.tablesConnectionString));
  } finally {
    await Promise.all([sim.close(), shrunk.close(), azurite.close()]);
  }
}

/**
 * A run whose process was killed after writing some rows: the first layout's writer flushes a
 * transaction only at 100 rows a partition, so the killed run's rows are written here as that
 * writer lays them out, under a ledger row that stays `running`.
 */
async function leaveRunRunning(env: Record<string, string>): Promise<void> {
  const { TableSnapshotStore, Tables } = await import('../src/adapters/tableSnapshotStore');
  const layout = await import('../src/adapters/tableLayout');
  const tables = new Tables({ connectionString: env.TABLES_CONNECTION_STRING ?? '', endpoint: null, tablePrefix: prefix } , () => {
    throw new Error('no credential with a connection string');
  });
  const startedAt = new Date(Date.now() - 2 * 3_600_000);
  const runId = newRunId(startedAt, 'killed1');
  await new TableSnapshotStore(tables).openRun('partnerSecurity', runId, startedAt);
  const tenantId = 'fa11ed00-0000-4000-8000-000000000001';
  const customers = await tables.bucketClient('customers', layout.bucketOf(tenantId));
  await customers.upsertEntity({ partitionKey: runId, rowKey: tenantId, tenantId, compliantAdminsCount: 0, totalUsersCount: 3, securityDefaultsStatus: 'disabled' }, 'Replace');
  const history = await tables.bucketClient('customerHistory', layout.historyBucketOf(tenantId));
  await history.upsertEntity(
    { partitionKey: layout.historyPartition, rowKey: layout.customerHistoryRowKey(tenantId, runId), runId, point: JSON.stringify({ tenantId, compliantAdminsCount: 0, totalUsersCount: 3, securityDefaultsStatus: 'disabled' }) },
    'Replace',
  );
}

interface DumpedRow {
  PartitionKey: string;
  RowKey: string;
  /** Every other property as the service typed it. */
  properties: Record<string, { type: string; value: unknown }>;
}

async function dump(connectionString: string): Promise<Record<string, DumpedRow[]>> {
  const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  const names: string[] = [];
  for await (const table of service.listTables({ queryOptions: { filter: odata`TableName ge ${prefix} and TableName lt ${`${prefix}~`}` } })) if (table.name) names.push(table.name);
  const tables: Record<string, DumpedRow[]> = {};
  for (const name of names.sort()) {
    const client = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
    const rows: DumpedRow[] = [];
    for await (const entity of client.listEntities<Record<string, unknown>>({ disableTypeConversion: true })) {
      const properties: DumpedRow['properties'] = {};
      for (const [key, typed] of Object.entries(entity)) {
        if (['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.etag', 'Timestamp'].includes(key)) continue;
        properties[key] = typed as { type: string; value: unknown };
      }
      rows.push({ PartitionKey: String((entity.partitionKey as { value?: unknown })?.value ?? entity.partitionKey), RowKey: String((entity.rowKey as { value?: unknown })?.value ?? entity.rowKey), properties });
    }
    if (rows.length > 0) tables[name.slice(prefix.length)] = rows;
  }
  return tables;
}

function writeFixture(tables: Record<string, DumpedRow[]>): void {
  const folder = join(repoRoot(), 'test', 'fixtures', 'layout-v1');
  mkdirSync(folder, { recursive: true });
  const rows = Object.values(tables).reduce((total, table) => total + table.length, 0);
  writeFileSync(join(folder, 'tables.json'), `${JSON.stringify({ layout: 1, tables }, null, 1)}\n`);
  console.log(`wrote ${rows} rows of ${Object.keys(tables).length} tables to ${join(folder, 'tables.json')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
