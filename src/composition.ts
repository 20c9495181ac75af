import type { TokenCredential } from '@azure/core-auth';
import { readConfig, type ApiConfig, type Config, type ConfigPart } from './config';
import type { CollectorDependencies } from './collectors/runSnapshot';
import type { CustomerDirectory, Logger, NonMfaPrincipalSource, PartnerSecuritySource, RegistrationCountSource } from './ports';
import type { CustomerDirectoryDependencies } from './collectors/refreshCustomerDirectory';
import type { AcsEmailSender } from './adapters/acsEmailSender';
import type { ApiClient } from './adapters/apiClient';
import type { KeyVaultRefreshTokenStore } from './adapters/keyVaultRefreshTokenStore';
import type { Tables, TableSnapshotReader } from './adapters/tableSnapshotStore';
import type { DetectorDependencies } from './detector/runDetector';
import type { PruneDependencies } from './retention/pruneSnapshots';
import type { QueryDependencies } from './api/queries';

/**
 * The composition root. Nothing is built at module load (an exception there would block every
 * function of the app, and cold start pays for every import): each accessor reads only the
 * settings its function needs, imports the adapters on first use, and keeps what it built for
 * the next invocation. A change of settings (tests, the local host) builds afresh.
 */
type Env = Readonly<Record<string, string | undefined>>;

const built = new Map<string, unknown>();

function memo<T>(key: string, build: () => T): T {
  if (!built.has(key)) built.set(key, build());
  return built.get(key) as T;
}

function credentialKey(config: Pick<Config, 'identity'>): string {
  return `credential:${JSON.stringify(config.identity)}`;
}

async function credential(config: Pick<Config, 'identity'>): Promise<TokenCredential> {
  const { createCredential } = await import('./adapters/credential');
  return memo(credentialKey(config), () => createCredential(config.identity));
}

/** Table Storage, ACS and Key Vault: the user-assigned managed identity where one is named, else the app's credential. */
async function resourceCredential(config: Pick<Config, 'identity'>): Promise<TokenCredential> {
  const clientId = config.identity.managedIdentityClientId;
  if (clientId === null) return credential(config);
  const { ManagedIdentityCredential } = await import('@azure/identity');
  return memo(`managedIdentity:${clientId}`, () => new ManagedIdentityCredential({ clientId }));
}

/** Partner Center's App+User token: the Secure Application Model, its refresh token in Key Vault. */
async function secureApplicationModelCredential(config: Pick<Config, 'identity' | 'partnerCenterAuth' | 'limits'>): Promise<TokenCredential> {
  const [{ SecureApplicationModelCredential }, { KeyVaultRefreshTokenStore }] = await Promise.all([
    import('./adapters/secureApplicationModelCredential'),
    import('./adapters/keyVaultRefreshTokenStore'),
  ]);
  const vaultCredential = await resourceCredential(config);
  const auth = config.partnerCenterAuth;
  return memo(`sam:${JSON.stringify(auth)}`, () => {
    const store = new KeyVaultRefreshTokenStore(auth.keyVaultUrl, auth.refreshTokenSecret, vaultCredential, config.limits.azureRequestTimeoutMs);
    return new SecureApplicationModelCredential({ tenantId: auth.tenantId, clientId: auth.clientId, authorityHost: auth.authorityHost, store });
  });
}

async function acsSender(config: Pick<Config, 'identity' | 'email' | 'limits'>): Promise<AcsEmailSender> {
  const { AcsEmailSender } = await import('./adapters/acsEmailSender');
  const tokenCredential = config.email.connectionString === null ? await resourceCredential(config) : null;
  return memo(`acs:${JSON.stringify(config.email)}:${config.limits.azureRequestTimeoutMs}`, () => new AcsEmailSender(config.email, () => tokenCredential as TokenCredential, config.limits.azureRequestTimeoutMs));
}

async function tables(env: Env): Promise<Tables> {
  const config = readConfig(env, ['storage', 'identity', 'limits']);
  const { Tables } = await import('./adapters/tableSnapshotStore');
  const tokenCredential = config.storage.endpoint !== null && config.storage.connectionString === null ? await resourceCredential(config) : null;
  const timeoutMs = config.limits.azureRequestTimeoutMs;
  return memo(`tables:${JSON.stringify(config.storage)}:${timeoutMs}`, () => new Tables(config.storage, () => tokenCredential as TokenCredential, timeoutMs));
}

