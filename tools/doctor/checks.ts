import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { GraphPartnerSecuritySource } from '../../src/adapters/graphPartnerSecuritySource';
import { GraphRegistrationCountSource } from '../../src/adapters/graphRegistrationCountSource';
import {
  apiConnection,
  clientSecretStore,
  emailSender,
  refreshTokenStore,
  resourceTokenCredential,
  snapshotReader,
  type ApiConnection,
} from '../../src/composition';
import { configurationProblems, readConfig, type Config, type ConfigPart } from '../../src/config';
import { judgeClientSecret } from '../../src/core/clientSecretExpiry';
import type { ClientSecretStore } from '../../src/ports';
import { ConfigurationError } from '../../src/core/errors';
import { parseGraphPage, parsePartnerCenterPage } from '../../src/core/parseCollectionPage';
import { channelRows } from './channels';
import { psaRows } from './psaTickets';
import { customerTenantRow } from './customerTenant';
import { factsOf, fixFor, type CheckName, type CheckRow, type DoctorContext, type FailureFacts, type Stage, type Step, type Verdict } from './diagnosis';

type Env = Readonly<Record<string, string | undefined>>;

interface DoctorOptions {
  /** Sends one real email to ALERT_TO: the only proof that the sender's domain is linked. */
  sendTestEmail: boolean;
  /** Posts one test message to each configured channel (Teams, Slack, the signed webhook). */
  sendTestMessage: boolean;
  /** The customer tenant the customer-admin check scans; null for the first of the newest partnerSecurity run. */
  customerTenant?: string | null;
}

/** Token audiences of the resources the SDK clients reach with the resource credential. */
const storageScope = 'https://storage.azure.com/.default';
const communicationScope = 'https://communication.azure.com//.default';
const keyVaultScope = 'https://vault.azure.net/.default';

/**
 * Runs every check of `npm run doctor` against the settings in `env`, through the clients the
 * functions themselves use (composition.ts), one after the other, and never throws: each
 * failure becomes a row with its fix. It reads, and writes only what a function run would too:
 * the runs ledger table when it does not exist yet, and, with PARTNER_CENTER_AUTH=appUser, the
 * rotated refresh token a Partner Center token brings; the test email and the channels' test
 * messages go out only when asked.
 */
export async function runChecks(env: Env, options: DoctorOptions): Promise<CheckRow[]> {
  const context = doctorContext(env);
  const checks = new Checks(env, context);
  // The parts the composition reads for each API, so a settings problem shows on its rows rather than stopping the doctor.
  const graph = await checks.connection(['identity', 'http', 'graph', 'partnerCenter'], () => apiConnection('Graph', env));
  const partnerCenter = await checks.connection(['identity', 'http', 'graph', 'partnerCenter', 'partnerCenterAuth'], () => apiConnection('Partner Center', env));
  return [
    settingsCheck(env),
    await checks.api('Graph partner security', graph, async (client) => {
      const score = await new GraphPartnerSecuritySource(client).score();
      return ok(`partner security score ${score.currentScore ?? '?'} of ${score.maxScore ?? '?'}`);
    }),
    await checks.api('Graph reports', graph, async (client) => {
      const { counts, fallbackReason } = await new GraphRegistrationCountSource(client).registrationCounts();
      const users = `${counts.totalUserCount ?? '?'} users, ${counts.mfaRegisteredUserCount ?? '?'} registered for MFA`;
      return ok(fallbackReason === null ? `${users} (getCredentialUserRegistrationCount)` : `${users} (usersRegisteredByFeature; ${fallbackReason})`);
    }),
    await checks.api('Graph GDAP customers', graph, async (client) => {
      const page = parseGraphPage((await client.getJson('v1.0/tenantRelationships/delegatedAdminCustomers?$top=1')), 'delegatedAdminCustomers');
      return page.items.length > 0
        ? ok('customers with a GDAP relationship are listed: alerts name them')
        : warn('no customer has an active GDAP relationship: customers are named from Partner Center, else by tenant id');
    }),
    await checks.api('Partner Center principals', partnerCenter, async (client) => {
      const page = parsePartnerCenterPage((await client.getJson('v1/nonMfaCompliantPartnerPrincipals', { headers: partnerCenterHeaders() })), 'nonMfaCompliantPartnerPrincipals');
      return ok(`${page.items.length} non-MFA sign-in record(s) on the first page`);
    }),
    await checks.api('Partner Center customers', partnerCenter, async (client) => {
      const page = parsePartnerCenterPage((await client.getJson('v1/customers?size=1', { headers: partnerCenterHeaders() })), 'customers');
      return page.items.length > 0 ? ok('the CSP customer list is readable: it names customers without GDAP') : warn('the customer list is empty');
    }),
    await customerTenantRow(env, options.customerTenant ?? null),
    await checks.guarded('Table Storage', () => checks.tableStorage()),
    await checks.guarded('ACS Email', () => checks.email(options)),
    await checks.guarded('Key Vault', () => checks.keyVault()),
    ...(await channelRows(env, options, context)),
    ...(await psaRows(env)),
    await checks.guarded('Client secret', () => checks.clientSecret()),
  ];
}

