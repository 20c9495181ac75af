import { deadlineMinutesRange } from './core/adminScan';
import { defaultRoutes, parseRoutes, type ChannelName } from './core/alertRoutes';
import { ConfigurationError } from './core/errors';
import { settingDocs } from './settingDocs';
import { SettingsReader, withoutTrailingSlash, type Env } from './settingsReader';
import { readTickets } from './ticketSettings';

/**
 * The one place that reads settings (`process.env` is read here and nowhere else). Every setting
 * is documented in settingDocs (and in the README's table, which a test keeps in step). Reading
 * is lazy and per need: a function asks for the parts it uses, and a missing or malformed setting
 * fails that function with one message naming every problem, never the whole app at load.
 */

export type { Env };
export { settingDocs };

/** Each part's shape is what its reader below returns: one description, which the adapters take as it is. */
export type StorageConfig = Config['storage'];
export type IdentityConfig = Config['identity'];
export type HttpConfig = Config['http'];
export type EmailConfig = Config['email'];
export type ChannelsConfig = Config['channels'];
export type WaiverConfig = Config['waivers'];
export type SignInConfig = NonNullable<Config['signIn']>;
export type CustomerAdminsConfig = Config['customerAdmins'];
export type TicketsConfig = Config['tickets'];
export type ConnectWiseConfig = NonNullable<TicketsConfig['connectwise']>;
export type AutotaskConfig = NonNullable<TicketsConfig['autotask']>;
export type HaloPsaConfig = NonNullable<TicketsConfig['halopsa']>;

/** Partner Center reached as App+User, through the Secure Application Model. */
export type AppUserAuthConfig = Extract<Config['partnerCenterAuth'], { mode: 'appUser' }>;

/** The whole configuration, part by part, each as its reader below reads it. */
export type Config = { [K in keyof typeof partReaders]: ReturnType<(typeof partReaders)[K]> };
export type ConfigPart = keyof Config;

/** A setting some function cannot read: the setting, and why, in words that never hold its value. */
export type SettingProblem = ReturnType<typeof configurationProblems>[number];

