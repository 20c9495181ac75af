/**
 * The pure part of `npm run doctor`: what a failure says (its HTTP status, the service's own
 * code, Entra's AADSTS numbers), the one-line fix each failure calls for, and the table that
 * shows it all. No I/O, and nothing here ever holds a secret or a token: only codes, ids and
 * setting names reach the output.
 */

export type CheckName =
  | 'Settings'
  | 'Graph partner security'
  | 'Graph reports'
  | 'Graph GDAP customers'
  | 'Partner Center principals'
  | 'Partner Center customers'
  | 'Customer tenant'
  | 'Table Storage'
  | 'ACS Email'
  | 'Key Vault'
  | 'Teams'
  | 'Slack'
  | 'Signed webhook'
  | 'ConnectWise PSA'
  | 'Autotask'
  | 'HaloPSA'
  | 'Client secret';

/** Whether a step happened: a token issued, a read done; `n/a` when the check needs none (an access key), `skipped` when an earlier step failed. */
export type Step = 'yes' | 'no' | 'n/a' | 'skipped';
/** `skip`: the check does not apply to these settings (Key Vault without App+User); `warn`: passed, with something to know. */
export type Verdict = 'ok' | 'warn' | 'skip' | 'FAIL';

export interface CheckRow {
  check: CheckName;
  token: Step;
  read: Step;
  verdict: Verdict;
  /** What was read (ok), what to know (warn), why it does not apply (skip), or the fix (FAIL): one line. */
  detail: string;
}

/** The stage of a check a failure happened in. */
export type Stage = 'token' | 'read' | 'send';

/** What a thrown error tells about a failure, gathered from it and its causes. */
export interface FailureFacts {
  /** The stable code of our own errors (ApiError, MonitorError), or the SDK's error code. */
  code: string | null;
  status: number | null;
  /** Codes the service answered with: Graph `error.code`, Key Vault's inner code, OAuth `error`, MSAL's error code. */
  serviceCodes: string[];
  /** Entra's AADSTS error numbers. */
  aadsts: number[];
  /** Our own error's message, written to be safe to show (no secret, token or personal data). */
  ownMessage: string | null;
}

/** What the fixes name: ids and setting values that are not secret. */
export interface DoctorContext {
  tenantId: string | null;
  clientId: string | null;
  authorityHost: string;
  /** How Graph and Partner Center (app mode) tokens are obtained; `managedIdentityFederation`: as the app, with a managed identity token it trusts. */
  appCredential: 'secret' | 'certificate' | 'managedIdentity' | 'managedIdentityFederation';
  /** Who reaches Table Storage, ACS and Key Vault, in words: "managed identity <id>" or "app <id>". */
  resourceIdentity: string;
  partnerCenterAuth: 'app' | 'appUser';
  /** The app the partner admin consented to for App+User tokens. */
  partnerCenterClientId: string | null;
  keyVaultHost: string | null;
  refreshTokenSecret: string;
  storage: 'connectionString' | 'endpoint';
  email: 'connectionString' | 'endpoint';
  alertFromDomain: string | null;
}

/** The Microsoft Graph application permission each Graph check needs. */
const graphPermissionOf: Partial<Record<CheckName, string>> = {
  'Graph partner security': 'PartnerSecurity.Read.All',
  'Graph reports': 'Reports.Read.All',
  'Graph GDAP customers': 'DelegatedAdminRelationship.Read.All',
};

const networkCodes = new Set(['NetworkError', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'Timeout', 'REQUEST_SEND_ERROR', 'StorageUnavailable']);
const busyStatuses = new Set([429, 500, 502, 503, 504]);
const revokedGrant = new Set([70000, 700082, 50173, 700084]);

