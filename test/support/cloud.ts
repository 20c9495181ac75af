import { randomBytes } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type LogLevel } from '@azure/functions';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createQueue } from '../../tools/createQueue';
import { createTables } from '../../tools/createTables';
import { loadRegisteredFunctions, type RegisteredFunction } from '../../tools/functionsCore';
import { appSettingsFor, startSimulator, type Simulator, type SimulatorOptions } from '../../tools/simulator';
import { savedEnvironment } from './processEnvironment';

/**
 * A local Microsoft cloud for integration tests: Azurite for Table Storage and the simulator
 * for Entra, Graph, Partner Center and ACS. Functions run through the same registrations the
 * Functions host would load, with settings in process.env as in Azure.
 * Test files that use it must first declare:
 *   jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });
 */
export interface Cloud {
  sim: Simulator;
  azurite: Azurite;
  /** App settings pointing at this cloud, with a fresh table prefix whose tables exist and a fresh scan queue of the same name (as the deployment creates them). */
  settings(overrides?: Record<string, string>): Record<string, string>;
  /** Runs a registered timer function once with these settings; resolves to its log lines, rejects with its error (which carries `logs`). */
  run(name: string, settings: Record<string, string>, triggerMetadata?: Record<string, unknown>): Promise<string[]>;
  /** Runs the three collectors once, one after the other, with these settings. */
  collectAll(settings: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

let functions: RegisteredFunction[] | undefined;

/** Table prefixes made ready when the cloud starts, unless a test file asks for more: more than most take. */
const defaultPreparedPrefixes = 40;

export async function startCloud(options: SimulatorOptions = {}, preparedPrefixes = defaultPreparedPrefixes): Promise<Cloud> {
  const [sim, azurite] = await Promise.all([startSimulator({ customers: 40, ...options }), startAzurite()]);
  const prefixes = Array.from({ length: preparedPrefixes }, () => `it${randomBytes(4).toString('hex')}`);
  await Promise.all(prefixes.flatMap((prefix) => [createTables(azurite.tablesConnectionString, prefix), createQueue(azurite.queuesConnectionString, prefix)]));
  const nextPrefix = (): string => {
    const prefix = prefixes.pop();
    if (prefix === undefined) throw new Error(`startCloud prepares ${preparedPrefixes} table prefixes and all are taken: ask startCloud for more`);
    return prefix;
  };
  return {
    sim,
    azurite,
    settings: (overrides = {}) => {
      const prefix = nextPrefix();
      return {
        TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
        TABLE_PREFIX: prefix,
        ADMIN_SCAN_QUEUE: azurite.queuesConnectionString,
        ADMIN_SCAN_QUEUE_NAME: prefix,
        ...appSettingsFor(sim),
        HTTP_TIMEOUT_SECONDS: '2',
        HTTP_MAX_RETRIES: '3',
        ALERT_FROM: 'DoNotReply@monitor.example',
        ALERT_TO: 'admins@partner.example',
        PUBLIC_BASE_URL: 'https://monitor.example',
        ...overrides,
      };
    },
    run: (name, settings, triggerMetadata) => runFunction(name, settings, triggerMetadata),
    collectAll: async (settings) => {
      for (const name of ['collectPartnerSecurity', 'collectNonMfaPrincipals', 'collectRegistrationCounts']) await runFunction(name, settings);
    },
    close: async () => {
      await Promise.all([sim.close(), azurite.close()]);
    },
  };
}

export async function runFunction(name: string, settings: Record<string, string>, triggerMetadata?: Record<string, unknown>): Promise<string[]> {
  functions ??= loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' });
  const fn = functions.find((candidate) => candidate.name === name);
  if (!fn) throw new Error(`No function registered as ${name}`);
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: randomBytes(8).toString('hex'),
    functionName: name,
    triggerMetadata,
    logHandler: (level: LogLevel, ...args: unknown[]) => logs.push(`${level}: ${format(...args)}`),
  });
  const restoreEnvironment = savedEnvironment();
  Object.assign(process.env, settings);
  try {
    await fn.handler({ isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: {} }, context);
    return logs;
  } catch (error) {
    Object.assign(error as object, { logs });
    throw error;
  } finally {
    restoreEnvironment();
  }
}
