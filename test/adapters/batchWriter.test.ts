import type { TransactionAction } from '@azure/data-tables';
import { entityGroupTransactions } from '../../src/adapters/batchWriter';

// Microsoft's "Performing entity group transactions" (Table service REST API,
// https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions):
// every entity of a transaction has the same PartitionKey, an entity appears only once, and a
// transaction holds at most 100 entities (and at most 4 MiB).
const remove = (partitionKey: string, rowKey: string): TransactionAction => ['delete', { partitionKey, rowKey }];
const keysOf = (transaction: TransactionAction[]): string[] => transaction.map(([, entity]) => `${entity.partitionKey}/${entity.rowKey}`);

describe('entityGroupTransactions', () => {
  it('when actions span partitions and exceed 100, then each transaction holds one partition key and at most 100 actions, and none is lost', () => {
    const actions = [...Array.from({ length: 250 }, (_, index) => remove('a', `r${index}`)), ...Array.from({ length: 3 }, (_, index) => remove('b', `r${index}`)), remove('a', 'last')];
    const transactions = entityGroupTransactions(actions);
    expect(transactions.map((transaction) => transaction.length)).toEqual([100, 100, 51, 3]);
    for (const transaction of transactions) expect(new Set(transaction.map(([, entity]) => entity.partitionKey)).size).toBe(1);
    expect(transactions.flatMap(keysOf).sort()).toEqual(actions.map((action) => keysOf([action])[0]).sort());
  });

  it('when one entity has several actions, then it appears once, with the later action', () => {
    const upsert: TransactionAction = ['upsert', { partitionKey: 'a', rowKey: 'r1', value: 2 }, 'Replace'];
    const transactions = entityGroupTransactions([remove('a', 'r1'), remove('a', 'r2'), upsert]);
    expect(transactions).toEqual([[remove('a', 'r2'), upsert]]);
  });

  it('when there is nothing to do, then there is no transaction', () => {
    expect(entityGroupTransactions([])).toEqual([]);
  });
});
