import type { TokenCredential } from '@azure/core-auth';
import { ConfigurationError } from './core/errors';
import { readConfig, type AppUserAuthConfig, type Config, type Env } from './config';
import type { ClientSecretStore, QueueDepths, QueueSender } from './ports';
import type { AcsEmailSender } from './adapters/acsEmailSender';
import type { ApiClient } from './adapters/apiClient';
import type { KeyVaultSecret } from './adapters/keyVaultSecret';
import type { Tables } from './adapters/tables';

/**
 * The clients and credentials the use cases share (see composition.ts). Each is built from the
 * settings it needs, its code imported on first use, and kept for the next invocation under
 * those settings: a change of settings (tests, the local host) builds afresh.
 */

/** What one kind of thing was built, by the settings it was built from (as JSON: equal settings, one thing). */
export class Built<T> {
  private readonly byKey = new Map<string, T>();

  get(settings: unknown, build: () => T): T {
    const key = JSON.stringify(settings);
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    const made = build();
    this.byKey.set(key, made);
    return made;
  }

  forget(settings: unknown): void {
    this.byKey.delete(JSON.stringify(settings));
  }
}

const appCredentials = new Built<TokenCredential>();
const managedIdentities = new Built<TokenCredential>();
const samCredentials = new Built<TokenCredential>();
const apiClients = new Built<ApiClient>();
const tableSets = new Built<Tables>();
const emailSenders = new Built<AcsEmailSender>();
const clientSecretStores = new Built<ClientSecretStore>();

/**
 * A credential's code is loaded when its factory is made, the credential built on the factory's
 * first call: an adapter given a connection string never calls it. Table Storage, ACS and Key
 * Vault (`resource`) sign in as the user-assigned managed identity where one is named, else with the app's credential.
 */
async function credentialFactory(config: Pick<Config, 'identity'>, reaches: 'app' | 'resource'): Promise<() => TokenCredential> {
  const clientId = config.identity.managedIdentityClientId;
  if (reaches === 'resource' && clientId !== null) {
    const { ManagedIdentityCredential } = await import('@azure/identity');
    return () => managedIdentities.get(clientId, () => new ManagedIdentityCredential({ clientId }));
  }
  const { createCredential } = await import('./adapters/credential');
  return () => appCredentials.get(config.identity, () => createCredential(config.identity));
}

/** The credential that reaches Table Storage, ACS and Key Vault. */
export async function resourceTokenCredential(env?: Env): Promise<TokenCredential> {
  return (await credentialFactory(readConfig(env, ['identity']), 'resource'))();
}

/** Key Vault secrets as the resource identity reads them, each attempt within AZURE_REQUEST_TIMEOUT_SECONDS. */
async function vaultSecrets(config: Pick<Config, 'identity' | 'limits'>): Promise<(vaultUrl: string, secretName: string) => KeyVaultSecret> {
  const [{ KeyVaultSecret }, credential] = await Promise.all([import('./adapters/keyVaultSecret'), credentialFactory(config, 'resource')]);
  return (vaultUrl, secretName) => new KeyVaultSecret(vaultUrl, secretName, credential(), config.limits.azureRequestTimeoutMs);
}

const apiParts = ['identity', 'http', 'graph', 'partnerCenter'] as const;

/**
 * Partner Center's App+User token (the Secure Application Model, its refresh token in Key Vault)
 * and the auth settings it was built from, once Partner Center's settings and those of its auth
 * are read (one error names every problem); null when Partner Center is reached app-only.
 */
async function secureApplicationModelCredential(env: Env | undefined): Promise<{ credential: TokenCredential; auth: AppUserAuthConfig } | null> {
  const config = readConfig(env, [...apiParts, 'partnerCenterAuth', 'limits']);
  const auth = config.partnerCenterAuth;
  if (auth.mode !== 'appUser') return null;
  const [{ SecureApplicationModelCredential }, secret] = await Promise.all([import('./adapters/secureApplicationModelCredential'), vaultSecrets(config)]);
  // A refused redemption waits for a concurrent rotation at most half an attempt's time limit, so
  // revoked consent fails that attempt as ConsentRequired (naming the fix), never as a Timeout.
  const raceWaitMs = Math.min(10_000, Math.floor(config.http.timeoutMs / 2));
  const credential = samCredentials.get(auth, () => {
    const store = secret(auth.keyVaultUrl, auth.refreshTokenSecret);
    return new SecureApplicationModelCredential({ tenantId: auth.tenantId, clientId: auth.clientId, authorityHost: auth.authorityHost, store, raceWaitMs });
  });
  return { credential, auth };
}

