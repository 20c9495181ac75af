import type { CustomerTenants } from './customerTenants';
import type { Dataset } from './dataset';
import type { FaultBook } from './faultBook';
import type { Mailroom } from './mailroom';
import type { PageTokens } from './pageToken';
import type { SecretVault } from './secretVault';
import type { SignInAuthority } from './signInAuthority';
import type { SimClock } from './simClock';
import type { TokenStore } from './tokenStore';
import type { PartnerCenterNextLink } from './types';

export type Resource = 'graph' | 'partnerCenter' | 'acs' | 'keyVault';

/** Everything the routes share: configuration, credentials and the simulated state. */
export interface SimulatorContext {
  url: string;
  graphBaseUrl: string;
  partnerCenterBaseUrl: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  managedIdentityHeader: string;
  managedIdentityClientId: string;
  acsAccessKey: string;
  /** Token audiences each resource accepts (normalised: no trailing slash). */
  audiences: Record<Resource, readonly string[]>;
  /** Graph application permissions consented to the app: the `roles` of Graph tokens issued from now on. */
  graphPermissions: Set<string>;
  graphPageSize: number;
  partnerCenterPageSize: number;
  partnerCenterNextLink: PartnerCenterNextLink;
  pageLatencyMs: number;
  dataset: Dataset;
  /** Inside each customer tenant: admins, policies, and how the tenant answers (its profile). */
  customerTenants: CustomerTenants;
  clock: SimClock;
  faults: FaultBook;
  tokens: TokenStore;
  /** People signing in to the dashboard's app registration. */
  signIn: SignInAuthority;
  pageTokens: PageTokens;
  mailroom: Mailroom;
  secrets: SecretVault;
  /** The expireClientSecret fault: Entra refuses the app's (right) secret as expired. */
  clientSecretExpired: boolean;
  /** The unlinkEmailDomain fault: ACS refuses sends because the sender's domain is not linked. */
  emailDomainUnlinked: boolean;
}

/** Audience spelling tolerated by Entra: trailing slashes and localhost for 127.0.0.1. */
export function normaliseAudience(audience: string): string {
  return audience.replace(/\/+$/, '').replace('://localhost:', '://127.0.0.1:');
}

/** The resource a (normalised) audience belongs to. */
export function resourceOf(ctx: SimulatorContext, audience: string): Resource | undefined {
  const normalised = normaliseAudience(audience);
  return (Object.keys(ctx.audiences) as Resource[]).find((resource) => ctx.audiences[resource].includes(normalised));
}