interface Outcome {
  verdict: Verdict;
  detail: string;
}

const ok = (detail: string): Outcome => ({ verdict: 'ok', detail });
const warn = (detail: string): Outcome => ({ verdict: 'warn', detail });

function partnerCenterHeaders(): Record<string, string> {
  return { 'MS-RequestId': randomUUID(), 'MS-CorrelationId': randomUUID() };
}

/** A connection, or why there is none: its settings are wrong, or building its credential failed. */
type Connection = { connection: ApiConnection } | { settingsProblem: string } | { failure: unknown };

class Checks {
  constructor(
    private readonly env: Env,
    private readonly context: DoctorContext,
  ) {}

  async connection(parts: readonly ConfigPart[], connect: () => Promise<ApiConnection>): Promise<Connection> {
    const problem = this.settingsProblem(parts);
    if (problem !== null) return { settingsProblem: problem };
    try {
      return { connection: await connect() };
    } catch (failure) {
      return { failure };
    }
  }

  /** A Graph or Partner Center check: a token for the API's scope, then one read. */
  async api(check: CheckName, connection: Connection, read: (client: ApiConnection['client']) => Promise<Outcome>): Promise<CheckRow> {
    if ('settingsProblem' in connection) return settingsRow(check, connection.settingsProblem);
    if ('failure' in connection) return this.unexpected(check, connection.failure);
    const { client, credential, scope } = connection.connection;
    const token = await this.token(check, credential, scope);
    if (token !== null) return token;
    return this.read(check, 'yes', () => read(client));
  }

  async tableStorage(): Promise<CheckRow> {
    const check: CheckName = 'Table Storage';
    const problem = this.settingsProblem(['storage', 'identity']);
    if (problem !== null) return settingsRow(check, problem);
    let token: Step = 'n/a';
    if (this.context.storage === 'endpoint') {
      const failed = await this.token(check, await resourceTokenCredential(this.env), storageScope);
      if (failed !== null) return failed;
      token = 'yes';
    }
    return this.read(check, token, async () => {
      const latest = await (await snapshotReader(this.env)).latestCompleteRun('partnerSecurity');
      return ok(latest === null ? 'tables readable; no complete partnerSecurity run yet' : `tables readable; newest complete partnerSecurity run ${latest.runId}`);
    });
  }

  async email(options: DoctorOptions): Promise<CheckRow> {
    const check: CheckName = 'ACS Email';
    const problem = this.settingsProblem(['identity', 'email']);
    if (problem !== null) return settingsRow(check, problem);
    let token: Step = 'n/a';
    if (this.context.email === 'endpoint') {
      const failed = await this.token(check, await resourceTokenCredential(this.env), communicationScope);
      if (failed !== null) return failed;
      token = 'yes';
    }
    const sender = await emailSender(this.env);
    // An operation id nobody used: ACS answers 404 to a caller it accepted, 401/403 to one it did not; nothing is sent.
    const lookedUp = await this.read(check, token, async () => {
      const status = await sender.status(randomUUID());
      return status === 'NotFound'
        ? warn('ACS accepted the credential (a status look-up answered 404); only a send proves the sender domain is linked: npm run doctor -- --send-test-email')
        : warn(`ACS answered a made-up operation id with ${status}; the credential works`);
    });
    if (lookedUp.verdict === 'FAIL' || !options.sendTestEmail) return lookedUp;
    const { to } = readConfig(this.env, ['email']).email;
    try {
      const status = await sender.send(
        {
          subject: 'Partner MFA monitor: test email from npm run doctor',
          plainText: 'This test email was sent by npm run doctor. Alerts from the monitor arrive the same way.',
          html: '<p>This test email was sent by <code>npm run doctor</code>. Alerts from the monitor arrive the same way.</p>',
        },
        randomUUID(),
      );
      if (status === 'Succeeded') return { ...lookedUp, verdict: 'ok', detail: `test email delivered to ${to.length} ALERT_TO address(es): the sender domain is linked` };
      return { ...lookedUp, verdict: 'warn', detail: `ACS accepted the test email but reported ${status}: look in the inboxes of ALERT_TO` };
    } catch (error) {
      return { ...lookedUp, verdict: 'FAIL', detail: this.fix(check, 'send', factsOf(error)) };
    }
  }

