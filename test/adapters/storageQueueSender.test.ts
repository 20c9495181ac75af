import { createServer, type Socket } from 'node:net';
import { QueueClient } from '@azure/storage-queue';
import { StorageQueueSender } from '../../src/adapters/storageQueueSender';
import { queueSender } from '../../src/sharedClients';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createQueue } from '../../tools/createQueue';

/*
 * The scan queue's sender against Azurite's queue service. What it must write comes from
 * Microsoft's documents, not from our trigger:
 * - the Functions queue trigger (extension 5.x) expects base64 by default: "By default messages
 *   received from the queue are expected to be Base64-encoded and are decoded before calling the
 *   function" (QueueTriggerAttribute, Microsoft.Azure.WebJobs.Extensions.Storage.Queues 5.x;
 *   "host.json settings", messageEncoding, https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#hostjson-settings);
 * - Put Message's `visibilitytimeout` hides a new message for up to 7 days
 *   (https://learn.microsoft.com/rest/api/storageservices/put-message);
 * - Get Queue Metadata answers `x-ms-approximate-messages-count`, the depth the status shows
 *   (https://learn.microsoft.com/rest/api/storageservices/get-queue-metadata).
 * The end-to-end case (a message it sends is run by the local queue trigger) is in
 * test/local/queueTriggerListener.test.ts.
 */

let azurite: Azurite;
let queueNumber = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite.close();
});

async function freshQueue(create = true): Promise<{ env: Record<string, string>; queue: QueueClient; name: string }> {
  queueNumber += 1;
  const name = `scans-${queueNumber}-${Date.now() % 100_000}`;
  if (create) await createQueue(azurite.queuesConnectionString, name);
  return { env: { ADMIN_SCAN_QUEUE: azurite.queuesConnectionString, ADMIN_SCAN_QUEUE_NAME: name }, queue: new QueueClient(azurite.queuesConnectionString, name), name };
}

describe('queueSender', () => {
  test('when a message is sent, then the queue holds its JSON base64-encoded, as the queue trigger decodes it by default', async () => {
    const { env, queue } = await freshQueue();
    await (await queueSender(env)).send({ runId: 'run-1', tenantId: 'tenant-é' });

    const [message] = (await queue.receiveMessages()).receivedMessageItems;
    expect(message?.messageText).toBe(Buffer.from(JSON.stringify({ runId: 'run-1', tenantId: 'tenant-é' }), 'utf8').toString('base64'));
  });

  test('when visibleAfterSeconds is given, then the message is counted but stays hidden that long', async () => {
    const { env, queue } = await freshQueue();
    const sender = await queueSender(env);
    await sender.send({ later: true }, { visibleAfterSeconds: 2 });

    expect(await sender.queueDepths()).toEqual({ queued: 1, poisoned: 0 });
    expect((await queue.receiveMessages()).receivedMessageItems).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await queue.receiveMessages()).receivedMessageItems).toHaveLength(1);
  });

  test('when visibleAfterSeconds is beyond 7 days, negative or fractional, then the send is refused naming the option', async () => {
    const { env } = await freshQueue();
    const sender = await queueSender(env);
    for (const visibleAfterSeconds of [7 * 24 * 3600 + 1, -1, 1.5]) {
      await expect(sender.send({}, { visibleAfterSeconds })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('visibleAfterSeconds') });
    }
    await expect(sender.send({}, { visibleAfterSeconds: 7 * 24 * 3600 })).resolves.toBeUndefined();
  });

  test('when the queue does not exist, then sending and reading its depth fail naming the queue and never the connection string', async () => {
    const { env, name } = await freshQueue(false);
    const sender = await queueSender(env);
    const failures = [await sender.send({}).catch((error: unknown) => error), await sender.queueDepths().catch((error: unknown) => error)];
    for (const failure of failures) {
      expect(failure).toMatchObject({ code: 'QueueMissing', message: expect.stringContaining(`Queue ${name} does not exist`) });
      expect(String(failure)).not.toMatch(/AccountKey|Eby8vdM02/);
    }
  });

  test('when neither ADMIN_SCAN_QUEUE nor ADMIN_SCAN_QUEUE__queueServiceUri is set, then it says so by name', async () => {
    await expect(queueSender({ ADMIN_SCAN_QUEUE_NAME: 'admin-scans' })).rejects.toThrow('ADMIN_SCAN_QUEUE or ADMIN_SCAN_QUEUE__queueServiceUri is required');
  });

  test('when the queue service accepts connections but never answers, then each attempt ends after the request timeout and is retried, and the failure names the queue', async () => {
    const connections: number[] = [];
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      connections.push(Date.now());
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('not-a-real-key').toString('base64')};QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const sender = new StorageQueueSender({ connectionString, queueServiceUri: null, queueName: 'hung-scans' }, () => {
      throw new Error('a connection string needs no token');
    }, 300);
    try {
      const failure = sender.send({ tenantId: 'tenant-a' }).catch((error: unknown) => error);
      // The storage SDK retries at once after the first failed attempt: a second connection ~300 ms after the first.
      while (connections.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      expect((connections[1] ?? 0) - (connections[0] ?? 0)).toBeGreaterThanOrEqual(250);
      expect((connections[1] ?? 0) - (connections[0] ?? 0)).toBeLessThan(2000);
      // The rest are refused, each after the SDK's back-off.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const error = await failure;
      expect(error).toMatchObject({ code: 'QueueUnavailable', message: expect.stringContaining('Queue hung-scans did not take the message') });
      expect(String(error)).not.toContain(connectionString);
    } finally {
      for (const socket of sockets) socket.destroy();
      if (server.listening) server.close();
    }
  }, 40_000);
});
