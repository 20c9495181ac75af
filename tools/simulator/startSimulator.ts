import * as https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simulatorCertificate } from '../tls';
import { handleAcs } from './acsRoutes';
import { ChannelReceivers } from './channelReceivers';
import { normaliseAudience, SimulatorContext } from './context';
import { handleControl } from './controlRoutes';
import { CustomerTenants, roleTemplates } from './customerTenants';
import { createDataset } from './dataset';
import { handleLogin, handleManagedIdentity } from './entraRoutes';
import { Exchange } from './exchange';
import { faultProblem, FaultBook, isRequestFault } from './faultBook';
import { handleGraph } from './graphRoutes';
import { handleKeyVault } from './keyVaultRoutes';
import { Mailroom } from './mailroom';
import { PageTokens } from './pageToken';
import { handlePartnerCenter } from './partnerCenterRoutes';
import { guid, hash32 } from './random';
import { SecretVault } from './secretVault';
import { SignInAuthority } from './signInAuthority';
import { SimClock } from './simClock';
import { TokenStore } from './tokenStore';
import { SimulatedAutotask } from './autotask';
import { SimulatedConnectWise } from './connectwise';
import { SimulatedHaloPsa } from './halopsa';
import type { PsaService, RequestLogEntry, SimulatedPsa, SimulatedService, Simulator, SimulatorOptions } from './types';

const psaServices: readonly PsaService[] = ['connectwise', 'autotask', 'halopsa'];

const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Oldest entries are dropped beyond this, so a long demo session stays small. */
const REQUEST_LOG_LIMIT = 20_000;
const REDACTED_HEADERS = new Set(['authorization', 'x-identity-header', 'cookie', 'proxy-authorization']);

/** Every option with its value; churn stays unset for the population's daily model. */
type Resolved = Required<Omit<SimulatorOptions, 'churn'>> & Pick<SimulatorOptions, 'churn'>;

/** The Microsoft Graph application permissions the monitor's app registration is consented, as in the deployment guide. */
const GRAPH_APP_PERMISSIONS = ['PartnerSecurity.Read.All', 'Reports.Read.All', 'DelegatedAdminRelationship.Read.All'];

const DEFAULTS: Resolved = {
  port: 0, seed: 1, customers: 50, nonMfaSignInsPerDay: 5, graphPageSize: 100, partnerCenterPageSize: 500,
  pageLatencyMs: 0, dayLengthMs: 0, startDate: '2026-01-01', tokenLifetimeSeconds: 3600, quirks: true,
  partnerCenterNextLink: 'versionless', psaRequestLimits: true,
};

function resolveOptions(options: SimulatorOptions): Resolved {
  const resolved: Resolved = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options) as [keyof Resolved, unknown][]) if (value !== undefined) (resolved as Record<string, unknown>)[name] = value;
  const problems: string[] = [];
  const minimum: Partial<Record<keyof Resolved, number>> = { graphPageSize: 1, partnerCenterPageSize: 1, tokenLifetimeSeconds: 1 };
  for (const name of ['port', 'seed', 'customers', 'nonMfaSignInsPerDay', 'graphPageSize', 'partnerCenterPageSize', 'pageLatencyMs', 'dayLengthMs', 'tokenLifetimeSeconds'] as const) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < (minimum[name] ?? 0)) problems.push(`${name} must be an integer >= ${minimum[name] ?? 0} (got ${String(value)})`);
  }
  if (resolved.churn !== undefined && !(resolved.churn >= 0 && resolved.churn <= 1)) problems.push(`churn must be a number from 0 to 1 (got ${String(resolved.churn)})`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(resolved.startDate) || Number.isNaN(Date.parse(resolved.startDate))) problems.push(`startDate must be YYYY-MM-DD (got ${resolved.startDate})`);
  if (!['versionless', 'versioned', 'absolute'].includes(resolved.partnerCenterNextLink)) problems.push(`partnerCenterNextLink must be versionless, versioned or absolute (got ${String(resolved.partnerCenterNextLink)})`);
  if (problems.length > 0) throw new Error(`Invalid simulator options: ${problems.join('; ')}`);
  return resolved;
}

