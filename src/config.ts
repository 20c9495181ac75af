import { defaultRoutes, parseRoutes, type AlertRoute, type ChannelName } from './core/alertRoutes';
import { ConfigurationError } from './core/errors';

/**
 * The one place that reads settings. Every setting is documented here (and in the README's
 * table, which a test keeps in step). Reading is lazy and per need: a function asks for the
 * parts it uses, and a missing or malformed setting fails that function with one message
 * naming every problem, never the whole app at load.
 */

interface SettingDoc {
  name: string;
  description: string;
  default?: string;
  usedBy: string;
}

export const settingDocs: readonly SettingDoc[] = [
  { name: 'TABLES_CONNECTION_STRING', usedBy: 'all functions', description: 'Table Storage connection string (local development, Azurite). One of this or TABLES_ENDPOINT is required.' },
  { name: 'TABLES_ENDPOINT', usedBy: 'all functions', description: 'Table service URL, e.g. https://ACCOUNT.table.core.windows.net, reached with the managed identity (Azure).' },
  { name: 'TABLE_PREFIX', usedBy: 'all functions', default: 'mfa', description: 'Prefix of every table name (letters and digits, starting with a letter, at most 40 characters).' },
  { name: 'GRAPH_BASE_URL', usedBy: 'collectPartnerSecurity, collectRegistrationCounts', default: 'https://graph.microsoft.com', description: 'Microsoft Graph root (https). Tokens are requested for `<GRAPH_BASE_URL>/.default`.' },
  { name: 'PARTNER_CENTER_BASE_URL', usedBy: 'collectNonMfaPrincipals', default: 'https://api.partnercenter.microsoft.com', description: 'Partner Center API root (https). Tokens are requested for `<PARTNER_CENTER_BASE_URL>/.default`. collectPartnerSecurity reads customer names there too, where a problem is only a warning.' },
  { name: 'AZURE_TENANT_ID', usedBy: 'collectors', description: 'Partner tenant id. Required with a client secret or certificate.' },
  { name: 'AZURE_CLIENT_ID', usedBy: 'collectors, storage', description: 'App registration client id (with a secret or certificate), or the user-assigned managed identity client id.' },
  { name: 'APP_CREDENTIAL', usedBy: 'collectors', default: 'auto', description: "How the app signs in as its app registration (AZURE_TENANT_ID, AZURE_CLIENT_ID): `auto`, with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, else as the managed identity itself; `managedIdentityFederation`, with a token of the managed identity (MANAGED_IDENTITY_CLIENT_ID) that the registration trusts through a federated credential, so no secret exists (Azure)." },
  { name: 'AZURE_CLIENT_SECRET', usedBy: 'collectors', description: 'App registration client secret (outside Azure). Without it and without a certificate, the managed identity is used.' },
  { name: 'CLIENT_SECRET_KEY_VAULT_SECRET', usedBy: 'query API (apiStatus, apiHealth), doctor', description: "Name of the Key Vault secret (in KEY_VAULT_URL) that AZURE_CLIENT_SECRET comes from, e.g. `graph-client-secret`: its expiry (never its value) is read, and `/api/status` warns 30 days before it and is unhealthy from 7 days before (see [A partner tenant other than the subscription's](docs/deploy.md#a-partner-tenant-other-than-the-subscriptions)). Unset: no expiry is checked." },
  { name: 'AZURE_CLIENT_CERTIFICATE_PATH', usedBy: 'collectors', description: 'PEM certificate with private key for the app registration, instead of a secret.' },
  { name: 'AZURE_CLIENT_CERTIFICATE_PASSWORD', usedBy: 'collectors', description: 'Password of AZURE_CLIENT_CERTIFICATE_PATH, if it has one.' },
  { name: 'MANAGED_IDENTITY_CLIENT_ID', usedBy: 'storage, ACS, Key Vault', description: 'Client id of the user-assigned managed identity that reaches Table Storage, ACS and Key Vault (Azure). Without it those use the AZURE_* credential too.' },
  { name: 'PARTNER_CENTER_AUTH', usedBy: 'collectNonMfaPrincipals', default: 'app', description: '`app`: app-only tokens (the AZURE_* credential); `appUser`: the Secure Application Model, an App+User token from the partner admin\'s refresh token in Key Vault (what Partner Center documents). Customer names from Partner Center use the same tokens.' },
  { name: 'PARTNER_CENTER_APP_CLIENT_ID', usedBy: 'collectNonMfaPrincipals (appUser)', description: 'Client id of the app registration the admin consented to with `npm run consent` (a public client). Defaults to AZURE_CLIENT_ID.' },
  { name: 'KEY_VAULT_URL', usedBy: 'collectNonMfaPrincipals (appUser), query API (apiStatus), doctor', description: 'Key Vault holding the refresh token and the client secret, e.g. https://NAME.vault.azure.net. Required with PARTNER_CENTER_AUTH=appUser and with CLIENT_SECRET_KEY_VAULT_SECRET.' },
  { name: 'PARTNER_CENTER_REFRESH_TOKEN_SECRET', usedBy: 'collectNonMfaPrincipals (appUser)', default: 'partner-center-refresh-token', description: 'Name of the Key Vault secret holding the refresh token; each rotation adds a version.' },
  { name: 'AZURE_AUTHORITY_HOST', usedBy: 'collectors', default: 'https://login.microsoftonline.com', description: 'Entra authority host (sovereign clouds, or the local simulator).' },
  { name: 'HTTP_TIMEOUT_SECONDS', usedBy: 'collectors', default: '30', description: 'Timeout of one HTTP attempt to Graph or Partner Center.' },
  { name: 'HTTP_MAX_RETRIES', usedBy: 'collectors', default: '5', description: 'Retries of one request after 429/500/502/503/504 or a timeout (0-10).' },
  { name: 'HTTP_MAX_CONCURRENCY', usedBy: 'collectors', default: '4', description: 'Requests in flight at once per API (1-32).' },
  { name: 'HTTP_MAX_RETRY_AFTER_SECONDS', usedBy: 'collectors', default: '120', description: 'Longest Retry-After the monitor waits; a longer one fails the run instead of outliving the function timeout.' },
  { name: 'AZURE_REQUEST_TIMEOUT_SECONDS', usedBy: 'all functions', default: '20', description: 'Timeout of one attempt of a Table Storage, ACS or Key Vault request (1-300); a timed-out attempt is retried by the SDK like a dropped connection.' },
  { name: 'INVOCATION_DEADLINE_SECONDS', usedBy: 'collectors, detectRegressions, pruneSnapshots', description: "How long one invocation may work (5-86400): a collector's work is then cancelled and its run recorded `failed` (DeadlineExceeded); the detector starts no send, and pruneSnapshots no deletion, that could end after it. Unset: host.json's `functionTimeout` less a margin (10 %, at least 60 s) to record the failure; 540 s with the 10-minute timeout. Must leave that margin." },
  { name: 'SCHEDULE_PARTNER_SECURITY', usedBy: 'collectPartnerSecurity', default: '0 15 5 * * *', description: 'NCRONTAB (6 fields, UTC) of collectPartnerSecurity. Read by the Functions host; `/api/status` expects a complete run after each occurrence (see HEALTH_GRACE_MINUTES).' },
  { name: 'SCHEDULE_NON_MFA_PRINCIPALS', usedBy: 'collectNonMfaPrincipals', default: '0 0 */6 * * *', description: 'NCRONTAB of collectNonMfaPrincipals; at least daily, since Partner Center keeps only 7 days.' },
  { name: 'SCHEDULE_REGISTRATION_COUNTS', usedBy: 'collectRegistrationCounts', default: '0 30 5 * * *', description: 'NCRONTAB of collectRegistrationCounts.' },
  { name: 'SCHEDULE_PRUNE_SNAPSHOTS', usedBy: 'pruneSnapshots', default: '0 30 3 * * *', description: 'NCRONTAB of pruneSnapshots (daily by default).' },
  { name: 'RETENTION_DAYS', usedBy: 'pruneSnapshots', default: '400', description: 'Snapshot runs older than this many days are deleted (1-3650); the newest complete run of each source is always kept.' },
  { name: 'SCHEDULE_DETECT_REGRESSIONS', usedBy: 'detectRegressions', default: '0 45 * * * *', description: 'NCRONTAB of detectRegressions (hourly by default, after the collectors); `/api/status` expects a completed run after each occurrence too.' },
  { name: 'SCHEDULE_WEEKLY_DIGEST', usedBy: 'sendWeeklyDigest', default: '0 0 7 * * 1', description: 'NCRONTAB of sendWeeklyDigest (Mondays 07:00 UTC by default). One digest per ISO week goes out whatever the schedule: a second run in the same week sends nothing.' },
  { name: 'ACS_CONNECTION_STRING', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'Azure Communication Services connection string (local development). One of this or ACS_ENDPOINT is required.' },
  { name: 'ACS_ENDPOINT', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'Communication Services endpoint, e.g. https://NAME.communication.azure.com, reached with the managed identity (Azure).' },
  { name: 'ALERT_FROM', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'Sender address of alerts: a MailFrom address of the linked (Azure-managed or custom) email domain.' },
  { name: 'ALERT_TO', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'Comma-separated recipient addresses of alerts.' },
  { name: 'PUBLIC_BASE_URL', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'Base URL of this function app, for links in alerts (e.g. https://APP.azurewebsites.net). Without it, alerts carry no links.' },
  { name: 'EMAIL_TIMEOUT_SECONDS', usedBy: 'detectRegressions, sendWeeklyDigest', default: '120', description: 'How long one send waits for ACS to confirm the email before leaving it for the next run (which looks it up before resending).' },
  { name: 'TEAMS_WEBHOOK_URL', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'URL of a Teams Workflows webhook ("Post to a channel when a webhook request is received"): alerts are posted there as Adaptive Cards. A secret (a Key Vault reference in Azure), never logged.' },
  { name: 'SLACK_WEBHOOK_URL', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'URL of a Slack incoming webhook: alerts are posted there with Block Kit. A secret (a Key Vault reference in Azure), never logged.' },
  { name: 'ALERT_WEBHOOK_URL', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'URL of your own receiver: alerts are posted there as JSON, signed as Standard Webhooks specifies (see [Signed webhooks](docs/alerts.md#signed-webhooks)). A secret (a Key Vault reference in Azure), never logged.' },
  { name: 'ALERT_WEBHOOK_SECRET', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'Signing secret of ALERT_WEBHOOK_URL, required with it: `whsec_` and the base64 of 24 to 64 random bytes. A Key Vault reference in Azure.' },
  { name: 'WEBHOOK_TIMEOUT_SECONDS', usedBy: 'detectRegressions, sendWeeklyDigest', default: '30', description: 'How long one post to Teams, Slack or the signed webhook may take, retries after 429 and 5xx included (1-300), before it is left for the next run.' },
  { name: 'ALERT_ROUTES', usedBy: 'detectRegressions, sendWeeklyDigest', description: 'Which findings go to which channels: routes `<selector> -> <targets>` separated by `;`, the first matching route deciding, the last a catch-all `*` (see [Routing](docs/alerts.md#routing)). Unset: every finding to every configured channel (email alone unless a webhook URL is set).' },
  { name: 'ALERT_REMINDER_DAYS', usedBy: 'detectRegressions', default: '7', description: 'Days after which still-open findings are listed again in a reminder (0 = never).' },
  { name: 'ALERT_MAX_LINES', usedBy: 'detectRegressions, sendWeeklyDigest', default: '50', description: 'Most lines an alert lists per section (new regressions, resolved, still open), and most customers, users and findings the weekly digest names per list, 1-1000; the rest are counted ("and N more") and linked to the query API.' },
  { name: 'NON_ADMIN_SHARE_DROP_POINTS', usedBy: 'detectRegressions', default: '5', description: "Percentage points by which a customer's share of MFA-compliant non-admin users may fall before it is a regression." },
  { name: 'SOURCE_FAILURES_BEFORE_ALERT', usedBy: 'detectRegressions', default: '3', description: 'Consecutive failed runs of one source before a "monitor cannot see" alert (1-100).' },
  { name: 'API_TOKEN_SECRET', usedBy: 'query API (apiCustomers, apiPrincipals)', description: 'Key that signs continuation tokens (any long random string, e.g. a Key Vault reference). Without it each instance signs with a random key, so a token fails (400) on another instance or after a restart.' },
  { name: 'ALERT_UNDELIVERED_HOURS', usedBy: 'detectRegressions, query API (apiStatus)', default: '2', description: 'Hours an alert may wait undelivered in the outbox while a channel (ACS, Teams, Slack, the signed webhook) fails transiently before each detectRegressions invocation fails and `/api/status` reports the monitor unhealthy (1-168). A channel refusing the monitor (ACS 401/403, a webhook 401/403/404/410) fails the invocation at once.' },
  { name: 'HEALTH_GRACE_MINUTES', usedBy: 'query API (apiStatus, apiHealth)', description: "Minutes after its scheduled time by which each collector's and the detector's run must have completed before `/api/status` reports it late (1-1440). Unset: the invocation's time limit (INVOCATION_DEADLINE_SECONDS or host.json) plus 5 minutes for a cold start and a late timer, 14 min with the 10-minute timeout. Shorter than that limit is refused." },
  { name: 'WAIVER_MAX_DAYS', usedBy: 'query API (apiWaiverCreate, apiWaiverUpdate)', default: '180', description: 'Longest a waiver may last, in days from when it is created or changed (1-3650); an expiry is required, so every waiver is renewed on purpose.' },
  { name: 'EASY_AUTH_IDENTITY', usedBy: 'query API (apiWaiverCreate, apiWaiverUpdate, apiWaiverDelete)', default: 'false', description: '`true` only when App Service Authentication (Easy Auth) is enabled on the function app: the audit then records who changed a waiver from the X-MS-CLIENT-PRINCIPAL-NAME (or X-MS-CLIENT-PRINCIPAL) header it injects. Without Easy Auth anyone can send those headers, so they are ignored and the actor is recorded as `admin key`.' },
  { name: 'PORT', usedBy: 'local host', default: '7071', description: 'Port of the local host (`npm start`) for HTTP functions.' },
  { name: 'HOST', usedBy: 'local host', default: '127.0.0.1', description: 'Address the local host listens on; the default lets only this machine in. `0.0.0.0` opens it to the network (the function key still applies).' },
  { name: 'LOCAL_FUNCTION_KEY', usedBy: 'local host', description: 'Function key the local host demands (`x-functions-key` header or `?code=`), at least 16 characters: an empty or shorter one stops the host at start-up. When unset, a random one is generated and printed once (never inside a URL).' },
  { name: 'LOCAL_ADMIN_KEY', usedBy: 'local host', description: 'Admin key the local host demands for admin-level functions (the waiver writes), as Azure demands the master key; at least 16 characters and not the function key, else the host stops at start-up. The function key gets 401 there. When unset, a random one is generated and printed once.' },
  { name: 'AZURITE_LOCATION', usedBy: 'local host', description: 'Folder where the local host keeps Azurite data between runs; in memory when unset. Ignored when TABLES_* is set.' },
];

