import type { TokenCredential } from '@azure/core-auth';
import { TableClient, TableServiceClient, odata, type TransactionAction } from '@azure/data-tables';
import { BatchWriter, entityGroupTransactions } from '../../src/adapters/batchWriter';
import { appliedRunKey, principalKey, runPartitionRange } from '../../src/adapters/tableLayout';
import type { CurrentCustomer } from '../../src/adapters/customerRows';
import { TableCustomerState } from '../../src/adapters/tableCustomerState';
import { TableSnapshotReader } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import type { StorageConfig } from '../../src/config';
import { insightChanged } from '../../src/core/customerChanges';
import { measuresVersion, readMeasures, type CustomerMfaInsight, type NonMfaPrincipal } from '../../src/core/model';

/**
 * Moves the data of the earlier table layout into the current one. The earlier layout kept a
 * complete copy of every customer per run in 32 `<prefix>Customers<bucket>` tables (plus 256
 * `<prefix>CustomerHistory<bucket>` tables holding the same insights again) and every run's
 * principals in 32 `<prefix>Principals<bucket>` tables; every other table is unchanged.
 *
 * Customers: each complete run, oldest first, is compared with the state the run before left,
 * exactly as a collector run is, and its changes recorded and applied (history, current state).
 * The Customers table's applied run says how far it got, so a migration stopped at any point
 * resumes where it stopped, and a second one finds nothing to do. Failed and unfinished runs are
 * never data, so they bring nothing. Principals of each complete run are copied under their new keys.
 * Then every migrated run is read back through the app's own reader and compared with the earlier
 * tables; only when all agree may the earlier tables be dropped.
 */
interface MigrationOptions {
  storage: StorageConfig;
  credential: () => TokenCredential;
  /** Reads and reports, writes nothing. */
  dryRun: boolean;
  /** Deletes the earlier layout's tables once every run is verified. */
  dropOld: boolean;
  log: (line: string) => void;
  /** Told after each run is migrated (a test stops a migration here, as a kill would). */
  afterRun?: (runId: string) => void;
}

export interface MigrationOutcome {
  earlierTables: number;
  customerRunsMigrated: number;
  principalRunsCopied: number;
  /** Runs whose customers or principals read back differently from the earlier tables (none when verified). */
  mismatches: string[];
  dropped: number;
}

const earlierTablePattern = /^(Customers|CustomerHistory|Principals)([0-9a-f]{2})$/;
const maxTransactionsInFlight = 8;

type Row = Record<string, unknown>;

