import type { TokenCredential } from '@azure/core-auth';
import { ConfigurationError } from './core/errors';
import { digestChannels } from './core/alertRoutes';
import { SharedResult } from './core/sharedResult';
import { configurationProblems, readConfig, settingDocs, type AppUserAuthConfig, type Config, type ConfigPart, type ScheduleSetting } from './config';
import type { CollectorDependencies } from './collectors/runSnapshot';
import type { ClientSecretStore, CustomerDirectory, Logger, NonMfaPrincipalSource, PartnerSecuritySource, RegistrationCountSource } from './ports';
import type { SnapshotSource } from './core/model';
import type { CustomerDirectoryDependencies } from './collectors/refreshCustomerDirectory';
import type { AcsEmailSender } from './adapters/acsEmailSender';
import type { ApiClient } from './adapters/apiClient';
import type { TableCustomerDirectory } from './adapters/tableCustomerDirectory';
import type { TableQueryReader } from './adapters/tableQueryReader';
import type { ContinuationTokens } from './api/continuationToken';
import type { KeyVaultRefreshTokenStore } from './adapters/keyVaultRefreshTokenStore';
import type { TableSnapshotReader } from './adapters/tableSnapshotStore';
import type { Tables } from './adapters/tables';
import type { DetectorDependencies } from './detector/detectorDependencies';
import type { DigestDependencies } from './digest/sendWeeklyDigest';
import type { PruneDependencies } from './retention/pruneSnapshots';
import type { MonitorHealthSettings, QueryDependencies } from './api/queries';
import type { WaiverAdministration } from './api/waiverWrites';

/**
 * The composition root. Nothing is built at module load (an exception there would block every
 * function of the app, and cold start pays for every import): each accessor reads only the
 * settings its function needs, imports the adapters on first use, and keeps what it built for
 * the next invocation. A change of settings (tests, the local host) builds afresh.
 */
type Env = Readonly<Record<string, string | undefined>>;

/** What one kind of thing the accessors built, by the settings it was built from. */
class Built<T> {
  private readonly byKey = new Map<string, T>();

