/*
 * Azurite's Table and Queue services in processes of their own (its CLIs, no telemetry, no access
 * log), so the storage never shares an event loop with the code under measurement or test, and
 * the tables can be frozen, stopped and started again like a storage account that stops answering.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface AzuriteProcessOptions {
  /**
   * Keep the tables in a temporary folder instead of memory, so they survive `stop()` and
   * `start()`. Azurite writes that folder every 5 s and when it closes; a stop closes it.
   */
  persistent?: boolean;
}

export interface AzuriteProcess {
  tablesConnectionString: string;
  /** The Queue service of the same account (its own process, which freeze/stop/start leave alone). */
  queuesConnectionString: string;
  /** CPU time Azurite has used so far (Linux /proc), or null where that cannot be read. */
  cpuMs(): number | null;
  /** SIGSTOP: connections are accepted by the kernel and never answered, as by a hung storage endpoint. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Closes the service as Azurite's CLI does on Ctrl+C (its data saved), so connections are refused. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the data a persistent one kept. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Azurite's fixed development account: public and documented. */
const ACCOUNT_NAME = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 20_000;
/** How long a closing Azurite may take to save its data and let go of its sockets. */
const CLOSE_TIMEOUT_MS = 5_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** utime + stime of a process, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Runs one of Azurite's CLIs and resolves once it listens; the child is killed with this process. */
async function spawnAzurite(location: string, port: number, persistent: boolean, service: 'table' | 'queue' = 'table'): Promise<ChildProcess> {
  const main = require.resolve(`azurite/dist/src/${service}/main.js`);
  const storage = persistent ? ['--location', location] : ['--inMemoryPersistence'];
  // The CLI checks that its working directory is writable even in memory: keep it out of the repository.
  // @azure/storage-queue (and data-tables) speak newer API versions than this Azurite knows.
  const child = spawn(
    process.execPath,
    [main, ...storage, '--silent', '--disableTelemetry', '--skipApiVersionCheck', `--${service}Host`, HOST, `--${service}Port`, String(port)],
    { cwd: location, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${STARTUP_TIMEOUT_MS} ms: ${output}`)), STARTUP_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        // The Table CLI says it "successfully started", the Queue CLI that it "successfully listens".
        if (/successfully (started|listens)/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited with ${code}: ${output}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** SIGINT saves the data and closes the server, but leaves the process to exit once its sockets drain. */
async function closeAzurite(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const closed = new Promise<void>((resolve) =>
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('successfully closed')) resolve();
    }),
  );
  // A frozen process cannot close.
  child.kill('SIGCONT');
  child.kill('SIGINT');
  const forced = setTimeout(() => child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
  await Promise.race([exited, closed]);
  clearTimeout(forced);
  if (isRunning(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function startAzuriteProcess(options: AzuriteProcessOptions = {}): Promise<AzuriteProcess> {
  const persistent = options.persistent ?? false;
  const [port, queuePort] = [await freePort(), await freePort()];
  const location = mkdtempSync(join(tmpdir(), 'azurite-'));
  let child = await spawnAzurite(location, port, persistent);
  let queues: ChildProcess;
  try {
    queues = await spawnAzurite(location, queuePort, persistent, 'queue');
  } catch (error) {
    await closeAzurite(child);
    throw error;
  }
  // Never outlive this process, even when it is interrupted.
  const orphaned = (): void => {
    child.kill('SIGKILL');
    queues.kill('SIGKILL');
  };
  process.on('exit', orphaned);
  const account = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};AccountKey=${ACCOUNT_KEY}`;
  return {
    cpuMs: () => processCpuMs(child.pid),
    tablesConnectionString: `${account};TableEndpoint=http://${HOST}:${port}/${ACCOUNT_NAME};`,
    queuesConnectionString: `${account};QueueEndpoint=http://${HOST}:${queuePort}/${ACCOUNT_NAME};`,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    stop: () => closeAzurite(child),
    start: async () => {
      if (isRunning(child)) return;
      child = await spawnAzurite(location, port, persistent);
    },
    close: async () => {
      await Promise.all([closeAzurite(child), closeAzurite(queues)]);
      process.off('exit', orphaned);
      rmSync(location, { recursive: true, force: true });
    },
  };
}
