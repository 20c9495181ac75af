import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import type { ClientSecretLocation, StoredSecretProperties } from '../core/clientSecretExpiry';
import type { ClientSecretStore, RefreshTokenStore, StoredRefreshToken } from '../ports';
import { attemptTimeoutOptions, defaultAzureRequestTimeoutMs } from './attemptTimeout';
import { isNotFound, unlessRefused } from './storageErrors';

/** A Key Vault secrets client as every adapter of the app builds it: bounded attempts, three retries. */
export function keyVaultSecretClient(vaultUrl: string, credential: TokenCredential, requestTimeoutMs: number): SecretClient {
  const host = new URL(vaultUrl).hostname;
  return new SecretClient(vaultUrl, credential, {
    // The challenge names https://vault.azure.net (or a sovereign cloud's vault domain); a vault
    // elsewhere (the local simulator) would fail the SDK's check that the two match.
    disableChallengeResourceVerification: !/\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)$/.test(host),
    retryOptions: { maxRetries: 3 },
    ...attemptTimeoutOptions(requestTimeoutMs),
  });
}

/**
 * One Key Vault secret, as the app keeps two: the app registration's client secret, whose
 * expiry is checked without its value ever entering this process, and the Secure Application
 * Model refresh token, where each rotation adds a version (Key Vault keeps them all,
 * soft-deleted and purge-protected) and the newest version's id is what concurrent rotations
 * compare.
 */
export class KeyVaultSecret implements ClientSecretStore, RefreshTokenStore {
  private readonly client: SecretClient;
  readonly location: ClientSecretLocation;
  readonly description: string;

  constructor(vaultUrl: string, secretName: string, credential: TokenCredential, requestTimeoutMs: number = defaultAzureRequestTimeoutMs) {
    this.client = keyVaultSecretClient(vaultUrl, credential, requestTimeoutMs);
    const host = new URL(vaultUrl).hostname;
    // `az keyvault` names a vault by the first label of its host (NAME.vault.azure.net).
    this.location = { vaultName: /\.vault\./.test(host) ? host.slice(0, host.indexOf('.')) : host, secretName };
    this.description = `Key Vault secret '${secretName}' of ${host}`;
  }

  async latest(): Promise<StoredRefreshToken | null> {
    const secret = await unlessRefused(this.client.getSecret(this.location.secretName), 404);
    if (secret?.value === undefined || secret.properties.version === undefined) return null;
    return { value: secret.value, version: secret.properties.version };
  }

  /**
   * The current version's properties, or null when none was ever stored, read through Get Secret
   * Versions: it lists each version's attributes and never a value (RBAC `secrets/readMetadata`).
   * The current version is the one created last, the one Get Secret without a version (and an
   * app setting's Key Vault reference) gives.
   */
  async currentProperties(): Promise<(StoredSecretProperties & { updatedOn: Date | null }) | null> {
    let current: { createdOn: number; properties: StoredSecretProperties & { updatedOn: Date | null } } | null = null;
    try {
      for await (const version of this.client.listPropertiesOfSecretVersions(this.location.secretName)) {
        const createdOn = version.createdOn?.getTime() ?? 0;
        if (current !== null && createdOn < current.createdOn) continue;
        current = { createdOn, properties: { enabled: version.enabled !== false, expiresOn: version.expiresOn ?? null, updatedOn: version.updatedOn ?? null } };
      }
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    return current?.properties ?? null;
  }

  async write(value: string): Promise<string> {
    const secret = await this.client.setSecret(this.location.secretName, value, {
      contentType: 'application/vnd.partner-center.refresh-token',
      tags: { rotatedBy: 'partner-mfa-monitor' },
    });
    return secret.properties.version ?? '';
  }
}
