import { ConfigurationError } from './core/errors';
import { digestChannels } from './core/alertRoutes';
import { SharedResult } from './core/sharedResult';
import { configurationProblems, readConfig, settingsKey, type Config, type ConfigPart, type Env } from './config';
import { Built, apiConnection, clientSecretStore, emailSender, queueSender, tables, tenantAdminSource } from './sharedClients';
import type { CollectorDependencies } from './collectors/runSnapshot';
import type { AdminScanDependencies } from './customerAdmins/scanDependencies';
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
import type { MonitorHealthSettings, QueryDependencies, TicketReads } from './api/queries';
import type { WaiverAdministration } from './api/waiverWrites';
import type { AccessTokenVerifier } from './ports';
import type { PsaTickets, ResolveCompany, TicketStore } from './ports/psa';
import { psaNames, type PsaName } from './core/tickets';
import type { CompanyMappingAdministration } from './api/companyMappingWrites';
import { appRoles, signedInActor } from './api/signedIn';

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
export { apiConnection, clientSecretStore, emailSender, refreshTokenStore, resourceTokenCredential, type ApiConnection } from './sharedClients';

const clock = { now: () => new Date() };
const tokenCodecs = new Built<ContinuationTokens>();
const queryReaders = new Built<TableQueryReader>();
const customerDirectories = new Built<TableCustomerDirectory>();
const tokenVerifiers = new Built<AccessTokenVerifier>();

/**
 * The table adapters and the one set of tables they share, their code loaded on an accessor's
 * first call: all at once, since every one of them needs @azure/data-tables, which the tables load anyway.
 */
async function tableAdapters(env: Env | undefined) {
  const [tableSet, snapshotStore, detectorStore, directory, waiverStore, digestLedger, queryReader, pruner, mappingStore, ticketStore] = await Promise.all([
    tables(env),
    import('./adapters/tableSnapshotStore'),
    import('./adapters/tableDetectorStore'),
    import('./adapters/tableCustomerDirectory'),
    import('./adapters/tableWaiverStore'),
    import('./adapters/tableDigestLedger'),
    import('./adapters/tableQueryReader'),
    import('./adapters/tableSnapshotPruner'),
    import('./adapters/tableCompanyMappingStore'),
    import('./adapters/tableTicketStore'),
  ]);
  return { tableSet, ...snapshotStore, ...detectorStore, ...directory, ...waiverStore, ...digestLedger, ...queryReader, ...pruner, ...mappingStore, ...ticketStore };
}

/** What every collector needs, once every setting its function reads (its API's `parts` too) is read: one error names every problem. */
async function collectorDependencies(env: Env | undefined, log: Logger, parts: readonly ConfigPart[]): Promise<CollectorDependencies> {
  readConfig(env, ['storage', 'identity', 'http', ...parts]);
  const { tableSet, TableSnapshotStore } = await tableAdapters(env);
  return { store: new TableSnapshotStore(tableSet), clock, log };
}

export async function partnerSecurityCollector(
  log: Logger,
  env?: Env,
): Promise<CollectorDependencies & { partnerSecurity: PartnerSecuritySource; customerDirectory: CustomerDirectoryDependencies }> {
  const dependencies = await collectorDependencies(env, log, ['graph']);
  const [{ GraphPartnerSecuritySource }, { GraphDelegatedAdminCustomerSource, PartnerCenterCustomerSource }, { tableSet, TableCustomerDirectory }] = await Promise.all([
    import('./adapters/graphPartnerSecuritySource'),
    import('./adapters/customerNameSources'),
    tableAdapters(env),
  ]);
  const graph = (await apiConnection('Graph', env)).client;
  return {
    ...dependencies,
    partnerSecurity: new GraphPartnerSecuritySource(graph),
    customerDirectory: {
      directory: new TableCustomerDirectory(tableSet),
      nameSources: [
        new GraphDelegatedAdminCustomerSource(() => Promise.resolve(graph)),
        // Partner Center's settings are read only when GDAP leaves customers unnamed: a mistake there costs names, never the insights.
        new PartnerCenterCustomerSource(async () => (await apiConnection('Partner Center', env)).client),
      ],
      clock,
    },
  };
}

export async function nonMfaPrincipalCollector(log: Logger, env?: Env): Promise<CollectorDependencies & { nonMfaPrincipals: NonMfaPrincipalSource }> {
  const dependencies = await collectorDependencies(env, log, ['partnerCenter', 'partnerCenterAuth']);
  const { PartnerCenterPrincipalSource } = await import('./adapters/partnerCenterPrincipalSource');
  return { ...dependencies, nonMfaPrincipals: new PartnerCenterPrincipalSource((await apiConnection('Partner Center', env)).client) };
}

