/*
 * Azurite's Table service in its own process (its CLI, in memory, no telemetry, no access log),
 * so the storage under measurement never shares an event loop with the code being measured.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface AzuriteProcess {
  tablesConnectionString: string;
  /** CPU time Azurite has used so far (Linux /proc), or null where that cannot be read. */
  cpuMs(): number | null;
  close(): Promise<void>;
}

/** Azurite's fixed development account: public and documented. */
const ACCOUNT_NAME = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 20_000;

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

export async function startAzuriteProcess(): Promise<AzuriteProcess> {
  const port = await freePort();
  // The CLI checks that its working directory is writable even in memory: keep it out of the repository.
  const location = mkdtempSync(join(tmpdir(), 'bench-azurite-'));
  const main = require.resolve('azurite/dist/src/table/main.js');
  const child = spawn(
    process.execPath,
    [main, '--inMemoryPersistence', '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--tableHost', HOST, '--tablePort', String(port)],
    { cwd: location, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${STARTUP_TIMEOUT_MS} ms: ${output}`)), STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('successfully started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${output}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  // Never outlive the bench, even when it is interrupted.
  const orphaned = (): void => void child.kill('SIGKILL');
  process.once('exit', orphaned);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://${HOST}:${port}/${ACCOUNT_NAME}`;
  return {
    cpuMs: () => processCpuMs(child.pid),
    tablesConnectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};AccountKey=${ACCOUNT_KEY};TableEndpoint=${endpoint};`,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        // SIGINT closes the server but leaves the process to exit once its sockets drain.
        const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(forced);
      }
      process.off('exit', orphaned);
      rmSync(location, { recursive: true, force: true });
    },
  };
}
