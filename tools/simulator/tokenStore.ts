import { randomBytes } from 'node:crypto';

type TokenCheck = 'valid' | 'unknown' | 'expired' | 'wrongAudience';

interface IssuedToken {
  audience: string;
  expiresAt: number;
  /** The application permissions (app roles) consented when the token was issued: its `roles` claim. */
  roles: ReadonlySet<string>;
  /** The tenant it was issued in (its `tid` claim): the partner's, or a customer's. */
  tenantId: string | null;
}

const opaque = () => randomBytes(32).toString('base64url');

/**
 * Access tokens (opaque random strings, remembered with audience and expiry) and
 * Secure Application Model refresh tokens (single use: redeeming one rotates it).
 */
export class TokenStore {
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Set<string>();
  /**
   * Every refresh token issued and not revoked, redeemed or not: a customer tenant's token
   * endpoint accepts any of them, as Entra does not revoke a refresh token when it is used
   * ("Refresh tokens in the Microsoft identity platform"); only the partner tenant's chain is
   * simulated single-use, to exercise the monitor's rotation.
   */
  private readonly everIssuedRefreshTokens = new Set<string>();
  private lifetimeOverrideSeconds: number | undefined;
  /** Every token handed out, newest last (bounded), so tests can search logs for them. */
  private readonly everIssued: string[] = [];

  constructor(private readonly defaultLifetimeSeconds: number) {}

  /** Tokens issued from now on live this long (expireTokens fault); undefined restores the default. */
  setLifetimeOverride(seconds: number | undefined): void {
    this.lifetimeOverrideSeconds = seconds;
  }

  issueAccessToken(audience: string, roles: readonly string[] = [], tenantId: string | null = null): { token: string; expiresInSeconds: number; expiresAt: number } {
    this.pruneExpired();
    const expiresInSeconds = this.lifetimeOverrideSeconds ?? this.defaultLifetimeSeconds;
    const token = opaque();
    const expiresAt = Date.now() + expiresInSeconds * 1000;
    this.accessTokens.set(token, { audience, expiresAt, roles: new Set(roles), tenantId });
    this.remember(token);
    return { token, expiresInSeconds, expiresAt };
  }

  check(token: string, audiences: readonly string[]): TokenCheck {
    const issued = this.accessTokens.get(token);
    if (!issued) return 'unknown';
    if (issued.expiresAt <= Date.now()) return 'expired';
    return audiences.includes(issued.audience) ? 'valid' : 'wrongAudience';
  }

  /** Whether a (valid) token carries an app role, as its `roles` claim would. */
  hasRole(token: string, role: string): boolean {
    return this.accessTokens.get(token)?.roles.has(role) ?? false;
  }

  /** The tenant a token was issued in, or null (the partner's, for tokens issued without one). */
  tenantOf(token: string): string | null {
    return this.accessTokens.get(token)?.tenantId ?? null;
  }

  /** Whether a refresh token was issued and not revoked, used or not (see everIssuedRefreshTokens). */
  knowsRefreshToken(token: string): boolean {
    return this.everIssuedRefreshTokens.has(token);
  }

  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  issueRefreshToken(): string {
    const token = opaque();
    this.refreshTokens.add(token);
    this.everIssuedRefreshTokens.add(token);
    this.remember(token);
    return token;
  }

  /** Access and refresh tokens issued so far (the latest 10,000). */
  issued(): string[] {
    return [...this.everIssued];
  }

  private remember(token: string): void {
    this.everIssued.push(token);
    if (this.everIssued.length > 10_000) this.everIssued.shift();
  }

  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
    this.everIssuedRefreshTokens.clear();
  }

  /** Consumes a refresh token: true when it was outstanding. */
  redeemRefreshToken(token: string): boolean {
    return this.refreshTokens.delete(token);
  }

  /** Expired tokens are forgotten at issue time so a long run does not accumulate them. */
  private pruneExpired(): void {
    const now = Date.now();
    for (const [token, issued] of this.accessTokens) if (issued.expiresAt <= now) this.accessTokens.delete(token);
  }
}
