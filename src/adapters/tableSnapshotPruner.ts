import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import { MonitorError } from '../core/errors';
import type { SnapshotSource } from '../core/model';
import type { SnapshotRun } from '../core/snapshotRun';
import type { SnapshotPruner } from '../ports';
import { describeStorageError, maxBatchSize } from './batchWriter';
import { buckets, customerHistoryRowKey, fixedPartitions, historyBucketOf, historyPartition, type BucketedTableName } from './tableLayout';
import { readBucketTable, TableSnapshotReader, type Tables } from './tableSnapshotStore';

type Key = { partitionKey: string; rowKey: string };

/**
 * Deletes whole snapshot runs through the store's key design, never a table scan: a run's
 * customers and principals are one partition in each bucket table, its requirements one key
 * range, its score and registration counts one row each, and each customer's history row is
 * found from that run's customer row. Deletes go in transactions of up to 100 rows per
 * partition.
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

  async deleteRun(run: SnapshotRun, signal?: AbortSignal): Promise<number> {
    const { runId } = run;
    let deleted = 0;
    if (run.source === 'partnerSecurity') {
      const perBucket = await Promise.all(
        buckets.map(async (bucket) => {
          // History rows first: they are found through the customer rows deleted next.
          const customers = await this.runRows('customers', bucket, runId, ['tenantId']);
          const historyByBucket = new Map<string, Key[]>();
          for (const tenantId of customers.map((row) => String(row.tenantId ?? '')).filter((id) => id !== '')) {
            const historyBucket = historyBucketOf(tenantId);
            const keys = historyByBucket.get(historyBucket) ?? [];
            keys.push({ partitionKey: historyPartition, rowKey: customerHistoryRowKey(tenantId, runId) });
            historyByBucket.set(historyBucket, keys);
          }
          const historyDeleted = await Promise.all(
            [...historyByBucket].map(async ([historyBucket, keys]) => this.deleteKeys(this.tables.bucketReader('customerHistory', historyBucket), keys, signal)),
          );
          return sum(historyDeleted) + (await this.deleteKeys(this.tables.bucketReader('customers', bucket), customers, signal));
        }),
      );
      deleted += sum(perBucket);
      const requirements = await this.tables.client('requirements');
      deleted += await this.deleteKeys(requirements, await this.rows(requirements, odata`PartitionKey eq ${fixedPartitions.requirements} and RowKey gt ${`${runId}_`} and RowKey lt ${`${runId}_~`}`), signal);
      deleted += await this.deleteKeys(await this.tables.client('scores'), [{ partitionKey: fixedPartitions.scores, rowKey: runId }], signal);
    } else if (run.source === 'nonMfaPrincipals') {
      const perBucket = await Promise.all(
        buckets.map(async (bucket) => this.deleteKeys(this.tables.bucketReader('principals', bucket), await this.runRows('principals', bucket, runId, []), signal)),
      );
      deleted += sum(perBucket);
    } else {
      deleted += await this.deleteKeys(await this.tables.client('registrations'), [{ partitionKey: fixedPartitions.registrations, rowKey: runId }], signal);
    }
    // The ledger row last: until it goes, the run is listed and the next prune finishes it.
    deleted += await this.deleteKeys(await this.tables.client('runs'), [{ partitionKey: run.source, rowKey: runId }], signal);
    return deleted;
  }

  /** The keys (and the named fields) of a run's rows in one bucket table. */
  private async runRows(name: BucketedTableName, bucket: string, runId: string, fields: string[]): Promise<(Key & Record<string, unknown>)[]> {
    return this.rows(this.tables.bucketReader(name, bucket), odata`PartitionKey eq ${runId}`, fields);
  }

  private async rows(client: TableClient, filter: string, fields: string[] = []): Promise<(Key & Record<string, unknown>)[]> {
    const found: (Key & Record<string, unknown>)[] = [];
    const select = ['PartitionKey', 'RowKey', ...fields];
    await readBucketTable(async () => {
      for await (const entity of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select } })) {
        found.push({ ...entity, partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
      }
    });
    return found;
  }

  /** Deletes rows in transactions of up to 100 per partition; rows already gone are fine. None is started once `signal` aborts. */
  private async deleteKeys(client: TableClient, keys: readonly Key[], signal: AbortSignal | undefined): Promise<number> {
    if (keys.length === 0) return 0;
    const byPartition = new Map<string, string[]>();
    for (const { partitionKey, rowKey } of keys) {
      const rowKeys = byPartition.get(partitionKey);
      if (rowKeys === undefined) byPartition.set(partitionKey, [rowKey]);
      else rowKeys.push(rowKey);
    }
    const batches: { partitionKey: string; rowKeys: string[] }[] = [];
    for (const [partitionKey, rowKeys] of byPartition) {
      const unique = [...new Set(rowKeys)];
      for (let start = 0; start < unique.length; start += maxBatchSize) batches.push({ partitionKey, rowKeys: unique.slice(start, start + maxBatchSize) });
    }
    return sum(
      await Promise.all(
        batches.map((batch) =>
          this.limit.run(() => {
            signal?.throwIfAborted();
            return this.deleteBatch(client, batch.partitionKey, batch.rowKeys);
          }),
        ),
      ),
    );
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

function sum(counts: readonly number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
