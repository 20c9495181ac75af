/*
 * Runs one measurement in a fresh Node process (a bench module under dist/tools/bench) and
 * returns the JSON it prints on its last stdout line, so each figure is the measured process's
 * own: its own heap, its own peak RSS, an event loop nothing else shares.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

interface ChildOptions {
  /** App settings and other variables, added to this process's environment (NODE_EXTRA_CA_CERTS included). */
  env?: Record<string, string>;
  /** Replaces the environment entirely (a process that must see no settings at all). */
  bareEnv?: Record<string, string>;
  timeoutMs?: number;
  /** Node options of the child, e.g. ['--cpu-prof'] to profile one measurement. */
  execArgv?: readonly string[];
  /** Aborted: the child is sent SIGTERM, to end a measurement that runs until told (it then prints its JSON and exits). */
  stop?: AbortSignal;
}

export async function runChild<T>(moduleName: string, args: readonly string[], options: ChildOptions = {}): Promise<T> {
  const script = join(__dirname, `${moduleName}.js`);
  const env = options.bareEnv ?? { ...process.env, ...options.env };
  const child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const orphaned = (): void => void child.kill('SIGKILL');
  process.once('exit', orphaned);
  const stop = (): void => void child.kill('SIGTERM');
  options.stop?.addEventListener('abort', stop, { once: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timeoutMs = options.timeoutMs ?? 180_000;
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${moduleName} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      process.off('exit', orphaned);
      options.stop?.removeEventListener('abort', stop);
      resolve(exitCode);
    });
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(`${moduleName} ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.trim()}`.slice(0, 4000));
  }
  return JSON.parse(last) as T;
}
