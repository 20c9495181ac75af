import { ConfigurationError } from './core/errors';
import { digestChannels } from './core/alertRoutes';
import { SharedResult } from './core/sharedResult';
import { configurationProblems, readConfig, settingsKey, type Config, type Env, type ScheduleSetting } from './config';
import { Built, apiConnection, clientSecretStore, emailSender, tables } from './sharedClients';
import type { CollectorDependencies } from './collectors/runSnapshot';
import type { CustomerDirectory, Logger, NonMfaPrincipalSource, PartnerSecuritySource, RegistrationCountSource } from './ports';
import type { SnapshotSource } from './core/model';
import type { CustomerDirectoryDependencies } from './collectors/refreshCustomerDirectory';
import type { TableCustomerDirectory } from './adapters/tableCustomerDirectory';
import type { TableQueryReader } from './adapters/tableQueryReader';
import type { ContinuationTokens } from './api/continuationToken';
import type { TableSnapshotReader } from './adapters/tableSnapshotStore';
import type { DetectorDependencies } from './detector/detectorDependencies';
import type { DigestDependencies } from './digest/sendWeeklyDigest';
import type { PruneDependencies } from './retention/pruneSnapshots';
import type { MonitorHealthSettings, QueryDependencies } from './api/queries';
import type { WaiverAdministration } from './api/waiverWrites';

/**
 * The composition root: what each function's use case needs, one accessor per use case. Nothing
 * is built at module load (an exception there would block every function of the app, and cold
 * start pays for every import): each accessor first reads every setting its function needs (one
 * error names every problem), imports the adapters on first use, and takes its shared clients from sharedClients.
 */

/*
 * What `npm run doctor` checks: the very clients and credentials the functions use, so a check
 * that passes means the function's call would pass too.
 */
export { clientSecretStore, emailSender, refreshTokenStore, resourceTokenCredential, type ApiConnection } from './sharedClients';

export const graphConnection = (env?: Env) => apiConnection('Graph', env);
export const partnerCenterConnection = (env?: Env) => apiConnection('Partner Center', env);

const clock = { now: () => new Date() };
const tokenCodecs = new Built<ContinuationTokens>();
const queryReaders = new Built<TableQueryReader>();
const customerDirectories = new Built<TableCustomerDirectory>();

async function collectorDependencies(env: Env | undefined, log: Logger): Promise<CollectorDependencies> {
  const { TableSnapshotStore } = await import('./adapters/tableSnapshotStore');
  return { store: new TableSnapshotStore(await tables(env)), clock, log };
}

export async function partnerSecurityCollector(
  log: Logger,
  env?: Env,
): Promise<CollectorDependencies & { partnerSecurity: PartnerSecuritySource; customerDirectory: CustomerDirectoryDependencies }> {
  readConfig(env, ['storage', 'identity', 'http', 'graph']);
  const [{ GraphPartnerSecuritySource }, { GraphDelegatedAdminCustomerSource, PartnerCenterCustomerSource }, { TableCustomerDirectory }] = await Promise.all([
    import('./adapters/graphPartnerSecuritySource'),
    import('./adapters/customerNameSources'),
    import('./adapters/tableCustomerDirectory'),
  ]);
  const graph = (await apiConnection('Graph', env)).client;
  const dependencies = await collectorDependencies(env, log);
  return {
    ...dependencies,
    partnerSecurity: new GraphPartnerSecuritySource(graph),
    customerDirectory: {
      directory: new TableCustomerDirectory(await tables(env)),
      nameSources: [
        new GraphDelegatedAdminCustomerSource(() => Promise.resolve(graph)),
        // Partner Center's settings are read only when GDAP leaves customers unnamed: a mistake there costs names, never the insights.
        new PartnerCenterCustomerSource(async () => (await apiConnection('Partner Center', env)).client),
      ],
      clock: dependencies.clock,
    },
  };
}

export async function nonMfaPrincipalCollector(log: Logger, env?: Env): Promise<CollectorDependencies & { nonMfaPrincipals: NonMfaPrincipalSource }> {
  readConfig(env, ['storage', 'identity', 'http', 'partnerCenter', 'partnerCenterAuth']);
  const { PartnerCenterPrincipalSource } = await import('./adapters/partnerCenterPrincipalSource');
  const partnerCenter = (await apiConnection('Partner Center', env)).client;
  return { ...(await collectorDependencies(env, log)), nonMfaPrincipals: new PartnerCenterPrincipalSource(partnerCenter) };
}

export async function registrationCountCollector(log: Logger, env?: Env): Promise<CollectorDependencies & { registrationCounts: RegistrationCountSource }> {
  readConfig(env, ['storage', 'identity', 'http', 'graph']);
  const { GraphRegistrationCountSource } = await import('./adapters/graphRegistrationCountSource');
  const graph = (await apiConnection('Graph', env)).client;
  return { ...(await collectorDependencies(env, log)), registrationCounts: new GraphRegistrationCountSource(graph) };
}

