/*
 * What a process asks of Table Storage, counted inside that process without touching the app:
 * - requests: every HTTP request sent to the table endpoint (Node's `http.client.request.*`
 *   diagnostics channels see each one the SDK sends; a batch transaction is one);
 * - in sequence: the longest chain of requests each sent after the one before it had answered,
 *   the round trips that add up on the critical path. A request gets depth 1 + the deepest
 *   request that answered before it was sent, so requests sent together count once;
 * - rows read and written: entities the app received from listEntities/getEntity and
 *   entities it sent in writes and transactions (TableClient's methods, wrapped in this process).
 * `reset()` starts the counts of a run, `mark()` a second count (from the last page of a source on).
 * Queue Storage is counted the same way (countQueueTraffic): its requests, their depth in
 * sequence, and the messages QueueClient sent, received, deleted and updated in this process.
 * These figures carry to Azure, where each round trip costs roughly 10-20 ms; Azurite's own time
 * per request does not (it filters every row of a table in JavaScript, on the same cores).
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';

export interface StorageTraffic {
  requests: number;
  inSequence: number;
  rowsRead: number;
  /** Rows read per table (its name as stored, with the deployment's prefix). */
  rowsReadFrom: Record<string, number>;
  rowsWritten: number;
}

interface StorageTrafficCounter {
  /** Starts both counts afresh (the start of a run). */
  reset(): void;
  /** Starts the second count afresh (e.g. at the arrival of each page of a source). */
  mark(): void;
  sinceReset(): StorageTraffic;
  sinceMark(): StorageTraffic;
}

/** Round-trip time of Table Storage from a function app in the same region, as the issue takes it. */
const azureRoundTripMs = { low: 10, high: 20 };

/** "N storage requests (D in sequence) ≈ D×10–20 ms = a–b s on Azure". */
export function onAzure(traffic: StorageTraffic): string {
  const range = `${((traffic.inSequence * azureRoundTripMs.low) / 1000).toFixed(2)}-${((traffic.inSequence * azureRoundTripMs.high) / 1000).toFixed(2)} s`;
  return `${traffic.requests} storage requests (${traffic.inSequence} in sequence) ≈ ${traffic.inSequence}×${azureRoundTripMs.low}-${azureRoundTripMs.high} ms = ${range} on Azure`;
}

/** One count: requests, their depth in sequence (requests sent before it started are not counted), rows. */
class TrafficCount {
  traffic: StorageTraffic = { requests: 0, inSequence: 0, rowsRead: 0, rowsReadFrom: {}, rowsWritten: 0 };
  private deepestAnswered = 0;
  private readonly depths = new WeakMap<ClientRequest, number>();

  sent(request: ClientRequest): void {
    const depth = this.deepestAnswered + 1;
    this.depths.set(request, depth);
    this.traffic.requests += 1;
    this.traffic.inSequence = Math.max(this.traffic.inSequence, depth);
  }

  answered(request: ClientRequest): void {
    this.deepestAnswered = Math.max(this.deepestAnswered, this.depths.get(request) ?? 0);
  }
}

/** Feeds every request this process sends to `endpoint` (a URL), and its answer, to the counts `counts()` returns at that moment. */
function countRequestsTo(endpoint: string | undefined, counts: () => readonly TrafficCount[]): void {
  const host = endpoint === undefined ? null : new URL(endpoint).host;
  subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    if (host === null || request.getHeader('host') !== host) return;
    for (const count of counts()) count.sent(request);
  });
  subscribe('http.client.response.finish', (message) => {
    const { request } = message as { request: ClientRequest };
    for (const count of counts()) count.answered(request);
  });
}

/** Starts counting what this process sends to `tableEndpoint` (a URL). Call once per process. */
export function countStorageTraffic(tableEndpoint: string | undefined): StorageTrafficCounter {
  let run = new TrafficCount();
  let marked = new TrafficCount();
  countRequestsTo(tableEndpoint, () => [run, marked]);
  countRows(
    (rows, table) => {
      for (const { traffic } of [run, marked]) {
        traffic.rowsRead += rows;
        traffic.rowsReadFrom[table] = (traffic.rowsReadFrom[table] ?? 0) + rows;
      }
    },
    (rows) => {
      run.traffic.rowsWritten += rows;
      marked.traffic.rowsWritten += rows;
    },
  );
  return {
    reset: () => {
      run = new TrafficCount();
      marked = new TrafficCount();
    },
    mark: () => (marked = new TrafficCount()),
    sinceReset: () => ({ ...run.traffic, rowsReadFrom: { ...run.traffic.rowsReadFrom } }),
    sinceMark: () => ({ ...marked.traffic, rowsReadFrom: { ...marked.traffic.rowsReadFrom } }),
  };
}

