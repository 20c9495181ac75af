/*
 * Microsoft Entra ID as @azure/identity's credentials use it: OpenID discovery, the v2.0
 * token endpoint (client credentials with a secret or with a federated assertion, and refresh
 * tokens for the Partner Center Secure Application Model), and the App Service managed
 * identity endpoint; and as people sign in to the dashboard (signInAuthority.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { normaliseAudience, resourceOf, SimulatorContext } from './context';
import type { TenantProfile } from './customerTenants';
import { entraError } from './errorBodies';
import type { Exchange } from './exchange';
import { applyRequestFaults } from './requestFaults';
import { cors } from './signInAuthority';
import { simulatedLatency } from './dataResponse';

/**
 * The app registration trusts the managed identity through a federated identity credential:
 * a managed identity token for this audience, sent as `client_assertion`, stands in for the secret.
 */
const tokenExchangeAudience = 'api://AzureADTokenExchange';
const jwtBearerAssertion = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** `/login/{tenant}/...` */
export async function handleLogin(ex: Exchange, ctx: SimulatorContext): Promise<void> {
  if (!(await applyRequestFaults(ex, ctx.faults, 0))) return;
  const match = /^\/login\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/(?:token|authorize|logout)|discovery\/v2\.0\/keys)$/.exec(ex.url.pathname);
  if (!match) {
    ex.send(404, entraError('invalid_request', 900_561, 'The endpoint only accepts the OpenID configuration, its keys, and the v2.0 authorize, token and logout requests.'));
    return;
  }
  const [, tenant = '', endpoint] = match;
  // A customer tenant's answers take the configured latency, as its Graph's do: the scan asks one token per tenant.
  if (tenant.toLowerCase() !== ctx.tenantId) await simulatedLatency(ctx);
  const customer = tenant.toLowerCase() === ctx.tenantId ? undefined : ctx.customerTenants.profile(tenant);
  if (tenant.toLowerCase() !== ctx.tenantId && (customer === undefined || customer === 'deleted')) {
    ex.send(400, entraError('invalid_tenant', 90_002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`));
    return;
  }
  if (customer !== undefined && endpoint === 'oauth2/v2.0/token' && ex.method === 'POST') {
    customerToken(ex, ctx, tenant.toLowerCase(), customer, new URLSearchParams(ex.body.toString('utf8')));
    return;
  }
  if (customer !== undefined && endpoint !== 'v2.0/.well-known/openid-configuration') {
    ex.send(404, entraError('invalid_request', 900_561, 'The simulator serves customer tenants their OpenID configuration and token endpoint only.'));
    return;
  }
  if (endpoint === 'discovery/v2.0/keys') {
    ex.send(200, ctx.signIn.keys());
    return;
  }
  if (endpoint === 'oauth2/v2.0/authorize') {
    ctx.signIn.authorize(ex);
    return;
  }
  if (endpoint === 'oauth2/v2.0/logout') {
    // Signed out: back to where the app asked, as Entra does for a registered redirect URI.
    const back = ex.url.searchParams.get('post_logout_redirect_uri');
    if (back === null) ex.sendRaw(200, 'You have signed out.', { 'content-type': 'text/plain; charset=utf-8' });
    else ex.sendRaw(302, '', { location: back });
    return;
  }
  if (endpoint === 'oauth2/v2.0/token') {
    if (ex.method === 'OPTIONS') {
      ex.sendRaw(204, '', { ...cors(ex), 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' });
      return;
    }
    if (ex.method !== 'POST') {
      ex.send(405, entraError('invalid_request', 900_561, 'The endpoint only accepts POST requests.'));
      return;
    }
    token(ex, ctx, new URLSearchParams(ex.body.toString('utf8')));
    return;
  }
  const base = `${ctx.authorityHost}/${customer === undefined ? ctx.tenantId : tenant.toLowerCase()}`;
  ex.send(200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${ctx.url}/graph/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: '127.0.0.1',
    cloud_graph_host_name: '127.0.0.1',
    msgraph_host: '127.0.0.1',
    rbac_url: ctx.url,
  });
}

function token(ex: Exchange, ctx: SimulatorContext, form: URLSearchParams): void {
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') {
    ctx.signIn.redeem(ex, form);
    return;
  }
  // The dashboard's sign-in renews its tokens with its own refresh token; the partner app's refresh token is the Secure Application Model's.
  if (grantType === 'refresh_token' && form.get('client_id')?.toLowerCase() === ctx.signIn.clientId) {
    ctx.signIn.refresh(ex, form);
    return;
  }
  if (grantType !== 'client_credentials' && grantType !== 'refresh_token') {
    ex.send(400, entraError('unsupported_grant_type', 70_003, `The app requested an unsupported grant type '${grantType ?? ''}'.`));
    return;
  }
  const clientId = form.get('client_id') ?? '';
  if (clientId.toLowerCase() !== ctx.clientId) {
    ex.send(400, entraError('unauthorized_client', 700_016, `Application with identifier '${clientId}' was not found in the directory '${ctx.tenantId}'.`));
    return;
  }
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== jwtBearerAssertion || ctx.tokens.check(assertion, [tokenExchangeAudience]) !== 'valid') {
      ex.send(401, entraError('invalid_client', 70_021, `No matching federated identity record found for presented assertion of app '${ctx.clientId}'.`));
      return;
    }
  } else if (grantType === 'client_credentials' && secret === null) {
    ex.send(401, entraError('invalid_client', 7_000_218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."));
    return;
  }
  if (secret !== null && !sameSecret(secret, ctx.clientSecret)) {
    ex.send(401, entraError('invalid_client', 7_000_215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${ctx.clientId}'.`));
    return;
  }
  if (secret !== null && ctx.clientSecretExpired) {
    ex.send(401, entraError('invalid_client', 7_000_222, `The provided client secret keys for app '${ctx.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`));
    return;
  }

  const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
  const resourceScopes = scopes.filter((scope) => !['openid', 'profile', 'offline_access', 'email'].includes(scope));
  if (grantType === 'client_credentials' && (resourceScopes.length !== 1 || !resourceScopes[0]!.endsWith('/.default'))) {
    ex.send(400, entraError('invalid_scope', 1_002_012, `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`));
    return;
  }
  const scope = resourceScopes[0] ?? '';
  const audience = normaliseAudience(scope.replace(/\/(\.default|user_impersonation)$/, ''));
  if (resourceScopes.length !== 1 || !resourceOf(ctx, audience)) {
    ex.send(400, entraError('invalid_resource', 500_011, `The resource principal named ${audience} was not found in the tenant named ${ctx.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`));
    return;
  }

  if (grantType === 'refresh_token' && !ctx.tokens.redeemRefreshToken(form.get('refresh_token') ?? '')) {
    ex.send(400, entraError('invalid_grant', 70_000, "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid."));
    return;
  }
  const issued = ctx.tokens.issueAccessToken(audience, rolesFor(ctx, audience));
  ex.send(200, {
    token_type: 'Bearer',
    scope: grantType === 'refresh_token' ? `${scope} ${scopes.includes('offline_access') ? 'offline_access' : ''}`.trim() : undefined,
    expires_in: issued.expiresInSeconds,
    ext_expires_in: issued.expiresInSeconds,
    access_token: issued.token,
    refresh_token: grantType === 'refresh_token' ? ctx.tokens.issueRefreshToken() : undefined,
  }, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
}