type Env = Readonly<Record<string, string | undefined>>;

export interface StorageConfig {
  connectionString: string | null;
  endpoint: string | null;
  tablePrefix: string;
}

export interface IdentityConfig {
  /** `managedIdentityFederation`: the app registration, proven by a managed identity token instead of a secret. */
  credential: 'auto' | 'managedIdentityFederation';
  tenantId: string | null;
  clientId: string | null;
  clientSecret: string | null;
  certificatePath: string | null;
  certificatePassword: string | null;
  authorityHost: string | null;
  managedIdentityClientId: string | null;
}

/** How Partner Center is reached: app-only tokens, or App+User through the Secure Application Model. */
type PartnerCenterAuthConfig = { mode: 'app' } | AppUserAuthConfig;

export interface AppUserAuthConfig {
  mode: 'appUser';
  tenantId: string;
  clientId: string;
  authorityHost: string;
  keyVaultUrl: string;
  refreshTokenSecret: string;
}

interface RetentionConfig {
  retentionDays: number;
}

export interface HttpConfig {
  timeoutMs: number;
  maxRetries: number;
  maxConcurrency: number;
  maxRetryAfterMs: number;
}

interface LimitsConfig {
  /** Per attempt, of Table Storage, ACS and Key Vault calls. */
  azureRequestTimeoutMs: number;
  /** INVOCATION_DEADLINE_SECONDS, or null to derive the deadline from host.json. */
  invocationDeadlineSeconds: number | null;
}

