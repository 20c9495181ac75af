import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/*
 * A timer function run as `npm run invoke -- <function>` runs it: the compiled app and the real
 * entry point (dist/tools/invoke.js) in a Node process of its own, which can be killed at any
 * moment like a recycled host; and queue workers (dist/tools/queueWorker.js), one per instance. It runs in an empty folder whose package.json points at the
 * compiled functions, so no local.settings.json is read: the settings are the environment given.
 */

const repository = resolve(__dirname, '../..');
const invokeEntry = join(repository, 'dist', 'tools', 'invoke.js');
const workerEntry = join(repository, 'dist', 'tools', 'queueWorker.js');
const compiledFunctions = join(repository, 'dist', 'src', 'functions');
const shiftedClock = join(__dirname, 'shiftedClock.js');

export interface FunctionOutcome {
  /** The exit code (0 succeeded, 1 the function failed), or null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the function's start (its "Executing" line, once Node has loaded the app) to the process's end; null if it never started. */
  ms: number | null;
}

export interface FunctionProcess {
  /** Resolves when the function starts executing (Node and the app are loaded). */
  executing: Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when it has exited; a process still running after the time limit is killed and reported so. */
  outcome: Promise<FunctionOutcome>;
}

/** A queue worker: a function process that runs until stopped, whose output so far can be read. */
export type QueueWorker = FunctionProcess & { output(): string };

export interface FunctionRunner {
  /** Starts a timer function with these app settings; `clockOffsetMs` sets its clock (see shiftedClock.js). */
  start(name: string, settings: Record<string, string>, clockOffsetMs: number): FunctionProcess;
  /**
   * Starts a queue worker (dist/tools/queueWorker.js: the app's queue functions on their queues, as
   * one instance runs them) with these app settings, test knobs and clock; `executing` resolves once
   * it listens. It runs until killed; the time limit does not apply.
   */
  startWorker(settings: Record<string, string>, knobs: readonly string[], clockOffsetMs: number): QueueWorker;
  close(): void;
}

export function functionRunner(timeLimitMs: number): FunctionRunner {
  if (!existsSync(invokeEntry) || !existsSync(compiledFunctions)) {
    throw new Error(`${relative(process.cwd(), invokeEntry)} is missing: run \`npm run build\` first (npm test does)`);
  }
  const root = mkdtempSync(join(tmpdir(), 'function-process-'));
  const main = `${relative(root, compiledFunctions).split('\\').join('/')}/*.js`;
  writeFileSync(join(root, 'package.json'), JSON.stringify({ main }));
  const running = new Set<() => void>();
  const spawnProcess = (args: string[], settings: Record<string, string>, clockOffsetMs: number, startedMarker: string, timeLimit: number | null): QueueWorker => {
    const env = { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '', TEST_CLOCK_OFFSET_MS: String(clockOffsetMs), ...settings };
    const child = spawn(process.execPath, ['-r', shiftedClock, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const orphaned = (): void => void child.kill('SIGKILL');
    running.add(orphaned);
    process.on('exit', orphaned);
    let stdout = '';
    let stderr = '';
    let startedAt: number | null = null;
    let started = (): void => undefined;
    const executing = new Promise<void>((resolveExecuting) => (started = resolveExecuting));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (startedAt === null && stdout.includes(startedMarker)) {
        startedAt = performance.now();
        started();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const outcome = new Promise<FunctionOutcome>((resolveOutcome, reject) => {
      const timer = timeLimit === null ? undefined : setTimeout(() => {
        child.kill('SIGKILL');
        stderr += `\n(killed by the test: still running after ${timeLimit} ms)`;
      }, timeLimit);
      child.once('error', reject);
      child.once('close', (exitCode, signal) => {
        clearTimeout(timer);
        running.delete(orphaned);
        process.off('exit', orphaned);
        resolveOutcome({ exitCode, signal, stdout, stderr, ms: startedAt === null ? null : performance.now() - startedAt });
      });
    });
    if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
    return { executing, kill: (signal) => void child.kill(signal), outcome, output: () => stdout };
  };
  return {
    start: (name, settings, clockOffsetMs) => spawnProcess([invokeEntry, name], settings, clockOffsetMs, `[${name}] Executing (`, timeLimitMs),
    startWorker: (settings, knobs, clockOffsetMs) => spawnProcess([workerEntry, ...knobs], settings, clockOffsetMs, ': listening on ', null),
    close: () => {
      for (const kill of running) kill();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
