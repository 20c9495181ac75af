import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { attemptTimeoutOptions } from './attemptTimeout';

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
