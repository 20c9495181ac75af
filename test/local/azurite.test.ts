import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite } from '../../tools/azurite';
import { startAzuriteProcess } from '../../tools/azuriteProcess';

function tableClient(connectionString: string, table: string): TableClient {
  return TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
}

describe('startAzurite', () => {
  test('when started in memory, then a TableClient round-trips an entity over its connection string', async () => {
    const azurite = await startAzurite();
    try {
      expect(azurite.tablesConnectionString).toContain(`TableEndpoint=${azurite.tablesEndpoint}`);
      expect(azurite.tablesEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      const client = tableClient(azurite.tablesConnectionString, 'roundtrip');
      await client.createTable();
      await client.upsertEntity({ partitionKey: 'p', rowKey: 'r', count: 3 });
      const entity = await client.getEntity<{ count: number }>('p', 'r');
      expect(entity.count).toBe(3);
    } finally {
      await azurite.close();
    }
  });

  test('when two are started, then each is on its own port with its own tables', async () => {
    const [first, second] = await Promise.all([startAzurite(), startAzurite()]);
    try {
      expect(first.tablesEndpoint).not.toBe(second.tablesEndpoint);
      await tableClient(first.tablesConnectionString, 'only').createTable();
      const secondTables: string[] = [];
      const service = TableServiceClient.fromConnectionString(second.tablesConnectionString, { allowInsecureConnection: true });
      for await (const table of service.listTables()) secondTables.push(table.name ?? '');
      expect(secondTables).toEqual([]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  test('when started, then its Queue service answers the queue SDK (a newer API version than Azurite knows) over queuesConnectionString', async () => {
    const azurite = await startAzurite();
    try {
      expect(azurite.queuesConnectionString).toContain(`QueueEndpoint=${azurite.queuesEndpoint}`);
      const queue = new QueueClient(azurite.queuesConnectionString, 'roundtrip');
      await queue.create();
      await queue.sendMessage('hello');
      expect((await queue.receiveMessages()).receivedMessageItems.map((message) => message.messageText)).toEqual(['hello']);
    } finally {
      await azurite.close();
    }
  });

  test('when closed, then its ports refuse connections and a second close is harmless', async () => {
    const azurite = await startAzurite();
    await azurite.close();
    await azurite.close();
    await expect(fetch(`${azurite.tablesEndpoint}/Tables`)).rejects.toThrow();
    await expect(fetch(`${azurite.queuesEndpoint}?comp=list`)).rejects.toThrow();
  });

  test('when given a location, then tables and queued messages survive a restart on that folder', async () => {
    const location = mkdtempSync(join(tmpdir(), 'azurite-test-'));
    try {
      const first = await startAzurite({ location });
      await tableClient(first.tablesConnectionString, 'kept').createTable();
      await tableClient(first.tablesConnectionString, 'kept').upsertEntity({ partitionKey: 'p', rowKey: 'r', note: 'persisted' });
      await new QueueClient(first.queuesConnectionString, 'kept').create();
      await new QueueClient(first.queuesConnectionString, 'kept').sendMessage('persisted');
      await first.close();

      const second = await startAzurite({ location });
      try {
        const entity = await tableClient(second.tablesConnectionString, 'kept').getEntity<{ note: string }>('p', 'r');
        expect(entity.note).toBe('persisted');
        const [message] = (await new QueueClient(second.queuesConnectionString, 'kept').peekMessages()).peekedMessageItems;
        expect(message?.messageText).toBe('persisted');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(location, { recursive: true, force: true });
    }
  });
});

describe('startAzuriteProcess', () => {
  test('when started, then its Queue service runs in a process of its own beside the tables, and stopping the tables leaves the queue answering', async () => {
    const azurite = await startAzuriteProcess();
    try {
      const queue = new QueueClient(azurite.queuesConnectionString, 'beside');
      await queue.create();
      await queue.sendMessage('kept');
      await azurite.stop();
      expect((await queue.peekMessages()).peekedMessageItems.map((message) => message.messageText)).toEqual(['kept']);
      await azurite.start();
      await tableClient(azurite.tablesConnectionString, 'again').createTable();
    } finally {
      await azurite.close();
    }
  }, 60_000);
});