/** The alerts' and the digest's email sender. */
export async function emailSender(env?: Env): Promise<AcsEmailSender> {
  const config = readConfig(env, ['identity', 'email', 'limits']);
  const [{ AcsEmailSender }, tokenCredential] = await Promise.all([import('./adapters/acsEmailSender'), credentialFactory(config, 'resource')]);
  return emailSenders.get([config.email, config.limits.azureRequestTimeoutMs], () => new AcsEmailSender(config.email, tokenCredential, config.limits.azureRequestTimeoutMs));
}

export async function tables(env?: Env): Promise<Tables> {
  const config = readConfig(env, ['storage', 'identity', 'limits']);
  const [{ Tables }, tokenCredential] = await Promise.all([import('./adapters/tables'), credentialFactory(config, 'resource')]);
  const { azureRequestTimeoutMs } = config.limits;
  return tableSets.get([config.storage, azureRequestTimeoutMs], () => new Tables(config.storage, tokenCredential, azureRequestTimeoutMs));
}

/** One Microsoft API as the collectors reach it: the client, and the credential and scope its tokens come from. */
export type ApiConnection = Awaited<ReturnType<typeof apiConnection>>;

/** Graph as its collectors reach it, or Partner Center as collectNonMfaPrincipals does (app-only, or App+User through Key Vault); the doctor checks the same. */
export async function apiConnection(service: 'Graph' | 'Partner Center', env?: Env) {
  // Partner Center's auth settings only for Partner Center: a mistake there must not stop Graph.
  const appUser = service === 'Partner Center' ? await secureApplicationModelCredential(env) : null;
  const config = readConfig(env, apiParts);
  const { ApiClient } = await import('./adapters/apiClient');
  const { baseUrl, scope } = service === 'Graph' ? config.graph : config.partnerCenter;
  const tokenCredential = appUser?.credential ?? (await credentialFactory(config, 'app'))();
  const key = [service, baseUrl, config.http, config.identity, appUser?.auth ?? 'app'];
  // A token the service refuses (revoked, or its app's consent withdrawn) is cached by the
  // credential until it expires: forget both, so the next invocation asks Entra afresh.
  const forget = (): void => {
    apiClients.forget(key);
    appCredentials.forget(config.identity);
    if (appUser !== null) samCredentials.forget(appUser.auth);
  };
  const client = apiClients.get(key, () => new ApiClient({ service, baseUrl, scope, credential: tokenCredential, http: config.http, onUnauthorized: forget }));
  return { client, credential: tokenCredential, scope };
}

/** The Key Vault secret AZURE_CLIENT_SECRET comes from (CLIENT_SECRET_KEY_VAULT_SECRET), read for its expiry; null when none is named. */
export async function clientSecretStore(env?: Env): Promise<ClientSecretStore | null> {
  // Unset, nothing else is read: an identity problem is then no concern of the expiry check.
  const location = readConfig(env, ['clientSecretStore']).clientSecretStore;
  if (location === null) return null;
  const config = readConfig(env, ['identity', 'clientSecretStore', 'limits']);
  const secret = await vaultSecrets(config);
  // One client for the life of the process: a new one would pay Key Vault's challenge round trip on every status.
  return clientSecretStores.get([location, config.identity, config.limits.azureRequestTimeoutMs], () => secret(location.keyVaultUrl, location.secretName));
}

/** The Key Vault secret that holds the Partner Center refresh token (PARTNER_CENTER_AUTH=appUser). */
export async function refreshTokenStore(env?: Env): Promise<KeyVaultSecret> {
  const config = readConfig(env, ['identity', 'partnerCenterAuth', 'limits']);
  const auth = config.partnerCenterAuth;
  if (auth.mode !== 'appUser') throw new ConfigurationError(['PARTNER_CENTER_AUTH is app: the refresh token in Key Vault is used only with PARTNER_CENTER_AUTH=appUser']);
  return (await vaultSecrets(config))(auth.keyVaultUrl, auth.refreshTokenSecret);
}

