import { settingDocs } from '../src/config';
import { startAzurite } from './azurite';
import { createQueue } from './createQueue';
import { createTables } from './createTables';
import { readConfig } from '../src/config';
import type { RegisteredFunction } from './functionsCore';
import type { HostLog } from './invokeFunction';
import type { Simulator, SimulatorOptions } from './simulator';

type StartSimulator = (options: SimulatorOptions) => Promise<Simulator>;

interface LocalEnvironmentOptions {
  /** App settings to complete; the functions read the same object (process.env in the host). */
  env: NodeJS.ProcessEnv;
  log: HostLog;
  /** The simulated Microsoft cloud; tools/simulator by default. */
  startSimulator?: StartSimulator;
}

export interface LocalEnvironment {
  /** Whether Graph, Partner Center, Entra and ACS are the local simulator. */
  simulated: boolean;
  /** Where the simulator shows the alert e-mails it received (its real port); null against real endpoints. */
  inbox: string | null;
  close(): Promise<void>;
}

/** A population that changes visibly between snapshots of a demo: a simulated day every 20 s. */
const DEMO_SIMULATOR: SimulatorOptions = { customers: 200, dayLengthMs: 20_000 };
const DEMO_ALERT_FROM = 'DoNotReply@monitor.local';
const DEMO_ALERT_TO = 'admins@partner.example';

/**
 * Fast schedules for a demo against the simulator, staggered so runs do not all start at once.
 * A timer schedule setting not listed here runs every minute in a demo.
 */
const DEMO_SCHEDULES: Readonly<Record<string, string>> = {
  SCHEDULE_PARTNER_SECURITY: '0,30 * * * * *',
  SCHEDULE_NON_MFA_PRINCIPALS: '10,40 * * * * *',
  SCHEDULE_REGISTRATION_COUNTS: '20 * * * * *',
  SCHEDULE_DETECT_REGRESSIONS: '5/20 * * * * *',
  // Once a week whatever the schedule. The first even minute may come before the first detection: that run
  // sends nothing and leaves the week, so the digest goes out at the first even minute after it.
  SCHEDULE_WEEKLY_DIGEST: '0 */2 * * * *',
  // After the first partnerSecurity run (the customers it scans); a run closes within a minute or two.
  SCHEDULE_CUSTOMER_ADMINS: '45 */2 * * * *',
};
const DEMO_SCHEDULE_FALLBACK = '50 * * * * *';

/**
 * Provides what the functions need that is not configured: Azurite in this process unless
 * TABLES_CONNECTION_STRING or TABLES_ENDPOINT is set (AZURITE_LOCATION persists it), its queue
 * service as ADMIN_SCAN_QUEUE unless that connection is set, and the simulator unless
 * GRAPH_BASE_URL names a real endpoint. Sets the app settings that point there.
 */