/** Gathers the facts of a failure from an error and its chain of causes. */
export function factsOf(thrown: unknown): FailureFacts {
  const facts: FailureFacts = { code: null, status: null, serviceCodes: [], aadsts: [], ownMessage: null };
  const seen = new Set<unknown>();
  for (let current: unknown = thrown; current !== null && typeof current === 'object' && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const error = current as { code?: unknown; status?: unknown; statusCode?: unknown; name?: unknown; message?: unknown; details?: unknown; errorCode?: unknown; response?: unknown };
    if (facts.code === null && typeof error.code === 'string') facts.code = error.code;
    // @azure/identity's errors have a name and no code: "CredentialUnavailableError" says which kind of refusal.
    if (facts.code === null && typeof error.name === 'string' && /^(CredentialUnavailable|Authentication\w*|AggregateAuthentication)Error$/.test(error.name)) facts.code = error.name;
    const status = typeof error.status === 'number' ? error.status : typeof error.statusCode === 'number' ? error.statusCode : null;
    if (facts.status === null && status !== null) facts.status = status;
    if (facts.ownMessage === null && (error.name === 'MonitorError' || error.name === 'ApiError' || error.name === 'PayloadError') && typeof error.message === 'string') {
      facts.ownMessage = error.message.split('\n')[0] ?? null;
    }
    const message = typeof error.message === 'string' ? error.message : '';
    for (const match of message.matchAll(/AADSTS(\d{5,8})/g)) addOnce(facts.aadsts, Number(match[1]));
    // MSAL and OAuth error codes lead the message ("invalid_client: ...", "endpoints_resolution_error: ...").
    const oauth = /^([a-z]+(?:_[a-z]+)+):/.exec(message);
    if (oauth) addOnce(facts.serviceCodes, oauth[1]!);
    if (typeof error.errorCode === 'string') addOnce(facts.serviceCodes, error.errorCode);
    for (const code of [...serviceCodesOfBody(error.details), ...serviceCodesOfBody(parsedBody(error))]) addOnce(facts.serviceCodes, code);
    // Partner Center and Graph codes ApiError puts into its message: "(code Authorization_RequestDenied, ...)".
    const answered = /\(code ([A-Za-z0-9_.]+)/.exec(message);
    if (answered) addOnce(facts.serviceCodes, answered[1]!);
    if (typeof error.code === 'string' && current !== thrown) addOnce(facts.serviceCodes, error.code);
  }
  return facts;
}

/** The JSON body of the response an SDK error carries (RestError.response), if any. */
function parsedBody(error: { response?: unknown }): unknown {
  const text = (error.response as { bodyAsText?: unknown } | undefined)?.bodyAsText;
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Codes in a parsed error body: `{ error: { code, innererror: { code } } }`. */
function serviceCodesOfBody(body: unknown): string[] {
  const codes: string[] = [];
  let level = (body as { error?: unknown } | null)?.error ?? body;
  for (let depth = 0; depth < 4 && level !== null && typeof level === 'object'; depth++) {
    const { code } = level as { code?: unknown };
    if (typeof code === 'string') codes.push(code);
    level = (level as { innererror?: unknown; innerError?: unknown }).innererror ?? (level as { innerError?: unknown }).innerError;
  }
  return codes;
}

function addOnce<T>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value);
}

function has(facts: FailureFacts, code: string): boolean {
  return facts.code === code || facts.serviceCodes.includes(code);
}

export function adminConsentUrl(context: DoctorContext, clientId: string | null = context.clientId): string {
  return `${context.authorityHost}/${context.tenantId ?? '<tenant id>'}/adminconsent?client_id=${clientId ?? '<client id>'}`;
}

function partnerCenter(check: CheckName): boolean {
  return check === 'Partner Center principals' || check === 'Partner Center customers';
}

