import type { TokenCredential } from '@azure/core-auth';
import { odata } from '@azure/data-tables';
import { Tables } from '../../src/adapters/tables';
import type { StorageConfig } from '../../src/config';
import { findingPairsMigration } from './findingPairs';
import { migrateLayout } from './migrateLayout';
import { outboxDeliveriesMigration } from './outboxDeliveries';

/**
 * `npm run migrate`: every change of the stored layout since the first release, one migration
 * each, numbered in the order the changes were made. The app reads the current shape only; a row
 * of an earlier one fails its read with a message naming `npm run migrate`.
 *
 * Every migration is idempotent (it finds rows of the earlier shape and brings them to the
 * current one, so a second run finds nothing) and resumable (stopped at any point, the next run
 * continues from what is left), so every run checks every migration: a row an earlier version
 * wrote after a migration (a deployment that was not yet updated) is still brought along. When
 * each one first completed, and the rows its passes changed, are recorded in the Runs table
 * (partition `migration`, row key its number): which layout changes a deployment's data has been through.
 */
interface MigrationContext {
  tables: Tables;
  storage: StorageConfig;
  credential: () => TokenCredential;
  /** Reads and reports what it would change, writes nothing. */
  dryRun: boolean;
  /** Deletes the earlier layout's tables once every run is verified (migration 3). */
  dropOld: boolean;
  log: (line: string) => void;
  /** Told after each step that wrote something (a test stops a migration here, as a kill would). */
  afterStep?: () => void;
}

export interface Migration {
  id: number;
  name: string;
  /** Resolves to the rows (or runs) it changed, or would change when dry; throws what stops it. */
  run(context: MigrationContext): Promise<number>;
}

/** Migration 3: the bucket tables' customers and principals move to the change-record layout. */
const bucketTablesMigration: Migration = {
  id: 3,
  name: 'customers are change records, principals one table',
  async run({ storage, credential, dryRun, dropOld, log, afterStep }) {
    const outcome = await migrateLayout({ storage, credential, dryRun, dropOld, log: (line) => log(`   ${line}`), afterRun: afterStep });
    if (outcome.mismatches.length > 0) throw new Error(`${outcome.mismatches.length} runs read back differently from the earlier tables: run the migration again`);
    return outcome.customerRunsMigrated + outcome.principalRunsCopied + outcome.dropped;
  },
};

const migrations: readonly Migration[] = [findingPairsMigration, outboxDeliveriesMigration, bucketTablesMigration];

/** A migration's row in the Runs table: when its first complete pass ended, and the rows all its passes changed. */
type MigrationEntity = { partitionKey: string; rowKey: string; name: string; completedAt: string; rowsChanged: number };

const ledgerPartition = 'migration';
const ledgerKey = (id: number) => String(id).padStart(4, '0');

/** Runs every migration in order; resolves to the rows each changed (or would change), by id. */
export async function runMigrations(options: Omit<MigrationContext, 'tables'>): Promise<Map<number, number>> {
  const tables = new Tables(options.storage, options.credential);
  const ledger = tables.clientFor('runs');
  const recorded = new Map<string, MigrationEntity>();
  for await (const row of ledger.listEntities<MigrationEntity>({ queryOptions: { filter: odata`PartitionKey eq ${ledgerPartition}` } })) recorded.set(row.rowKey, row);
  const changed = new Map<number, number>();
  for (const migration of migrations) {
    const before = recorded.get(ledgerKey(migration.id));
    options.log(`${migration.id}. ${migration.name}${before ? ` (first completed ${before.completedAt})` : ''}${options.dryRun ? ' (dry run: nothing is written)' : ''}`);
    const rows = await migration.run({ ...options, tables });
    changed.set(migration.id, rows);
    options.log(`   ${rows === 0 ? 'nothing to change' : `${rows} ${options.dryRun ? 'to change' : 'changed'}`}`);
    // A pass that changed nothing leaves the ledger as it was: a second run writes nothing at all.
    if (options.dryRun || (before !== undefined && rows === 0)) continue;
    const entity: MigrationEntity = { partitionKey: ledgerPartition, rowKey: ledgerKey(migration.id), name: migration.name, completedAt: before?.completedAt ?? new Date().toISOString(), rowsChanged: (before?.rowsChanged ?? 0) + rows };
    await ledger.upsertEntity(entity, 'Replace');
  }
  return changed;
}
