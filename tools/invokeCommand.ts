import { loadRegisteredFunctions } from './functionsCore';
import { invokeFunction } from './invokeFunction';
import { resolveAppSettings } from './resolveAppSettings';
import { loadLocalSettings } from './settings';
import { timerInput } from './timerScheduler';

interface InvokeCommandOptions {
  /** The function app root; the current directory by default. */
  root?: string;
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const USAGE = 'Usage: npm run invoke -- <functionName> [--run-id <runId>]';

/**
 * "Run now" for operators: runs one timer function once against the configured settings
 * (local.settings.json under the environment), with no Azurite or simulator started.
 * Resolves to the exit code: 0 succeeded, 1 the function (or loading it) failed, 2 usage.
 * `--run-id` reaches the function as `context.triggerMetadata.runId`.
 */
export async function runInvokeCommand(args: readonly string[], options: InvokeCommandOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  const env = options.env ?? process.env;

  const parsed = parseArgs(args);
  if ('error' in parsed) {
    err(`${parsed.error}\n${USAGE}`);
    return 2;
  }
  try {
    loadLocalSettings({ root: options.root, env });
    const functions = loadRegisteredFunctions({ root: options.root });
    const fn = functions.find((candidate) => candidate.name === parsed.name);
    if (fn === undefined || fn.trigger.type !== 'timer') {
      const timers = functions.filter((candidate) => candidate.trigger.type === 'timer').map((candidate) => candidate.name);
      err(`${fn === undefined ? 'No function' : 'No timer function'} named "${parsed.name}". Timer functions: ${timers.join(', ') || 'none'}`);
      return 2;
    }
    const timer = timerInput({ isPastDue: false, schedule: scheduleOrUndefined(fn.trigger.schedule, env), after: new Date() });
    const triggerMetadata = parsed.runId === undefined ? undefined : { runId: parsed.runId };
    await invokeFunction(fn, timer, { log: out, reason: 'Manual (npm run invoke)', triggerMetadata });
    return 0;
  } catch (error) {
    err(`${parsed.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** Running now does not need the schedule; it only fills in `scheduleStatus.next` when it resolves. */
function scheduleOrUndefined(schedule: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    const resolved = resolveAppSettings(schedule, env);
    timerInput({ isPastDue: false, schedule: resolved, after: new Date() });
    return resolved;
  } catch {
    return undefined;
  }
}

function parseArgs(args: readonly string[]): { name: string; runId?: string } | { error: string } {
  const [name, ...rest] = args.flatMap((arg) => (arg.startsWith('--run-id=') ? ['--run-id', arg.slice('--run-id='.length)] : [arg]));
  if (name === undefined || name.startsWith('-')) return { error: 'Name the function to run.' };
  if (rest.length === 0) return { name };
  if (rest.length === 2 && rest[0] === '--run-id' && rest[1] !== undefined && rest[1] !== '') return { name, runId: rest[1] };
  return { error: `Unexpected arguments: ${rest.join(' ')}` };
}