export async function registrationCountCollector(log: Logger, env?: Env): Promise<CollectorDependencies & { registrationCounts: RegistrationCountSource }> {
  const dependencies = await collectorDependencies(env, log, ['graph']);
  const { GraphRegistrationCountSource } = await import('./adapters/graphRegistrationCountSource');
  return { ...dependencies, registrationCounts: new GraphRegistrationCountSource((await apiConnection('Graph', env)).client) };
}

/**
 * The customer-admin scan's functions: its store and run ledger, the scan queue (built on first
 * send), the customers' current state, and each customer tenant's Graph (built on first scan).
 * Null while CUSTOMER_TENANT_AUTH is off: the functions then do nothing.
 */
export async function customerAdminScan(log: Logger, env?: Env): Promise<AdminScanDependencies | null> {
  const config = readConfig(env, ['storage', 'identity', 'limits', 'customerAdmins']);
  if (config.customerAdmins.auth === 'off') {
    log.info('The customer-admin scan is off (CUSTOMER_TENANT_AUTH=off): nothing to do');
    return null;
  }
  const [{ tableSet, TableQueryReader, TableSnapshotStore }, { TableAdminScanStore }, { TableRunLedger }, { hostQueueSettings }] = await Promise.all([
    tableAdapters(env),
    import('./adapters/tableAdminScanStore'),
    import('./adapters/tableRunLedger'),
    import('./adapters/hostJson'),
  ]);
  return {
    scans: new TableAdminScanStore(tableSet),
    runs: new TableRunLedger(tableSet),
    lease: new TableSnapshotStore(tableSet).lease('customerAdmins'),
    queue: { send: async (message, options) => (await queueSender(env)).send(message, options) },
    tenants: () => tenantAdminSource(env),
    customers: new TableQueryReader(tableSet).customers,
    clock,
    log,
    settings: { deadlineMs: config.customerAdmins.deadlineMs, maxDequeueCount: hostQueueSettings().maxDequeueCount },
  };
}

/** What the detector and the digest share: their settings, the table adapters, and the reads and channels of an alert. */
async function alerting(log: Logger, env: Env | undefined) {
  const config = readConfig(env, ['storage', 'identity', 'email', 'channels', 'detection', 'limits']);
  const [adapters, { WebhookPoster }, sender] = await Promise.all([tableAdapters(env), import('./adapters/webhookPoster'), emailSender(env)]);
  const { tableSet, TableSnapshotReader, TableCustomerDirectory, TableWaiverStore } = adapters;
  return {
    config,
    adapters,
    snapshots: new TableSnapshotReader(tableSet),
    // Read afresh each run: a run reads names at most once, and only when it renders an alert.
    directory: new TableCustomerDirectory(tableSet),
    waivers: new TableWaiverStore(tableSet),
    sender,
    poster: new WebhookPoster(config.channels),
    clock,
    log,
  };
}