interface ApiConfig {
  baseUrl: string;
  scope: string;
}

export interface EmailConfig {
  connectionString: string | null;
  endpoint: string | null;
  from: string;
  to: string[];
  publicBaseUrl: string | null;
  timeoutMs: number;
}

export interface ChannelsConfig {
  teams: string | null;
  slack: string | null;
  webhook: string | null;
  webhookSecret: string | null;
  /** Budget of one post, retries included. */
  timeoutMs: number;
  /** ALERT_ROUTES, or the default: every finding to every configured channel. */
  routes: AlertRoute[];
}

interface DetectionConfig {
  /** How long an alert may wait undelivered before the detector's invocations fail. */
  undeliveredAlertLimitMs: number;
  reminderDays: number;
  alertMaxLines: number;
  nonAdminShareDropPoints: number;
  sourceFailuresBeforeAlert: number;
}

/** Where the app registration's client secret is kept, so its expiry can be read. */
interface ClientSecretStoreConfig {
  keyVaultUrl: string;
  secretName: string;
}

interface QueryApiConfig {
  tokenSecret: string | null;
  /** How long an alert may wait undelivered before the monitor is unhealthy. */
  undeliveredAlertLimitMs: number;
}

export interface WaiverConfig {
  /** Longest a waiver may last from when it is created or changed. */
  maxDays: number;
  /** Whether App Service Authentication's identity headers are there to be trusted (only behind Easy Auth). */
  easyAuthIdentity: boolean;
}