/** The fix for a failed check: one line in the domain's words, naming the setting, permission or role to change. */
export function fixFor(check: CheckName, stage: Stage, facts: FailureFacts, context: DoctorContext): string {
  const app = context.clientId ?? '(AZURE_CLIENT_ID)';
  const tenant = context.tenantId ?? '(AZURE_TENANT_ID)';
  const aadsts = (code: number) => facts.aadsts.includes(code);

  // Entra's answers, whichever check asked for the token.
  if (aadsts(7000222)) return `The client secret of app ${app} has expired (AADSTS7000222): add a new secret in Entra admin center > App registrations > ${app} > Certificates & secrets and put its value in AZURE_CLIENT_SECRET.`;
  if (aadsts(70021)) {
    return `App ${app} does not trust the managed identity's token (AADSTS70021): add a federated credential to it for the managed identity (issuer and subject as \`azd up\` prints them, audience api://AzureADTokenExchange; see infra/README.md).`;
  }
  if (aadsts(7000215)) return `AZURE_CLIENT_SECRET is not a secret of app ${app} (AADSTS7000215): use the secret's Value, not its Secret ID, or add a new one.`;
  if (aadsts(90002) || has(facts, 'invalid_tenant') || has(facts, 'endpoints_resolution_error')) {
    return `Entra does not know tenant ${tenant} at ${context.authorityHost} (AADSTS90002): set AZURE_TENANT_ID to the partner tenant's id (Entra admin center > Overview > Tenant ID).`;
  }
  if (aadsts(700016)) {
    const id = partnerCenter(check) && context.partnerCenterAuth === 'appUser' ? context.partnerCenterClientId ?? app : app;
    return `No app ${id} is registered in tenant ${tenant} (AADSTS700016): the client id must be an app registration of the partner tenant, and AZURE_TENANT_ID that tenant.`;
  }
  if (aadsts(65001) || aadsts(500011)) return `App ${app} has no admin consent in tenant ${tenant} (AADSTS${aadsts(65001) ? 65001 : 500011}): a Global Administrator opens ${adminConsentUrl(context)} and accepts.`;
  if (has(facts, 'ConsentRequired') || facts.aadsts.some((code) => revokedGrant.has(code))) {
    return `Partner Center has no valid App+User sign-in (${facts.aadsts.length > 0 ? `AADSTS${facts.aadsts[0]}` : 'no refresh token stored'}): a partner admin runs \`npm run consent\`.`;
  }
  if (has(facts, 'KeyVaultUnavailable')) return 'The Partner Center refresh token cannot be read from Key Vault: see the Key Vault row.';
  if (has(facts, 'RefreshTokenNotStored')) return `The rotated Partner Center refresh token could not be stored: give ${context.resourceIdentity} Key Vault Secrets Officer on secret ${context.refreshTokenSecret} (\`azd provision\` does).`;

  if (stage === 'token') {
    const resource = check === 'Table Storage' || check === 'ACS Email' || check === 'Key Vault' || check === 'Client secret';
    const managedIdentity = resource ? context.resourceIdentity.startsWith('managed identity') : context.appCredential === 'managedIdentity' && !partnerCenter(check);
    if (!resource && context.appCredential === 'managedIdentityFederation' && !(partnerCenter(check) && context.partnerCenterAuth === 'appUser')) {
      return `No token for app ${app} through the managed identity (${describe(facts)}): APP_CREDENTIAL=managedIdentityFederation works only where the managed identity is assigned (the function app); elsewhere set APP_CREDENTIAL=auto and AZURE_CLIENT_SECRET.`;
    }
    if (managedIdentity) {
      return `The managed identity gave no token (${describe(facts)}): it answers only where it is assigned (the function app); elsewhere unset MANAGED_IDENTITY_CLIENT_ID and set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.`;
    }
    return `Entra issued no token (${describe(facts)}): check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or the certificate) and AZURE_AUTHORITY_HOST.`;
  }

  if (facts.code !== null && networkCodes.has(facts.code) && facts.status === null) return `${serviceOf(check)} is unreachable (${describe(facts)}): check ${settingOf(check, context)} and the network (proxy, firewall, DNS).`;
  if (facts.status !== null && busyStatuses.has(facts.status)) return `${serviceOf(check)} is busy or failing (${facts.status}): run \`npm run doctor\` again in a few minutes.`;
  if (facts.code === 'UnexpectedPayload' || facts.code === 'MalformedResponse') return `${serviceOf(check)} answered in an undocumented shape: ${facts.ownMessage ?? facts.code}.`;

  const permission = graphPermissionOf[check];
  if (permission !== undefined && facts.status === 401) {
    return `Microsoft Graph refused the token (401${facts.serviceCodes.length > 0 ? ` ${facts.serviceCodes[0]}` : ''}): GRAPH_BASE_URL must be the Graph of the cloud AZURE_AUTHORITY_HOST signs in to; run \`npm run doctor\` again, as a token may have expired in between.`;
  }
  if (permission !== undefined && facts.status === 403) {
    if (context.appCredential === 'managedIdentity') {
      return `The managed identity lacks the Microsoft Graph application permission ${permission} (${facts.status}): assign that app role to its service principal (New-MgServicePrincipalAppRoleAssignment).`;
    }
    return `App ${app} lacks the Microsoft Graph application permission ${permission} (${facts.status}): add it under API permissions, then a Global Administrator grants admin consent at ${adminConsentUrl(context)}.`;
  }
  if (partnerCenter(check) && (facts.status === 401 || facts.status === 403)) {
    if (context.partnerCenterAuth === 'app') {
      return `Partner Center refused the app-only token (${facts.status}): it documents App+User tokens; a partner admin runs \`npm run consent\`, then set PARTNER_CENTER_AUTH=appUser.`;
    }
    if (facts.status === 401) return 'Partner Center refused the App+User token (401): a partner admin runs `npm run consent` again, signing in with MFA.';
    return 'Partner Center refused the signed-in admin (403): the admin who ran `npm run consent` needs the Partner Center role Admin agent; give it, then run `npm run consent` again.';
  }
  if ((check === 'Key Vault' || check === 'Client secret') && (facts.status === 401 || facts.status === 403)) {
    return `${capitalised(context.resourceIdentity)} has no role on vault ${context.keyVaultHost ?? '(KEY_VAULT_URL)'} (${facts.status}${has(facts, 'ForbiddenByRbac') ? ' ForbiddenByRbac' : ''}): assign it Key Vault Secrets User on the vault (\`azd provision\` does; allow a few minutes).`;
  }
  if (check === 'Table Storage' && (facts.status === 401 || facts.status === 403)) {
    return context.storage === 'connectionString'
      ? `Table Storage refused the account key (${facts.status}): copy a current connection string into TABLES_CONNECTION_STRING.`
      : `${capitalised(context.resourceIdentity)} has no data role on the storage account (${facts.status}): assign it Storage Table Data Contributor.`;
  }
  if (check === 'ACS Email') {
    if (has(facts, 'DomainNotLinked')) {
      return `The domain of ALERT_FROM${context.alertFromDomain ? ` (${context.alertFromDomain})` : ''} is not linked to the Communication Services resource (DomainNotLinked): connect it under Communication Services > Email > Domains, or send from the linked Azure-managed domain.`;
    }
    if (has(facts, 'InvalidSenderUserName')) return 'ALERT_FROM is not a MailFrom address of the linked domain (InvalidSenderUserName): use one listed under the domain\'s MailFrom addresses.';
    if (facts.status === 401 || facts.status === 403) {
      return context.email === 'connectionString'
        ? `ACS refused the access key (${facts.status}): copy a current connection string from Communication Services > Keys into ACS_CONNECTION_STRING.`
        : `${capitalised(context.resourceIdentity)} has no role on the Communication Services resource (${facts.status}): assign it Communication and Email Service Owner.`;
    }
    if (stage === 'send') return `ACS did not deliver the test email (${describe(facts)}): check ALERT_FROM and ALERT_TO.`;
  }
  return `${serviceOf(check)} failed (${describe(facts)}).`;
}