/** One Microsoft API as the collectors reach it: the client, and the credential and scope its tokens come from. */
export interface ApiConnection {
  client: ApiClient;
  credential: TokenCredential;
  scope: string;
}

async function apiConnection(env: Env, service: 'Graph' | 'Partner Center', api: (config: Config) => ApiConfig): Promise<ApiConnection> {
  // Partner Center's auth settings only for Partner Center: a mistake there must not stop Graph.
  const config = readConfig(env, service === 'Partner Center' ? ['identity', 'http', 'graph', 'partnerCenter', 'partnerCenterAuth', 'limits'] : ['identity', 'http', 'graph', 'partnerCenter']);
  const { ApiClient } = await import('./adapters/apiClient');
  const { baseUrl, scope } = api(config as Config);
  const appUser = service === 'Partner Center' && (config as Config).partnerCenterAuth.mode === 'appUser';
  const samKey = appUser ? `sam:${JSON.stringify((config as Config).partnerCenterAuth)}` : null;
  const tokenCredential = appUser ? await secureApplicationModelCredential(config as Config) : await credential(config);
  const key = `api:${service}:${baseUrl}:${JSON.stringify(config.http)}:${JSON.stringify(config.identity)}:${samKey ?? 'app'}`;
  // A token the service refuses (revoked, or its app's consent withdrawn) is cached by the
  // credential until it expires: forget both, so the next invocation asks Entra afresh.
  const forget = (): void => {
    built.delete(key);
    built.delete(credentialKey(config));
    if (samKey !== null) built.delete(samKey);
  };
  const client = memo(key, () => new ApiClient({ service, baseUrl, scope, credential: tokenCredential, http: config.http, onUnauthorized: forget }));
  return { client, credential: tokenCredential, scope };
}

async function apiClient(env: Env, service: 'Graph' | 'Partner Center', api: (config: Config) => ApiConfig): Promise<ApiClient> {
  return (await apiConnection(env, service, api)).client;
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
  const graph = await apiClient(env, 'Graph', (config) => config.graph);
  const dependencies = await collectorDependencies(env, log);
  return {
    ...dependencies,
    partnerSecurity: new GraphPartnerSecuritySource(graph),
    customerDirectory: {
      directory: new TableCustomerDirectory(await tables(env)),
      nameSources: [
        new GraphDelegatedAdminCustomerSource(() => Promise.resolve(graph)),
        // Partner Center's settings are read only when GDAP leaves customers unnamed: a mistake there costs names, never the insights.
        new PartnerCenterCustomerSource(() => apiClient(env, 'Partner Center', (config) => config.partnerCenter)),
      ],
      clock: dependencies.clock,
    },
  };
}

export async function nonMfaPrincipalCollector(log: Logger, env: Env = process.env): Promise<CollectorDependencies & { nonMfaPrincipals: NonMfaPrincipalSource }> {
  validate(env, ['storage', 'identity', 'http', 'partnerCenter', 'partnerCenterAuth']);
  const { PartnerCenterPrincipalSource } = await import('./adapters/partnerCenterPrincipalSource');
  const partnerCenter = await apiClient(env, 'Partner Center', (config) => config.partnerCenter);
  return { ...(await collectorDependencies(env, log)), nonMfaPrincipals: new PartnerCenterPrincipalSource(partnerCenter) };
}

export async function registrationCountCollector(log: Logger, env: Env = process.env): Promise<CollectorDependencies & { registrationCounts: RegistrationCountSource }> {
  validate(env, ['storage', 'identity', 'http', 'graph']);
  const { GraphRegistrationCountSource } = await import('./adapters/graphRegistrationCountSource');
  const graph = await apiClient(env, 'Graph', (config) => config.graph);
  return { ...(await collectorDependencies(env, log)), registrationCounts: new GraphRegistrationCountSource(graph) };
}

