import { resolve } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { queueTriggerSettings, type QueueTriggerSettings } from '../../src/adapters/hostJson';
import { StorageQueueSender } from '../../src/adapters/storageQueueSender';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createQueue } from '../../tools/createQueue';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost } from '../../tools/localHost';
import { startQueueListeners, type QueueListeners } from '../../tools/queueTriggerListener';
import type * as FixtureQueue from './fixtures/queueFunctions/fixtureQueue';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * The local host's queue trigger against Azurite's queue service, checked against Microsoft's
 * documents rather than our own code:
 * - "Azure Queue storage trigger for Azure Functions"
 *   (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger):
 *   message metadata (DequeueCount, Id, InsertionTime, ExpirationTime, NextVisibleTime, PopReceipt),
 *   poison messages (after maxDequeueCount failures the message goes to `<queue>-poison`), the polling
 *   algorithm, concurrency (batchSize, and a new batch once those in hand fall to newBatchThreshold),
 *   and the Node.js usage (a JSON payload reaches the function as an object).
 * - "host.json settings" of "Azure Queue storage trigger and bindings for Azure Functions"
 *   (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#hostjson-settings):
 *   visibilityTimeout is the time between retries of a failed message; messageEncoding is base64 by
 *   default in extension 5.x (QueueTriggerAttribute: "By default messages received from the queue are
 *   expected to be Base64-encoded and are decoded before calling the function").
 * - Peek lock: the message stays hidden while its function runs, and one whose instance dies comes
 *   back; the extension hides it for 10 minutes and renews that half-way for as long as the function
 *   runs (QueueListener.cs, CreateUpdateMessageVisibilityTimer, in azure-sdk-for-net's
 *   Microsoft.Azure.WebJobs.Extensions.Storage.Queues).
 * - The extension moves a poison message with AddMessageAndCreateIfNotExistsAsync (azure-sdk-for-net,
 *   Microsoft.Azure.WebJobs.Extensions.Storage.Common/StorageQueueExtensions.cs): send, and create the
 *   poison queue only when the send answers 404.
 */

const root = resolve(__dirname, 'fixtures');
// Registered through the real `app.storageQueue`, loaded as the worker loads it (before anything else imports it).
const functions = loadRegisteredFunctions({ root, mainGlob: 'queueFunctions/fixtureQueue.ts' });
const { fixtureQueueCalls } = jest.requireActual<typeof FixtureQueue>('./fixtures/queueFunctions/fixtureQueue');
const settings = (overrides: Partial<QueueTriggerSettings>): QueueTriggerSettings => ({
  ...queueTriggerSettings({}),
  maxPollingIntervalMs: 200,
  visibilityTimeoutMs: 1000,
  ...overrides,
});

let azurite: Azurite;
let listeners: QueueListeners[] = [];
let lines: string[] = [];
let queueNumber = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite.close();
});

beforeEach(() => {
  fixtureQueueCalls.length = 0;
  lines = [];
});

afterEach(async () => {
  await Promise.all(listeners.map((listener) => listener.close()));
  listeners = [];
});

/** A fresh queue for each test (the fixture listens to `<name>-in`) and a sender on it, as the app's own adapter sends. */
async function freshQueue(): Promise<{ name: string; env: Record<string, string>; sender: StorageQueueSender; queue: QueueClient; poison: QueueClient }> {
  queueNumber += 1;
  const base = `fixture-${queueNumber}-${Date.now() % 100_000}`;
  const name = `${base}-in`;
  await createQueue(azurite.queuesConnectionString, name);
  const config = { connectionString: azurite.queuesConnectionString, queueServiceUri: null, queueName: name };
  return {
    name,
    env: { FIXTURE_QUEUE: azurite.queuesConnectionString, FIXTURE_QUEUE_NAME: base },
    sender: new StorageQueueSender(config, () => {
      throw new Error('a connection string needs no token');
    }, 5000),
    queue: new QueueClient(azurite.queuesConnectionString, name),
    poison: new QueueClient(azurite.queuesConnectionString, `${name}-poison`),
  };
}