export async function migrateLayout(options: MigrationOptions): Promise<MigrationOutcome> {
  const { storage, log } = options;
  const service = serviceClient(storage, options.credential);
  const earlier = await earlierTables(service, storage.tablePrefix);
  const outcome: MigrationOutcome = { earlierTables: earlier.length, customerRunsMigrated: 0, principalRunsCopied: 0, mismatches: [], dropped: 0 };
  if (earlier.length === 0) {
    log(`No table of the earlier layout under prefix ${storage.tablePrefix}: nothing to migrate.`);
    return outcome;
  }
  log(`${earlier.length} tables of the earlier layout under prefix ${storage.tablePrefix}.`);
  const tables = new Tables(storage, options.credential);
  const reader = new TableSnapshotReader(tables);
  const customers = new TableCustomerState(tables, { maxTransactionsInFlight });
  const oldRows = (kind: 'Customers' | 'Principals', runId: string) => readEarlierRun(earlier, storage, options.credential, kind, runId);

  // Customers: every complete run the current state does not hold yet, oldest first.
  let applied = await customers.currentRunId();
  const completeRuns = (await reader.listRuns('partnerSecurity', { status: 'complete' })).reverse();
  const oldest = completeRuns[0];
  if (applied !== null && oldest !== undefined && oldest.runId >= applied && (await oldRows('Customers', oldest.runId)).length > 0 && !(await hasChangeRecords(tables, oldest.runId))) {
    // The current version read or collected before the migration: it holds a state without the earlier runs' history.
    log(`the current version took run ${applied} as its customers' state before the earlier runs were migrated: the current state and history are rebuilt from the earlier runs, then the current version's runs are applied again${options.dryRun ? ' (dry run: nothing is written)' : ''}`);
    if (!options.dryRun) await clearCustomerState(tables);
    applied = null;
  }
  const customerRuns = completeRuns.filter((run) => applied === null || run.runId < applied);
  log(`customers: ${customerRuns.length} complete runs to migrate${applied === null ? '' : ` (runs up to ${applied} are done)`}${options.dryRun ? ' (dry run: nothing is written)' : ''}`);
  const baseline = new Map<string, CurrentCustomer>();
  if (!options.dryRun) for (const customer of await customers.currentCustomers()) baseline.set(customer.tenantId, customer);
  for (const [index, run] of customerRuns.entries()) {
    const insights = (await oldRows('Customers', run.runId)).map(toCustomer);
    if (insights.length === 0 && (await hasChangeRecords(tables, run.runId))) {
      // A run of the current version, and every one after it: they apply their own change records.
      log(`  run ${run.runId} and later ones were collected by the current version: applying their own change records`);
      if (!options.dryRun) await customers.applyPending();
      break;
    }
    if (options.dryRun) {
      log(`  would migrate run ${run.runId} (${index + 1} of ${customerRuns.length}): ${insights.length} customers`);
      continue;
    }
    const changes = await migrateCustomerRun(customers, run.runId, insights, baseline);
    outcome.customerRunsMigrated += 1;
    log(`  run ${run.runId} (${index + 1} of ${customerRuns.length}): ${insights.length} customers, ${changes} change points`);
    options.afterRun?.(run.runId);
  }

  // Principals: every complete run, copied under the new keys (upserts: repeating is harmless).
  const principalRuns = (await reader.listRuns('nonMfaPrincipals', { status: 'complete' })).reverse();
  log(`principals: ${principalRuns.length} complete runs to copy${options.dryRun ? ' (dry run: nothing is written)' : ''}`);
  const principals = tables.clientFor('principals');
  for (const [index, run] of principalRuns.entries()) {
    const rows = await oldRows('Principals', run.runId);
    if (options.dryRun) {
      log(`  would copy run ${run.runId} (${index + 1} of ${principalRuns.length}): ${rows.length} principals`);
      continue;
    }
    const writer = new BatchWriter(maxTransactionsInFlight);
    for (const principal of rows.map(toPrincipal)) {
      await writer.upsert(principals, { ...principalKey(run.runId, principal.objectId, principal.lastNonMfaRequestDateTime), ...defined({ ...principal }) });
    }
    await writer.flush();
    outcome.principalRunsCopied += 1;
    log(`  run ${run.runId} (${index + 1} of ${principalRuns.length}): ${rows.length} principals`);
    options.afterRun?.(run.runId);
  }
  if (options.dryRun) return outcome;

  // Verified: every complete run reads back as the earlier tables hold it.
  log('verifying: every complete run read back through the app and compared with the earlier tables...');
  for (const run of (await reader.listRuns('partnerSecurity', { status: 'complete' })).reverse()) {
    const expected = (await oldRows('Customers', run.runId)).map(toCustomer);
    const migrated = (await customers.changesBetween(null, run.runId)).changes.flatMap((change) => (change.after === null ? [] : [change.after]));
    if (!sameItems(expected, migrated, (customer) => customer.tenantId.toLowerCase())) outcome.mismatches.push(`partnerSecurity/${run.runId}`);
  }
  for (const run of principalRuns) {
    const expected = (await oldRows('Principals', run.runId)).map(toPrincipal);
    if (!sameItems(expected, await reader.principalsOfRun(run.runId), (principal) => `${principal.objectId}_${principal.lastNonMfaRequestDateTime}`)) outcome.mismatches.push(`nonMfaPrincipals/${run.runId}`);
  }
  if (outcome.mismatches.length > 0) {
    log(`NOT verified: ${outcome.mismatches.length} runs read back differently (${outcome.mismatches.slice(0, 5).join(', ')}${outcome.mismatches.length > 5 ? ', ...' : ''}); the earlier tables are kept. Run the migration again.`);
    return outcome;
  }
  log('verified: every run reads back as before.');
  if (options.dropOld) {
    for (const name of earlier) {
      await service.deleteTable(name);
      outcome.dropped += 1;
      log(`  dropped ${name} (${outcome.dropped} of ${earlier.length})`);
    }
  } else {
    log('The earlier tables are kept: run again with --drop-old to delete them.');
  }
  return outcome;
}

/**
 * Records and applies one run's changes against the state the previous run left, as the run
 * writer does, and moves `baseline` on to this run's state.
 */
async function migrateCustomerRun(customers: TableCustomerState, runId: string, insights: CustomerMfaInsight[], baseline: Map<string, CurrentCustomer>): Promise<number> {
  const writer = new BatchWriter(maxTransactionsInFlight);
  const seen = new Set<string>();
  let changes = 0;
  const record = async (tenantId: string, after: CustomerMfaInsight | null): Promise<void> => {
    const before = baseline.get(tenantId);
    if (!insightChanged(before?.state ?? null, after)) return;
    changes += 1;
    await customers.recordChange(runId, { tenantId, before: before?.state ?? null, beforeRunId: before?.sinceRunId ?? null, beforeVersion: measuresVersion, after }, writer);
    baseline.set(tenantId, { tenantId, state: after, sinceRunId: runId, version: measuresVersion });
  };
  for (const insight of insights) {
    const tenantId = insight.tenantId.toLowerCase();
    seen.add(tenantId);
    await record(tenantId, { ...insight, tenantId });
  }
  for (const [tenantId, customer] of [...baseline]) if (customer.state !== null && !seen.has(tenantId)) await record(tenantId, null);
  await writer.flush();
  await customers.applyRecorded(runId);
  return changes;
}

