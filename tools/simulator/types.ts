import type { SimulatedAdmin, TenantProfile } from './customerTenants';
/** Public types of the simulated Microsoft cloud (see index.ts). */
import type { SignInPerson } from './signInAuthority';

export interface SimulatorOptions {
  /** Listening port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Everything served is a pure function of the seed and the simulated day. Default 1. */
  seed?: number;
  /** Number of customer tenants. Default 50. */
  customers?: number;
  /**
   * Share of customers (0 to 1) whose insight changes from one simulated day to the next,
   * e.g. 0.02 as real partners see. Default: the population's daily model, where non-admin
   * compliance drifts every day and about 69 % of customers change (see population.ts).
   */
  churn?: number;
  /** New non-MFA partner sign-ins (Partner Center records) per simulated day. Default 5. */
  nonMfaSignInsPerDay?: number;
  /** Page size of Graph collections (requirements, customerInsights, history). Default 100. */
  graphPageSize?: number;
  /** Page size of Partner Center collections. Default 500. */
  partnerCenterPageSize?: number;
  /** Latency added to every Graph and Partner Center data response, and to every answer of a customer tenant (its Graph, its token endpoint). Default 0. */
  pageLatencyMs?: number;
  /** Real milliseconds per simulated day; 0 (default) = the day moves only by advanceDays/setDay. */
  dayLengthMs?: number;
  /** ISO date of day 0. Default '2026-01-01'. */
  startDate?: string;
  /** Lifetime of issued access tokens. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Serve the documented quirk variants (see quirks.ts). Default true. */
  quirks?: boolean;
  /**
   * How Partner Center's `links.next.uri` is written: `versionless` (default) relative to the
   * version root, as the documented invoice samples (`/nonMfaCompliantPartnerPrincipals?...`);
   * `versioned` as the documented customers sample (`/v1/...`); `absolute` a full URL.
   */
  partnerCenterNextLink?: PartnerCenterNextLink;
  /**
   * Whether the simulated PSAs refuse requests past their documented rates (ConnectWise 300 a
   * minute here, Autotask 10,000 an hour, HaloPSA 300 in 5 minutes). Default true; the bench
   * turns them off to count a run's requests without waiting out the PSAs' limits.
   */
  psaRequestLimits?: boolean;
}

export type PartnerCenterNextLink = 'versionless' | 'versioned' | 'absolute';

export type SimulatedService = 'login' | 'msi' | 'graph' | 'partnerCenter' | 'acs' | 'keyVault' | 'control' | 'teams' | 'slack' | 'webhook' | PsaService;

/** The simulated PSAs, each at its own path: `/connectwise/`, `/autotask/`, `/halopsa/`. */
export type PsaService = 'connectwise' | 'autotask' | 'halopsa';

/** Which requests a fault applies to. */
interface FaultTarget {
  /** Required for request faults; ignored by the token faults. */
  service?: SimulatedService;
  /** Substring of the request path (query included) that must match. */
  path?: string;
  /** 0-based page index of a paged collection; unpaged responses are page 0. */
  page?: number;
  /** How many matching requests it affects; default: until cleared. */
  times?: number;
}

export type FaultStatus = 400 | 401 | 403 | 404 | 410 | 429 | 500 | 502 | 503 | 504;

export type DriftMode = 'extraFields' | 'unknownFutureValue' | 'missingField';

export type Fault = FaultTarget &
  (
    | { kind: 'status'; status: FaultStatus; retryAfter?: number | string }
    | { kind: 'delay'; ms: number }
    | { kind: 'hang' }
    /** The request is carried out, then its answer is lost: the connection is dropped instead (a create that succeeded unseen). */
    | { kind: 'loseAnswer' }
    /** The request is carried out, then its answer is held: the connection stays open, unanswered, until the client closes it (a process killed while it waits). */
    | { kind: 'holdAnswer' }
    | { kind: 'malformed' }
    | { kind: 'emptyCollection' }
    | { kind: 'drift'; mode: DriftMode; field?: string }
    /**
     * Answers a Graph or Partner Center request with exactly this body (a documented example,
     * byte for byte) instead of the simulated data. Here `path` is required and is the whole
     * path under the service's base URL, query aside (`/v1/nonMfaCompliantPartnerPrincipals`,
     * `/beta/security/partner/securityScore`); `page` is not used: of several matching, the
     * earliest injected answers first, so a paged example is one fault per page, in order.
     */
    | { kind: 'verbatim'; status: number; body: string; contentType?: string }
    | { kind: 'expireTokens'; lifetimeSeconds: number }
    | { kind: 'revokeTokens' }
    /** Every outstanding Secure Application Model refresh token stops redeeming (consent withdrawn, password reset). */
    | { kind: 'revokeRefreshTokens' }
    /** The app's client secret is past its end date: Entra refuses it with AADSTS7000222 (until cleared). */
    | { kind: 'expireClientSecret' }
    /** The sender's email domain is not linked to the Communication Services resource: sends answer 404 DomainNotLinked (until cleared). */
    | { kind: 'unlinkEmailDomain' }
  );

