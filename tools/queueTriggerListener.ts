import { isRestError } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential } from '@azure/identity';
import { QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';
import { hostQueueSettings, type QueueTriggerSettings } from '../src/adapters/hostJson';
import { poisonQueueName } from '../src/adapters/storageQueueSender';
import type { RegisteredFunction } from './functionsCore';
import { invokeFunction, type HostLog } from './invokeFunction';
import { resolveAppSettings } from './resolveAppSettings';

/*
 * The Functions queue trigger over Azurite (or any storage account), with the semantics the
 * extension documents ("Azure Queue storage trigger for Azure Functions": poison messages, polling
 * algorithm, concurrency, peek lock; "host.json settings" of the Queue storage bindings):
 * messages are fetched batchSize at a time, and again once those in hand fall to newBatchThreshold;
 * an empty queue is polled less and less often, up to maxPollingInterval; a message stays hidden
 * while its invocation runs (10 minutes, renewed half-way, as the extension's QueueListener does:
 * Azure/azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/Listeners/QueueListener.cs),
 * so the message of an instance that dies reappears when that hold ends; a success deletes it; a failure hides it for visibilityTimeout, or, on
 * its maxDequeueCount-th attempt, moves it to `<queue>-poison` (created then if missing).
 */

interface QueueListenerOptions {
  /** App settings the queue name and its connection are read from. */
  env: Readonly<Record<string, string | undefined>>;
  log: HostLog;
  /** host.json's `extensions.queues` by default. */
  settings?: QueueTriggerSettings;
  /**
   * Test knob: how long a running invocation's message stays hidden before its hold is renewed
   * (10 minutes, the extension's, by default). It compresses time only: a test that kills a
   * worker sees its messages come back in seconds rather than minutes; nothing else changes.
   */
  messageHoldSeconds?: number;
}

export interface QueueListeners {
  /** The queue each queue function listens to, or why it does not. */
  readonly queues: ReadonlyMap<string, { queueName: string } | { error: string }>;
  /** Stops polling and waits for the invocations in progress (their messages are settled first). */
  close(): Promise<void>;
}

/** The first wait after a poll that found nothing; the wait doubles from there (with jitter) up to maxPollingInterval. */
const MIN_POLLING_INTERVAL_MS = 100;
/** How long the extension hides a message it hands to an invocation, renewed half-way for as long as the invocation runs. */
const MESSAGE_HOLD_SECONDS = 10 * 60;

export function startQueueListeners(functions: readonly RegisteredFunction[], options: QueueListenerOptions): QueueListeners {
  const settings = options.settings ?? hostQueueSettings();
  const holdSeconds = options.messageHoldSeconds ?? MESSAGE_HOLD_SECONDS;
  if (!Number.isInteger(holdSeconds) || holdSeconds < 2) throw new Error('messageHoldSeconds must be a whole number of seconds, at least 2');
  const queues = new Map<string, { queueName: string } | { error: string }>();
  const listeners: { close(): Promise<void> }[] = [];

  for (const fn of functions) {
    if (fn.trigger.type !== 'queue') continue;
    const logFor = (message: string): void => options.log(`${new Date().toISOString()} [${fn.name}] ${message}`);
    let clients: { queue: QueueClient; poison: QueueClient };
    try {
      const queueName = resolveAppSettings(fn.trigger.queueName, options.env);
      clients = { queue: queueClient(fn.trigger.connection, queueName, options.env), poison: queueClient(fn.trigger.connection, poisonQueueName(queueName), options.env) };
      queues.set(fn.name, { queueName });
    } catch (error) {
      // Azure indexes the other functions and reports this one as errored; so does the local host.
      const message = error instanceof Error ? error.message : String(error);
      queues.set(fn.name, { error: message });
      logFor(`Not listening: ${message}`);
      continue;
    }
    listeners.push(listen(fn, clients, { settings, holdSeconds, log: options.log, logFor }));
  }

  return { queues, close: async () => void (await Promise.all(listeners.map((listener) => listener.close()))) };
}

/** The queue as the trigger's `connection` names it: a connection string, or `<connection>__queueServiceUri` reached with the developer's Azure sign-in. */
function queueClient(connection: string, queueName: string, env: QueueListenerOptions['env']): QueueClient {
  const connectionString = env[connection];
  if (connectionString !== undefined && connectionString.trim() !== '') return new QueueClient(connectionString, queueName);
  const serviceUri = env[`${connection}__queueServiceUri`];
  if (serviceUri !== undefined && serviceUri.trim() !== '') {
    // `func start` signs in as the developer for an identity-based connection too.
    return new QueueClient(`${serviceUri.replace(/\/+$/, '')}/${queueName}`, new DefaultAzureCredential());
  }
  throw new Error(`the connection '${connection}' is not set (app setting ${connection}, or ${connection}__queueServiceUri)`);
}

interface ListenOptions {
  settings: QueueTriggerSettings;
  holdSeconds: number;
  log: HostLog;
  logFor: (message: string) => void;
}

function listen(fn: RegisteredFunction, clients: { queue: QueueClient; poison: QueueClient }, options: ListenOptions): { close(): Promise<void> } {
  const { settings, logFor } = options;
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  let waitingForCapacity = false;
  let wake = (): void => undefined;
  let lastPollError: string | null = null;

  /** Waits `ms`, or less when woken (by close, or by an invocation ending while the loop waits for capacity). */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wake = () => undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  const handle = async (message: DequeuedMessageItem): Promise<void> => {
    let succeeded = false;
    let text: string | null = null;
    try {
      text = decode(message.messageText, settings.messageEncoding);
    } catch (error) {
      logFor(`Message ${message.messageId} was not run: ${error instanceof Error ? error.message : String(error)}`);
    }
    const hold = holdWhileRunning(clients.queue, message, options.holdSeconds, logFor);
    if (text !== null) {
      try {
        await invokeFunction(fn, parseAsTheLibraryDoes(text), {
          log: options.log,
          reason: `New queue message detected on '${clients.queue.name}'.`,
          triggerMetadata: {
            dequeueCount: message.dequeueCount,
            id: message.messageId,
            insertionTime: message.insertedOn.toISOString(),
            expirationTime: message.expiresOn.toISOString(),
            nextVisibleTime: message.nextVisibleOn.toISOString(),
            popReceipt: message.popReceipt,
            queueTrigger: text,
          },
        });
        succeeded = true;
      } catch {
        // invokeFunction logged the failure; the message is settled as failed below.
      }
    }
    try {
      await settle({ ...message, popReceipt: await hold.release() }, succeeded);
    } catch (error) {
      // The pop receipt is gone (the message outlived its invisibility) or storage failed: the message reappears and is tried again.
      logFor(`Could not settle message ${message.messageId}: ${isRestError(error) ? `status ${error.statusCode ?? 'none'}, ${error.code ?? ''}` : String(error)}`);
    }
  };

  const settle = async (message: DequeuedMessageItem, succeeded: boolean): Promise<void> => {
    if (succeeded) {
      await clients.queue.deleteMessage(message.messageId, message.popReceipt);
    } else if (message.dequeueCount >= settings.maxDequeueCount) {
      // As the extension does: the message text as it was, to `<queue>-poison`, which is created on the first 404.
      await sendCreatingQueue(clients.poison, message.messageText);
      await clients.queue.deleteMessage(message.messageId, message.popReceipt);
      logFor(`Message ${message.messageId} failed ${message.dequeueCount} time(s): moved to '${clients.poison.name}'`);
    } else {
      await clients.queue.updateMessage(message.messageId, message.popReceipt, undefined, Math.round(settings.visibilityTimeoutMs / 1000));
    }
  };

  const loop = async (): Promise<void> => {
    let idleWaitMs = MIN_POLLING_INTERVAL_MS;
    while (!closed) {
      if (inFlight.size > settings.newBatchThreshold) {
        waitingForCapacity = true;
        await pause(settings.maxPollingIntervalMs);
        waitingForCapacity = false;
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        messages = (await clients.queue.receiveMessages({ numberOfMessages: settings.batchSize, visibilityTimeout: options.holdSeconds })).receivedMessageItems;
        lastPollError = null;
      } catch (error) {
        const described = isRestError(error) && error.statusCode === 404 ? `queue '${clients.queue.name}' does not exist (yet): polling on until it does` : `polling '${clients.queue.name}' failed: ${error instanceof Error ? error.message : String(error)}`;
        if (described !== lastPollError) logFor(described);
        lastPollError = described;
        await pause(settings.maxPollingIntervalMs);
        continue;
      }
      for (const message of messages) {
        const running = handle(message).finally(() => {
          inFlight.delete(running);
          if (waitingForCapacity) wake();
        });
        inFlight.add(running);
      }
      if (messages.length > 0) {
        idleWaitMs = MIN_POLLING_INTERVAL_MS;
        continue;
      }
      // Random exponential back-off while the queue stays empty, never past maxPollingInterval.
      await pause(Math.min(settings.maxPollingIntervalMs, idleWaitMs * (0.8 + Math.random() * 0.4)));
      idleWaitMs = Math.min(settings.maxPollingIntervalMs, idleWaitMs * 2);
    }
  };

  const looping = loop();
  return {
    close: async () => {
      closed = true;
      wake();
      await looping;
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * Keeps a message hidden while its invocation runs: its visibility is extended by the hold again
 * each time half of it has passed. Each extension gives the message a new pop receipt; release()
 * stops extending and returns the latest, which settling the message needs.
 */
function holdWhileRunning(queue: QueueClient, message: DequeuedMessageItem, holdSeconds: number, logFor: (message: string) => void): { release(): Promise<string> } {
  let popReceipt = message.popReceipt;
  let renewing = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      try {
        popReceipt = (await queue.updateMessage(message.messageId, popReceipt, undefined, holdSeconds)).popReceipt ?? popReceipt;
      } catch (error) {
        // The message reappears when the hold ends and is tried again, as after a lost instance.
        logFor(`Could not extend the hold on message ${message.messageId}: ${isRestError(error) ? `status ${error.statusCode ?? 'none'}, ${error.code ?? ''}` : String(error)}`);
      }
    });
  }, (holdSeconds * 1000) / 2);
  return {
    release: async () => {
      clearInterval(timer);
      await renewing;
      return popReceipt;
    },
  };
}

async function sendCreatingQueue(queue: QueueClient, messageText: string): Promise<void> {
  try {
    await queue.sendMessage(messageText);
  } catch (error) {
    if (!(isRestError(error) && error.statusCode === 404)) throw error;
    await queue.createIfNotExists();
    await queue.sendMessage(messageText);
  }
}

/** The message text as the function receives it: base64 decoded unless host.json says `none`; invalid base64 fails the invocation, as in the extension. */
function decode(messageText: string, encoding: QueueTriggerSettings['messageEncoding']): string {
  if (encoding === 'none') return messageText;
  if (messageText.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(messageText)) {
    throw new Error(`the message is not valid base64 (host.json extensions.queues.messageEncoding is "base64")`);
  }
  return Buffer.from(messageText, 'base64').toString('utf8');
}

/** `@azure/functions` parses a trigger's string input as JSON when it is JSON, and hands it over as text otherwise (fromRpcTypedData). */
function parseAsTheLibraryDoes(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