/** A customer of the earlier layout's tables, whose rows held its measures as the Customers table's do. */
function toCustomer(row: Row): CustomerMfaInsight {
  return readMeasures(String(row.tenantId), (name) => {
    const value = row[name];
    return typeof value === 'number' || typeof value === 'string' ? value : null;
  });
}

async function hasChangeRecords(tables: Tables, runId: string): Promise<boolean> {
  const { from, to } = runPartitionRange(runId);
  const page = await tables.clientFor('customerChanges').listEntities({ queryOptions: { filter: odata`PartitionKey ge ${from} and PartitionKey le ${to}`, select: ['RowKey'] } }).byPage({ maxPageSize: 1 }).next();
  return (page.value?.length ?? 0) > 0;
}

/** Deletes the customers' current state, their history and the `applied` row (the change records stay: they are each run's own). */
async function clearCustomerState(tables: Tables): Promise<void> {
  for (const name of ['customers', 'customerHistory'] as const) {
    const table = tables.clientFor(name);
    const deletes: TransactionAction[] = [];
    for await (const row of table.listEntities({ queryOptions: { select: ['PartitionKey', 'RowKey'] } })) deletes.push(['delete', { partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '' }]);
    for (const transaction of entityGroupTransactions(deletes)) await table.submitTransaction(transaction);
  }
  await tables.clientFor('runs').deleteEntity(appliedRunKey.partitionKey, appliedRunKey.rowKey);
}

function serviceClient(storage: StorageConfig, credential: () => TokenCredential): TableServiceClient {
  return storage.connectionString !== null
    ? TableServiceClient.fromConnectionString(storage.connectionString, { allowInsecureConnection: /TableEndpoint\s*=\s*http:/i.test(storage.connectionString) })
    : new TableServiceClient(storage.endpoint ?? '', credential());
}

function tableClient(storage: StorageConfig, credential: () => TokenCredential, name: string): TableClient {
  return storage.connectionString !== null
    ? TableClient.fromConnectionString(storage.connectionString, name, { allowInsecureConnection: /TableEndpoint\s*=\s*http:/i.test(storage.connectionString) })
    : new TableClient(storage.endpoint ?? '', name, credential());
}

/** The earlier layout's tables under the prefix, by full name. */
async function earlierTables(service: TableServiceClient, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const table of service.listTables({ queryOptions: { filter: odata`TableName ge ${prefix} and TableName lt ${`${prefix}~`}` } })) {
    if (table.name !== undefined && earlierTablePattern.test(table.name.slice(prefix.length))) names.push(table.name);
  }
  return names.sort();
}

/** One run's rows of a kind across the earlier layout's bucket tables (its partition in each). */
async function readEarlierRun(earlier: readonly string[], storage: StorageConfig, credential: () => TokenCredential, kind: 'Customers' | 'Principals', runId: string): Promise<Row[]> {
  const ofKind = earlier.filter((name) => earlierTablePattern.exec(name.slice(storage.tablePrefix.length))?.[1] === kind);
  const perTable = await Promise.all(
    ofKind.map(async (name) => {
      const rows: Row[] = [];
      for await (const row of tableClient(storage, credential, name).listEntities<Row>({ queryOptions: { filter: odata`PartitionKey eq ${runId}` } })) rows.push(row);
      return rows;
    }),
  );
  return perTable.flat();
}

function toPrincipal(row: Row): NonMfaPrincipal {
  return {
    objectId: String(row.objectId),
    tenantId: typeof row.tenantId === 'string' ? row.tenantId : null,
    upn: typeof row.upn === 'string' ? row.upn : null,
    lastNonMfaRequestDateTime: String(row.lastNonMfaRequestDateTime),
  };
}

function defined(values: Row): Row {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== undefined));
}

function sameItems<T>(expected: readonly T[], actual: readonly T[], key: (item: T) => string): boolean {
  const canonical = (items: readonly T[]) => items.map((item) => `${key(item)}\u0000${JSON.stringify(Object.entries(item as object).sort(([left], [right]) => left.localeCompare(right)))}`).sort();
  return JSON.stringify(canonical(expected)) === JSON.stringify(canonical(actual));
}
