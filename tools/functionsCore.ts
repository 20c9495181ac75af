import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { resolve } from 'node:path';
import type { FunctionHandler, HttpMethod } from '@azure/functions';
import { expandGlob } from './expandGlob';

/** The module the Functions worker provides to `@azure/functions`; without it the library runs in "test mode". */
const FUNCTIONS_CORE_MODULE = '@azure/functions-core';

interface TimerTriggerInfo {
  type: 'timer';
  /** As registered: NCRONTAB, or a `%SETTING%` reference the host resolves from app settings. */
  schedule: string;
  runOnStartup: boolean;
}

interface HttpTriggerInfo {
  type: 'http';
  /** Route template under `/api/`; the function name when the function sets none (as in Azure). */
  route: string;
  methods: HttpMethod[];
  authLevel: 'anonymous' | 'function' | 'admin';
}

interface QueueTriggerInfo {
  type: 'queue';
  /** As registered: a queue name, or one with `%SETTING%` references the host resolves from app settings. */
  queueName: string;
  /** The app setting (or `<name>__queueServiceUri` group) the queue is reached through. */
  connection: string;
}

export interface RegisteredFunction {
  name: string;
  trigger: TimerTriggerInfo | HttpTriggerInfo | QueueTriggerInfo;
  handler: FunctionHandler;
}

/** The metadata `@azure/functions` hands to the worker (see its `toCoreFunctionMetadata`). */
interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
}

interface CoreBinding {
  type: string;
  direction: 'in' | 'out';
  schedule?: string;
  runOnStartup?: boolean;
  route?: string;
  methods?: HttpMethod[];
  authLevel?: HttpTriggerInfo['authLevel'];
  queueName?: string;
  connection?: string;
}

/** An `app.hook.appStart` handler as the library hands it to the worker: it takes the worker's context object. */
type AppStartHook = (context: { hookData: Record<string, unknown>; appHookData: Record<string, unknown>; functionAppDirectory: string }) => unknown;

/** The part of the worker's core API that `@azure/functions` 4.x calls while function files load. */
interface FunctionsCoreApi {
  setProgrammingModel(model: unknown): void;
  registerFunction(metadata: CoreFunctionMetadata, handler: FunctionHandler): { dispose(): void };
  registerHook(hookName: string, callback: AppStartHook): { dispose(): void };
}

export interface LoadRegisteredFunctionsOptions {
  /** Glob of the files the host loads; package.json `main` by default. Supports `*`, `?` and `{a,b}`. */
  mainGlob?: string;
  /** The function app root (where package.json is); the current directory by default, as for `func start`. */
  root?: string;
}

/**
 * What a Functions host knows about this process. It has to be one per process (per jest module
 * registry): `@azure/functions` looks the core API up once and keeps it, and Node loads each
 * function file once, so registrations are remembered per file for later calls.
 */
interface CoreState {
  api: FunctionsCoreApi;
  recordRegistration?: (registered: RegisteredFunction) => void;
  recordAppStartHook?: (hook: AppStartHook) => void;
  registrationsByFile: Map<string, RegisteredFunction[]>;
  appStartHooksByFile: Map<string, AppStartHook[]>;
  nodeRequireHooked: boolean;
}

let state: CoreState | undefined;

function coreState(): CoreState {
  if (state !== undefined) return state;
  const created: CoreState = {
    registrationsByFile: new Map(),
    appStartHooksByFile: new Map(),
    nodeRequireHooked: false,
    api: {
      setProgrammingModel: () => undefined,
      registerFunction: (metadata, handler) => {
        // A function file a test imports directly registers too; like the library's test mode, ignore it.
        created.recordRegistration?.({ name: metadata.name, trigger: toTriggerInfo(metadata), handler });
        return { dispose: () => undefined };
      },
      registerHook: (hookName, callback) => {
        // The worker runs appStart hooks once the entry files have loaded; the local host does too (runAppStartHooks).
        if (hookName !== 'appStart') throw new Error(`app.hook.${hookName}() is not supported by the local host`);
        created.recordAppStartHook?.(callback);
        return { dispose: () => undefined };
      },
    },
  };
  state = created;
  return created;
}

/**
 * The recording core API. Node gets it through loadRegisteredFunctions; under jest, whose module
 * registry bypasses Node's loader, a test file provides it as a virtual module before loading:
 *
 *     jest.mock('@azure/functions-core', () => jest.requireActual('./functionsCore').functionsCoreApi(), { virtual: true });
 */
export function functionsCoreApi(): FunctionsCoreApi {
  return coreState().api;
}

/**
 * Loads the function app's entry files the way the Functions worker does (its core API in place
 * first), and returns what each `app.timer`/`app.http`/`app.storageQueue` call registered, in load order.
 */