  async keyVault(): Promise<CheckRow> {
    const check: CheckName = 'Key Vault';
    if (this.context.partnerCenterAuth !== 'appUser') {
      return { check, token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'not used: PARTNER_CENTER_AUTH is app (the refresh token is read only with appUser)' };
    }
    const problem = this.settingsProblem(['identity', 'partnerCenterAuth']);
    if (problem !== null) return settingsRow(check, problem);
    const failed = await this.token(check, await resourceTokenCredential(this.env), keyVaultScope);
    if (failed !== null) return failed;
    return this.read(check, 'yes', async () => {
      const properties = await (await refreshTokenStore(this.env)).currentProperties();
      const secret = `secret ${this.context.refreshTokenSecret} of ${this.context.keyVaultHost ?? 'the vault'}`;
      if (properties === null) return { verdict: 'FAIL', detail: `No Partner Center refresh token in ${secret}: a partner admin runs \`npm run consent\`.` };
      if (!properties.enabled) return { verdict: 'FAIL', detail: `The newest version of ${secret} is disabled: a partner admin runs \`npm run consent\` to store a new one.` };
      if (properties.expiresOn !== null && properties.expiresOn.getTime() <= Date.now()) {
        return { verdict: 'FAIL', detail: `${secret} expired on ${properties.expiresOn.toISOString()}: a partner admin runs \`npm run consent\`.` };
      }
      return ok(`${secret} is readable (value not read), updated ${properties.updatedOn?.toISOString() ?? 'at an unknown time'}`);
    });
  }

  /** The app registration's client secret in Key Vault: its expiry judged as `/api/status` judges it, its value never read. */
  async clientSecret(): Promise<CheckRow> {
    const check: CheckName = 'Client secret';
    let store: ClientSecretStore | null;
    try {
      store = await clientSecretStore(this.env);
    } catch (error) {
      if (error instanceof ConfigurationError) return settingsRow(check, `Settings: ${error.problems.join('; ')}.`);
      throw error;
    }
    if (store === null) {
      return { check, token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'expiry not checked: CLIENT_SECRET_KEY_VAULT_SECRET is unset (name the Key Vault secret AZURE_CLIENT_SECRET comes from to check it)' };
    }
    const failed = await this.token(check, await resourceTokenCredential(this.env), keyVaultScope);
    if (failed !== null) return failed;
    return this.read(check, 'yes', async () => {
      const { problem: reason, warning, expiresOn, daysLeft } = judgeClientSecret({ properties: await store.currentProperties() }, store.location, new Date());
      if (reason !== null) return { verdict: 'FAIL', detail: sentence(reason) };
      if (warning !== null) return warn(sentence(warning));
      return ok(`secret ${store.location.secretName} of vault ${store.location.vaultName} expires on ${expiresOn ?? '?'}, in ${daysLeft ?? '?'} days (value not read)`);
    });
  }

  /** A check that fails outside its token and read steps (building a client from odd settings) still gives its row. */
  async guarded(check: CheckName, run: () => Promise<CheckRow>): Promise<CheckRow> {
    try {
      return await run();
    } catch (error) {
      return this.unexpected(check, error);
    }
  }

  private unexpected(check: CheckName, error: unknown): CheckRow {
    return { check, token: 'skipped', read: 'skipped', verdict: 'FAIL', detail: this.fix(check, 'token', factsOf(error)) };
  }

  /** Null when the credential issued a token; otherwise the failed row. The token itself is dropped at once. */
  private async token(check: CheckName, credential: TokenCredential, scope: string): Promise<CheckRow | null> {
    try {
      await credential.getToken(scope);
      return null;
    } catch (error) {
      const facts = await this.withTenantDiscovery(factsOf(error));
      return { check, token: 'no', read: 'skipped', verdict: 'FAIL', detail: this.fix(check, 'token', facts) };
    }
  }

  private async read(check: CheckName, token: Step, read: () => Promise<Outcome>): Promise<CheckRow> {
    try {
      const outcome = await read();
      return { check, token, read: 'yes', ...outcome };
    } catch (error) {
      return { check, token, read: 'no', verdict: 'FAIL', detail: this.fix(check, 'read', factsOf(error)) };
    }
  }

