/**
 * Every setting the app reads, documented: its name, what it does, its default and which
 * functions use it. The README's table is kept in step with this list by test/readme.test.ts,
 * and src/config.ts reads nothing that is not here.
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

/** The documented default of a setting; a setting read with a default must document one. */
export function documentedDefault(name: string): string {
  const fallback = settingDocs.find((doc) => doc.name === name)?.default;
  if (fallback === undefined) throw new Error(`Setting ${name} has no documented default`);
  return fallback;
}