/** Deterministic per seed, so `npm run sim` prints the same credentials every time. */
function secretFrom(seed: number, salt: number, words: number): Buffer {
  const buffer = Buffer.alloc(words * 4);
  for (let i = 0; i < words; i++) buffer.writeUInt32BE(hash32(seed, salt, i), i * 4);
  return buffer;
}

function serviceOf(pathname: string): SimulatedService {
  if (pathname.startsWith('/login/')) return 'login';
  if (pathname.startsWith('/msi/')) return 'msi';
  if (pathname.startsWith('/graph/')) return 'graph';
  if (pathname.startsWith('/partnercenter/')) return 'partnerCenter';
  if (pathname.startsWith('/_sim/')) return 'control';
  if (pathname.startsWith('/teams/')) return 'teams';
  if (pathname.startsWith('/slack/')) return 'slack';
  if (pathname.startsWith('/webhook/')) return 'webhook';
  if (pathname === '/secrets' || pathname.startsWith('/secrets/')) return 'keyVault';
  for (const psa of psaServices) if (pathname.startsWith(`/${psa}/`)) return psa;
  return 'acs';
}

function loggedHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    // Keep an Authorization scheme (Bearer, HMAC-SHA256) so tests can see how a request authenticated.
    const scheme = name === 'authorization' && text.includes(' ') ? `${text.slice(0, text.indexOf(' '))} ` : '';
    out[name] = REDACTED_HEADERS.has(name) ? `${scheme}[redacted]` : text;
  }
  return out;
}