export interface SentEmail {
  operationId: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  plainText: string;
  /** ISO timestamp (real time). */
  deliveredAt: string;
}

/** A message a channel receiver accepted: its JSON body, and the signature headers for the webhook. */
export interface ReceivedPost {
  /** ISO timestamp (real time). */
  receivedAt: string;
  body: unknown;
  headers: Record<string, string>;
}

export type AlertChannel = 'teams' | 'slack' | 'webhook';

/** A ticket in a simulated PSA, in one shape for every PSA: what tests and `/_sim/psa/<name>` read. */
export interface SimulatedTicket {
  id: string;
  companyId: string;
  companyName: string;
  title: string;
  description: string;
  /** The board (ConnectWise), queue (Autotask) or team (HaloPSA), by name. */
  board: string;
  status: string;
  closed: boolean;
  priority: string;
  /** Every note's (action's) text, oldest first. */
  notes: string[];
  createdAt: string;
  updatedAt: string;
}

/** A company (client) a simulated PSA lists. */
export interface SimulatedCompany {
  id: string;
  name: string;
  /** Its website or domain, as the PSA stores it; null when it has none. */
  domain: string | null;
}

/** One simulated PSA: its requests, its tickets, and the app settings that point the monitor at it. */
export interface SimulatedPsa {
  /** Answers one request under its path. */
  handle(ex: import('./exchange').Exchange): Promise<void>;
  tickets(): SimulatedTicket[];
  companies(): SimulatedCompany[];
  /** The app settings (credentials included) that make the monitor keep tickets here. */
  settings(): Record<string, string>;
}

export interface RequestLogEntry {
  method: string;
  /** Path and query; secrets never appear in it. */
  path: string;
  /** 0 when the simulator never answered (hang fault). */
  status: number;
  service: SimulatedService;
  /** Request headers, lower-cased, with credentials redacted. */
  headers: Record<string, string>;
}

export type PolicyStatus = 'enabled' | 'disabled';

/** As served: `noncomplaint` (sic) is the real enum value; `nonCompliant` is a documented variant. */
export type ComplianceStatus = 'compliant' | 'noncomplaint' | 'nonCompliant';

export interface ExpectedSecurityScore {
  id: string;
  currentScore: number;
  maxScore: number;
  lastRefreshDateTime: string;
  updatedDateTime: string;
}

interface RequirementBase {
  id: string;
  complianceStatus: ComplianceStatus;
  state: 'active' | 'preview';
  maxScore: number;
  updatedDateTime: string;
}

/** The current subtypes inherit the links of the base type (seed 001); the legacy shape (seed 002) has none. */
interface CurrentRequirementBase extends RequirementBase {
  actionUrl: string;
  helpUrl: string;
}

interface CustomersMfaRequirement extends CurrentRequirementBase {
  '@odata.type': '#microsoft.graph.partner.security.customersMfaEnforcedSecurityRequirement';
  requirementType: 'mfaEnforcedForAdminsOfCustomers';
  score: number;
  totalTenantCount: number;
  compliantTenantCount: number;
}

interface AdminsMfaRequirement extends CurrentRequirementBase {
  '@odata.type': '#microsoft.graph.partner.security.adminsMfaEnforcedSecurityRequirement';
  requirementType: 'mfaEnforcedForAdmins';
  score: number;
  totalAdminsCount: number;
  adminsRequiredNotUsingMfaCount: number;
  mfaEnabledAdminsCount: number;
  totalUsersCount: number;
  usersRequiredNotUsingMfaCount: number;
  mfaEnabledUsersCount: number;
  securityDefaultsStatus: PolicyStatus;
  mfaConditionalAccessPolicyStatus: PolicyStatus;
  legacyPerUserMfaStatus: PolicyStatus;
}

