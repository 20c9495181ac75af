import type { TokenCredential } from '@azure/core-auth';
import type { SecretClient } from '@azure/keyvault-secrets';
import { defaultAzureRequestTimeoutMs } from './attemptTimeout';
import { keyVaultSecretClient } from './keyVaultSecretClient';
import type { RefreshTokenStore, StoredRefreshToken } from '../ports';

/**
 * The Secure Application Model refresh token as one Key Vault secret: each rotation adds a
 * version (Key Vault keeps them all, soft-deleted and purge-protected), and the newest
 * version's id is what concurrent rotations compare.
 */
export class KeyVaultRefreshTokenStore implements RefreshTokenStore {
  private readonly client: SecretClient;
  readonly description: string;

  constructor(
    vaultUrl: string,
    private readonly secretName: string,
    credential: TokenCredential,
    requestTimeoutMs: number = defaultAzureRequestTimeoutMs,
  ) {
    this.client = keyVaultSecretClient(vaultUrl, credential, requestTimeoutMs);
    this.description = `Key Vault secret '${secretName}' of ${new URL(vaultUrl).hostname}`;
  }

  async latest(): Promise<StoredRefreshToken | null> {
    try {
      const secret = await this.client.getSecret(this.secretName);
      if (secret.value === undefined || secret.properties.version === undefined) return null;
      return { value: secret.value, version: secret.properties.version };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  /**
   * The secret's properties (enabled, last update, expiry) without its value, or null when it
   * was never stored: what a check may read (the vault's listing never carries values).
   */
  async properties(): Promise<{ enabled: boolean; updatedOn: Date | null; expiresOn: Date | null } | null> {
    for await (const secret of this.client.listPropertiesOfSecrets()) {
      if (secret.name.toLowerCase() !== this.secretName.toLowerCase()) continue;
      return { enabled: secret.enabled !== false, updatedOn: secret.updatedOn ?? null, expiresOn: secret.expiresOn ?? null };
    }
    return null;
  }

  async write(value: string): Promise<string> {
    const secret = await this.client.setSecret(this.secretName, value, {
      contentType: 'application/vnd.partner-center.refresh-token',
      tags: { rotatedBy: 'partner-mfa-monitor' },
    });
    return secret.properties.version ?? '';
  }
}