function describe(facts: FailureFacts): string {
  const parts = [facts.status !== null ? String(facts.status) : null, facts.code, ...facts.serviceCodes.filter((code) => code !== facts.code), ...facts.aadsts.map((code) => `AADSTS${code}`)];
  const shown = parts.filter((part): part is string => part !== null);
  return shown.length > 0 ? [...new Set(shown)].join(', ') : 'no answer';
}

function serviceOf(check: CheckName): string {
  if (check.startsWith('Graph')) return 'Microsoft Graph';
  if (partnerCenter(check)) return 'Partner Center';
  if (check === 'Client secret') return 'Key Vault';
  return check;
}

function settingOf(check: CheckName, context: DoctorContext): string {
  if (check.startsWith('Graph')) return 'GRAPH_BASE_URL';
  if (partnerCenter(check)) return 'PARTNER_CENTER_BASE_URL';
  if (check === 'Table Storage') return context.storage === 'connectionString' ? 'TABLES_CONNECTION_STRING (is Azurite running?)' : 'TABLES_ENDPOINT';
  if (check === 'ACS Email') return context.email === 'connectionString' ? 'ACS_CONNECTION_STRING' : 'ACS_ENDPOINT';
  return 'KEY_VAULT_URL';
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The one table: a column per step, the verdict, and the detail or fix; then one line that sums it up. */
export function renderReport(rows: readonly CheckRow[]): string {
  const header = { check: 'check', token: 'token', read: 'read', verdict: 'result', detail: 'detail / fix' };
  const all = [header, ...rows];
  const width = (key: 'check' | 'token' | 'read' | 'verdict') => Math.max(...all.map((row) => row[key].length));
  const line = (row: typeof header) =>
    [row.check.padEnd(width('check')), row.token.padEnd(width('token')), row.read.padEnd(width('read')), row.verdict.padEnd(width('verdict')), row.detail].join('  ').trimEnd();
  const failures = rows.filter((row) => row.verdict === 'FAIL').length;
  const warnings = rows.filter((row) => row.verdict === 'warn').length;
  const summary =
    failures > 0
      ? `${failures} check${failures === 1 ? '' : 's'} failed${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}: fix ${failures === 1 ? 'it' : 'them'} and run \`npm run doctor\` again.`
      : warnings > 0
        ? `Every check passed, with ${warnings} warning${warnings === 1 ? '' : 's'}.`
        : 'Every check passed.';
  return [line(header), ...rows.map(line), '', summary].join('\n');
}

/** 1 when any check failed; warnings (a skipped optional check) do not fail the run. */
export function exitCodeOf(rows: readonly CheckRow[]): number {
  return rows.some((row) => row.verdict === 'FAIL') ? 1 : 0;
}
