import { randomBytes } from 'node:crypto';

type TokenCheck = 'valid' | 'unknown' | 'expired' | 'wrongAudience';

interface IssuedToken {
  audience: string;
  expiresAt: number;
  /** The application permissions (app roles) consented when the token was issued: its `roles` claim. */
  roles: ReadonlySet<string>;
}

const opaque = () => randomBytes(32).toString('base64url');

/**
 * Access tokens (opaque random strings, remembered with audience and expiry) and
 * Secure Application Model refresh tokens (single use: redeeming one rotates it).
 */
export class TokenStore {
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Set<string>();
  private lifetimeOverrideSeconds: number | undefined;
  /** Every token handed out, newest last (bounded), so tests can search logs for them. */
  private readonly everIssued: string[] = [];

  constructor(private readonly defaultLifetimeSeconds: number) {}

  /** Tokens issued from now on live this long (expireTokens fault); undefined restores the default. */
  setLifetimeOverride(seconds: number | undefined): void {
    this.lifetimeOverrideSeconds = seconds;
  }

  issueAccessToken(audience: string, roles: readonly string[] = []): { token: string; expiresInSeconds: number; expiresAt: number } {
    this.pruneExpired();
    const expiresInSeconds = this.lifetimeOverrideSeconds ?? this.defaultLifetimeSeconds;
    const token = opaque();
    const expiresAt = Date.now() + expiresInSeconds * 1000;
    this.accessTokens.set(token, { audience, expiresAt, roles: new Set(roles) });
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

  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  issueRefreshToken(): string {
    const token = opaque();
    this.refreshTokens.add(token);
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
