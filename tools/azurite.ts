import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import QueueConfiguration from 'azurite/dist/src/queue/QueueConfiguration';
import QueueServer from 'azurite/dist/src/queue/QueueServer';
import TableConfiguration from 'azurite/dist/src/table/TableConfiguration';
import TableServer from 'azurite/dist/src/table/TableServer';

interface AzuriteOptions {
  /** Port of the Table service; 0 (the default) picks a free one. The Queue service always takes a free one. */
  port?: number;
  /** Folder to persist tables and queues in; without it, they live in memory and vanish on close. */
  location?: string;
}

export interface Azurite {
  tablesConnectionString: string;
  /** `http://127.0.0.1:PORT/devstoreaccount1` */
  tablesEndpoint: string;
  /** The Queue service of the same account, as the queue trigger and the scan queue's sender reach it. */
  queuesConnectionString: string;
  queuesEndpoint: string;
  close(): Promise<void>;
}

/** Azurite's fixed development account: public, documented, and accepted by every storage SDK. */
const ACCOUNT_NAME = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';
/** The file names Azurite's own CLI uses inside `--location`, so a folder can be shared with it. */
const TABLE_DB_FILE = '__azurite_db_table__.json';
const QUEUE_DB_FILE = '__azurite_db_queue__.json';
const QUEUE_EXTENT_DB_FILE = '__azurite_db_queue_extent__.json';
const QUEUE_DATA_FOLDER = '__queuestorage__';

/**
 * Starts Azurite's Table and Queue services inside this process: no child process, no access or
 * debug log, no telemetry (that is only sent by Azurite's CLI entry point), ready in milliseconds.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const inMemory = options.location === undefined;
  let dbPath: string;
  if (options.location === undefined) {
    // In memory, Loki still loads this path if a file exists there: use one that cannot.
    dbPath = `azurite-in-memory-${randomUUID()}`;
  } else {
    mkdirSync(resolve(options.location), { recursive: true });
    dbPath = join(resolve(options.location), TABLE_DB_FILE);
  }
  // Both services' last arguments: skipApiVersionCheck, no certificate, key, password or OAuth, product-style URLs off, and where data lives.
  const plainHttp = [true, '', '', '', undefined, false, inMemory] as const;
  const configuration = new TableConfiguration(
    HOST,
    options.port ?? 0,
    undefined,
    dbPath,
    false, // debug log
    false, // access log
    undefined,
    undefined,
    false, // loose
    // SDK releases move to API versions Azurite has not learnt yet; local tables do not care.
    ...plainHttp,
  );
  const server = new TableServer(configuration);
  const location = options.location === undefined ? undefined : resolve(options.location);
  const queueServer = new QueueServer(
    new QueueConfiguration(
      HOST,
      0,
      undefined,
      location === undefined ? `azurite-queue-in-memory-${randomUUID()}` : join(location, QUEUE_DB_FILE),
      location === undefined ? `azurite-queue-extent-in-memory-${randomUUID()}` : join(location, QUEUE_EXTENT_DB_FILE),
      [{ locationId: 'Default', locationPath: join(location ?? '.', QUEUE_DATA_FOLDER), maxConcurrency: 1 }],
      false, // access log
      undefined,
      false, // debug log
      undefined,
      false, // loose
      // @azure/storage-queue speaks a newer API version than this Azurite knows.
      ...plainHttp,
    ),
  );
  await server.start();
  try {
    await queueServer.start();
  } catch (error) {
    await closeServer(server);
    throw error;
  }

  const port = new URL(server.getHttpServerAddress()).port;
  const tablesEndpoint = `http://${HOST}:${port}/${ACCOUNT_NAME}`;
  const queuesEndpoint = `http://${HOST}:${new URL(queueServer.getHttpServerAddress()).port}/${ACCOUNT_NAME}`;
  const account = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};AccountKey=${ACCOUNT_KEY}`;
  let closing: Promise<void> | undefined;
  return {
    tablesEndpoint,
    tablesConnectionString: `${account};TableEndpoint=${tablesEndpoint};`,
    queuesEndpoint,
    queuesConnectionString: `${account};QueueEndpoint=${queuesEndpoint};`,
    // Idempotent, so a test's finally and afterAll can both close.
    close: () => (closing ??= Promise.all([closeServer(server), closeServer(queueServer)]).then(() => undefined)),
  };
}

/** Azurite's close() only starts closing the socket; resolve once the port is actually free. */
async function closeServer(server: TableServer | QueueServer): Promise<void> {
  const closed = new Promise<void>((resolveClosed) => {
    if (!server.httpServer.listening) resolveClosed();
    else server.httpServer.once('close', () => resolveClosed());
  });
  await server.close();
  await closed;
}