/** How each part is read: the parts are this object's keys, so checking the whole configuration cannot forget one. */
const partReaders = {
  health: (reader: SettingsReader) => ({
    /** The NCRONTAB each scheduled function runs on, by the setting it is read from: parsed where health is judged, so that a schedule the host cannot run is a reason there, not a failed status call. */
    schedules: {
      partnerSecurity: scheduleSetting(reader, 'SCHEDULE_PARTNER_SECURITY'),
      nonMfaPrincipals: scheduleSetting(reader, 'SCHEDULE_NON_MFA_PRINCIPALS'),
      registrationCounts: scheduleSetting(reader, 'SCHEDULE_REGISTRATION_COUNTS'),
      detectRegressions: scheduleSetting(reader, 'SCHEDULE_DETECT_REGRESSIONS'),
      // Judged only while the scan runs (CUSTOMER_TENANT_AUTH is not off).
      customerAdmins: reader.oneOf('CUSTOMER_TENANT_AUTH', ['off', 'app', 'appUser']) === 'off' ? null : scheduleSetting(reader, 'SCHEDULE_CUSTOMER_ADMINS'),
    },
    /** HEALTH_GRACE_MINUTES, or null to derive the grace from the invocation's time limit. */
    graceMinutes: reader.optionalInteger('HEALTH_GRACE_MINUTES', 1, 1440),
    /** By when a customer-admin run must have closed. */
    customerAdminsDeadlineMs: reader.integer('CUSTOMER_ADMINS_DEADLINE_MINUTES', deadlineMinutesRange.min, deadlineMinutesRange.max) * 60_000,
  }),
  waivers: (reader: SettingsReader) => ({
    /** Longest a waiver may last from when it is created or changed. */
    maxDays: reader.integer('WAIVER_MAX_DAYS', 1, 3650),
  }),
  signIn: readSignIn,
  limits: (reader: SettingsReader) => ({
    /** Per attempt, of Table Storage, ACS and Key Vault calls. */
    azureRequestTimeoutMs: reader.integer('AZURE_REQUEST_TIMEOUT_SECONDS', 1, 300) * 1000,
    /** INVOCATION_DEADLINE_SECONDS, or null to derive the deadline from host.json. */
    invocationDeadlineSeconds: reader.optionalInteger('INVOCATION_DEADLINE_SECONDS', 5, 86_400),
  }),
  partnerCenterAuth: readPartnerCenterAuth,
  retention: (reader: SettingsReader) => ({ retentionDays: reader.integer('RETENTION_DAYS', 1, 3650) }),
  /** The token key, and how long an alert may wait undelivered before the monitor is unhealthy. */
  queryApi: (reader: SettingsReader) => ({ tokenSecret: reader.optional('API_TOKEN_SECRET'), undeliveredAlertLimitMs: undeliveredAlertLimitMs(reader) }),
  email: readEmail,
  channels: readChannels,
  tickets: readTickets,
  /** The detector's thresholds, and how long an alert may wait undelivered before its invocations fail. */
  detection: (reader: SettingsReader) => ({
    reminderDays: reader.integer('ALERT_REMINDER_DAYS', 0, 365),
    alertMaxLines: reader.integer('ALERT_MAX_LINES', 1, 1000),
    nonAdminShareDropPoints: reader.integer('NON_ADMIN_SHARE_DROP_POINTS', 0, 100),
    sourceFailuresBeforeAlert: reader.integer('SOURCE_FAILURES_BEFORE_ALERT', 1, 100),
    undeliveredAlertLimitMs: undeliveredAlertLimitMs(reader),
  }),
  storage: readStorage,
  customerAdmins: readCustomerAdmins,
  identity: readIdentity,
  http: readHttp,
  graph: (reader: SettingsReader) => readApi(reader, 'GRAPH_BASE_URL'),
  partnerCenter: (reader: SettingsReader) => readApi(reader, 'PARTNER_CENTER_BASE_URL'),
  /** CLIENT_SECRET_KEY_VAULT_SECRET and its vault; null when unset. */
  clientSecretStore: readClientSecretStore,
};

/**
 * Every problem of the whole configuration, each naming its setting: what fails some function
 * on each run (the detector on a bad ALERT_ROUTES, a waiver write on a bad WAIVER_MAX_DAYS). The
 * status lists them as reasons, the host logs them when it starts, the doctor shows them; the
 * app still loads, and each function still reads only the parts it needs.
 */
export function configurationProblems(env: Env = process.env) {
  const reader = new SettingsReader(env);
  for (const read of Object.values(partReaders)) read(reader);
  // Two parts may find the same problem (AZURE_TENANT_ID for two sign-ins): name it once.
  return [...new Set(reader.problems)].map((problem) => ({ setting: settingOf(problem), problem }));
}

/** The setting a problem is about: every problem begins with its setting's name (a test holds each to it). */
function settingOf(problem: string): string {
  const named = settingDocs.find((doc) => problem.startsWith(doc.name) && !/\w/.test(problem.charAt(doc.name.length)));
  return named?.name ?? 'configuration';
}

/** Reads the parts a function needs; throws one ConfigurationError naming every problem. */
export function readConfig<P extends ConfigPart>(env: Env = process.env, parts: readonly P[]): Pick<Config, P> {
  const reader = new SettingsReader(env);
  const config = Object.fromEntries(parts.map((part) => [part, partReaders[part](reader)]));
  if (reader.problems.length > 0) throw new ConfigurationError(reader.problems);
  // TypeScript cannot follow the keys `parts` gives Object.fromEntries: each is a P, read by its own part's reader.
  return config as Pick<Config, P>;
}

/** Every documented setting's value, as one key: what was built or judged under other settings is not reused. */
export function settingsKey(env: Env = process.env): string {
  return JSON.stringify(settingDocs.map((doc) => env[doc.name] ?? null));
}

function undeliveredAlertLimitMs(reader: SettingsReader): number {
  return reader.integer('ALERT_UNDELIVERED_HOURS', 1, 168) * 3_600_000;
}