export async function regressionDetector(log: Logger, env: Env = process.env): Promise<DetectorDependencies> {
  const config = readConfig(env, ['storage', 'identity', 'email', 'detection', 'limits']);
  const [{ TableSnapshotReader, TableSnapshotStore }, { TableDetectorStore }, { TableCustomerDirectory }] = await Promise.all([
    import('./adapters/tableSnapshotStore'),
    import('./adapters/tableDetectorStore'),
    import('./adapters/tableCustomerDirectory'),
  ]);
  const tableSet = await tables(env);
  const sender = await acsSender(config);
  return {
    snapshots: new TableSnapshotReader(tableSet),
    runs: new TableSnapshotStore(tableSet),
    store: new TableDetectorStore(tableSet),
    sender,
    // Read afresh each run: a detector run reads names at most once, and only when it renders an email.
    directory: new TableCustomerDirectory(tableSet),
    clock: { now: () => new Date() },
    log,
    settings: {
      thresholds: { nonAdminShareDropPoints: config.detection.nonAdminShareDropPoints, sourceFailuresBeforeAlert: config.detection.sourceFailuresBeforeAlert },
      reminderDays: config.detection.reminderDays,
      publicBaseUrl: config.email.publicBaseUrl,
      alertMaxLines: config.detection.alertMaxLines,
      undeliveredAlertLimitMs: config.detection.undeliveredAlertLimitMs,
      emailTimeoutMs: config.email.timeoutMs,
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
  const [{ TableQueryReader }, { continuationTokens }, { TableCustomerDirectory }] = await Promise.all([
    import('./adapters/tableQueryReader'),
    import('./api/continuationToken'),
    import('./adapters/tableCustomerDirectory'),
  ]);
  const tableSet = await tables(env);
  const tokens = memo(`tokens:${config.queryApi.tokenSecret ?? ''}`, () => continuationTokens(config.queryApi.tokenSecret));
  const reader = memo(`queryReader:${JSON.stringify(config.storage)}`, () => new TableQueryReader(tableSet));
  // Names change at most daily: one read serves a minute of API calls.
  const directory = memo(`customerNames:${JSON.stringify(config.storage)}`, () => new TableCustomerDirectory(tableSet, { namesMaxAgeMs: 60_000 }));
  return { reader, tokens, clock: { now: () => new Date() }, directory, undeliveredAlertLimitMs: config.queryApi.undeliveredAlertLimitMs };
}

/**
 * When this invocation must stop (see core/invocationDeadline): INVOCATION_DEADLINE_SECONDS
 * from now, else host.json's functionTimeout less the margin that records the failure.
 */
export async function invocationDeadline(env: Env = process.env): Promise<Date> {
  const startedAt = Date.now();
  const config = readConfig(env, ['limits']);
  const [{ hostFunctionTimeout }, { invocationBudgetMs, parseFunctionTimeout }] = await Promise.all([import('./adapters/hostJson'), import('./core/invocationDeadline')]);
  return new Date(startedAt + invocationBudgetMs(parseFunctionTimeout(hostFunctionTimeout()), config.limits.invocationDeadlineSeconds));
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
  return apiConnection(env, 'Graph', (config) => config.graph);
}

/** Partner Center as collectNonMfaPrincipals reaches it (app-only, or App+User through Key Vault). */
export async function partnerCenterConnection(env: Env = process.env): Promise<ApiConnection> {
  return apiConnection(env, 'Partner Center', (config) => config.partnerCenter);
}

/** The credential that reaches Table Storage, ACS and Key Vault. */
export async function resourceTokenCredential(env: Env = process.env): Promise<TokenCredential> {
  return resourceCredential(readConfig(env, ['identity']));
}

/** The detector's email sender. */
export async function emailSender(env: Env = process.env): Promise<AcsEmailSender> {
  return acsSender(readConfig(env, ['identity', 'email', 'limits']));
}

/** The Key Vault secret that holds the Partner Center refresh token (PARTNER_CENTER_AUTH=appUser). */
export async function refreshTokenStore(env: Env = process.env): Promise<KeyVaultRefreshTokenStore> {
  const config = readConfig(env, ['identity', 'partnerCenterAuth', 'limits']);
  const { KeyVaultRefreshTokenStore } = await import('./adapters/keyVaultRefreshTokenStore');
  const auth = config.partnerCenterAuth;
  return new KeyVaultRefreshTokenStore(auth.keyVaultUrl, auth.refreshTokenSecret, await resourceCredential(config), config.limits.azureRequestTimeoutMs);
}