export async function regressionDetector(log: Logger, env?: Env): Promise<DetectorDependencies> {
  const config = readConfig(env, ['storage', 'identity', 'email', 'channels', 'detection', 'limits']);
  const [{ TableSnapshotReader, TableSnapshotStore }, { TableDetectorStore }, { TableCustomerDirectory }, { WebhookPoster }, { TableWaiverStore }] = await Promise.all([
    import('./adapters/tableSnapshotStore'),
    import('./adapters/tableDetectorStore'),
    import('./adapters/tableCustomerDirectory'),
    import('./adapters/webhookPoster'),
    import('./adapters/tableWaiverStore'),
  ]);
  const tableSet = await tables(env);
  const sender = await emailSender(env);
  return {
    snapshots: new TableSnapshotReader(tableSet),
    runs: new TableSnapshotStore(tableSet),
    store: new TableDetectorStore(tableSet),
    sender,
    poster: new WebhookPoster(config.channels),
    // Read afresh each run: a detector run reads names at most once, and only when it renders an email.
    directory: new TableCustomerDirectory(tableSet),
    waivers: new TableWaiverStore(tableSet),
    clock,
    log,
    settings: {
      thresholds: { nonAdminShareDropPoints: config.detection.nonAdminShareDropPoints, sourceFailuresBeforeAlert: config.detection.sourceFailuresBeforeAlert },
      reminderDays: config.detection.reminderDays,
      publicBaseUrl: config.email.publicBaseUrl,
      alertMaxLines: config.detection.alertMaxLines,
      undeliveredAlertLimitMs: config.detection.undeliveredAlertLimitMs,
      emailTimeoutMs: config.email.timeoutMs,
      channelTimeoutMs: config.channels.timeoutMs,
      routes: config.channels.routes,
    },
  };
}

/** The weekly digest: the query API's reads, the detector's table for its ledger, and the alerts' email sender. */
export async function weeklyDigest(log: Logger, env?: Env): Promise<DigestDependencies> {
  const config = readConfig(env, ['storage', 'identity', 'email', 'channels', 'detection', 'limits']);
  const [{ TableSnapshotReader }, { TableQueryReader }, { TableDigestLedger }, { TableCustomerDirectory }, { TableWaiverStore }, { WebhookPoster }] = await Promise.all([
    import('./adapters/tableSnapshotStore'),
    import('./adapters/tableQueryReader'),
    import('./adapters/tableDigestLedger'),
    import('./adapters/tableCustomerDirectory'),
    import('./adapters/tableWaiverStore'),
    import('./adapters/webhookPoster'),
  ]);
  const tableSet = await tables(env);
  return {
    reader: new TableQueryReader(tableSet),
    snapshots: new TableSnapshotReader(tableSet),
    directory: new TableCustomerDirectory(tableSet),
    waivers: new TableWaiverStore(tableSet),
    ledger: new TableDigestLedger(tableSet),
    sender: await emailSender(env),
    poster: new WebhookPoster(config.channels),
    clock,
    log,
    settings: {
      publicBaseUrl: config.email.publicBaseUrl,
      maxNamed: config.detection.alertMaxLines,
      // A claim outlives any invocation (host.json allows 10 minutes): older, its run has stopped.
      claimMs: 15 * 60_000,
      waiverNoticeDays: 14,
      // Every webhook channel a route names (by default, every configured one); routed recipient lists get their alerts, the digest goes to ALERT_TO.
      channels: digestChannels(config.channels.routes),
      channelTimeoutMs: config.channels.timeoutMs,
    },
  };
}

/** Customer display names as last refreshed (the detector names customers with it). */
export async function customerDirectory(env?: Env): Promise<CustomerDirectory> {
  readConfig(env, ['storage']);
  const { TableCustomerDirectory } = await import('./adapters/tableCustomerDirectory');
  return new TableCustomerDirectory(await tables(env));
}

export async function snapshotReader(env?: Env): Promise<TableSnapshotReader> {
  readConfig(env, ['storage']);
  const { TableSnapshotReader } = await import('./adapters/tableSnapshotStore');
  return new TableSnapshotReader(await tables(env));
}

/**
 * The query API's reader and token codec, one of each for the life of the process: the token key
 * stays the same, and the reader remembers which runs it has seen complete.
 */
export async function queryApi(env?: Env): Promise<QueryDependencies> {
  const config = readConfig(env, ['storage', 'queryApi']);
  const [{ TableQueryReader }, { continuationTokens }, { TableCustomerDirectory }, { TableDigestLedger }, { TableWaiverStore }] = await Promise.all([
    import('./adapters/tableQueryReader'),
    import('./api/continuationToken'),
    import('./adapters/tableCustomerDirectory'),
    import('./adapters/tableDigestLedger'),
    import('./adapters/tableWaiverStore'),
  ]);
  const tableSet = await tables(env);
  const tokens = tokenCodecs.get(`tokens:${config.queryApi.tokenSecret ?? ''}`, () => continuationTokens(config.queryApi.tokenSecret));
  const reader = queryReaders.get(`queryReader:${JSON.stringify(config.storage)}`, () => new TableQueryReader(tableSet));
  // Names change at most daily: one read serves a minute of API calls.
  const directory = customerDirectories.get(`customerNames:${JSON.stringify(config.storage)}`, () => new TableCustomerDirectory(tableSet, { namesMaxAgeMs: 60_000 }));
  return { reader, tokens, clock, directory, undeliveredAlertLimitMs: config.queryApi.undeliveredAlertLimitMs, health: () => monitorHealthSettings(env), clientSecret: () => clientSecretStore(env), configurationProblems: () => configurationProblems(env), digests: new TableDigestLedger(tableSet), waivers: new TableWaiverStore(tableSet) };
}

