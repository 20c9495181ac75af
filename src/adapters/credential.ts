import type { TokenCredential } from '@azure/core-auth';
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import type { IdentityConfig } from '../config';
import { MonitorError } from '../core/errors';

/** Microsoft's public and sovereign authorities; anything else (a private or local one) skips instance discovery. */
const knownAuthorities = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);

/**
 * The audience Entra expects on a token exchanged through a federated identity credential, per
 * cloud (by authority host); the public cloud's for any other host, the local simulator included.
 */
const tokenExchangeAudiences: Record<string, string> = {
  'login.microsoftonline.us': 'api://AzureADTokenExchangeUSGov',
  'login.chinacloudapi.cn': 'api://AzureADTokenExchangeChina',
  'login.partner.microsoftonline.cn': 'api://AzureADTokenExchangeChina',
};

/**
 * The one credential of the app, from the standard AZURE_* settings: with
 * APP_CREDENTIAL=managedIdentityFederation, the app registration proven by a managed identity
 * token it trusts (no secret exists); otherwise an app registration's secret or certificate
 * where one is configured, else the (user-assigned, when AZURE_CLIENT_ID is set) managed identity. Chosen explicitly rather than through
 * DefaultAzureCredential so production never probes developer tools or falls through to an
 * identity nobody meant.
 */
export function createCredential(identity: IdentityConfig): TokenCredential {
  const authorityHost = identity.authorityHost ?? undefined;
  const [tenantId, clientId] = [identity.tenantId ?? '', identity.clientId ?? ''];
  const options = {
    authorityHost,
    disableInstanceDiscovery: authorityHost !== undefined && !knownAuthorities.has(new URL(authorityHost).hostname),
  };
  if (identity.credential === 'managedIdentityFederation') {
    const managedIdentity = new ManagedIdentityCredential({ clientId: identity.managedIdentityClientId ?? undefined });
    const audience = tokenExchangeAudiences[authorityHost === undefined ? '' : new URL(authorityHost).hostname] ?? 'api://AzureADTokenExchange';
    const managedIdentityAssertion = async (): Promise<string> => {
      const token = await managedIdentity.getToken(`${audience}/.default`);
      if (token === null) throw new MonitorError('ManagedIdentityUnavailable', `The managed identity gave no token for ${audience}, so the app registration cannot be signed in to`);
      return token.token;
    };
    return new ClientAssertionCredential(tenantId, clientId, managedIdentityAssertion, options);
  }
  if (identity.clientSecret !== null) {
    return new ClientSecretCredential(tenantId, clientId, identity.clientSecret, options);
  }
  if (identity.certificatePath !== null) {
    const certificate = { certificatePath: identity.certificatePath, certificatePassword: identity.certificatePassword ?? undefined };
    return new ClientCertificateCredential(tenantId, clientId, certificate, options);
  }
  // Without AZURE_CLIENT_ID, the system-assigned identity.
  return new ManagedIdentityCredential({ clientId: identity.clientId ?? undefined });
}
