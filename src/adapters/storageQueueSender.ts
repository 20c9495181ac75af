import type { TokenCredential } from '@azure/core-auth';
import { QueueClient } from '@azure/storage-queue';
import type { CustomerAdminsConfig } from '../config';
import { MonitorError } from '../core/errors';
import type { QueueDepths, QueueSender } from '../ports';
import { attemptTimeoutPolicy } from './attemptTimeout';
import { describeStorageError, storageStatus } from './storageErrors';

type QueueConfig = CustomerAdminsConfig['queue'];

/** The longest a message may stay hidden after it is sent: Put Message's `visibilitytimeout` is at most 7 days. */
const MAX_VISIBLE_AFTER_SECONDS = 7 * 24 * 3600;

/** The queue the Functions queue trigger moves a message to after its last failed attempt: `<queue>-poison`. */
export function poisonQueueName(queueName: string): string {
  return `${queueName}-poison`;
}

/**
 * A queue client whose every attempt is bounded (the storage SDK's own `tryTimeoutInMs` only asks
 * the service to give up, it never stops waiting on a connection that does not answer). The
 * policy goes after the SDK's retry policy, so each attempt is timed and a timed-out one retried.
 */
class TimedQueueClient extends QueueClient {
  constructor(connection: QueueConfig, credential: () => TokenCredential, queueName: string, timeoutMs: number) {
    if (connection.connectionString !== null) super(connection.connectionString, queueName);
    else super(`${(connection.queueServiceUri ?? '').replace(/\/+$/, '')}/${queueName}`, credential());
    this.storageClientContext.pipeline.addPolicy(attemptTimeoutPolicy(timeoutMs), { afterPhase: 'Retry' });
  }
}

/**
 * The customer-admin scan queue as the app sends to it and reads its depth: through ADMIN_SCAN_QUEUE
 * (a connection string, Azurite) or ADMIN_SCAN_QUEUE__queueServiceUri with the resource identity,
 * the same connection the queue trigger uses. Messages are JSON, base64-encoded, because the
 * Functions queue trigger (extension 5.x) decodes base64 unless host.json's
 * `extensions.queues.messageEncoding` says `none` (see docs/queue-settings.md). The queues
 * themselves are the deployment's: the app creates none.
 */
export class StorageQueueSender implements QueueSender, QueueDepths {
  private readonly queue: QueueClient;
  private readonly poisonQueue: QueueClient;

  constructor(
    private readonly config: QueueConfig,
    credential: () => TokenCredential,
    requestTimeoutMs: number,
  ) {
    this.queue = new TimedQueueClient(config, credential, config.queueName, requestTimeoutMs);
    this.poisonQueue = new TimedQueueClient(config, credential, poisonQueueName(config.queueName), requestTimeoutMs);
  }

  async send(message: object, options: { visibleAfterSeconds?: number } = {}): Promise<void> {
    const visibleAfter = options.visibleAfterSeconds ?? 0;
    if (!Number.isInteger(visibleAfter) || visibleAfter < 0 || visibleAfter > MAX_VISIBLE_AFTER_SECONDS) {
      throw new MonitorError('InvalidArgument', `visibleAfterSeconds must be a whole number of seconds from 0 to ${MAX_VISIBLE_AFTER_SECONDS} (7 days), not ${visibleAfter}`);
    }
    const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
    try {
      await this.queue.sendMessage(text, visibleAfter === 0 ? {} : { visibilityTimeout: visibleAfter });
    } catch (error) {
      throw queueError(this.config.queueName, 'did not take the message', error);
    }
  }

  async queueDepths(): Promise<{ queued: number; poisoned: number }> {
    const [queued, poisoned] = await Promise.all([approximateCount(this.queue, false), approximateCount(this.poisonQueue, true)]);
    return { queued, poisoned };
  }
}

/**
 * The service's approximate message count of a queue (visible and hidden alike). A poison queue
 * that is not there counts 0: the queue trigger creates it when it first moves a message there.
 */
async function approximateCount(queue: QueueClient, missingIsEmpty: boolean): Promise<number> {
  try {
    return (await queue.getProperties()).approximateMessagesCount ?? 0;
  } catch (error) {
    if (missingIsEmpty && isQueueNotFound(error)) return 0;
    throw queueError(queue.name, 'could not be read', error);
  }
}

function isQueueNotFound(error: unknown): boolean {
  return storageStatus(error) === 404;
}

/** Names the queue and what the service answered; never the connection string or the request. */
function queueError(queueName: string, failed: string, error: unknown): MonitorError {
  if (isQueueNotFound(error)) {
    return new MonitorError('QueueMissing', `Queue ${queueName} does not exist: the deployment creates it (run \`azd provision\`; locally \`npm start\` and the tests create it)`, { cause: error });
  }
  return new MonitorError('QueueUnavailable', `Queue ${queueName} ${failed}: ${describeStorageError(error)}`, { cause: error });
}
