import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { MonitorError } from '../core/errors';
import type { ConcurrencyLimit } from '../core/concurrencyLimit';
import { describeStorageError, isNotFound, isTableNotFound, missingTable } from './storageErrors';

/**
 * Azure Table Storage accepts at most 100 actions per transaction, all in one partition, each
 * entity once (the REST API's "Performing entity group transactions").
 */
const maxBatchSize = 100;

/**
 * The entity group transactions that carry `actions`: one partition key each, at most 100
 * actions, each entity once (a later action on an entity replaces an earlier one, as if they
 * were sent one after the other). Our rows stay far under the 4 MiB payload limit at 100.
 */
export function entityGroupTransactions(actions: Iterable<TransactionAction>): TransactionAction[][] {
  const byPartition = new Map<string, Map<string, TransactionAction>>();
  for (const action of actions) {
    const { partitionKey, rowKey } = action[1];
    const partition = byPartition.get(partitionKey) ?? new Map<string, TransactionAction>();
    partition.delete(rowKey);
    byPartition.set(partitionKey, partition.set(rowKey, action));
  }
  const transactions: TransactionAction[][] = [];
  for (const partition of byPartition.values()) {
    const inPartition = [...partition.values()];
    for (let start = 0; start < inPartition.length; start += maxBatchSize) transactions.push(inPartition.slice(start, start + maxBatchSize));
  }
  return transactions;
}

/**
 * Groups upserts by table and partition into transactions of up to 100 and submits them
 * while the caller keeps producing (bounded in flight, so memory stays flat). The first
 * failure is kept and rethrown by every later call: a caller can never believe a run was
 * written when part of it was not.
 */
export class BatchWriter {
  private readonly pending = new Map<string, { client: TableClient; partitionKey: string; actions: TransactionAction[] }>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;
  private written = 0;

  constructor(private readonly maxInFlight: number) {}

  get entitiesWritten(): number {
    return this.written;
  }

  async upsert(client: TableClient, entity: TableEntity): Promise<void> {
    this.throwIfFailed();
    const key = `${client.tableName}\u0000${entity.partitionKey}`;
    let batch = this.pending.get(key);
    if (!batch) {
      batch = { client, partitionKey: entity.partitionKey, actions: [] };
      this.pending.set(key, batch);
    }
    batch.actions.push(['upsert', entity, 'Replace']);
    if (batch.actions.length >= maxBatchSize) {
      this.pending.delete(key);
      await this.submit(batch.client, batch.actions);
    }
  }

  /** Submits everything still buffered and waits for all of it. */
  async flush(): Promise<void> {
    for (const [key, batch] of this.pending) {
      this.pending.delete(key);
      await this.submit(batch.client, batch.actions);
    }
    await this.settle();
    this.throwIfFailed();
  }

  /** Drops what is buffered and waits for what is already sent (used when a run fails). */
  async abandon(): Promise<void> {
    this.pending.clear();
    await this.settle();
  }

  private async submit(client: TableClient, actions: TransactionAction[]): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const submission = client.submitTransaction(actions).then(
      () => {
        this.written += actions.length;
      },
      (error: unknown) => {
        this.failure ??= storageWriteFailure(client.tableName, `Writing ${actions.length} rows to`, error);
      },
    );
    const tracked = submission.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}

/**
 * The error of a failed write: a missing table names itself and the fix, as a read's does (a
 * transaction's answer bypasses the client's missing-table policy); anything else is StorageWriteFailed.
 */
export function storageWriteFailure(tableName: string, what: string, error: unknown): MonitorError {
  if (isTableNotFound(error)) return missingTable(tableName, error);
  if (error instanceof MonitorError && error.code === 'TableMissing') return error;
  return new MonitorError('StorageWriteFailed', `${what} table ${tableName} failed (${describeStorageError(error)})`, { cause: error });
}

/**
 * Deletes rows by key in transactions of up to 100 per partition, at most as many in flight as
 * `limit` allows; a row already gone is fine (a delete stopped half-way is simply repeated). None
 * is started once `signal` aborts. Answers the rows deleted.
 */
export async function deleteRows(client: TableClient, keys: readonly { partitionKey: string; rowKey: string }[], limit: ConcurrencyLimit, signal?: AbortSignal): Promise<number> {
  const transactions = entityGroupTransactions(keys.map((key): TransactionAction => ['delete', key]));
  const deleted = await Promise.all(
    transactions.map((transaction) =>
      limit.run(() => {
        signal?.throwIfAborted();
        return deleteTransaction(client, transaction);
      }),
    ),
  );
  return deleted.reduce((total, count) => total + count, 0);
}

async function deleteTransaction(client: TableClient, transaction: TransactionAction[]): Promise<number> {
  if (transaction.length > 1) {
    try {
      await client.submitTransaction(transaction);
      return transaction.length;
    } catch (error) {
      // One row already gone fails the whole transaction: go row by row.
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