interface HealthConfig {
  /** The NCRONTAB each scheduled function runs on, by the setting it is read from, unparsed. */
  schedules: {
    partnerSecurity: ScheduleSetting;
    nonMfaPrincipals: ScheduleSetting;
    registrationCounts: ScheduleSetting;
    detectRegressions: ScheduleSetting;
  };
  /** HEALTH_GRACE_MINUTES, or null to derive the grace from the invocation's time limit. */
  graceMinutes: number | null;
}

export interface ScheduleSetting {
  setting: string;
  expression: string;
}

export interface Config {
  health: HealthConfig;
  waivers: WaiverConfig;
  limits: LimitsConfig;
  partnerCenterAuth: PartnerCenterAuthConfig;
  retention: RetentionConfig;
  queryApi: QueryApiConfig;
  /** CLIENT_SECRET_KEY_VAULT_SECRET and its vault; null when unset. */
  clientSecretStore: ClientSecretStoreConfig | null;
  email: EmailConfig;
  channels: ChannelsConfig;
  detection: DetectionConfig;
  storage: StorageConfig;
  identity: IdentityConfig;
  http: HttpConfig;
  graph: ApiConfig;
  partnerCenter: ApiConfig;
}

export type ConfigPart = keyof Config;

/** Every part, so that checking the whole configuration cannot forget one (the type demands each). */
const everyPart: Record<ConfigPart, true> = {
  health: true, waivers: true, limits: true, partnerCenterAuth: true, retention: true, queryApi: true, email: true,
  channels: true, detection: true, storage: true, identity: true, http: true, graph: true, partnerCenter: true, clientSecretStore: true,
};