export function loadRegisteredFunctions(options: LoadRegisteredFunctionsOptions = {}): RegisteredFunction[] {
  const { core, files, mainGlob } = loadEntryFiles(options);
  const registered = files.flatMap((file) => registrationsOf(core, file));
  if (registered.length === 0) {
    throw new Error(
      `No function registered by ${files.length} file(s) matching "${mainGlob}". ` +
        `If @azure/functions printed "test mode", it could not find ${FUNCTIONS_CORE_MODULE}: under jest, mock it as functionsCoreApi() explains.`,
    );
  }
  const names = registered.map((fn) => fn.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`Function "${duplicate}" is registered twice`);
  return registered;
}

/**
 * Runs the `app.hook.appStart` handlers of the entry files (loading them if they are not yet), in
 * registration order, as the worker does once the app has loaded. A failing hook is logged, as
 * the worker logs it, and the host goes on.
 */
export async function runAppStartHooks(options: LoadRegisteredFunctionsOptions & { log: (line: string) => void }): Promise<void> {
  const { core, files, root } = loadEntryFiles(options);
  const hooks = files.flatMap((file) => {
    registrationsOf(core, file);
    return core.appStartHooksByFile.get(require.resolve(file)) ?? [];
  });
  for (const hook of hooks) {
    try {
      await hook({ hookData: {}, appHookData: {}, functionAppDirectory: root });
    } catch (error) {
      options.log(`An appStart hook failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function loadEntryFiles(options: LoadRegisteredFunctionsOptions): { core: CoreState; files: string[]; mainGlob: string; root: string } {
  const root = resolve(options.root ?? process.cwd());
  const mainGlob = options.mainGlob ?? readPackageMain(root);
  const files = expandGlob(root, mainGlob);
  if (files.length === 0) throw new Error(`No file matches "${mainGlob}" under ${root}`);
  const core = coreState();
  hookNodeRequire(core);
  return { core, files, mainGlob, root };
}

function registrationsOf(core: CoreState, matchedFile: string): RegisteredFunction[] {
  const file = require.resolve(matchedFile);
  const known = core.registrationsByFile.get(file);
  if (known !== undefined) return known;
  if (require.cache[file] !== undefined) {
    throw new Error(`${file} was loaded before loadRegisteredFunctions(), so its registrations were not recorded`);
  }
  const registrations: RegisteredFunction[] = [];
  const appStartHooks: AppStartHook[] = [];
  core.recordRegistration = (registered) => registrations.push(registered);
  core.recordAppStartHook = (hook) => appStartHooks.push(hook);
  try {
    // Through the current module system on purpose: Node's in the host, jest's registry in tests.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  } catch (error) {
    throw new Error(`Loading ${file} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    core.recordRegistration = undefined;
    core.recordAppStartHook = undefined;
  }
  core.registrationsByFile.set(file, registrations);
  core.appStartHooksByFile.set(file, appStartHooks);
  return registrations;
}

/** What the Functions worker does: answer `require('@azure/functions-core')` for every module. */
function hookNodeRequire(core: CoreState): void {
  if (core.nodeRequireHooked) return;
  core.nodeRequireHooked = true;
  Module.prototype.require = new Proxy(Module.prototype.require, {
    apply(target, thisArg, args: Parameters<NodeJS.Require>) {
      return args[0] === FUNCTIONS_CORE_MODULE ? core.api : Reflect.apply(target, thisArg, args);
    },
  });
}

function readPackageMain(root: string): string {
  const packageJson = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { main?: unknown };
  if (typeof packageJson.main !== 'string') throw new Error(`${root}/package.json has no "main" naming the function files`);
  return packageJson.main;
}

function toTriggerInfo(metadata: CoreFunctionMetadata): RegisteredFunction['trigger'] {
  const trigger = Object.values(metadata.bindings).find((binding) => binding.direction === 'in' && binding.type.endsWith('Trigger'));
  if (trigger?.type === 'timerTrigger' && trigger.schedule !== undefined) {
    return { type: 'timer', schedule: trigger.schedule, runOnStartup: trigger.runOnStartup === true };
  }
  if (trigger?.type === 'httpTrigger') {
    return {
      type: 'http',
      route: trigger.route ?? metadata.name,
      methods: trigger.methods ?? ['GET', 'POST'],
      authLevel: trigger.authLevel ?? 'anonymous',
    };
  }
  if (trigger?.type === 'queueTrigger' && trigger.queueName !== undefined && trigger.connection !== undefined) {
    return { type: 'queue', queueName: trigger.queueName, connection: trigger.connection };
  }
  throw new Error(`Function "${metadata.name}" uses a ${trigger?.type ?? 'missing'} trigger; the local host runs timer, http and queue triggers only`);
}