function listen(env: Record<string, string>, queueSettings: QueueTriggerSettings, messageHoldSeconds?: number): QueueListeners {
  const started = startQueueListeners(functions, { env, log: (line) => lines.push(line), settings: queueSettings, messageHoldSeconds });
  listeners.push(started);
  return started;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out; host logged:\n${lines.join('\n')}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
}

const count = async (queue: QueueClient): Promise<number> => {
  try {
    return (await queue.getProperties()).approximateMessagesCount ?? 0;
  } catch {
    return -1;
  }
};

describe('local queue trigger', () => {
  test('when the sender puts a JSON message on the queue, then the function receives it decoded and parsed, with the documented metadata, and the message is deleted once it succeeds', async () => {
    const { env, sender, queue } = await freshQueue();
    listen(env, settings({}));
    const before = Date.now();
    await sender.send({ runId: 'run-1', tenantId: 'tenant-a', holdMs: 600 });

    await waitFor(() => fixtureQueueCalls.length === 1, 5000);
    // Hidden while its invocation runs: nobody else can take it meanwhile.
    expect((await queue.receiveMessages()).receivedMessageItems).toEqual([]);
    await waitFor(async () => fixtureQueueCalls[0]?.endedAt !== undefined && (await sender.queueDepths()).queued === 0, 5000);

    const [call] = fixtureQueueCalls;
    expect(call?.message).toEqual({ runId: 'run-1', tenantId: 'tenant-a', holdMs: 600 });
    const metadata = call?.triggerMetadata ?? {};
    expect(metadata).toMatchObject({ dequeueCount: 1, id: expect.any(String), popReceipt: expect.any(String), queueTrigger: JSON.stringify({ runId: 'run-1', tenantId: 'tenant-a', holdMs: 600 }) });
    for (const time of ['insertionTime', 'expirationTime', 'nextVisibleTime'] as const) expect(Date.parse(String(metadata[time]))).toBeGreaterThan(before - 5000);
    expect(await sender.queueDepths()).toEqual({ queued: 0, poisoned: 0 });
  });

  test('when the function keeps failing, then each attempt sees the dequeue count one higher, the message comes back after visibilityTimeout, and after maxDequeueCount it is moved to the poison queue, which is created then', async () => {
    const { env, sender, queue, poison } = await freshQueue();
    listen(env, settings({ maxDequeueCount: 3, visibilityTimeoutMs: 1000 }));
    await sender.send({ fail: true });

    await waitFor(async () => (await count(poison)) === 1, 15_000);
    expect(fixtureQueueCalls.map((call) => call.triggerMetadata?.dequeueCount)).toEqual([1, 2, 3]);
    for (const [index, call] of fixtureQueueCalls.entries()) {
      const previous = fixtureQueueCalls[index - 1];
      if (previous?.endedAt !== undefined) expect(call.startedAt - previous.endedAt).toBeGreaterThanOrEqual(900);
    }
    expect(await count(queue)).toBe(0);
    // The message as it was sent: still base64, as the extension copies it.
    const [poisoned] = (await poison.peekMessages()).peekedMessageItems;
    expect(Buffer.from(poisoned?.messageText ?? '', 'base64').toString('utf8')).toBe(JSON.stringify({ fail: true }));
    expect(await sender.queueDepths()).toEqual({ queued: 0, poisoned: 1 });
    expect(lines.some((line) => /failed 3 time\(s\): moved to 'fixture-.*-in-poison'/.test(line))).toBe(true);
  });

  test('when the function runs longer than the message hold, then the hold is renewed: no second invocation takes the message, and it is deleted once the function succeeds', async () => {
    const { env, sender, queue } = await freshQueue();
    // A 2 s hold (a test knob for the extension's 10 minutes) and a function that runs 5 s: renewed at 1 s, 2 s, 3 s, 4 s.
    listen(env, settings({}), 2);
    await sender.send({ holdMs: 5000 });
    await waitFor(() => fixtureQueueCalls[0]?.endedAt !== undefined, 15_000);
    await waitFor(async () => (await count(queue)) === 0, 5_000);
    expect(fixtureQueueCalls).toHaveLength(1);
    expect(lines.filter((line) => /Could not/.test(line))).toEqual([]);
  });

  test('when many messages wait, then at most batchSize + newBatchThreshold run at once', async () => {
    const { env, sender } = await freshQueue();
    // Uneven durations, so that one of a batch ends while the other still runs: the next batch comes then.
    for (let index = 0; index < 8; index += 1) await sender.send({ index, holdMs: index % 2 === 0 ? 300 : 900 });
    listen(env, settings({ batchSize: 2, newBatchThreshold: 1 }));

    await waitFor(() => fixtureQueueCalls.length === 8 && fixtureQueueCalls.every((call) => call.endedAt !== undefined), 15_000);
    const overlaps = fixtureQueueCalls.map((call) => fixtureQueueCalls.filter((other) => other.startedAt <= call.startedAt && (other.endedAt ?? Infinity) > call.startedAt).length);
    expect(Math.max(...overlaps)).toBe(3);
  });

  test('when a message is not base64 and the encoding is base64, then the function is not run and the message ends in the poison queue; with messageEncoding none its text is handed over as it is', async () => {
    const base64 = await freshQueue();
    listen(base64.env, settings({ maxDequeueCount: 1 }));
    await base64.queue.sendMessage('plain text, not base64!');
    await waitFor(async () => (await count(base64.poison)) === 1, 5000);
    expect(fixtureQueueCalls).toEqual([]);
    expect(lines.some((line) => /not valid base64/.test(line))).toBe(true);

    const none = await freshQueue();
    listen(none.env, settings({ messageEncoding: 'none' }));
    await none.queue.sendMessage('plain text');
    await waitFor(() => fixtureQueueCalls.length === 1, 5000);
    expect(fixtureQueueCalls[0]?.message).toBe('plain text');
  });

  test('when the queue stays empty, then a message sent later is still picked up within maxPollingInterval', async () => {
    const { env, sender } = await freshQueue();
    listen(env, settings({ maxPollingIntervalMs: 400 }));
    await new Promise((resolveWait) => setTimeout(resolveWait, 1500));
    const sentAt = Date.now();
    await sender.send({ late: true });
    await waitFor(() => fixtureQueueCalls.length === 1, 3000);
    expect((fixtureQueueCalls[0]?.startedAt ?? Infinity) - sentAt).toBeLessThan(1000);
  });

  test('when the connection or the queue name setting is missing, then that function does not listen and says which setting, as Azure reports an errored function', async () => {
    const started = listen({ FIXTURE_QUEUE_NAME: 'nowhere' }, settings({}));
    expect(started.queues.get('fixtureQueue')).toEqual({ error: "the connection 'FIXTURE_QUEUE' is not set (app setting FIXTURE_QUEUE, or FIXTURE_QUEUE__queueServiceUri)" });
    const unnamed = listen({ FIXTURE_QUEUE: azurite.queuesConnectionString }, settings({}));
    expect(unnamed.queues.get('fixtureQueue')).toEqual({ error: "'%FIXTURE_QUEUE_NAME%' does not resolve to a value (app setting FIXTURE_QUEUE_NAME is not set)" });
  });

  test('when the local host runs the app, then its queue functions listen and are listed with their resolved queue', async () => {
    const { env, sender, name } = await freshQueue();
    const host = await createLocalHost({ root, mainGlob: 'queueFunctions/fixtureQueue.ts', port: 0, functionKey: 'test-key-0123456789', env, log: (line) => lines.push(line), queueSettings: settings({}) });
    try {
      expect(lines).toContain(`  fixtureQueue: queueTrigger %FIXTURE_QUEUE_NAME%-in = ${name} (FIXTURE_QUEUE)`);
      await sender.send({ through: 'host' });
      await waitFor(() => fixtureQueueCalls.length === 1, 5000);
      await expect(host.invoke('fixtureQueue')).rejects.toThrow('is a queue function');
    } finally {
      await host.close();
    }
  });
});