/** A setting some function cannot read: the setting, and why, in words that never hold its value. */
export interface SettingProblem {
  setting: string;
  problem: string;
}

/**
 * Every problem of the whole configuration, each naming its setting: what fails some function
 * on each run (the detector on a bad ALERT_ROUTES, a waiver write on a bad WAIVER_MAX_DAYS). The
 * status lists them as reasons, the host logs them when it starts, the doctor shows them; the
 * app still loads, and each function still reads only the parts it needs.
 */
export function configurationProblems(env: Env): SettingProblem[] {
  try {
    readConfig(env, Object.keys(everyPart) as ConfigPart[]);
    return [];
  } catch (thrown) {
    if (!(thrown instanceof ConfigurationError)) throw thrown;
    // Two parts may find the same problem (AZURE_TENANT_ID for two sign-ins): name it once.
    return [...new Set(thrown.problems)].map((problem) => ({ setting: settingOf(problem), problem }));
  }
}

/** The setting a problem is about: every problem begins with its setting's name (a test holds each to it). */
function settingOf(problem: string): string {
  const named = settingDocs.find((doc) => problem.startsWith(doc.name) && !/\w/.test(problem.charAt(doc.name.length)));
  return named?.name ?? 'configuration';
}

/** Reads the parts a function needs; throws one ConfigurationError naming every problem. */
export function readConfig<P extends ConfigPart>(env: Env, parts: readonly P[]): Pick<Config, P> {
  const reader = new SettingsReader(env);
  const readers: { [K in ConfigPart]: () => Config[K] } = {
    storage: () => readStorage(reader),
    identity: () => readIdentity(reader),
    http: () => readHttp(reader),
    graph: () => readApi(reader, 'GRAPH_BASE_URL'),
    partnerCenter: () => readApi(reader, 'PARTNER_CENTER_BASE_URL'),
    email: () => readEmail(reader),
    channels: () => readChannels(reader),
    partnerCenterAuth: () => readPartnerCenterAuth(reader),
    clientSecretStore: () => readClientSecretStore(reader),
    retention: () => ({ retentionDays: reader.integer('RETENTION_DAYS', 1, 3650) }),
    waivers: () => ({ maxDays: reader.integer('WAIVER_MAX_DAYS', 1, 3650), easyAuthIdentity: reader.boolean('EASY_AUTH_IDENTITY') }),
    limits: () => ({
      azureRequestTimeoutMs: reader.integer('AZURE_REQUEST_TIMEOUT_SECONDS', 1, 300) * 1000,
      invocationDeadlineSeconds: reader.optionalInteger('INVOCATION_DEADLINE_SECONDS', 5, 86_400),
    }),
    health: () => ({
      // Read as NCRONTAB where health is judged, so that a schedule the host cannot run is a reason there, not a failed status call.
      schedules: {
        partnerSecurity: scheduleSetting(reader, 'SCHEDULE_PARTNER_SECURITY'),
        nonMfaPrincipals: scheduleSetting(reader, 'SCHEDULE_NON_MFA_PRINCIPALS'),
        registrationCounts: scheduleSetting(reader, 'SCHEDULE_REGISTRATION_COUNTS'),
        detectRegressions: scheduleSetting(reader, 'SCHEDULE_DETECT_REGRESSIONS'),
      },
      graceMinutes: reader.optionalInteger('HEALTH_GRACE_MINUTES', 1, 1440),
    }),
    queryApi: () => ({ tokenSecret: reader.optional('API_TOKEN_SECRET'), undeliveredAlertLimitMs: reader.integer('ALERT_UNDELIVERED_HOURS', 1, 168) * 3_600_000 }),
    detection: () => ({
      reminderDays: reader.integer('ALERT_REMINDER_DAYS', 0, 365),
      alertMaxLines: reader.integer('ALERT_MAX_LINES', 1, 1000),
      nonAdminShareDropPoints: reader.integer('NON_ADMIN_SHARE_DROP_POINTS', 0, 100),
      sourceFailuresBeforeAlert: reader.integer('SOURCE_FAILURES_BEFORE_ALERT', 1, 100),
      undeliveredAlertLimitMs: reader.integer('ALERT_UNDELIVERED_HOURS', 1, 168) * 3_600_000,
    }),
  };
  const config = {} as Pick<Config, P>;
  for (const part of parts) (config as Record<string, unknown>)[part] = readers[part]();
  reader.throwIfProblems();
  return config;
}