/**
 * The customer-admin scan's view into each customer tenant (CUSTOMER_TENANT_AUTH): Graph there
 * with tokens from the Secure Application Model (`appUser`: PARTNER_CENTER_AUTH=appUser's refresh
 * token in Key Vault) or from the app registration's own credential (`app`).
 */
const tenantAdminSources = new Built<import('./ports').TenantAdminSource>();

export async function tenantAdminSource(env?: Env): Promise<import('./ports').TenantAdminSource> {
  const config = readConfig(env, ['customerAdmins', 'identity', 'http', 'graph', 'limits']);
  const { auth } = config.customerAdmins;
  if (auth === 'off') throw new ConfigurationError(['CUSTOMER_TENANT_AUTH is off: the customer-admin scan does not run']);
  const [{ GraphTenantAdminSource }, { AppTenantTokens, SecureApplicationModelTenantTokens }] = await Promise.all([
    import('./adapters/graphTenantAdminSource'),
    import('./adapters/customerTenantCredential'),
  ]);
  const { baseUrl, scope } = config.graph;
  if (auth === 'appUser') {
    const partnerCenterAuth = readConfig(env, ['partnerCenterAuth']).partnerCenterAuth;
    if (partnerCenterAuth.mode !== 'appUser') {
      throw new ConfigurationError(["CUSTOMER_TENANT_AUTH=appUser needs PARTNER_CENTER_AUTH=appUser: it redeems the partner admin's refresh token that setting keeps in Key Vault"]);
    }
    const secret = await vaultSecrets(config);
    return tenantAdminSources.get([auth, baseUrl, config.http, partnerCenterAuth], () => {
      const store = secret(partnerCenterAuth.keyVaultUrl, partnerCenterAuth.refreshTokenSecret);
      const tokens = new SecureApplicationModelTenantTokens({ authorityHost: partnerCenterAuth.authorityHost, clientId: partnerCenterAuth.clientId, scope, store });
      return new GraphTenantAdminSource({ graphBaseUrl: baseUrl, scope, http: config.http, tokens });
    });
  }
  const { identity } = config;
  if (identity.credential !== 'managedIdentityFederation' && identity.clientSecret === null && identity.certificatePath === null) {
    // A managed identity has tokens in its own tenant only.
    throw new ConfigurationError(['CUSTOMER_TENANT_AUTH=app needs the app registration\'s credential (AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or APP_CREDENTIAL=managedIdentityFederation): a managed identity has no token in customer tenants']);
  }
  const { createCredential } = await import('./adapters/credential');
  const tokens = (): InstanceType<typeof AppTenantTokens> => new AppTenantTokens((tenantId) => createCredential({ ...identity, tenantId }), scope, identity.authorityHost ?? 'https://login.microsoftonline.com');
  return tenantAdminSources.get([auth, baseUrl, config.http, identity], () => new GraphTenantAdminSource({ graphBaseUrl: baseUrl, scope, http: config.http, tokens: tokens() }));
}

const queueSenders = new Built<QueueSender & QueueDepths>();

/**
 * The customer-admin scan queue (ADMIN_SCAN_QUEUE or ADMIN_SCAN_QUEUE__queueServiceUri, and
 * ADMIN_SCAN_QUEUE_NAME): what scanCustomerAdmins sends through, and the depths of the queue and
 * its poison queue that the status reads. It signs in as the resource identity, as the trigger's
 * `__credential`/`__clientId` connection does.
 */
export async function queueSender(env?: Env): Promise<QueueSender & QueueDepths> {
  const config = readConfig(env, ['customerAdmins', 'identity', 'limits']);
  const { queue } = config.customerAdmins;
  if (queue.connectionString === null && queue.queueServiceUri === null) {
    throw new ConfigurationError(['ADMIN_SCAN_QUEUE or ADMIN_SCAN_QUEUE__queueServiceUri is required to reach the customer-admin scan queue (neither is set)']);
  }
  const [{ StorageQueueSender }, tokenCredential] = await Promise.all([import('./adapters/storageQueueSender'), credentialFactory(config, 'resource')]);
  const { azureRequestTimeoutMs } = config.limits;
  return queueSenders.get([queue, azureRequestTimeoutMs], () => new StorageQueueSender(queue, tokenCredential, azureRequestTimeoutMs));
}
