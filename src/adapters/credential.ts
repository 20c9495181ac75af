import type { TokenCredential } from '@azure/core-auth';
import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import type { IdentityConfig } from '../config';

/** Microsoft's public and sovereign authorities; anything else (a private or local one) skips instance discovery. */
const knownAuthorities = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);

/**
 * The one credential of the app, from the standard AZURE_* settings: an app registration's
 * secret or certificate where one is configured, otherwise the (user-assigned, when
 * AZURE_CLIENT_ID is set) managed identity. Chosen explicitly rather than through
 * DefaultAzureCredential so production never probes developer tools or falls through to an
 * identity nobody meant.
 */
export function createCredential(identity: IdentityConfig): TokenCredential {
  const authorityHost = identity.authorityHost ?? undefined;
  const options = {
    authorityHost,
    disableInstanceDiscovery: authorityHost !== undefined && !knownAuthorities.has(new URL(authorityHost).hostname),
  };
  if (identity.clientSecret !== null) {
    return new ClientSecretCredential(identity.tenantId ?? '', identity.clientId ?? '', identity.clientSecret, options);
  }
  if (identity.certificatePath !== null) {
    return new ClientCertificateCredential(
      identity.tenantId ?? '',
      identity.clientId ?? '',
      { certificatePath: identity.certificatePath, certificatePassword: identity.certificatePassword ?? undefined },
      options,
    );
  }
  return identity.clientId !== null ? new ManagedIdentityCredential({ clientId: identity.clientId }) : new ManagedIdentityCredential();
}