export async function regressionDetector(log: Logger, env?: Env): Promise<DetectorDependencies> {
  const { config, adapters, ...shared } = await alerting(log, env);
  const { tickets: ticketSettings } = readConfig(env, ['tickets']);
  const [psas, resolution] = await Promise.all([psaTicketClients(env), companyResolution(env)]);
  return {
    ...shared,
    tickets:
      psas.length === 0
        ? null
        : {
            psas,
            store: new adapters.TableTicketStore(adapters.tableSet),
            resolveCompany: () => resolution(psas),
            settings: { grouping: ticketSettings.grouping, whenBack: ticketSettings.whenBack, ticketsPerRun: ticketSettings.ticketsPerRun, timeoutMs: ticketSettings.timeoutMs },
          },
    runs: new adapters.TableSnapshotStore(adapters.tableSet),
    store: new adapters.TableDetectorStore(adapters.tableSet),
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
  const { config, adapters, ...shared } = await alerting(log, env);
  return {
    ...shared,
    reader: new adapters.TableQueryReader(adapters.tableSet),
    ledger: new adapters.TableDigestLedger(adapters.tableSet),
    tickets: ticketReads(env, new adapters.TableTicketStore(adapters.tableSet)),
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

/**
 * One client per configured PSA (none when none is), each loaded on first use: the detector keeps
 * tickets there, the doctor checks them, the mapping API reads their companies.
 */
export async function psaTicketClients(env?: Env): Promise<PsaTickets[]> {
  const { tickets } = readConfig(env, ['tickets']);
  const options = { timeoutMs: tickets.timeoutMs };
  const clients: PsaTickets[] = [];
  if (tickets.connectwise) clients.push(new (await import('./adapters/connectWiseTickets')).ConnectWiseTickets(tickets.connectwise, options));
  if (tickets.autotask) clients.push(new (await import('./adapters/autotaskTickets')).AutotaskTickets(tickets.autotask, options));
  if (tickets.halopsa) clients.push(new (await import('./adapters/haloPsaTickets')).HaloPsaTickets(tickets.halopsa, options));
  return clients;
}

/**
 * The company each ticket is filed under (see tickets/resolveCompany): the detector calls the
 * answer once per run with that run's PSA clients (from psaTicketClients), so a customer is looked
 * up at most once a run and the look-ups count in each client's requests.
 */
export async function companyResolution(env?: Env): Promise<(psas: readonly PsaTickets[]) => ResolveCompany> {
  const { tickets } = readConfig(env, ['storage', 'tickets']);
  const [{ tableSet, TableCustomerDirectory, TableCompanyMappingStore }, { companyResolver, fallbackCompanyIds }] = await Promise.all([tableAdapters(env), import('./tickets/resolveCompany')]);
  const [mappings, directory, fallbacks] = [new TableCompanyMappingStore(tableSet), new TableCustomerDirectory(tableSet), fallbackCompanyIds(tickets)];
  return (psas) => companyResolver({ mappings, directory, psas: new Map(psas.map((client) => [client.psa, client])), fallbackCompanyIds: fallbacks });
}

/** The configured PSAs' clients and fallback companies, for the PSA companies list. */
async function psaSettings(env: Env | undefined): Promise<{ clients: PsaTickets[]; fallbackCompanyIds: Partial<Record<PsaName, string>> }> {
  const [clients, { fallbackCompanyIds }] = await Promise.all([psaTicketClients(env), import('./tickets/resolveCompany')]);
  return { clients, fallbackCompanyIds: fallbackCompanyIds(readConfig(env, ['tickets']).tickets) };
}

/** What the admin-level mapping writes need: the store, the configured PSAs (to check a company exists) and the clock. */
export async function companyMappingAdministration(env?: Env): Promise<CompanyMappingAdministration> {
  readConfig(env, ['storage', 'tickets']);
  const { tableSet, TableCompanyMappingStore } = await tableAdapters(env);
  return { mappings: new TableCompanyMappingStore(tableSet), psas: () => psaTicketClients(env), clock };
}

/** Customer display names as last refreshed (the detector names customers with it). */
export async function customerDirectory(env?: Env): Promise<CustomerDirectory> {
  const { tableSet, TableCustomerDirectory } = await tableAdapters(env);
  return new TableCustomerDirectory(tableSet);
}

export async function snapshotReader(env?: Env): Promise<TableSnapshotReader> {
  const { tableSet, TableSnapshotReader } = await tableAdapters(env);
  return new TableSnapshotReader(tableSet);
}

/**
 * The query API's reader and token codec, one of each for the life of the process: the token key
 * stays the same, and the reader remembers which runs it has seen complete.
 */
export async function queryApi(env?: Env): Promise<QueryDependencies> {
  const config = readConfig(env, ['storage', 'queryApi']);
  const [adapters, { continuationTokens }] = await Promise.all([tableAdapters(env), import('./api/continuationToken')]);
  const { tableSet, TableQueryReader, TableCustomerDirectory, TableDigestLedger, TableWaiverStore, TableTicketStore } = adapters;
  const tickets = new TableTicketStore(tableSet);
  const tokens = tokenCodecs.get(config.queryApi.tokenSecret, () => continuationTokens(config.queryApi.tokenSecret));
  const reader = queryReaders.get(config.storage, () => new TableQueryReader(tableSet));
  // Names change at most daily: one read serves a minute of API calls.
  const directory = customerDirectories.get(config.storage, () => new TableCustomerDirectory(tableSet, { namesMaxAgeMs: 60_000 }));
  return { reader, tokens, clock, directory, undeliveredAlertLimitMs: config.queryApi.undeliveredAlertLimitMs, health: () => monitorHealthSettings(env), waiverMaxDays: () => waiverMaxDays(env), customerAdminScanOn: () => customerAdminScanOn(env), scanQueueDepths: async () => (await queueSender(env)).queueDepths(), clientSecret: () => clientSecretStore(env), configurationProblems: () => configurationProblems(env), digests: new TableDigestLedger(tableSet), waivers: new TableWaiverStore(tableSet), companyMappings: new adapters.TableCompanyMappingStore(tableSet), psaTickets: () => psaSettings(env), tickets: () => ticketReads(env, tickets) };
}


/** The configured PSAs and where their last runs are, or null when the ticket settings cannot be read (the status names them). */
function ticketReads(env: Env | undefined, store: TicketStore): TicketReads | null {
  try {
    const { tickets } = readConfig(env, ['tickets']);
    return { configured: psaNames.filter((psa) => tickets[psa] !== null), lastRuns: () => store.lastRuns() };
  } catch (thrown) {
    if (thrown instanceof ConfigurationError) return null;
    throw thrown;
  }
}

/** WAIVER_MAX_DAYS as the writes read it, or null when they cannot: then they fail, and the status names the setting. */
function waiverMaxDays(env?: Env): number | null {
  try {
    return readConfig(env, ['waivers']).waivers.maxDays;
  } catch (thrown) {
    if (thrown instanceof ConfigurationError) return null;
    throw thrown;
  }
}

/** Whether the customer-admin scan runs (CUSTOMER_TENANT_AUTH not off), or null when its settings cannot be read (the status names them). */
function customerAdminScanOn(env?: Env): boolean | null {
  try {
    return readConfig(env, ['customerAdmins']).customerAdmins.auth !== 'off';
  } catch (thrown) {
    if (thrown instanceof ConfigurationError) return null;
    throw thrown;
  }
}

/** The health check's answer: healthy, or not (or its state could not be read). */
export type HealthVerdict = 200 | 503;

/**
 * Verdicts by the settings they were reached under (changed settings are judged afresh).
 * `/api/health` is anonymous: however many call it, one status is computed per instance at a
 * time and at most once every 30 s (the age docs/query-api.md gives), a failed one too, so a
 * caller cannot multiply storage reads, nor hammer storage that is failing.
 */
const healthVerdicts = new SharedResult<HealthVerdict>(30_000);

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
  const { tableSet, TableWaiverStore, TableDetectorStore } = await tableAdapters(env);
  return { waivers: new TableWaiverStore(tableSet), findings: new TableDetectorStore(tableSet), clock, settings: config.waivers };
}

/**
 * The checker of people's Entra access tokens, one per sign-in setting for the life of the
 * process: it keeps Entra's signing keys between requests.
 */
export async function accessTokenVerifier(env?: Env): Promise<AccessTokenVerifier> {
  const { signIn } = readConfig(env, ['signIn']);
  if (signIn === null) throw new ConfigurationError(['SIGN_IN_CLIENT_ID is not set, so no one can sign in: set it, or call the keyed routes']);
  const { EntraTokenVerifier } = await import('./adapters/entraTokenVerifier');
  return tokenVerifiers.get(signIn, () => new EntraTokenVerifier(signIn));
}

/** Who changes a waiver at `/api/signed-in/waivers`: a person holding the waiver admin role. */
export const signedInWaiverAdmin = signedInActor(appRoles.waiverAdmin, () => accessTokenVerifier());

/**
 * The schedules the status judges runs by, read as NCRONTAB here (the reader is loaded only when
 * the status is asked), each one that cannot be read kept as a reason naming its setting; and the grace.
 */
async function monitorHealthSettings(env: Env | undefined): Promise<MonitorHealthSettings> {
  const config = readConfig(env, ['health', 'limits']);
  const [{ readSchedule }, { healthGraceMs }, budgetMs] = await Promise.all([import('./core/ncrontab'), import('./core/scheduleHealth'), invocationBudgetMs(config)]);
  const read = ({ setting, expression }: { setting: string; expression: string }): NonNullable<MonitorHealthSettings['schedules'][SnapshotSource]> => {
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
      customerAdmins: schedules.customerAdmins === null ? null : read(schedules.customerAdmins),
    },
    graceMs: healthGraceMs(budgetMs, config.health.graceMinutes),
    customerAdminsDeadlineMs: config.health.customerAdminsDeadlineMs,
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
  const { tableSet, TableSnapshotPruner } = await tableAdapters(env);
  return { pruner: new TableSnapshotPruner(tableSet), clock, log, settings: { retentionDays: config.retention.retentionDays } };
}

