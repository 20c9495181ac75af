import { hostQueueSettings } from '../src/adapters/hostJson';
import { loadRegisteredFunctions, runAppStartHooks } from './functionsCore';
import { startQueueListeners } from './queueTriggerListener';

/*
 * `node dist/tools/queueWorker.js`: the app's queue-triggered functions and nothing else, in a
 * process of their own, as one instance of the app runs them in Azure (the scale controller adds
 * and removes such instances, and one can die at any moment). The functions are those of the
 * package.json `main` in the current directory; the settings are the environment, as app
 * settings are in Azure. The chaos test starts several and kills them.
 *
 * Test knobs, which compress time only:
 *   --message-hold-seconds=<n>   how long a running invocation's message stays hidden before its
 *                                hold is renewed (10 minutes by default, as in Azure)
 *   --max-polling-ms=<n>         host.json's maxPollingInterval, for a queue that is often empty
 */

const knobs = { '--message-hold-seconds': 'messageHoldSeconds', '--max-polling-ms': 'maxPollingMs' } as const;

function parseKnobs(args: readonly string[]): Partial<Record<(typeof knobs)[keyof typeof knobs], number>> {
  const parsed: Partial<Record<(typeof knobs)[keyof typeof knobs], number>> = {};
  for (const arg of args) {
    const [name = '', value = ''] = arg.split('=');
    const knob = Object.entries(knobs).find(([flag]) => flag === name)?.[1];
    const number = Number(value);
    if (knob === undefined || !Number.isInteger(number) || number <= 0) throw new Error(`unknown argument ${arg.slice(0, 60)}: expected ${Object.keys(knobs).join('=<n>, ')}=<n> (whole numbers)`);
    parsed[knob] = number;
  }
  return parsed;
}

async function main(): Promise<void> {
  const log = (line: string): void => console.log(line);
  const { messageHoldSeconds, maxPollingMs } = parseKnobs(process.argv.slice(2));
  const functions = loadRegisteredFunctions();
  await runAppStartHooks({ log });
  const settings = hostQueueSettings();
  const listeners = startQueueListeners(functions, { env: process.env, log, messageHoldSeconds, settings: maxPollingMs === undefined ? settings : { ...settings, maxPollingIntervalMs: maxPollingMs } });
  for (const [name, queue] of listeners.queues) log('error' in queue ? `${name}: not listening: ${queue.error}` : `${name}: listening on ${queue.queueName}`);
  const stop = (): void => void listeners.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