/** The path as logged: a Teams webhook's `sig` and a Slack webhook's last segment are their credentials. */
function loggedPath(requestUrl: URL): string {
  const path = requestUrl.pathname.replace(/^(\/slack\/services\/[^/]+\/[^/]+\/)[^/]+$/, '$1[redacted]');
  return path + requestUrl.search.replace(/([?&]sig=)[^&]*/, '$1[redacted]');
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/** Starts the simulated Microsoft cloud on 127.0.0.1 (HTTPS, self-signed certificate from tls.ts). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const resolved = resolveOptions(options);
  const { cert, key } = simulatorCertificate();
  const server = https.createServer({ cert, key });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  const { seed } = resolved;

  const dataset = createDataset({
    seed, customers: resolved.customers, nonMfaSignInsPerDay: resolved.nonMfaSignInsPerDay, startDate: resolved.startDate, quirks: resolved.quirks, churn: resolved.churn,
  });
  const tokens = new TokenStore(resolved.tokenLifetimeSeconds);
  const ctx: SimulatorContext = {
    url,
    graphBaseUrl: `${url}/graph`,
    partnerCenterBaseUrl: `${url}/partnercenter`,
    authorityHost: `${url}/login`,
    tenantId: dataset.partnerTenantId,
    clientId: guid(seed, 400),
    clientSecret: `sim~${secretFrom(seed, 401, 8).toString('base64url')}`,
    managedIdentityHeader: secretFrom(seed, 402, 4).toString('hex'),
    managedIdentityClientId: guid(seed, 403),
    acsAccessKey: secretFrom(seed, 404, 16).toString('base64'),
    audiences: {
      graph: [normaliseAudience(`${url}/graph`)],
      partnerCenter: [normaliseAudience(`${url}/partnercenter`)],
      // The ACS SDK asks for https://communication.azure.com//.default whatever its endpoint.
      acs: [normaliseAudience(url), 'https://communication.azure.com'],
      // Key Vault's challenge names the public resource; the SDK asks for it whatever the vault's host.
      keyVault: ['https://vault.azure.net'],
    },
    graphPermissions: new Set(GRAPH_APP_PERMISSIONS),
    graphPageSize: resolved.graphPageSize,
    partnerCenterPageSize: resolved.partnerCenterPageSize,
    partnerCenterNextLink: resolved.partnerCenterNextLink,
    pageLatencyMs: resolved.pageLatencyMs,
    dataset,
    customerTenants: new CustomerTenants(seed, resolved.customers),
    clock: new SimClock(resolved.dayLengthMs),
    faults: new FaultBook(),
    tokens,
    signIn: new SignInAuthority(guid(seed, 409), () => `${url}/login/${dataset.partnerTenantId}/v2.0`, dataset.partnerTenantId),
    pageTokens: new PageTokens(),
    mailroom: new Mailroom(),
    secrets: new SecretVault(),
    clientSecretExpired: false,
    emailDomainUnlinked: false,
  };

  const channelSecrets = {
    teamsSig: secretFrom(seed, 405, 8).toString('base64url'),
    slackSecret: secretFrom(seed, 406, 6).toString('hex'),
    webhookSecret: `whsec_${secretFrom(seed, 407, 8).toString('base64')}`,
  };
  const receivers = new ChannelReceivers(channelSecrets);
  const psaOptions = { url, seed, customers: resolved.customers, faults: ctx.faults };
  const unlimited = resolved.psaRequestLimits ? {} : { requestsPerMinute: Infinity, requestsPerHour: Infinity, requestsPerWindow: Infinity };
  const psas: Record<PsaService, SimulatedPsa> = {
    connectwise: new SimulatedConnectWise(psaOptions, unlimited),
    autotask: new SimulatedAutotask(psaOptions, unlimited),
    halopsa: new SimulatedHaloPsa(psaOptions, unlimited),
  };

  let log: RequestLogEntry[] = [];
  const inFlight = new Set<RequestLogEntry>();
  const record = (entry: RequestLogEntry) => {
    log.push(entry);
    if (log.length > REQUEST_LOG_LIMIT) log = log.slice(-REQUEST_LOG_LIMIT);
  };

  const simulator: Simulator = {
    url,
    graphBaseUrl: ctx.graphBaseUrl,
    partnerCenterBaseUrl: ctx.partnerCenterBaseUrl,
    authorityHost: ctx.authorityHost,
    tenantId: ctx.tenantId,
    clientId: ctx.clientId,
    clientSecret: ctx.clientSecret,
    refreshToken: tokens.issueRefreshToken(),
    signIn: {
      clientId: ctx.signIn.clientId,
      signInAs: (person) => ctx.signIn.signInAs(person),
      signed: (claims) => ctx.signIn.signed(claims),
      revokeSessions: () => ctx.signIn.revokeSessions(),
    },
    managedIdentity: { endpoint: `${url}/msi/token`, header: ctx.managedIdentityHeader },
    acsEndpoint: `${url}/`,
    acsAccessKey: ctx.acsAccessKey,
    acsConnectionString: `endpoint=${url}/;accesskey=${ctx.acsAccessKey}`,
    keyVaultUrl: url,
    secrets: {
      set: (name, value, options) => ({ version: ctx.secrets.set(name, value, options).version }),
      get: (name, version) => ctx.secrets.get(name, version),
      versions: (name) => ctx.secrets.versions(name),
    },
    get day() {
      return ctx.clock.day;
    },
    advanceDays: (n = 1) => ctx.clock.advance(n),
    setDay: (n) => ctx.clock.set(n),
    date: () => dataset.isoDate(ctx.clock.day),
    injectFault(fault) {
      const problem = faultProblem(fault);
      if (problem) throw new Error(`Invalid fault ${JSON.stringify(fault)}: ${problem}`);
      if (fault.kind === 'expireTokens') tokens.setLifetimeOverride(fault.lifetimeSeconds);
      else if (fault.kind === 'revokeTokens') tokens.revokeAccessTokens();
      else if (fault.kind === 'revokeRefreshTokens') tokens.revokeRefreshTokens();
      else if (fault.kind === 'expireClientSecret') ctx.clientSecretExpired = true;
      else if (fault.kind === 'unlinkEmailDomain') ctx.emailDomainUnlinked = true;
      else if (isRequestFault(fault)) ctx.faults.add(fault);
    },
    withholdPermission(permission) {
      ctx.graphPermissions.delete(permission);
    },
    grantPermission(permission) {
      ctx.graphPermissions.add(permission);
    },
    clearFaults() {
      ctx.faults.clear();
      tokens.setLifetimeOverride(undefined);
      ctx.clientSecretExpired = false;
      ctx.emailDomainUnlinked = false;
    },
    customerTenants: {
      profile: (tenantId) => ctx.customerTenants.profile(tenantId),
      setProfile: (tenantId, profile) => ctx.customerTenants.setProfile(tenantId, profile),
      registerAdmin: (tenantId, userPrincipalName) => ctx.customerTenants.registerAdmin(tenantId, userPrincipalName),
      admins: (tenantId) => ctx.customerTenants.admins(tenantId).map((admin) => ({ ...admin, roleTemplateId: roleTemplates[admin.role].id })),
      policies: (tenantId) => ctx.customerTenants.policies(tenantId),
    },
    inbox: () => ctx.mailroom.inbox(),
    channelUrls: {
      teams: `${url}/teams/workflows/${secretFrom(seed, 408, 4).toString('hex')}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${channelSecrets.teamsSig}`,
      slack: `${url}/slack/services/T0SIMULATE/B0SIMULATE/${channelSecrets.slackSecret}`,
      webhook: `${url}/webhook/receive`,
      webhookSecret: channelSecrets.webhookSecret,
    },
    received: (channel) => receivers.list(channel),
    psa: (name) => ({ tickets: () => psas[name].tickets(), companies: () => psas[name].companies(), settings: () => psas[name].settings() }),
    requestLog: () => log.map((entry) => ({ ...entry, headers: { ...entry.headers } })),
    requestsInFlight: () => [...inFlight].map((entry) => ({ ...entry, headers: { ...entry.headers } })),
    issuedTokens: () => tokens.issued(),
    clearRequestLog: () => {
      log = [];
    },
    expected: (day = ctx.clock.day) => dataset.expected(day),
    close: () =>
      new Promise<void>((resolve, reject) => {
        ctx.mailroom.close();
        server.close((error) => (error ? reject(error) : resolve()));
        // Hung requests and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };

  const control = {
    state: () => ({
      day: ctx.clock.day,
      date: simulator.date(),
      seed,
      customers: resolved.customers,
      urls: { graph: ctx.graphBaseUrl, partnerCenter: ctx.partnerCenterBaseUrl, authorityHost: ctx.authorityHost, acs: simulator.acsEndpoint },
      faults: ctx.faults.list(),
      inbox: ctx.mailroom.inbox().length,
      received: { teams: receivers.list('teams').length, slack: receivers.list('slack').length, webhook: receivers.list('webhook').length },
    }),
  };

  server.on('request', (req, res) => {
    const requestUrl = new URL(req.url ?? '/', url);
    const service = serviceOf(requestUrl.pathname);
    const entry = (status: number): RequestLogEntry => ({
      method: req.method ?? 'GET', path: loggedPath(requestUrl), status, service, headers: loggedHeaders(req.headers),
    });
    let answered = false;
    const waiting = entry(0);
    inFlight.add(waiting);
    res.on('close', () => {
      inFlight.delete(waiting);
      if (!answered) record(waiting);
    });
    void (async () => {
      const body = await readBody(req);
      const ex = new Exchange(req, res, requestUrl, service, body ?? Buffer.alloc(0), (status) => {
        answered = true;
        record(entry(status));
      });
      if (body === undefined) return ex.send(413, { error: 'request body too large' });
      switch (service) {
        case 'login': return handleLogin(ex, ctx);
        case 'msi': return handleManagedIdentity(ex, ctx);
        case 'graph': return handleGraph(ex, ctx);
        case 'partnerCenter': return handlePartnerCenter(ex, ctx);
        case 'control': return handleControl(ex, simulator, control);
        case 'acs': return handleAcs(ex, ctx);
        case 'keyVault': return handleKeyVault(ex, ctx);
        case 'teams':
        case 'slack':
        case 'webhook': return receivers.handle(ex, ctx.faults);
        case 'connectwise':
        case 'autotask':
        case 'halopsa': return psas[service].handle(ex);
      }
    })().catch((error: unknown) => {
      console.error('simulator: request failed', error);
      if (!res.headersSent) {
        answered = true;
        record(entry(500));
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'InternalServerError', message: 'simulator error' } }));
      }
    });
  });

  return simulator;
}
