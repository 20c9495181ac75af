import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { MonitorError } from '../src/core/errors';
import { loadRegisteredFunctions, type LoadRegisteredFunctionsOptions, type RegisteredFunction } from './functionsCore';
import { startHttpTriggerServer, type HttpTriggerServer } from './httpTriggerServer';
import type { HostLog } from './invokeFunction';
import { startQueueListeners } from './queueTriggerListener';
import { startTimerScheduler } from './timerScheduler';
import type { QueueTriggerSettings } from '../src/adapters/hostJson';

export interface LocalHostOptions extends LoadRegisteredFunctionsOptions {
  /** The functions to host; by default those the app's entry files register (loadRegisteredFunctions). */
  functions?: RegisteredFunction[];
  /** Port of the HTTP functions; 0 (the default) picks a free one. */
  port?: number;
  /** Address the HTTP functions listen on; HOST from `env`, else 127.0.0.1 (this machine only). */
  hostname?: string;
  /** Key for `authLevel: 'function'`; LOCAL_FUNCTION_KEY from `env`, else a random one. */
  functionKey?: string;
  /** Key for `authLevel: 'admin'` (Azure's master key); LOCAL_ADMIN_KEY from `env`, else a random one. */
  adminKey?: string;
  /** App settings for `%NAME%` schedules; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Run timers on their schedules (the default); false leaves them to invoke(). */
  scheduleTimers?: boolean;
  /** How queue functions take their messages; host.json's `extensions.queues` by default. */
  queueSettings?: QueueTriggerSettings;
  log?: HostLog;
}

export interface LocalHost {
  port: number;
  /** `http://ADDRESS:PORT`; HTTP functions are under `/api/`. */
  url: string;
  functionKey: string;
  /** Whether the key came from the caller or LOCAL_FUNCTION_KEY rather than being generated. */
  functionKeyConfigured: boolean;
  /** The admin key: the only key admin-level functions take (every other function takes it too, as Azure's master key). */
  adminKey: string;
  adminKeyConfigured: boolean;
  functions: readonly RegisteredFunction[];
  /** Runs a timer function now with a real InvocationContext; `triggerMetadata` reaches `context.triggerMetadata`. */
  invoke(name: string, triggerMetadata?: Record<string, unknown>): Promise<unknown>;
  /** Stops timers, queue listeners and the HTTP server, waiting for runs in progress. */
  close(): Promise<void>;
}

/**
 * A Functions host for local runs, tests and benchmarks over the same function definitions
 * Azure loads: timers on their NCRONTAB schedules, HTTP functions behind function keys, queue
 * functions on their queues (connections and queue names from the app settings, as in Azure).
 */
export async function createLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const functions = options.functions ?? loadRegisteredFunctions({ mainGlob: options.mainGlob, root: options.root });
  const configuredKey = options.functionKey ?? env.LOCAL_FUNCTION_KEY;
  if (configuredKey !== undefined) assertStrongKey('LOCAL_FUNCTION_KEY', configuredKey);
  const functionKey = configuredKey ?? randomBytes(24).toString('base64url');
  const configuredAdminKey = options.adminKey ?? env.LOCAL_ADMIN_KEY;
  if (configuredAdminKey !== undefined) {
    assertStrongKey('LOCAL_ADMIN_KEY', configuredAdminKey);
    // The same key for both would let every read-only caller write.
    if (configuredAdminKey === functionKey) throw new MonitorError('WeakFunctionKey', 'LOCAL_ADMIN_KEY must differ from LOCAL_FUNCTION_KEY: read-only callers must not hold the admin key');
  }
  const adminKey = configuredAdminKey ?? randomBytes(24).toString('base64url');
  const hostname = options.hostname ?? (env.HOST || DEFAULT_HOSTNAME);

  const timers = startTimerScheduler(functions, { env, log, schedule: options.scheduleTimers ?? true });
  const queues = startQueueListeners(functions, { env, log, settings: options.queueSettings });
  let http: HttpTriggerServer;
  try {
    http = await startHttpTriggerServer(functions, { port: options.port ?? 0, hostname, functionKey, adminKey, log });
  } catch (error) {
    await Promise.all([timers.close(), queues.close()]);
    throw error;
  }
  const url = `http://${urlHost(hostname)}:${http.port}`;

  log('Functions:');
  for (const fn of functions) {
    if (fn.trigger.type === 'timer') {
      const resolved = timers.schedules.get(fn.name);
      const shown = resolved === undefined || 'error' in resolved ? `not scheduled: ${resolved?.error}` : resolved.schedule;
      log(`  ${fn.name}: timerTrigger ${fn.trigger.schedule}${shown === fn.trigger.schedule ? '' : ` = ${shown}`} (UTC)`);
    } else if (fn.trigger.type === 'queue') {
      const listening = queues.queues.get(fn.name);
      const shown = listening === undefined ? 'not listening' : 'error' in listening ? `not listening: ${listening.error}` : listening.queueName;
      log(`  ${fn.name}: queueTrigger ${fn.trigger.queueName}${shown === fn.trigger.queueName ? '' : ` = ${shown}`} (${fn.trigger.connection})`);
    } else {
      const key = { anonymous: '', function: ' (function key)', admin: ' (admin key)' }[fn.trigger.authLevel] ?? ` (${fn.trigger.authLevel})`;
      log(`  ${fn.name}: [${fn.trigger.methods.join(',')}] ${url}/api/${fn.trigger.route}${key}`);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    port: http.port,
    url,
    functionKey,
    functionKeyConfigured: configuredKey !== undefined,
    adminKey,
    adminKeyConfigured: configuredAdminKey !== undefined,
    functions,
    invoke: (name, triggerMetadata) => {
      const fn = functions.find((candidate) => candidate.name === name);
      if (fn?.trigger.type === 'http') return Promise.reject(new Error(`${name} is an HTTP function: call ${url}/api/${fn.trigger.route}`));
      if (fn?.trigger.type === 'queue') return Promise.reject(new Error(`${name} is a queue function: send a message to its queue`));
      return timers.runNow(name, triggerMetadata);
    },
    close: () => (closing ??= Promise.all([timers.close(), queues.close(), http.close()]).then(() => undefined)),
  };
}

/** Only this machine can call the functions unless HOST opens them wider on purpose. */
const DEFAULT_HOSTNAME = '127.0.0.1';

/** As long as a generated key is in characters of entropy that matter; shorter keys are guessable. */
const MIN_FUNCTION_KEY_LENGTH = 16;

/**
 * An empty key would compare equal to a missing one and open every function; a short one is
 * guessed quickly. Either is refused before anything listens.
 */
function assertStrongKey(setting: string, key: string): void {
  if (key.length < MIN_FUNCTION_KEY_LENGTH) {
    throw new MonitorError(
      'WeakFunctionKey',
      `${setting} must be at least ${MIN_FUNCTION_KEY_LENGTH} characters (it has ${key.length}); unset it to have a random key generated`,
    );
  }
}

/** The address to put in URLs: a wildcard is reached as localhost, an IPv6 literal in brackets. */
function urlHost(hostname: string): string {
  if (hostname === '0.0.0.0' || hostname === '::') return 'localhost';
  return isIPv6(hostname) ? `[${hostname}]` : hostname;
}