function scheduleSetting(reader: SettingsReader, setting: string) {
  return { setting, expression: reader.withDefault(setting) };
}

function readStorage(reader: SettingsReader) {
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

/** The customer-admin scan: how tokens reach each customer tenant, its queue and its deadline; `auth: 'off'` when it does not run. */
function readCustomerAdmins(reader: SettingsReader) {
  const auth = reader.oneOf('CUSTOMER_TENANT_AUTH', ['off', 'app', 'appUser']);
  const connectionString = reader.optional('ADMIN_SCAN_QUEUE');
  const queueServiceUri = reader.optionalUrl('ADMIN_SCAN_QUEUE__queueServiceUri', { https: true });
  if (auth !== 'off' && connectionString === null && queueServiceUri === null) {
    reader.problem('ADMIN_SCAN_QUEUE or ADMIN_SCAN_QUEUE__queueServiceUri is required with CUSTOMER_TENANT_AUTH=' + auth + ' (neither is set)');
  }
  if (connectionString !== null && !/(^|;)\s*(QueueEndpoint|AccountName|UseDevelopmentStorage)\s*=/i.test(connectionString)) {
    reader.problem('ADMIN_SCAN_QUEUE is not a storage connection string (no QueueEndpoint, AccountName or UseDevelopmentStorage)');
  }
  const queueName = reader.withDefault('ADMIN_SCAN_QUEUE_NAME');
  // Queue names: 3-63 characters of lowercase letters, digits and single hyphens; 56 leaves room for "-poison".
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/.test(queueName)) {
    reader.problem('ADMIN_SCAN_QUEUE_NAME must be 3-56 lowercase letters, digits and single hyphens, starting and ending with a letter or digit');
  }
  return {
    auth,
    queue: { connectionString, queueServiceUri, queueName },
    deadlineMs: reader.integer('CUSTOMER_ADMINS_DEADLINE_MINUTES', deadlineMinutesRange.min, deadlineMinutesRange.max) * 60_000,
  };
}