function scheduleSetting(reader: SettingsReader, setting: string): ScheduleSetting {
  return { setting, expression: reader.withDefault(setting) };
}

function readStorage(reader: SettingsReader): StorageConfig {
  const connectionString = reader.optional('TABLES_CONNECTION_STRING');
  const endpoint = reader.optionalUrl('TABLES_ENDPOINT', { https: true });
  if (connectionString === null && endpoint === null) {
    reader.problem('TABLES_CONNECTION_STRING or TABLES_ENDPOINT is required (neither is set)');
  }
  if (connectionString !== null && !/(^|;)\s*(TableEndpoint|AccountName|UseDevelopmentStorage)\s*=/i.test(connectionString)) {
    reader.problem('TABLES_CONNECTION_STRING is not a storage connection string (no TableEndpoint, AccountName or UseDevelopmentStorage)');
  }
  const tablePrefix = reader.withDefault('TABLE_PREFIX');
  if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(tablePrefix)) {
    reader.problem('TABLE_PREFIX must be 1-40 letters or digits starting with a letter');
  }
  return { connectionString, endpoint, tablePrefix };
}

function readIdentity(reader: SettingsReader): IdentityConfig {
  const credential = reader.withDefault('APP_CREDENTIAL');
  if (credential !== 'auto' && credential !== 'managedIdentityFederation') {
    reader.problem('APP_CREDENTIAL must be auto or managedIdentityFederation');
  }
  const identity: IdentityConfig = {
    credential: credential === 'managedIdentityFederation' ? credential : 'auto',
    tenantId: reader.optional('AZURE_TENANT_ID'),
    clientId: reader.optional('AZURE_CLIENT_ID'),
    clientSecret: reader.optional('AZURE_CLIENT_SECRET'),
    certificatePath: reader.optional('AZURE_CLIENT_CERTIFICATE_PATH'),
    certificatePassword: reader.optional('AZURE_CLIENT_CERTIFICATE_PASSWORD'),
    authorityHost: reader.optionalUrl('AZURE_AUTHORITY_HOST', { https: true }),
    managedIdentityClientId: reader.optional('MANAGED_IDENTITY_CLIENT_ID'),
  };
  if (identity.credential === 'managedIdentityFederation') {
    if (identity.tenantId === null) reader.problem('AZURE_TENANT_ID is required with APP_CREDENTIAL=managedIdentityFederation');
    if (identity.clientId === null) reader.problem('AZURE_CLIENT_ID (the app registration) is required with APP_CREDENTIAL=managedIdentityFederation');
    // Two ways to sign in at once would leave it unclear which one is in use.
    if (identity.clientSecret !== null) reader.problem('AZURE_CLIENT_SECRET is set, but APP_CREDENTIAL=managedIdentityFederation uses no secret: remove one of the two');
    if (identity.certificatePath !== null) reader.problem('AZURE_CLIENT_CERTIFICATE_PATH is set, but APP_CREDENTIAL=managedIdentityFederation uses no certificate: remove one of the two');
  } else if (identity.clientSecret !== null || identity.certificatePath !== null) {
    const credentialName = identity.clientSecret !== null ? 'AZURE_CLIENT_SECRET' : 'AZURE_CLIENT_CERTIFICATE_PATH';
    if (identity.tenantId === null) reader.problem(`AZURE_TENANT_ID is required with ${credentialName}`);
    if (identity.clientId === null) reader.problem(`AZURE_CLIENT_ID is required with ${credentialName}`);
  }
  return identity;
}