/** The health check's answer: healthy, or not (or its state could not be read). */
export type HealthVerdict = 200 | 503;

/** How old a verdict `/api/health` answers with may be (docs/query-api.md says so). */
const healthMaxAgeMs = 30_000;

/**
 * Verdicts by the settings they were reached under (changed settings are judged afresh).
 * `/api/health` is anonymous: however many call it, one status is computed per instance at a
 * time and at most once every healthMaxAgeMs, a failed one too, so a caller cannot multiply
 * storage reads, nor hammer storage that is failing.
 */
const healthVerdicts = new SharedResult<HealthVerdict>(healthMaxAgeMs);

export function sharedHealthVerdict(compute: () => Promise<HealthVerdict>, env?: Env): Promise<HealthVerdict> {
  return healthVerdicts.get(settingsKey(env), compute);
}

/** A verdict the keyed `/api/status` just reached: the health check answers with it from now on. */
export function publishHealthVerdict(verdict: HealthVerdict, env?: Env): void {
  healthVerdicts.put(settingsKey(env), verdict);
}

/** What the admin-level waiver writes need: the store, the clock and the waiver settings. */
export async function waiverAdministration(env?: Env): Promise<WaiverAdministration> {
  const config = readConfig(env, ['storage', 'waivers']);
  const [{ TableWaiverStore }, { TableDetectorStore }, store] = await Promise.all([import('./adapters/tableWaiverStore'), import('./adapters/tableDetectorStore'), tables(env)]);
  return { waivers: new TableWaiverStore(store), findings: new TableDetectorStore(store), clock, settings: config.waivers };
}

/**
 * The schedules the status judges runs by, read as NCRONTAB here (the reader is loaded only when
 * the status is asked), each one that cannot be read kept as a reason naming its setting; and the grace.
 */
async function monitorHealthSettings(env: Env | undefined): Promise<MonitorHealthSettings> {
  const config = readConfig(env, ['health', 'limits']);
  const [{ readSchedule }, { healthGraceMs }, budgetMs] = await Promise.all([import('./core/ncrontab'), import('./core/scheduleHealth'), invocationBudgetMs(config)]);
  const read = ({ setting, expression }: ScheduleSetting): MonitorHealthSettings['schedules'][SnapshotSource] => {
    try {
      return readSchedule(setting, expression);
    } catch (thrown) {
      if (thrown instanceof ConfigurationError) return { setting, problem: `${thrown.problems.join('; ')}: Azure does not run the function until it is fixed` };
      throw thrown;
    }
  };
  const { schedules } = config.health;
  return {
    schedules: {
      partnerSecurity: read(schedules.partnerSecurity),
      nonMfaPrincipals: read(schedules.nonMfaPrincipals),
      registrationCounts: read(schedules.registrationCounts),
      detectRegressions: read(schedules.detectRegressions),
    },
    graceMs: healthGraceMs(budgetMs, config.health.graceMinutes),
  };
}

/** How long one invocation may work: INVOCATION_DEADLINE_SECONDS, else host.json's functionTimeout less the margin that records a failure. */
async function invocationBudgetMs(config: Pick<Config, 'limits'>): Promise<number> {
  const [{ hostFunctionTimeout }, deadline] = await Promise.all([import('./adapters/hostJson'), import('./core/invocationDeadline')]);
  return deadline.invocationBudgetMs(deadline.parseFunctionTimeout(hostFunctionTimeout()), config.limits.invocationDeadlineSeconds);
}

/**
 * When this invocation must stop (see core/invocationDeadline): INVOCATION_DEADLINE_SECONDS
 * from now, else host.json's functionTimeout less the margin that records the failure.
 */
export async function invocationDeadline(env?: Env): Promise<Date> {
  const startedAt = Date.now();
  return new Date(startedAt + (await invocationBudgetMs(readConfig(env, ['limits']))));
}

/** Retention: the store's pruner and the retention setting. */
export async function snapshotPruner(log: Logger, env?: Env): Promise<PruneDependencies> {
  const config = readConfig(env, ['storage', 'identity', 'retention']);
  const { TableSnapshotPruner } = await import('./adapters/tableSnapshotPruner');
  return { pruner: new TableSnapshotPruner(await tables(env)), clock, log, settings: { retentionDays: config.retention.retentionDays } };
}