  private fix(check: CheckName, stage: Stage, facts: FailureFacts): string {
    return fixFor(check, stage, facts, this.context);
  }

  /**
   * MSAL reports a tenant its discovery cannot resolve as `endpoints_resolution_error` and drops
   * Entra's answer; asking the discovery document ourselves recovers it (AADSTS90002 for a tenant
   * that does not exist), or shows that the authority cannot be reached at all.
   */
  private async withTenantDiscovery(facts: FailureFacts): Promise<FailureFacts> {
    if (!facts.serviceCodes.includes('endpoints_resolution_error')) return facts;
    const url = `${this.context.authorityHost}/${encodeURIComponent(this.context.tenantId ?? '')}/v2.0/.well-known/openid-configuration`;
    try {
      const response = await createDefaultHttpClient().sendRequest(createPipelineRequest({ url, method: 'GET', headers: createHttpHeaders({ accept: 'application/json' }), timeout: 15_000 }));
      const answer = factsOf(new Error((JSON.parse(response.bodyAsText ?? '{}') as { error_description?: unknown }).error_description?.toString() ?? ''));
      return { ...facts, aadsts: [...facts.aadsts, ...answer.aadsts] };
    } catch (error) {
      const unreachable = factsOf(error);
      return { ...unreachable, code: 'NetworkError', serviceCodes: unreachable.code === null ? [] : [unreachable.code] };
    }
  }

  /** The settings problems of these parts, one line, or null when they read cleanly. */
  private settingsProblem(parts: readonly ConfigPart[]): string | null {
    try {
      readConfig(this.env, parts);
      return null;
    } catch (error) {
      if (error instanceof ConfigurationError) return `Settings: ${error.problems.join('; ')}.`;
      throw error;
    }
  }
}

function sentence(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** Every setting, as `/api/status` and the app's start judge them: one problem fails some function on each run. */
function settingsCheck(env: Env): CheckRow {
  const problems = configurationProblems(env);
  if (problems.length === 0) return { check: 'Settings', token: 'n/a', read: 'n/a', verdict: 'ok', detail: 'every setting reads as its functions need it' };
  return { check: 'Settings', token: 'n/a', read: 'n/a', verdict: 'FAIL', detail: `${problems.map(({ problem }) => problem).join('; ')}.` };
}

function settingsRow(check: CheckName, problem: string): CheckRow {
  return { check, token: 'skipped', read: 'skipped', verdict: 'FAIL', detail: problem };
}

/** What the fixes name, read through the one settings module; a part with problems leaves its fields empty (its rows say why). */
function doctorContext(env: Env): DoctorContext {
  const part = <P extends ConfigPart>(name: P): Config[P] | null => {
    try {
      return readConfig(env, [name])[name];
    } catch {
      return null;
    }
  };
  const identity = part('identity');
  const partnerCenterAuth = part('partnerCenterAuth');
  const auth = partnerCenterAuth?.mode === 'appUser' ? partnerCenterAuth : null;
  const storage = part('storage');
  const email = part('email');
  const keyVaultUrl = auth?.keyVaultUrl || part('clientSecretStore')?.keyVaultUrl || null;
  const managedIdentity = identity?.managedIdentityClientId ?? null;
  const appCredential =
    identity?.credential === 'managedIdentityFederation' ? 'managedIdentityFederation' : identity?.clientSecret != null ? 'secret' : identity?.certificatePath != null ? 'certificate' : 'managedIdentity';
  return {
    tenantId: identity?.tenantId ?? null,
    clientId: identity?.clientId ?? null,
    authorityHost: (identity?.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, ''),
    appCredential,
    resourceIdentity:
      managedIdentity !== null
        ? `managed identity ${managedIdentity}`
        : appCredential === 'managedIdentity'
          ? `managed identity ${identity?.clientId ?? '(system-assigned)'}`
          : `app ${identity?.clientId ?? '(AZURE_CLIENT_ID)'}`,
    partnerCenterAuth: partnerCenterAuth?.mode ?? 'app',
    partnerCenterClientId: auth?.clientId || null,
    keyVaultHost: keyVaultUrl ? new URL(keyVaultUrl).host : null,
    refreshTokenSecret: auth?.refreshTokenSecret || 'partner-center-refresh-token',
    storage: storage?.connectionString == null && storage?.endpoint != null ? 'endpoint' : 'connectionString',
    email: email?.connectionString == null && email?.endpoint != null ? 'endpoint' : 'connectionString',
    alertFromDomain: email?.from.split('@')[1] ?? null,
  };
}
