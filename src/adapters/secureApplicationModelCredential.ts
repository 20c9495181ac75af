import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, createEmptyPipeline, exponentialRetryPolicy, throttlingRetryPolicy, type Pipeline } from '@azure/core-rest-pipeline';
import { MonitorError } from '../core/errors';
import type { RefreshTokenStore, StoredRefreshToken } from '../ports';
import { describeFailure, redeemRefreshToken, type TokenAnswer, type TokenRefusal } from './entraTokenRedemption';

interface SecureApplicationModelOptions {
  /** The partner tenant: refresh tokens are redeemed at its own token endpoint. */
  tenantId: string;
  /** The app registration the admin consented to (a public client: no secret is sent). */
  clientId: string;
  /** https://login.microsoftonline.com, or a sovereign or local authority. */
  authorityHost: string;
  store: RefreshTokenStore;
  /** How long a refused redemption waits for a concurrent rotation to land before it reads as revoked. Default 10 s. */
  raceWaitMs?: number;
}

/** Renewed this long before it expires, so a request never leaves with a token about to lapse. */
const renewBeforeExpiryMs = 5 * 60_000;
/** The command that obtains a first refresh token, named in errors. */
const consentCommand = 'npm run consent';

/**
 * The Partner Center Secure Application Model as a TokenCredential: an App+User token from the
 * partner admin's refresh token, redeemed at the partner tenant's token endpoint; the rotated
 * refresh token Entra returns is written back, so the grant never ages out while the monitor
 * runs.
 *
 * Concurrent invocations (other instances, overlapping schedules) are made safe by the store's
 * versions, without a lock:
 * - a credential writes the rotated token only if the newest version is still the one it
 *   redeemed; otherwise a concurrent rotation already stored a newer token, and this one's is
 *   dropped (it stays valid; the chain simply continues from the winner's);
 * - a redemption refused with invalid_grant re-reads the store: a newer version means another
 *   instance rotated first, so it redeems that one; the same version means the winner has not
 *   written yet, so it waits briefly and reads again. Only when the newest version stays
 *   refused for `raceWaitMs` is the grant revoked, and the error names the consent command.
 * Every written token therefore came from redeeming the newest version, and the newest version
 * is never replaced by an older one's successor.
 * Within one process, concurrent requests share one redemption. Tokens never appear in errors.
 */
export class SecureApplicationModelCredential implements TokenCredential {
  private readonly cached = new Map<string, AccessToken>();
  private readonly inFlight = new Map<string, Promise<AccessToken>>();
  private readonly pipeline: Pipeline;
  private readonly httpClient = createDefaultHttpClient();
  private readonly tokenEndpoint: string;
  private readonly raceWaitMs: number;

  constructor(private readonly options: SecureApplicationModelOptions) {
    this.tokenEndpoint = `${options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`;
    this.raceWaitMs = options.raceWaitMs ?? 10_000;
    this.pipeline = createEmptyPipeline();
    // Entra's own throttling (429 + Retry-After) and transient 5xx or network faults; never a 400.
    this.pipeline.addPolicy(throttlingRetryPolicy({ maxRetries: 3 }));
    this.pipeline.addPolicy(exponentialRetryPolicy({ maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 8000 }));
  }

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const scope = (Array.isArray(scopes) ? scopes : [scopes]).join(' ');
    const cached = this.cached.get(scope);
    if (cached && cached.expiresOnTimestamp - renewBeforeExpiryMs > Date.now()) return cached;
    let pending = this.inFlight.get(scope);
    if (!pending) {
      pending = this.redeem(scope).finally(() => this.inFlight.delete(scope));
      this.inFlight.set(scope, pending);
    }
    return pending;
  }

  private async redeem(scope: string): Promise<AccessToken> {
    const deadline = Date.now() + this.raceWaitMs;
    let refusedVersion: string | null = null;
    let refusal: TokenRefusal | null = null;
    let pause = 200;
    for (;;) {
      const stored = await this.readStore();
      if (stored === null) {
        throw new MonitorError('ConsentRequired', `Partner Center App+User sign-in has no refresh token yet (${this.options.store.description} is empty): a partner admin must run \`${consentCommand}\`.`);
      }
      if (stored.version === refusedVersion) {
        // Refused, and nobody has stored a newer one yet: a concurrent rotation may be about to.
        if (Date.now() >= deadline) throw this.consentRequired(refusal);
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
        pause = Math.min(pause * 2, 2000);
        continue;
      }
      const answer = await this.post(stored.value, scope);
      if (answer.ok) {
        await this.keep(stored.version, answer.refreshToken);
        this.cached.set(scope, answer.token);
        return answer.token;
      }
      if (answer.error !== 'invalid_grant') {
        throw new MonitorError('AuthenticationFailed', `Entra refused the Partner Center refresh token redemption for tenant ${this.options.tenantId} and app ${this.options.clientId} (${answer.error}${answer.detail})`);
      }
      refusedVersion = stored.version;
      refusal = answer;
    }
  }

  /** Writes the rotated token only over the version it came from (see the class comment). */
  private async keep(redeemedVersion: string, refreshToken: string | null): Promise<void> {
    if (refreshToken === null) return;
    const latest = await this.readStore();
    if (latest !== null && latest.version !== redeemedVersion) return;
    try {
      await this.options.store.write(refreshToken);
    } catch (error) {
      throw new MonitorError(
        'RefreshTokenNotStored',
        `Could not store the rotated Partner Center refresh token in ${this.options.store.description} (${describeFailure(error)}): the app's identity needs Key Vault Secrets Officer on that secret.`,
        { cause: error },
      );
    }
  }

  private async readStore(): Promise<StoredRefreshToken | null> {
    try {
      return await this.options.store.latest();
    } catch (error) {
      throw new MonitorError('KeyVaultUnavailable', `Could not read the Partner Center refresh token from ${this.options.store.description} (${describeFailure(error)}): the app's identity needs Key Vault Secrets User on the vault.`, { cause: error });
    }
  }

  private consentRequired(refusal: TokenRefusal | null): MonitorError {
    return new MonitorError(
      'ConsentRequired',
      `Partner Center App+User sign-in is no longer valid: Entra refused the refresh token in ${this.options.store.description} (${refusal?.error ?? 'invalid_grant'}${refusal?.detail ?? ''}). ` +
        `It was revoked, expired or its consent withdrawn: a partner admin must run \`${consentCommand}\` again.`,
    );
  }

  private post(refreshToken: string, scope: string): Promise<TokenAnswer | TokenRefusal> {
    const scopes = new Set(scope.split(' ').filter(Boolean));
    scopes.add('offline_access');
    const { tenantId, clientId } = this.options;
    return redeemRefreshToken({ pipeline: this.pipeline, httpClient: this.httpClient }, { tokenEndpoint: this.tokenEndpoint, tenantId, clientId, refreshToken, scope: [...scopes].join(' ') });
  }
}