type Method = (this: TableClient, ...args: never[]) => unknown;

/** Wraps TableClient's reads and writes in this process to count the entities they carry. */
function countRows(read: (rows: number, table: string) => void, written: (rows: number) => void): void {
  const prototype = TableClient.prototype as unknown as Record<string, Method>;
  const list = prototype.listEntities as Method;
  prototype.listEntities = function listEntities(this: TableClient, ...args: never[]) {
    const { tableName } = this;
    const entities = list.apply(this, args) as AsyncIterableIterator<unknown> & { byPage(settings?: unknown): AsyncIterableIterator<unknown[]> };
    return {
      async next() {
        const result = await entities.next();
        if (result.done !== true) read(1, tableName);
        return result;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
      byPage: (settings?: unknown) =>
        (async function* counted() {
          for await (const page of entities.byPage(settings)) {
            read(page.length, tableName);
            yield page;
          }
        })(),
    };
  };
  const getEntity = prototype.getEntity as Method;
  prototype.getEntity = async function counted(this: TableClient, ...args: never[]) {
    const entity = await (getEntity.apply(this, args) as Promise<unknown>);
    read(1, this.tableName);
    return entity;
  };
  // A transaction hands each of its actions to an internal TableClient's single-entity methods,
  // synchronously inside submitTransaction: those are counted with the transaction, not again.
  let inTransaction = false;
  for (const name of ['createEntity', 'upsertEntity', 'updateEntity', 'deleteEntity']) {
    const write = prototype[name] as Method;
    prototype[name] = function counted(this: TableClient, ...args: never[]) {
      if (!inTransaction) written(1);
      return write.apply(this, args);
    };
  }
  const submit = prototype.submitTransaction as Method;
  prototype.submitTransaction = function counted(this: TableClient, ...args: never[]) {
    written((args[0] as unknown as readonly unknown[]).length);
    inTransaction = true;
    try {
      return submit.apply(this, args);
    } finally {
      inTransaction = false;
    }
  };
}

type QueueMethod = (this: QueueClient, ...args: never[]) => unknown;

export interface QueueTraffic {
  requests: number;
  inSequence: number;
  /** Messages put on a queue (Put Message), received (Get Messages), deleted (a success), updated (a failure made visible again). */
  sent: number;
  received: number;
  deleted: number;
  updated: number;
}

/** Starts counting what this process asks of Queue Storage at `queueEndpoint` (a URL), from now on. Call once per process. */
export function countQueueTraffic(queueEndpoint: string | undefined): () => QueueTraffic {
  const requests = new TrafficCount();
  countRequestsTo(queueEndpoint, () => [requests]);
  const messages = { sent: 0, received: 0, deleted: 0, updated: 0 };
  // Cast: the prototype's methods, by name, to wrap them as countRows wraps TableClient's.
  const prototype = QueueClient.prototype as unknown as Record<string, QueueMethod>;
  const counted = (name: string, count: (result: unknown) => number, field: keyof typeof messages): void => {
    const method = prototype[name] as QueueMethod;
    prototype[name] = async function countedCall(this: QueueClient, ...args: never[]) {
      const result = await (method.apply(this, args) as Promise<unknown>);
      messages[field] += count(result);
      return result;
    };
  };
  counted('sendMessage', () => 1, 'sent');
  // Cast: the wrapped method is QueueClient.receiveMessages, whose answer lists the messages received.
  counted('receiveMessages', (result) => (result as { receivedMessageItems: readonly unknown[] }).receivedMessageItems.length, 'received');
  counted('deleteMessage', () => 1, 'deleted');
  counted('updateMessage', () => 1, 'updated');
  return () => ({ requests: requests.traffic.requests, inSequence: requests.traffic.inSequence, ...messages });
}