function readIdentity(reader: SettingsReader) {
  const identity = {
    /** `managedIdentityFederation`: the app registration, proven by a managed identity token instead of a secret. */
    credential: reader.oneOf('APP_CREDENTIAL', ['auto', 'managedIdentityFederation']),
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

/** How Partner Center is reached: app-only tokens, or App+User through the Secure Application Model. */
function readPartnerCenterAuth(reader: SettingsReader) {
  const mode = reader.oneOf('PARTNER_CENTER_AUTH', ['app', 'appUser']);
  if (mode === 'app') return { mode };
  const tenantId = reader.optional('AZURE_TENANT_ID');
  if (tenantId === null) reader.problem('AZURE_TENANT_ID (the partner tenant) is required with PARTNER_CENTER_AUTH=appUser');
  const clientId = reader.optional('PARTNER_CENTER_APP_CLIENT_ID') ?? reader.optional('AZURE_CLIENT_ID');
  if (clientId === null) reader.problem('PARTNER_CENTER_APP_CLIENT_ID (or AZURE_CLIENT_ID) is required with PARTNER_CENTER_AUTH=appUser');
  const keyVaultUrl = reader.requiredBaseUrl('KEY_VAULT_URL', 'PARTNER_CENTER_AUTH=appUser');
  const refreshTokenSecret = reader.secretName('PARTNER_CENTER_REFRESH_TOKEN_SECRET', reader.withDefault('PARTNER_CENTER_REFRESH_TOKEN_SECRET'));
  return {
    mode,
    tenantId: tenantId ?? '',
    clientId: clientId ?? '',
    // Validated with the identity part, which every function reading this one also reads.
    authorityHost: withoutTrailingSlash(reader.withDefault('AZURE_AUTHORITY_HOST')),
    keyVaultUrl: keyVaultUrl ?? '',
    refreshTokenSecret,
  };
}

/** Where the app registration's client secret is kept, so its expiry can be read. */
function readClientSecretStore(reader: SettingsReader) {
  const secretName = reader.optional('CLIENT_SECRET_KEY_VAULT_SECRET');
  if (secretName === null) return null;
  return { secretName: reader.secretName('CLIENT_SECRET_KEY_VAULT_SECRET', secretName), keyVaultUrl: reader.requiredBaseUrl('KEY_VAULT_URL', 'CLIENT_SECRET_KEY_VAULT_SECRET') ?? '' };
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether people sign in (SIGN_IN_CLIENT_ID is set): read when the functions register, which a changed setting restarts. */
export function signInEnabled(env: Env = process.env): boolean {
  return new SettingsReader(env).optional('SIGN_IN_CLIENT_ID') !== null;
}

/**
 * People sign in with Entra ID to the app registration SIGN_IN_CLIENT_ID, in the partner tenant;
 * null when it is unset (keys only). The app checks their tokens itself (docs/deploy.md says why).
 */
function readSignIn(reader: SettingsReader) {
  const clientId = reader.optional('SIGN_IN_CLIENT_ID');
  if (clientId === null) return null;
  if (!guid.test(clientId)) reader.problem('SIGN_IN_CLIENT_ID must be the application (client) id of the app registration people sign in to, a GUID');
  const tenantId = reader.optional('AZURE_TENANT_ID');
  if (tenantId === null) reader.problem('AZURE_TENANT_ID (the partner tenant people sign in to) is required with SIGN_IN_CLIENT_ID');
  return {
    clientId: clientId.toLowerCase(),
    tenantId: tenantId ?? '',
    // Validated with the identity part; the default is a documented https URL.
    authorityHost: withoutTrailingSlash(reader.withDefault('AZURE_AUTHORITY_HOST')),
    /** Per fetch of Entra's OpenID configuration or signing keys. */
    timeoutMs: reader.integer('AZURE_REQUEST_TIMEOUT_SECONDS', 1, 300) * 1000,
  };
}

function readHttp(reader: SettingsReader) {
  return {
    timeoutMs: reader.integer('HTTP_TIMEOUT_SECONDS', 1, 600) * 1000,
    maxRetries: reader.integer('HTTP_MAX_RETRIES', 0, 10),
    maxConcurrency: reader.integer('HTTP_MAX_CONCURRENCY', 1, 32),
    maxRetryAfterMs: reader.integer('HTTP_MAX_RETRY_AFTER_SECONDS', 0, 3600) * 1000,
  };
}

const emailAddress = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

function readEmail(reader: SettingsReader) {
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
  const publicBaseUrl = reader.optionalUrl('PUBLIC_BASE_URL', { https: false });
  const timeoutMs = reader.integer('EMAIL_TIMEOUT_SECONDS', 1, 600) * 1000;
  return { connectionString, endpoint, from: from ?? '', to, publicBaseUrl: publicBaseUrl === null ? null : withoutTrailingSlash(publicBaseUrl), timeoutMs };
}

function readChannels(reader: SettingsReader) {
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
  const psaConfigured = ['CONNECTWISE_BASE_URL', 'AUTOTASK_USERNAME', 'HALOPSA_BASE_URL'].some((name) => reader.optional(name) !== null);
  const text = reader.optional('ALERT_ROUTES');
  let routes = defaultRoutes({ configuredChannels, psaConfigured });
  if (text !== null) {
    const parsed = parseRoutes(text, { configuredChannels, psaConfigured });
    if (parsed.routes === null) for (const problem of parsed.problems) reader.problem(problem);
    else routes = parsed.routes;
  }
  // timeoutMs: the budget of one post, retries included; routes: ALERT_ROUTES, or every finding to every configured channel.
  return { teams, slack, webhook, webhookSecret, timeoutMs: reader.integer('WEBHOOK_TIMEOUT_SECONDS', 1, 300) * 1000, routes };
}

function readApi(reader: SettingsReader, name: string) {
  const baseUrl = withoutTrailingSlash(reader.optionalUrl(name, { https: true }) ?? reader.withDefault(name));
  return { baseUrl, scope: `${baseUrl}/.default` };
}