interface SpendingBudgetRequirement extends CurrentRequirementBase {
  '@odata.type': '#microsoft.graph.partner.security.customersSpendingBudgetSecurityRequirement';
  requirementType: 'spendingBudgetSetForCustomerAzureSubscriptions';
  score: number;
  totalCustomersCount: number;
  customersWithSpendBudgetCount: number;
}

interface ResponseTimeRequirement extends CurrentRequirementBase {
  '@odata.type': '#microsoft.graph.partner.security.responseTimeSecurityRequirement';
  requirementType: 'securityAlertsPromptlyResolved';
  score: number;
  averageResponseTimeInHours: number;
}

interface SecurityContactRequirement extends CurrentRequirementBase {
  '@odata.type': '#microsoft.graph.partner.security.securityRequirement';
  requirementType: 'securityContactProvided';
  score: number;
}

/** The older shape of seed 002: no `requirementType`, `currentScore` instead of `score`, no actionUrl/helpUrl. */
export interface LegacyMfaRequirement extends RequirementBase {
  '@odata.type': '#microsoft.graph.partner.security.mfaEnforcedSecurityRequirement';
  securityRequirementType: 'mfaEnforcedForAuthenticationOfAdminUsers' | 'mfaEnforcedForAuthenticationOfAllUsers';
  currentScore: number;
  totalUsersCount: number;
  compliantUsersCount: number;
  incompleteRegistrationUsersCount: number;
  securityDefaultsStatus: PolicyStatus;
  mfaConditionalAccessPolicyStatus: PolicyStatus;
  perUserMfaStatus: PolicyStatus;
}

export type CurrentRequirement =
  | CustomersMfaRequirement
  | AdminsMfaRequirement
  | SpendingBudgetRequirement
  | ResponseTimeRequirement
  | SecurityContactRequirement;

export type ExpectedRequirement = CurrentRequirement | LegacyMfaRequirement;

interface CustomerMfaInsight {
  compliantAdminsCount: number;
  compliantNonAdminsCount: number;
  totalUsersCount: number;
  securityDefaultsStatus: PolicyStatus;
  mfaConditionalAccessPolicyStatus: PolicyStatus;
  legacyPerUserMfaStatus: PolicyStatus;
}

export interface ExpectedCustomerInsight {
  tenantId: string;
  mfa: CustomerMfaInsight;
}

export interface ExpectedScoreHistoryEntry {
  id: string;
  createdDateTime: string;
  score: number;
  compliantRequirementsCount: number;
  totalRequirementsCount: number;
}

export interface ExpectedNonMfaPrincipal {
  objectId: string;
  tenantId: string;
  upn: string;
  /** UTC without offset, as served; some items carry it as `lastNonMfaCompliantLoginDateTime` (quirk). */
  lastNonMfaCompliantRequestDateTime: string;
}

type RegistrationStatus = 'registered' | 'enabled' | 'capable' | 'mfaRegistered';
type RegistrationFeature = 'ssprRegistered' | 'ssprEnabled' | 'ssprCapable' | 'passwordlessCapable' | 'mfaCapable';

export interface ExpectedRegistrationCounts {
  /** value[0] of the legacy beta report. */
  credentialUserRegistrationCount: {
    id: string;
    totalUserCount: number;
    userRegistrationCounts: { registrationStatus: RegistrationStatus; registrationCount: number }[];
  };
  /** The v1.0 usersRegisteredByFeature report, for includedUserRoles 'all' and 'admin'. */
  usersRegisteredByFeature: Record<'all' | 'admin', {
    totalUserCount: number;
    userRegistrationFeatureCounts: { feature: RegistrationFeature; userCount: number }[];
  }>;
}

