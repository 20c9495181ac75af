import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import type { SnapshotSource } from '../core/model';
import type { SnapshotRun } from '../core/snapshotRun';
import type { SnapshotPruner } from '../ports';
import { entityGroupTransactions, storageWriteFailure } from './batchWriter';
import { isConflict, isNotFound } from './storageErrors';
import { customerChangeKey, customerHistoryKey, customerKey, fixedPartitions, runPartitionRange, type TableName } from './tableLayout';
import { TableSnapshotReader } from './tableSnapshotStore';
import type { Tables } from './tables';

type Key = { partitionKey: string; rowKey: string };

/**
 * Deletes old snapshot runs through the store's key design, never a table scan, in transactions
 * of up to 100 rows of one partition. A customer's history keeps its change points; what retention
 * removes is what no read at or after the cut-off can need: for each change a pruned run made,
 * the change point it superseded (the run's own point is the state at the cut-off, and stays); a
 * customer gone before the cut-off leaves nothing. A run's own change points, requirements,
 * score, principals and registration counts go with it, its ledger row last.
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
      const changes = await this.reader.customerState.changesOf(runId);
      // Change points reach the history only once their run is complete.
      if (run.status === 'complete') {
        const superseded = changes.flatMap((change) => (change.beforeRunId === null ? [] : [customerHistoryKey(change.tenantId, change.beforeRunId)]));
        const goneBeforeCutoff = changes.filter((change) => change.after === null);
        deleted += await this.deleteKeys('customerHistory', [...superseded, ...goneBeforeCutoff.map((change) => customerHistoryKey(change.tenantId, runId))], signal);
        deleted += await this.deleteTombstones(goneBeforeCutoff.map((change) => change.tenantId), runId, signal);
      }
      deleted += await this.deleteKeys('customerChanges', changes.map((change) => customerChangeKey(runId, change.tenantId)), signal);
      const requirements = await this.tables.client('requirements');
      deleted += await this.deleteKeys('requirements', await this.keys(requirements, odata`PartitionKey eq ${fixedPartitions.requirements} and RowKey gt ${`${runId}_`} and RowKey lt ${`${runId}_~`}`), signal);
      deleted += await this.deleteKeys('scores', [{ partitionKey: fixedPartitions.scores, rowKey: runId }], signal);
    } else if (run.source === 'nonMfaPrincipals') {
      const { from, to } = runPartitionRange(runId);
      deleted += await this.deleteKeys('principals', await this.keys(await this.tables.client('principals'), odata`PartitionKey ge ${from} and PartitionKey le ${to}`), signal);
    } else {
      deleted += await this.deleteKeys('registrations', [{ partitionKey: fixedPartitions.registrations, rowKey: runId }], signal);
    }
    // The ledger row last: until it goes, the run is listed and the next prune finishes it.
    deleted += await this.deleteKeys('runs', [{ partitionKey: run.source, rowKey: runId }], signal);
    return deleted;
  }

  /** The Customers table's rows of customers gone since this run, unless they came back since. */
  private async deleteTombstones(tenantIds: readonly string[], runId: string, signal: AbortSignal | undefined): Promise<number> {
    const customers = await this.tables.client('customers');
    let deleted = 0;
    for (const tenantId of tenantIds) {
      signal?.throwIfAborted();
      const { partitionKey, rowKey } = customerKey(tenantId);
      try {
        const row = await customers.getEntity<Record<string, unknown>>(partitionKey, rowKey);
        if (row.gone !== true || row.runId !== runId) continue;
        // Conditional: a run that lists the customer again meanwhile keeps its row.
        await customers.deleteEntity(partitionKey, rowKey, { etag: row.etag });
        deleted += 1;
      } catch (error) {
        if (!isNotFound(error) && !isConflict(error)) throw storageWriteFailure(customers.tableName, 'Deleting 1 row from', error);
      }
    }
    return deleted;
  }

  private async keys(client: TableClient, filter: string): Promise<Key[]> {
    const found: Key[] = [];
    for await (const entity of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      found.push({ partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
    }
    return found;
  }

  /** Deletes rows in transactions of up to 100 per partition; rows already gone are fine. None is started once `signal` aborts. */
  private async deleteKeys(name: TableName, keys: readonly Key[], signal: AbortSignal | undefined): Promise<number> {
    if (keys.length === 0) return 0;
    const client = await this.tables.client(name);
    const transactions = entityGroupTransactions(keys.map((key): TransactionAction => ['delete', key]));
    return sum(
      await Promise.all(
        transactions.map((transaction) =>
          this.limit.run(() => {
            signal?.throwIfAborted();
            return this.deleteBatch(client, transaction);
          }),
        ),
      ),
    );
  }

  private async deleteBatch(client: TableClient, transaction: TransactionAction[]): Promise<number> {
    if (transaction.length > 1) {
      try {
        await client.submitTransaction(transaction);
        return transaction.length;
      } catch (error) {
        // One row already gone (an earlier prune stopped half-way) fails the whole transaction: go row by row.
        if (!isNotFound(error)) throw storageWriteFailure(client.tableName, `Deleting ${transaction.length} rows from`, error);
      }
    }
    let deleted = 0;
    for (const [, { partitionKey, rowKey }] of transaction) {
      try {
        await client.deleteEntity(partitionKey, rowKey);
        deleted += 1;
      } catch (error) {
        if (!isNotFound(error)) throw storageWriteFailure(client.tableName, 'Deleting 1 row from', error);
      }
    }
    return deleted;
  }
}

function sum(counts: readonly number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}