/**
 * A customer tenant's token endpoint: the Secure Application Model's refresh token (any issued
 * and not revoked: Entra does not revoke one on use) or the app's client credentials, refused as
 * the tenant's profile says: no GDAP relationship (the partner's user has no access there,
 * AADSTS50020), the app not consented (AADSTS65001 for the user's grant, AADSTS700016 for the
 * app's own: "not found in the directory"). The token is for Graph, in that tenant.
 */
function customerToken(ex: Exchange, ctx: SimulatorContext, tenantId: string, profile: TenantProfile, form: URLSearchParams): void {
  const grantType = form.get('grant_type');
  const clientId = form.get('client_id') ?? '';
  if (grantType !== 'client_credentials' && grantType !== 'refresh_token') {
    ex.send(400, entraError('unsupported_grant_type', 70_003, `The app requested an unsupported grant type '${grantType ?? ''}'.`));
    return;
  }
  const notFound = () => ex.send(400, entraError('unauthorized_client', 700_016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`));
  if (clientId.toLowerCase() !== ctx.clientId) return notFound();
  if (grantType === 'client_credentials') {
    const secret = form.get('client_secret');
    if (secret === null || !sameSecret(secret, ctx.clientSecret)) {
      ex.send(401, entraError('invalid_client', 7_000_215, `Invalid client secret provided for app '${ctx.clientId}'.`));
      return;
    }
    if (profile === 'appNotConsented' || profile === 'noGdapRelationship') return notFound();
  } else {
    if (!ctx.tokens.knowsRefreshToken(form.get('refresh_token') ?? '')) {
      ex.send(400, entraError('invalid_grant', 70_000, "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid."));
      return;
    }
    if (profile === 'noGdapRelationship') {
      ex.send(400, entraError('invalid_grant', 50_020, `User account from identity provider 'https://sts.windows.net/${ctx.tenantId}/' does not exist in tenant '${tenantId}' and cannot access the application '${ctx.clientId}' in that tenant. The account needs to be added as an external user in the tenant first.`));
      return;
    }
    if (profile === 'appNotConsented') {
      ex.send(400, entraError('invalid_grant', 65_001, `The user or administrator has not consented to use the application with ID '${ctx.clientId}'. Send an interactive authorization request for this user and resource.`));
      return;
    }
  }
  const scope = (form.get('scope') ?? '').split(' ').find((candidate) => candidate.endsWith('/.default')) ?? '';
  const audience = normaliseAudience(scope.replace(/\/\.default$/, ''));
  if (resourceOf(ctx, audience) !== 'graph') {
    ex.send(400, entraError('invalid_resource', 500_011, `The resource principal named ${audience} was not found in the tenant named ${tenantId}.`));
    return;
  }
  const issued = ctx.tokens.issueAccessToken(audience, [], tenantId);
  ex.send(200, { token_type: 'Bearer', expires_in: issued.expiresInSeconds, ext_expires_in: issued.expiresInSeconds, access_token: issued.token, refresh_token: grantType === 'refresh_token' ? ctx.tokens.issueRefreshToken() : undefined }, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
}

/** Graph tokens carry the application permissions consented to the app (its `roles` claim); other audiences none here. */
function rolesFor(ctx: SimulatorContext, audience: string): readonly string[] {
  return resourceOf(ctx, audience) === 'graph' ? [...ctx.graphPermissions] : [];
}

/** `/msi/token`: the App Service managed identity endpoint (IDENTITY_ENDPOINT, api-version 2019-08-01). */
export async function handleManagedIdentity(ex: Exchange, ctx: SimulatorContext): Promise<void> {
  if (!(await applyRequestFaults(ex, ctx.faults, 0))) return;
  if (ex.url.pathname !== '/msi/token' || ex.method !== 'GET') {
    ex.send(404, { statusCode: 404, message: 'Not found.' });
    return;
  }
  const header = ex.header('x-identity-header');
  if (header === undefined || !sameSecret(header, ctx.managedIdentityHeader)) {
    ex.send(401, { statusCode: 401, message: 'The X-IDENTITY-HEADER header is missing or wrong.' });
    return;
  }
  const query = ex.url.searchParams;
  if (query.get('api-version') !== '2019-08-01') {
    ex.send(400, { statusCode: 400, message: `Unsupported api-version '${query.get('api-version') ?? ''}': use 2019-08-01.` });
    return;
  }
  const requestedClient = query.get('client_id');
  if (requestedClient !== null && requestedClient.toLowerCase() !== ctx.managedIdentityClientId) {
    ex.send(400, { statusCode: 400, message: `No managed identity with client id '${requestedClient}' is assigned to this app.` });
    return;
  }
  const resource = query.get('resource') ?? '';
  const audience = normaliseAudience(resource);
  if (audience !== tokenExchangeAudience && !resourceOf(ctx, audience)) {
    ex.send(400, { statusCode: 400, message: `AADSTS500011: The resource principal named ${resource} was not found in the tenant.` });
    return;
  }
  const issued = ctx.tokens.issueAccessToken(audience, rolesFor(ctx, audience));
  ex.send(200, {
    access_token: issued.token,
    expires_on: String(Math.floor(issued.expiresAt / 1000)),
    resource,
    token_type: 'Bearer',
    client_id: ctx.managedIdentityClientId,
  });
}