function readPartnerCenterAuth(reader: SettingsReader): PartnerCenterAuthConfig {
  const mode = reader.withDefault('PARTNER_CENTER_AUTH');
  if (mode === 'app') return { mode };
  if (mode !== 'appUser') {
    reader.problem('PARTNER_CENTER_AUTH must be app or appUser');
    return { mode: 'app' };
  }
  const tenantId = reader.optional('AZURE_TENANT_ID');
  if (tenantId === null) reader.problem('AZURE_TENANT_ID (the partner tenant) is required with PARTNER_CENTER_AUTH=appUser');
  const clientId = reader.optional('PARTNER_CENTER_APP_CLIENT_ID') ?? reader.optional('AZURE_CLIENT_ID');
  if (clientId === null) reader.problem('PARTNER_CENTER_APP_CLIENT_ID (or AZURE_CLIENT_ID) is required with PARTNER_CENTER_AUTH=appUser');
  const keyVaultUrl = reader.optionalUrl('KEY_VAULT_URL', { https: true });
  if (keyVaultUrl === null && reader.optional('KEY_VAULT_URL') === null) reader.problem('KEY_VAULT_URL is required with PARTNER_CENTER_AUTH=appUser');
  const refreshTokenSecret = reader.withDefault('PARTNER_CENTER_REFRESH_TOKEN_SECRET');
  if (!/^[0-9A-Za-z-]{1,127}$/.test(refreshTokenSecret)) reader.problem('PARTNER_CENTER_REFRESH_TOKEN_SECRET must be 1-127 letters, digits or dashes (a Key Vault secret name)');
  return {
    mode,
    tenantId: tenantId ?? '',
    clientId: clientId ?? '',
    // Validated with the identity part, which every function reading this one also reads.
    authorityHost: reader.withDefault('AZURE_AUTHORITY_HOST').replace(/\/+$/, ''),
    keyVaultUrl: keyVaultUrl?.replace(/\/+$/, '') ?? '',
    refreshTokenSecret,
  };
}

function readClientSecretStore(reader: SettingsReader): ClientSecretStoreConfig | null {
  const secretName = reader.optional('CLIENT_SECRET_KEY_VAULT_SECRET');
  if (secretName === null) return null;
  if (!/^[0-9A-Za-z-]{1,127}$/.test(secretName)) reader.problem('CLIENT_SECRET_KEY_VAULT_SECRET must be 1-127 letters, digits or dashes (a Key Vault secret name)');
  const keyVaultUrl = reader.optionalUrl('KEY_VAULT_URL', { https: true });
  if (keyVaultUrl === null && reader.optional('KEY_VAULT_URL') === null) reader.problem('KEY_VAULT_URL is required with CLIENT_SECRET_KEY_VAULT_SECRET');
  return { keyVaultUrl: keyVaultUrl?.replace(/\/+$/, '') ?? '', secretName };
}

function readHttp(reader: SettingsReader): HttpConfig {
  return {
    timeoutMs: reader.integer('HTTP_TIMEOUT_SECONDS', 1, 600) * 1000,
    maxRetries: reader.integer('HTTP_MAX_RETRIES', 0, 10),
    maxConcurrency: reader.integer('HTTP_MAX_CONCURRENCY', 1, 32),
    maxRetryAfterMs: reader.integer('HTTP_MAX_RETRY_AFTER_SECONDS', 0, 3600) * 1000,
  };
}

const emailAddress = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

