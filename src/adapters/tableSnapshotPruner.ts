import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import { MonitorError } from '../core/errors';
import type { SnapshotSource } from '../core/model';
import type { SnapshotRun } from '../core/snapshotRun';
import type { SnapshotPruner } from '../retention/pruneSnapshots';
import { describeStorageError, maxBatchSize } from './batchWriter';
import { buckets, customerHistoryPartition, customerHistoryRowKey, fixedPartitions, runPartition, type TableName } from './tableLayout';
import { TableSnapshotReader, type Tables } from './tableSnapshotStore';

type Key = { partitionKey: string; rowKey: string };

/**
 * Deletes whole snapshot runs through the store's key design, never a table scan: a run's
 * customers and principals are 16 known partitions, its requirements one key range, its
 * score and registration counts one row each, and each customer's history row is found from
 * that run's customer rows. Deletes go in transactions of up to 100 rows per partition.
 */
export class TableSnapshotPruner implements SnapshotPruner {
  private readonly reader: TableSnapshotReader;
  private readonly limit: ConcurrencyLimit;

  constructor(
    private readonly tables: Tables,
    options: { maxTransactionsInFlight: number } = { maxTransactionsInFlight: 8 },
  ) {
    this.reader = new TableSnapshotReader(tables);
    this.limit = new ConcurrencyLimit(options.maxTransactionsInFlight);
  }

  listRuns(source: SnapshotSource, options: { to: Date }): Promise<SnapshotRun[]> {
    return this.reader.listRuns(source, options);
  }

  latestCompleteRun(source: SnapshotSource): Promise<SnapshotRun | null> {
    return this.reader.latestCompleteRun(source);
  }

  async deleteRun(run: SnapshotRun): Promise<number> {
    const { runId } = run;
    let deleted = 0;
    if (run.source === 'partnerSecurity') {
      // History rows first: they are found through the customer rows deleted next.
      const customers = await this.runRows('customers', runId, ['tenantId']);
      const history = customers
        .map((row) => String(row.tenantId ?? ''))
        .filter((tenantId) => tenantId !== '')
        .map((tenantId) => ({ partitionKey: customerHistoryPartition(tenantId), rowKey: customerHistoryRowKey(tenantId, runId) }));
      deleted += await this.deleteKeys('customerHistory', history);
      deleted += await this.deleteKeys('customers', customers);
      deleted += await this.deleteKeys('requirements', await this.rows('requirements', odata`PartitionKey eq ${fixedPartitions.requirements} and RowKey gt ${`${runId}_`} and RowKey lt ${`${runId}_~`}`));
      deleted += await this.deleteKeys('scores', [{ partitionKey: fixedPartitions.scores, rowKey: runId }]);
    } else if (run.source === 'nonMfaPrincipals') {
      deleted += await this.deleteKeys('principals', await this.runRows('principals', runId, []));
    } else {
      deleted += await this.deleteKeys('registrations', [{ partitionKey: fixedPartitions.registrations, rowKey: runId }]);
    }
    // The ledger row last: until it goes, the run is listed and the next prune finishes it.
    deleted += await this.deleteKeys('runs', [{ partitionKey: run.source, rowKey: runId }]);
    return deleted;
  }

  /** The keys (and the named fields) of every row in a run's bucket partitions. */
  private async runRows(name: TableName, runId: string, fields: string[]): Promise<(Key & Record<string, unknown>)[]> {
    const perBucket = await Promise.all(buckets.map((bucket) => this.rows(name, odata`PartitionKey eq ${runPartition(runId, bucket)}`, fields)));
    return perBucket.flat();
  }

  private async rows(name: TableName, filter: string, fields: string[] = []): Promise<(Key & Record<string, unknown>)[]> {
    const client = await this.tables.client(name);
    const found: (Key & Record<string, unknown>)[] = [];
    const select = ['PartitionKey', 'RowKey', ...fields];
    for await (const entity of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select } })) {
      found.push({ ...entity, partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
    }
    return found;
  }

  /** Deletes rows in transactions of up to 100 per partition; rows already gone are fine. */
  private async deleteKeys(name: TableName, keys: readonly Key[]): Promise<number> {
    if (keys.length === 0) return 0;
    const client = await this.tables.client(name);
    const byPartition = new Map<string, string[]>();
    for (const { partitionKey, rowKey } of keys) byPartition.set(partitionKey, [...(byPartition.get(partitionKey) ?? []), rowKey]);
    const batches: { partitionKey: string; rowKeys: string[] }[] = [];
    for (const [partitionKey, rowKeys] of byPartition) {
      const unique = [...new Set(rowKeys)];
      for (let start = 0; start < unique.length; start += maxBatchSize) batches.push({ partitionKey, rowKeys: unique.slice(start, start + maxBatchSize) });
    }
    const counts = await Promise.all(batches.map((batch) => this.limit.run(() => this.deleteBatch(client, batch.partitionKey, batch.rowKeys))));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  private async deleteBatch(client: TableClient, partitionKey: string, rowKeys: string[]): Promise<number> {
    if (rowKeys.length > 1) {
      const actions: TransactionAction[] = rowKeys.map((rowKey) => ['delete', { partitionKey, rowKey }]);
      try {
        await client.submitTransaction(actions);
        return rowKeys.length;
      } catch (error) {
        // One row already gone (an earlier prune stopped half-way) fails the whole transaction: go row by row.
        if (statusOf(error) !== 404) throw this.failure(client, rowKeys.length, error);
      }
    }
    let deleted = 0;
    for (const rowKey of rowKeys) {
      try {
        await client.deleteEntity(partitionKey, rowKey);
        deleted += 1;
      } catch (error) {
        if (statusOf(error) !== 404) throw this.failure(client, 1, error);
      }
    }
    return deleted;
  }

  private failure(client: TableClient, rows: number, error: unknown): MonitorError {
    return new MonitorError('StorageWriteFailed', `Deleting ${rows} rows from table ${client.tableName} failed (${describeStorageError(error)})`, { cause: error });
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