  get(key: string, build: () => T): T {
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    const made = build();
    this.byKey.set(key, made);
    return made;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}

const credentials = new Built<TokenCredential>();
const apiClients = new Built<ApiClient>();
const tableSets = new Built<Tables>();
const emailSenders = new Built<AcsEmailSender>();
const tokenCodecs = new Built<ContinuationTokens>();
const queryReaders = new Built<TableQueryReader>();
const customerDirectories = new Built<TableCustomerDirectory>();
const clientSecretStores = new Built<ClientSecretStore>();

function credentialKey(config: Pick<Config, 'identity'>): string {
  return `credential:${JSON.stringify(config.identity)}`;
}

/**
 * A credential's code is loaded when its factory is made, the credential built on the factory's
 * first call: an adapter given a connection string never calls it.
 */
async function credentialFactory(config: Pick<Config, 'identity'>): Promise<() => TokenCredential> {
  const { createCredential } = await import('./adapters/credential');
  return () => credentials.get(credentialKey(config), () => createCredential(config.identity));
}

async function credential(config: Pick<Config, 'identity'>): Promise<TokenCredential> {
  return (await credentialFactory(config))();
}

/** Table Storage, ACS and Key Vault sign in as the user-assigned managed identity where one is named, else with the app's credential. */
async function resourceCredentialFactory(config: Pick<Config, 'identity'>): Promise<() => TokenCredential> {
  const clientId = config.identity.managedIdentityClientId;
  if (clientId === null) return credentialFactory(config);
  const { ManagedIdentityCredential } = await import('@azure/identity');
  return () => credentials.get(`managedIdentity:${clientId}`, () => new ManagedIdentityCredential({ clientId }));
}

async function resourceCredential(config: Pick<Config, 'identity'>): Promise<TokenCredential> {
  return (await resourceCredentialFactory(config))();
}

/** What reaching Partner Center as App+User takes: its auth settings, and the vault's credential and timeout. */
type AppUserSettings = Pick<Config, 'identity' | 'limits' | 'http'> & { partnerCenterAuth: AppUserAuthConfig };

/** Partner Center's App+User token: the Secure Application Model, its refresh token in Key Vault. */
async function secureApplicationModelCredential(config: AppUserSettings): Promise<TokenCredential> {
  const [{ SecureApplicationModelCredential }, { KeyVaultRefreshTokenStore }] = await Promise.all([
    import('./adapters/secureApplicationModelCredential'),
    import('./adapters/keyVaultRefreshTokenStore'),
  ]);
  const vaultCredential = await resourceCredential(config);
  const auth = config.partnerCenterAuth;
  // A refused redemption waits for a concurrent rotation at most half an attempt's time limit, so
  // revoked consent fails that attempt as ConsentRequired (naming the fix), never as a Timeout.
  const raceWaitMs = Math.min(10_000, Math.floor(config.http.timeoutMs / 2));
  return credentials.get(samKey(auth), () => {
    const store = new KeyVaultRefreshTokenStore(auth.keyVaultUrl, auth.refreshTokenSecret, vaultCredential, config.limits.azureRequestTimeoutMs);
    return new SecureApplicationModelCredential({ tenantId: auth.tenantId, clientId: auth.clientId, authorityHost: auth.authorityHost, store, raceWaitMs });
  });
}

function samKey(auth: AppUserAuthConfig): string {
  return `sam:${JSON.stringify(auth)}`;
}

async function acsSender(config: Pick<Config, 'identity' | 'email' | 'limits'>): Promise<AcsEmailSender> {
  const { AcsEmailSender } = await import('./adapters/acsEmailSender');
  const tokenCredential = await resourceCredentialFactory(config);
  return emailSenders.get(`acs:${JSON.stringify(config.email)}:${config.limits.azureRequestTimeoutMs}`, () => new AcsEmailSender(config.email, tokenCredential, config.limits.azureRequestTimeoutMs));
}

async function tables(env: Env): Promise<Tables> {
  const config = readConfig(env, ['storage', 'identity', 'limits']);
  const { Tables } = await import('./adapters/tables');
  const tokenCredential = await resourceCredentialFactory(config);
  const timeoutMs = config.limits.azureRequestTimeoutMs;
  return tableSets.get(`tables:${JSON.stringify(config.storage)}:${timeoutMs}`, () => new Tables(config.storage, tokenCredential, timeoutMs));
}

/** One Microsoft API as the collectors reach it: the client, and the credential and scope its tokens come from. */
export interface ApiConnection {
  client: ApiClient;
  credential: TokenCredential;
  scope: string;
}

const apiParts = ['identity', 'http', 'graph', 'partnerCenter'] as const;

/** Partner Center's settings with those of its auth (one error names every problem); null when it is reached app-only. */
function appUserSettings(env: Env): AppUserSettings | null {
  const config = readConfig(env, [...apiParts, 'partnerCenterAuth', 'limits']);
  const auth = config.partnerCenterAuth;
  return auth.mode === 'appUser' ? { identity: config.identity, limits: config.limits, http: config.http, partnerCenterAuth: auth } : null;
}

async function apiConnection(env: Env, service: 'Graph' | 'Partner Center'): Promise<ApiConnection> {
  // Partner Center's auth settings only for Partner Center: a mistake there must not stop Graph.
  const appUser = service === 'Partner Center' ? appUserSettings(env) : null;
  const config = readConfig(env, apiParts);
  const { ApiClient } = await import('./adapters/apiClient');
  const { baseUrl, scope } = service === 'Graph' ? config.graph : config.partnerCenter;
  const tokenCredential = appUser === null ? await credential(config) : await secureApplicationModelCredential(appUser);
  const key = `api:${service}:${baseUrl}:${JSON.stringify(config.http)}:${JSON.stringify(config.identity)}:${appUser === null ? 'app' : samKey(appUser.partnerCenterAuth)}`;
  // A token the service refuses (revoked, or its app's consent withdrawn) is cached by the
  // credential until it expires: forget both, so the next invocation asks Entra afresh.
  const forget = (): void => {
    apiClients.forget(key);
    credentials.forget(credentialKey(config));
    if (appUser !== null) credentials.forget(samKey(appUser.partnerCenterAuth));
  };
  const client = apiClients.get(key, () => new ApiClient({ service, baseUrl, scope, credential: tokenCredential, http: config.http, onUnauthorized: forget }));
  return { client, credential: tokenCredential, scope };
}

async function apiClient(env: Env, service: 'Graph' | 'Partner Center'): Promise<ApiClient> {
  return (await apiConnection(env, service)).client;
}

async function collectorDependencies(env: Env, log: Logger): Promise<CollectorDependencies> {
  const { TableSnapshotStore } = await import('./adapters/tableSnapshotStore');
  const store = new TableSnapshotStore(await tables(env));
  return { store, clock: { now: () => new Date() }, log };
}

/** Reads every part first, so one error lists every problem of the function's settings. */
function validate(env: Env, parts: readonly ConfigPart[]): void {
  readConfig(env, parts);
}

export async function partnerSecurityCollector(
  log: Logger,
  env: Env = process.env,
): Promise<CollectorDependencies & { partnerSecurity: PartnerSecuritySource; customerDirectory: CustomerDirectoryDependencies }> {
  validate(env, ['storage', 'identity', 'http', 'graph']);
  const [{ GraphPartnerSecuritySource }, { GraphDelegatedAdminCustomerSource, PartnerCenterCustomerSource }, { TableCustomerDirectory }] = await Promise.all([
    import('./adapters/graphPartnerSecuritySource'),
    import('./adapters/customerNameSources'),
    import('./adapters/tableCustomerDirectory'),
  ]);
  const graph = await apiClient(env, 'Graph');
  const dependencies = await collectorDependencies(env, log);
  return {
    ...dependencies,
    partnerSecurity: new GraphPartnerSecuritySource(graph),
    customerDirectory: {
      directory: new TableCustomerDirectory(await tables(env)),
      nameSources: [
        new GraphDelegatedAdminCustomerSource(() => Promise.resolve(graph)),
        // Partner Center's settings are read only when GDAP leaves customers unnamed: a mistake there costs names, never the insights.
        new PartnerCenterCustomerSource(() => apiClient(env, 'Partner Center')),
      ],
      clock: dependencies.clock,
    },
  };
}

export async function nonMfaPrincipalCollector(log: Logger, env: Env = process.env): Promise<CollectorDependencies & { nonMfaPrincipals: NonMfaPrincipalSource }> {
  validate(env, ['storage', 'identity', 'http', 'partnerCenter', 'partnerCenterAuth']);
  const { PartnerCenterPrincipalSource } = await import('./adapters/partnerCenterPrincipalSource');
  const partnerCenter = await apiClient(env, 'Partner Center');
  return { ...(await collectorDependencies(env, log)), nonMfaPrincipals: new PartnerCenterPrincipalSource(partnerCenter) };
}

export async function registrationCountCollector(log: Logger, env: Env = process.env): Promise<CollectorDependencies & { registrationCounts: RegistrationCountSource }> {
  validate(env, ['storage', 'identity', 'http', 'graph']);
  const { GraphRegistrationCountSource } = await import('./adapters/graphRegistrationCountSource');
  const graph = await apiClient(env, 'Graph');
  return { ...(await collectorDependencies(env, log)), registrationCounts: new GraphRegistrationCountSource(graph) };
}

export async function regressionDetector(log: Logger, env: Env = process.env): Promise<DetectorDependencies> {
  const config = readConfig(env, ['storage', 'identity', 'email', 'channels', 'detection', 'limits']);
  const [{ TableSnapshotReader, TableSnapshotStore }, { TableDetectorStore }, { TableCustomerDirectory }, { WebhookPoster }, { TableWaiverStore }] = await Promise.all([
    import('./adapters/tableSnapshotStore'),
    import('./adapters/tableDetectorStore'),
    import('./adapters/tableCustomerDirectory'),
    import('./adapters/webhookPoster'),
    import('./adapters/tableWaiverStore'),
  ]);
  const tableSet = await tables(env);
  const sender = await acsSender(config);
  return {
    snapshots: new TableSnapshotReader(tableSet),
    runs: new TableSnapshotStore(tableSet),
    store: new TableDetectorStore(tableSet),
    sender,
    poster: new WebhookPoster(config.channels),
    // Read afresh each run: a detector run reads names at most once, and only when it renders an email.
    directory: new TableCustomerDirectory(tableSet),
    waivers: new TableWaiverStore(tableSet),
    clock: { now: () => new Date() },
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
export async function weeklyDigest(log: Logger, env: Env = process.env): Promise<DigestDependencies> {
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
    sender: await acsSender(config),
    poster: new WebhookPoster(config.channels),
    clock: { now: () => new Date() },
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
export async function customerDirectory(env: Env = process.env): Promise<CustomerDirectory> {
  validate(env, ['storage']);
  const { TableCustomerDirectory } = await import('./adapters/tableCustomerDirectory');
  return new TableCustomerDirectory(await tables(env));
}

export async function snapshotReader(env: Env = process.env): Promise<TableSnapshotReader> {
  validate(env, ['storage']);
  const { TableSnapshotReader } = await import('./adapters/tableSnapshotStore');
  return new TableSnapshotReader(await tables(env));
}

/**
 * The query API's reader and token codec, one of each for the life of the process: the token key
 * stays the same, and the reader remembers which runs it has seen complete.
 */
export async function queryApi(env: Env = process.env): Promise<QueryDependencies> {
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
  return { reader, tokens, clock: { now: () => new Date() }, directory, undeliveredAlertLimitMs: config.queryApi.undeliveredAlertLimitMs, health: () => monitorHealthSettings(env), clientSecret: () => clientSecretStore(env), configurationProblems: () => configurationProblems(env), digests: new TableDigestLedger(tableSet), waivers: new TableWaiverStore(tableSet) };
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

function settingsKey(env: Env): string {
  return JSON.stringify(settingDocs.map((doc) => env[doc.name] ?? null));
}

export function sharedHealthVerdict(compute: () => Promise<HealthVerdict>, env: Env = process.env): Promise<HealthVerdict> {
  return healthVerdicts.get(settingsKey(env), compute);
}

/** A verdict the keyed `/api/status` just reached: the health check answers with it from now on. */
export function publishHealthVerdict(verdict: HealthVerdict, env: Env = process.env): void {
  healthVerdicts.put(settingsKey(env), verdict);
}

/** What the admin-level waiver writes need: the store, the clock and the waiver settings. */
export async function waiverAdministration(env: Env = process.env): Promise<WaiverAdministration> {
  const config = readConfig(env, ['storage', 'waivers']);
  const [{ TableWaiverStore }, { TableDetectorStore }, store] = await Promise.all([import('./adapters/tableWaiverStore'), import('./adapters/tableDetectorStore'), tables(env)]);
  return { waivers: new TableWaiverStore(store), findings: new TableDetectorStore(store), clock: { now: () => new Date() }, settings: config.waivers };
}

/**
 * The schedules the status judges runs by, read as NCRONTAB here (the reader is loaded only when
 * the status is asked), each one that cannot be read kept as a reason naming its setting; and the grace.
 */
async function monitorHealthSettings(env: Env): Promise<MonitorHealthSettings> {
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
export async function invocationDeadline(env: Env = process.env): Promise<Date> {
  const startedAt = Date.now();
  return new Date(startedAt + (await invocationBudgetMs(readConfig(env, ['limits']))));
}

/** Retention: the store's pruner and the retention setting. */
export async function snapshotPruner(log: Logger, env: Env = process.env): Promise<PruneDependencies> {
  const config = readConfig(env, ['storage', 'identity', 'retention']);
  const { TableSnapshotPruner } = await import('./adapters/tableSnapshotPruner');
  return { pruner: new TableSnapshotPruner(await tables(env)), clock: { now: () => new Date() }, log, settings: { retentionDays: config.retention.retentionDays } };
}

/*
 * What `npm run doctor` checks: the very clients and credentials the functions above use, so a
 * check that passes means the function's call would pass too.
 */

/** Microsoft Graph as the Graph collectors reach it. */
export async function graphConnection(env: Env = process.env): Promise<ApiConnection> {
  return apiConnection(env, 'Graph');
}

/** Partner Center as collectNonMfaPrincipals reaches it (app-only, or App+User through Key Vault). */
export async function partnerCenterConnection(env: Env = process.env): Promise<ApiConnection> {
  return apiConnection(env, 'Partner Center');
}

/** The credential that reaches Table Storage, ACS and Key Vault. */
export async function resourceTokenCredential(env: Env = process.env): Promise<TokenCredential> {
  return resourceCredential(readConfig(env, ['identity']));
}

/** The detector's email sender. */
export async function emailSender(env: Env = process.env): Promise<AcsEmailSender> {
  return acsSender(readConfig(env, ['identity', 'email', 'limits']));
}

/** The Key Vault secret AZURE_CLIENT_SECRET comes from (CLIENT_SECRET_KEY_VAULT_SECRET), read for its expiry; null when none is named. */
export async function clientSecretStore(env: Env = process.env): Promise<ClientSecretStore | null> {
  // Unset, nothing else is read: an identity problem is then no concern of the expiry check.
  const location = readConfig(env, ['clientSecretStore']).clientSecretStore;
  if (location === null) return null;
  const config = readConfig(env, ['identity', 'clientSecretStore', 'limits']);
  const { KeyVaultClientSecretStore } = await import('./adapters/keyVaultClientSecretStore');
  const vaultCredential = await resourceCredential(config);
  // One client for the life of the process: a new one would pay Key Vault's challenge round trip on every status.
  const key = `clientSecret:${JSON.stringify(location)}:${JSON.stringify(config.identity)}:${config.limits.azureRequestTimeoutMs}`;
  return clientSecretStores.get(key, () => new KeyVaultClientSecretStore(location.keyVaultUrl, location.secretName, vaultCredential, config.limits.azureRequestTimeoutMs));
}

/** The Key Vault secret that holds the Partner Center refresh token (PARTNER_CENTER_AUTH=appUser). */
export async function refreshTokenStore(env: Env = process.env): Promise<KeyVaultRefreshTokenStore> {
  const config = readConfig(env, ['identity', 'partnerCenterAuth', 'limits']);
  const auth = config.partnerCenterAuth;
  if (auth.mode !== 'appUser') throw new ConfigurationError(['PARTNER_CENTER_AUTH is app: the refresh token in Key Vault is used only with PARTNER_CENTER_AUTH=appUser']);
  const { KeyVaultRefreshTokenStore } = await import('./adapters/keyVaultRefreshTokenStore');
  return new KeyVaultRefreshTokenStore(auth.keyVaultUrl, auth.refreshTokenSecret, await resourceCredential(config), config.limits.azureRequestTimeoutMs);
}
