/*
 * Child process of `npm run bench`: storage writes, batched vs one upsert per entity, against
 * the same out-of-process Azurite, with the same client library (@azure/data-tables).
 * Usage: node storageProcess.js <insights.json>, with TABLES_CONNECTION_STRING set.
 * 1. Batched: the real TableSnapshotStore writes one partnerSecurity run of the given customer
 *    insights (pages of 100, as the collector hands them over), timed from openRun to
 *    complete. Its table clients are wrapped to record every entity it submits.
 * 2. Baseline: exactly those recorded entities, upserted (Replace) one at a time with
 *    TableClient.upsertEntity, sequentially, into fresh tables of another prefix.
 * Both start from empty tables. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import { readConfig } from '../../src/config';
import type { CustomerMfaInsight } from '../../src/core/model';
import { newRunId } from '../../src/core/snapshotRun';
import { TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import type { TableName } from '../../src/adapters/tableLayout';
import { createTables } from '../createTables';

export interface StorageMeasurement {
  batched: { entities: number; ms: number };
  oneByOne: { entities: number; ms: number; concurrency: number };
}

const pageSize = 100;

/** Tables whose clients record the entities of every transaction they submit. */
class RecordingTables extends Tables {
  readonly recorded: { tableName: string; entity: TableEntity }[] = [];
  private readonly wrapped = new Set<TableClient>();

  override clientFor(name: TableName): TableClient {
    const client = super.clientFor(name);
    if (!this.wrapped.has(client)) {
      this.wrapped.add(client);
      const submit = client.submitTransaction.bind(client);
      client.submitTransaction = (actions: TransactionAction[]) => {
        for (const action of actions) this.recorded.push({ tableName: client.tableName, entity: action[1] as TableEntity });
        return submit(actions);
      };
    }
    return client;
  }
}

async function main(insightsPath: string | undefined): Promise<void> {
  if (insightsPath === undefined) throw new Error('usage: storageProcess <insights.json>');
  const insights = JSON.parse(readFileSync(insightsPath, 'utf8')) as CustomerMfaInsight[];
  const noCredential = (): TokenCredential => {
    throw new Error('the bench uses a connection string');
  };
  const storage = readConfig(process.env, ['storage']).storage;

  const tables = new RecordingTables({ ...storage, tablePrefix: 'benchbatched' }, noCredential);
  // Tables exist before the clock starts, for both sides alike, as the deployment creates them.
  await createTables(storage.connectionString ?? '', 'benchbatched');
  const store = new TableSnapshotStore(tables);
  const batchedStart = performance.now();
  const writer = await store.openRun('partnerSecurity', newRunId(new Date(), 'benchrun'), new Date());
  for (let index = 0; index < insights.length; index += pageSize) await writer.addCustomerInsights(insights.slice(index, index + pageSize));
  const run = await writer.complete({ customers: insights.length });
  const batchedMs = performance.now() - batchedStart;
  if (run.counts.entitiesWritten !== tables.recorded.length) throw new Error(`recorded ${tables.recorded.length} entities, the store reports ${run.counts.entitiesWritten}`);

  const clients = new Map<string, TableClient>();
  for (const tableName of new Set(tables.recorded.map((row) => row.tableName))) {
    const client = TableClient.fromConnectionString(storage.connectionString ?? '', tableName.replace(/^benchbatched/, 'benchsingle'), { allowInsecureConnection: true });
    await client.createTable();
    clients.set(tableName, client);
  }
  const singleStart = performance.now();
  for (const { tableName, entity } of tables.recorded) await clients.get(tableName)?.upsertEntity(entity, 'Replace');
  const singleMs = performance.now() - singleStart;

  const measurement: StorageMeasurement = {
    batched: { entities: tables.recorded.length, ms: batchedMs },
    oneByOne: { entities: tables.recorded.length, ms: singleMs, concurrency: 1 },
  };
  console.log(JSON.stringify(measurement));
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
