import type { TokenCredential } from '@azure/core-auth';
import type { SecretClient } from '@azure/keyvault-secrets';
import { keyVaultSecretClient } from './keyVaultSecretClient';
import type { ClientSecretLocation, StoredSecretProperties } from '../core/clientSecretExpiry';
import type { ClientSecretStore } from '../ports';

/**
 * The app registration's client secret in Key Vault, read through Get Secret Versions: it lists
 * each version's attributes and never a value (secrets/list, RBAC `secrets/readMetadata`), so
 * checking the expiry never brings the secret into this process. The current version is the one
 * created last, the one Get Secret without a version (and the app setting's Key Vault reference) gives.
 */
export class KeyVaultClientSecretStore implements ClientSecretStore {
  private readonly client: SecretClient;
  readonly location: ClientSecretLocation;

  constructor(vaultUrl: string, secretName: string, credential: TokenCredential, requestTimeoutMs: number) {
    this.client = keyVaultSecretClient(vaultUrl, credential, requestTimeoutMs);
    const host = new URL(vaultUrl).hostname;
    // `az keyvault` names a vault by the first label of its host (NAME.vault.azure.net).
    this.location = { vaultName: /\.vault\./.test(host) ? host.slice(0, host.indexOf('.')) : host, secretName };
  }

  async currentProperties(): Promise<StoredSecretProperties | null> {
    let current: { createdOn: number; properties: StoredSecretProperties } | null = null;
    try {
      for await (const version of this.client.listPropertiesOfSecretVersions(this.location.secretName)) {
        const createdOn = version.createdOn?.getTime() ?? 0;
        if (current !== null && createdOn < current.createdOn) continue;
        current = { createdOn, properties: { enabled: version.enabled !== false, expiresOn: version.expiresOn ?? null } };
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
    return current?.properties ?? null;
  }
}