export async function startLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const { env, log } = options;
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(closers.splice(0).map((closeOne) => closeOne()));
  };

  try {
    let azuriteQueues: string | null = null;
    if (isSet(env.TABLES_CONNECTION_STRING) || isSet(env.TABLES_ENDPOINT)) {
      log(`Tables: ${isSet(env.TABLES_ENDPOINT) ? env.TABLES_ENDPOINT : 'TABLES_CONNECTION_STRING'} (from settings)`);
      // An Azurite of one's own gets the tables the deployment would create; a storage account in Azure has them from `azd provision`.
      if (isSet(env.TABLES_CONNECTION_STRING) && /TableEndpoint\s*=\s*http:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(env.TABLES_CONNECTION_STRING)) {
        await createTables(env.TABLES_CONNECTION_STRING, tablePrefixOf(env));
      }
    } else {
      const location = isSet(env.AZURITE_LOCATION) ? env.AZURITE_LOCATION : undefined;
      const azurite = await startAzurite({ location });
      closers.push(azurite.close);
      env.TABLES_CONNECTION_STRING = azurite.tablesConnectionString;
      await createTables(azurite.tablesConnectionString, tablePrefixOf(env));
      log(`Tables: Azurite in this process at ${azurite.tablesEndpoint}, ${location === undefined ? 'in memory (set AZURITE_LOCATION to keep data)' : `kept in ${location}`}`);
      azuriteQueues = azurite.queuesConnectionString;
    }
    await provideScanQueue(env, azuriteQueues, log);

    if (isSet(env.GRAPH_BASE_URL)) {
      log(`Microsoft cloud: ${env.GRAPH_BASE_URL} and ${env.PARTNER_CENTER_BASE_URL ?? 'the default Partner Center'} (from settings)`);
      return { simulated: false, inbox: null, close };
    }
    const startSimulator = options.startSimulator ?? (await loadSimulator());
    const simulator = await startSimulator(DEMO_SIMULATOR);
    closers.push(() => simulator.close());
    const { appSettingsFor, channelSettingsFor, psaSettingsFor } = await import('./simulator/appSettings');
    Object.assign(env, appSettingsFor(simulator));
    // Every channel is configured, so a regression arrives in the inbox, Teams, Slack and the webhook receiver alike; settings given win.
    const channels = channelSettingsFor(simulator);
    // The receiver's secret goes with the receiver: a webhook URL of your own keeps your own secret.
    if (isSet(env.ALERT_WEBHOOK_URL)) delete channels.ALERT_WEBHOOK_SECRET;
    for (const [name, value] of Object.entries(channels)) if (!isSet(env[name])) env[name] = value;
    // Tickets in the three simulated PSAs, unless settings name a PSA of your own.
    if (!['CONNECTWISE_BASE_URL', 'AUTOTASK_USERNAME', 'HALOPSA_BASE_URL'].some((name) => isSet(env[name]))) Object.assign(env, psaSettingsFor(simulator));
    env.ALERT_FROM = isSet(env.ALERT_FROM) ? env.ALERT_FROM : DEMO_ALERT_FROM;
    // The simulated customers consented to the simulated app: their admins are scanned app-only.
    if (!isSet(env.CUSTOMER_TENANT_AUTH)) env.CUSTOMER_TENANT_AUTH = 'app';
    log(`  Customer admins: CUSTOMER_TENANT_AUTH=${env.CUSTOMER_TENANT_AUTH}, one queue message per customer tenant on ${env.ADMIN_SCAN_QUEUE_NAME ?? 'the scan queue'}`);
    env.ALERT_TO = isSet(env.ALERT_TO) ? env.ALERT_TO : DEMO_ALERT_TO;
    log(`Microsoft cloud: simulator at ${simulator.url} (${DEMO_SIMULATOR.customers} customers, a day every ${(DEMO_SIMULATOR.dayLengthMs ?? 0) / 1000} s)`);
    log(`  Graph ${simulator.graphBaseUrl}, Partner Center ${simulator.partnerCenterBaseUrl}, Entra ${simulator.authorityHost}`);
    const inbox = `${simulator.url}/_sim/inbox`;
    log(`  Alert e-mails from ${env.ALERT_FROM} to ${env.ALERT_TO}: ${inbox}`);
    log(`  Alerts in Teams ${simulator.url}/_sim/teams, Slack ${simulator.url}/_sim/slack and the signed webhook receiver ${simulator.url}/_sim/webhook`);
    log(`  Tickets in ConnectWise PSA ${simulator.url}/_sim/psa/connectwise, Autotask ${simulator.url}/_sim/psa/autotask and HaloPSA ${simulator.url}/_sim/psa/halopsa`);
    return { simulated: true, inbox, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Sets every `%NAME%` timer schedule setting that is unset: fast demo schedules against the
 * simulator, the documented defaults against real endpoints (never hammer Partner Center).
 * Returns the settings it set.
 */
export function fillMissingSchedules(functions: readonly RegisteredFunction[], env: NodeJS.ProcessEnv, simulated: boolean): Record<string, string> {
  const filled: Record<string, string> = {};
  for (const fn of functions) {
    if (fn.trigger.type !== 'timer') continue;
    for (const [, name = ''] of fn.trigger.schedule.matchAll(/%([^%]+)%/g)) {
      if (isSet(env[name])) continue;
      const schedule = simulated ? (DEMO_SCHEDULES[name] ?? DEMO_SCHEDULE_FALLBACK) : settingDocs.find((doc) => doc.name === name)?.default;
      if (schedule === undefined) continue;
      env[name] = schedule;
      filled[name] = schedule;
    }
  }
  return filled;
}

/**
 * The customer-admin scan queue: ADMIN_SCAN_QUEUE as set, else the queue service of the Azurite
 * started here, and ADMIN_SCAN_QUEUE_NAME (the Functions host resolves `%ADMIN_SCAN_QUEUE_NAME%`
 * itself, so it is set explicitly). A queue on this machine is created, as the deployment creates it in Azure.
 */
async function provideScanQueue(env: NodeJS.ProcessEnv, azuriteQueues: string | null, log: HostLog): Promise<void> {
  if (!isSet(env.ADMIN_SCAN_QUEUE_NAME)) env.ADMIN_SCAN_QUEUE_NAME = settingDocs.find((doc) => doc.name === 'ADMIN_SCAN_QUEUE_NAME')?.default;
  const queueName = env.ADMIN_SCAN_QUEUE_NAME ?? '';
  if (isSet(env.ADMIN_SCAN_QUEUE) || isSet(env.ADMIN_SCAN_QUEUE__queueServiceUri)) {
    log(`Queue: ${queueName} through ${isSet(env.ADMIN_SCAN_QUEUE) ? 'ADMIN_SCAN_QUEUE' : env.ADMIN_SCAN_QUEUE__queueServiceUri} (from settings)`);
  } else if (azuriteQueues !== null) {
    env.ADMIN_SCAN_QUEUE = azuriteQueues;
    log(`Queue: ${queueName} in the same Azurite (ADMIN_SCAN_QUEUE)`);
  } else {
    log('Queue: ADMIN_SCAN_QUEUE is not set, so the queue functions do not run (set it to a Queue storage connection string)');
    return;
  }
  if (isSet(env.ADMIN_SCAN_QUEUE) && /QueueEndpoint\s*=\s*http:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(env.ADMIN_SCAN_QUEUE)) {
    await createQueue(env.ADMIN_SCAN_QUEUE, queueName);
  }
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** Loaded on demand: the simulator is only for local runs without real endpoints. */
async function loadSimulator(): Promise<StartSimulator> {
  return (await import('./simulator')).startSimulator;
}

/** The prefix the app will read its tables under, as its settings module reads it. */
function tablePrefixOf(env: NodeJS.ProcessEnv): string {
  return readConfig(env, ['storage']).storage.tablePrefix;
}