/** What the data endpoints serve for one day, in canonical form (numbers as numbers, no drift faults). */
export interface ExpectedState {
  day: number;
  /** ISO date of the day. */
  date: string;
  score: ExpectedSecurityScore;
  /** Served order; the legacy items only with quirks on. */
  requirements: ExpectedRequirement[];
  customerInsights: ExpectedCustomerInsight[];
  /** Most recent first. */
  scoreHistory: ExpectedScoreHistoryEntry[];
  /** Most recent first, at most 10,000. */
  nonMfaPrincipals: ExpectedNonMfaPrincipal[];
  registrationCounts: ExpectedRegistrationCounts;
  /** Not served by any endpoint: the hidden truth behind the aggregates. */
  customers: {
    tenantId: string; name: string; totalAdminsCount: number; mfaCompliant: boolean; spendingBudgetSet: boolean;
    /** Whether Graph's delegatedAdminCustomers (a GDAP relationship) and Partner Center's customers list it. */
    listedIn: { delegatedAdminCustomers: boolean; partnerCenterCustomers: boolean };
  }[];
}

export interface Simulator {
  /** https://127.0.0.1:PORT */
  url: string;
  graphBaseUrl: string;
  partnerCenterBaseUrl: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** A Secure Application Model refresh token (partner admin, App+User), as after consent; rotated on use. */
  refreshToken: string;
  /** People signing in to the dashboard: its app registration (SIGN_IN_CLIENT_ID), who signs in next, and tokens signed with its key. */
  signIn: {
    clientId: string;
    signInAs(person: Partial<SignInPerson>): SignInPerson;
    signed(claims: Record<string, unknown>): string;
    /** Forgets every refresh token, as when the sessions are revoked: the next renewal fails. */
    revokeSessions(): void;
  };
  managedIdentity: { endpoint: string; header: string };
  acsEndpoint: string;
  acsAccessKey: string;
  acsConnectionString: string;
  /** Key Vault (secrets) at the simulator's root; tokens for https://vault.azure.net. */
  keyVaultUrl: string;
  /** The vault's secrets, to seed and inspect them without a client. */
  secrets: {
    /** `expires` is `attributes.exp` (Unix seconds), as `az keyvault secret set --expires` records it. */
    set(name: string, value: string, options?: { expires?: number; enabled?: boolean }): { version: string };
    get(name: string, version?: string): { value: string; version: string } | undefined;
    /** Oldest first. */
    versions(name: string): { value: string; version: string }[];
  };
  readonly day: number;
  advanceDays(n?: number): void;
  setDay(n: number): void;
  /** ISO date of the current day. */
  date(): string;
  injectFault(fault: Fault): void;
  /**
   * Withdraws a Microsoft Graph application permission (e.g. `DelegatedAdminRelationship.Read.All`)
   * from the app's consent: Graph tokens issued from now on lack that role, and the routes that
   * need it answer 403 Authorization_RequestDenied. A token already issued keeps its roles until it expires.
   */
  withholdPermission(permission: string): void;
  /** Consents a Graph application permission again (for tokens issued from now on). */
  grantPermission(permission: string): void;
  clearFaults(): void;
  /** Inside each customer tenant (customerTenants.ts): how it answers, and its admins as Graph lists them. */
  customerTenants: {
    /** The tenant's profile, or undefined when it is not a simulated customer. */
    profile(tenantId: string): TenantProfile | undefined;
    setProfile(tenantId: string, profile: TenantProfile): void;
    /** The admin registers Microsoft Authenticator, as a partner fixing a finding would have them do. */
    registerAdmin(tenantId: string, userPrincipalName: string): void;
    admins(tenantId: string): (SimulatedAdmin & { roleTemplateId: string })[];
    policies(tenantId: string): Record<string, unknown>[];
  };
  inbox(): SentEmail[];
  /** Teams Workflows webhook URL (its `sig` is the secret), Slack incoming webhook URL, signed webhook receiver and its secret. */
  channelUrls: { teams: string; slack: string; webhook: string; webhookSecret: string };
  /** What a channel receiver accepted, oldest first (the signed webhook keeps one per webhook-id). */
  received(channel: AlertChannel): ReceivedPost[];
  /** A simulated PSA: its tickets and companies as it holds them, and the app settings that point the monitor at it. */
  psa(name: PsaService): Pick<SimulatedPsa, 'tickets' | 'companies' | 'settings'>;
  requestLog(): RequestLogEntry[];
  /** Requests received and not yet answered (status 0), oldest first: where a hung client is waiting right now. */
  requestsInFlight(): RequestLogEntry[];
  /** Every access and refresh token issued so far (the latest 10,000): what must never appear in a log. */
  issuedTokens(): string[];
  clearRequestLog(): void;
  expected(day?: number): ExpectedState;
  close(): Promise<void>;
}