function readEmail(reader: SettingsReader): EmailConfig {
  const connectionString = reader.optional('ACS_CONNECTION_STRING');
  const endpoint = reader.optionalUrl('ACS_ENDPOINT', { https: true });
  if (connectionString === null && endpoint === null) reader.problem('ACS_CONNECTION_STRING or ACS_ENDPOINT is required (neither is set)');
  if (connectionString !== null && !/(^|;)\s*endpoint\s*=.+;\s*accesskey\s*=/i.test(`${connectionString};`)) {
    reader.problem('ACS_CONNECTION_STRING must look like endpoint=https://...;accesskey=...');
  }
  const from = reader.optional('ALERT_FROM');
  if (from === null) reader.problem('ALERT_FROM is required');
  else if (!emailAddress.test(from)) reader.problem('ALERT_FROM is not an email address');
  const to = (reader.optional('ALERT_TO') ?? '').split(',').map((address) => address.trim()).filter((address) => address !== '');
  if (to.length === 0) reader.problem('ALERT_TO is required (comma-separated email addresses)');
  to.forEach((address, index) => {
    // The position, not the address: configuration errors end up in logs.
    if (!emailAddress.test(address)) reader.problem(`ALERT_TO entry ${index + 1} of ${to.length} is not an email address`);
  });
  const publicBaseUrl = reader.optionalUrl('PUBLIC_BASE_URL', { https: false })?.replace(/\/+$/, '') ?? null;
  const timeoutMs = reader.integer('EMAIL_TIMEOUT_SECONDS', 1, 600) * 1000;
  return { connectionString, endpoint, from: from ?? '', to, publicBaseUrl, timeoutMs };
}

function readChannels(reader: SettingsReader): ChannelsConfig {
  const teams = reader.optionalUrl('TEAMS_WEBHOOK_URL', { https: true });
  const slack = reader.optionalUrl('SLACK_WEBHOOK_URL', { https: true });
  const webhook = reader.optionalUrl('ALERT_WEBHOOK_URL', { https: true });
  const webhookSecret = reader.optional('ALERT_WEBHOOK_SECRET');
  if (webhook !== null && webhookSecret === null) reader.problem('ALERT_WEBHOOK_SECRET is required with ALERT_WEBHOOK_URL: receivers verify every alert with it');
  if (webhookSecret !== null) {
    const key = webhookSecret.startsWith('whsec_') ? webhookSecret.slice('whsec_'.length) : null;
    const bytes = key !== null && /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64').length : 0;
    if (bytes < 24 || bytes > 64) reader.problem('ALERT_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes, e.g. whsec_$(openssl rand -base64 32)');
  }
  const configuredChannels = new Set<ChannelName>(['email']);
  if (teams !== null) configuredChannels.add('teams');
  if (slack !== null) configuredChannels.add('slack');
  if (webhook !== null) configuredChannels.add('webhook');
  const text = reader.optional('ALERT_ROUTES');
  let routes = defaultRoutes({ configuredChannels });
  if (text !== null) {
    const parsed = parseRoutes(text, { configuredChannels });
    if (parsed.routes === null) for (const problem of parsed.problems) reader.problem(problem);
    else routes = parsed.routes;
  }
  return { teams, slack, webhook, webhookSecret, timeoutMs: reader.integer('WEBHOOK_TIMEOUT_SECONDS', 1, 300) * 1000, routes };
}

function readApi(reader: SettingsReader, name: string): ApiConfig {
  const baseUrl = (reader.optionalUrl(name, { https: true }) ?? reader.withDefault(name)).replace(/\/+$/, '');
  return { baseUrl, scope: `${baseUrl}/.default` };
}

class SettingsReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigurationError(this.problems);
  }

  optional(name: string): string | null {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? null : value;
  }

  withDefault(name: string): string {
    const fallback = settingDocs.find((doc) => doc.name === name)?.default;
    if (fallback === undefined) throw new Error(`Setting ${name} has no documented default`);
    return this.optional(name) ?? fallback;
  }

  optionalUrl(name: string, options: { https: boolean }): string | null {
    const value = this.optional(name);
    if (value === null) return null;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problem(`${name} is not a valid URL`);
      return null;
    }
    if (options.https && url.protocol !== 'https:') {
      this.problem(`${name} must be an https:// URL (tokens are never sent over plain http)`);
      return null;
    }
    return value;
  }

  boolean(name: string): boolean {
    const raw = this.withDefault(name).toLowerCase();
    if (raw !== 'true' && raw !== 'false') this.problem(`${name} must be true or false`);
    return raw === 'true';
  }

  optionalInteger(name: string, min: number, max: number): number | null {
    return this.optional(name) === null ? null : this.integer(name, min, max, this.optional(name) ?? '');
  }

  integer(name: string, min: number, max: number, raw: string = this.withDefault(name)): number {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problem(`${name} must be a whole number from ${min} to ${max}`);
      return Number(settingDocs.find((doc) => doc.name === name)?.default);
    }
    return value;
  }
}
