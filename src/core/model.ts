/**
 * The monitor's domain model: what the Microsoft APIs say, normalised once at the edge so the
 * rest of the code never meets a quirk. `null` always means "unknown" (missing, unreadable or
 * not applicable), never zero. Enum values are strings kept exactly as served.
 */

/** `customerAdmins` is the scan inside each customer tenant: one run fans out over a queue, one row per tenant. */
export type SnapshotSource = 'partnerSecurity' | 'nonMfaPrincipals' | 'registrationCounts' | 'customerAdmins';
export const snapshotSources: readonly SnapshotSource[] = ['partnerSecurity', 'nonMfaPrincipals', 'registrationCounts', 'customerAdmins'];

/** `compliant`, `noncomplaint` (sic), `nonCompliant`, `unknownFutureValue` or anything newer. */
type ComplianceStatus = string;
/** `enabled`, `disabled`, `unknownFutureValue` or anything newer. */
type PolicyStatus = string;

export function isCompliant(status: ComplianceStatus | null): boolean {
  return status === 'compliant';
}

export interface PartnerSecurityScore {
  id: string | null;
  currentScore: number | null;
  maxScore: number | null;
  lastRefreshDateTime: string | null;
  updatedDateTime: string | null;
}

export interface ScoreHistoryEntry {
  id: string | null;
  createdDateTime: string;
  score: number | null;
  compliantRequirementsCount: number | null;
  totalRequirementsCount: number | null;
}

/** Which documented shape a requirement had; `securityRequirement` also covers unknown future types. */
export const requirementKinds = [
  'customersMfaEnforcedSecurityRequirement',
  'adminsMfaEnforcedSecurityRequirement',
  'mfaEnforcedSecurityRequirement',
  'customersSpendingBudgetSecurityRequirement',
  'responseTimeSecurityRequirement',
  'securityRequirement',
] as const;
type RequirementKind = (typeof requirementKinds)[number];

/** How Graph serves a requirement field: text, an ISO 8601 time, an Int64 or a Single. */
type RequirementFieldKind = 'text' | 'time' | 'integer' | 'single';

/**
 * The fields of every requirement subtype, flattened (a field a subtype lacks is null), in one
 * table that parsing, the stored rows and the API's schema and CSV columns follow, in this order.
 * `servedAs` names the JSON properties to read, first found wins, where subtypes differ.
 */
export const requirementFields = {
  complianceStatus: { kind: 'text' },
  state: { kind: 'text' },
  // The legacy subtype calls its score `currentScore`.
  score: { kind: 'single', servedAs: ['score', 'currentScore'] },
  maxScore: { kind: 'single' },
  actionUrl: { kind: 'text' },
  helpUrl: { kind: 'text' },
  updatedDateTime: { kind: 'time' },
  totalTenantCount: { kind: 'integer' },
  compliantTenantCount: { kind: 'integer' },
  totalAdminsCount: { kind: 'integer' },
  adminsRequiredNotUsingMfaCount: { kind: 'integer' },
  mfaEnabledAdminsCount: { kind: 'integer' },
  totalUsersCount: { kind: 'integer' },
  usersRequiredNotUsingMfaCount: { kind: 'integer' },
  mfaEnabledUsersCount: { kind: 'integer' },
  compliantUsersCount: { kind: 'integer' },
  incompleteRegistrationUsersCount: { kind: 'integer' },
  totalCustomersCount: { kind: 'integer' },
  customersWithSpendBudgetCount: { kind: 'integer' },
  averageResponseTimeInHours: { kind: 'single' },
  securityDefaultsStatus: { kind: 'text' },
  mfaConditionalAccessPolicyStatus: { kind: 'text' },
  // `legacyPerUserMfaStatus` on current subtypes, `perUserMfaStatus` on the legacy one.
  perUserMfaStatus: { kind: 'text', servedAs: ['legacyPerUserMfaStatus', 'perUserMfaStatus'] },
} as const satisfies Record<string, { kind: RequirementFieldKind; servedAs?: readonly string[] }>;

type RequirementField = keyof typeof requirementFields;
type RequirementValue<Kind> = Kind extends 'integer' | 'single' ? number : string;
type RequirementMeasures = { [Name in RequirementField]: RequirementValue<(typeof requirementFields)[Name]['kind']> | null };

// Object.keys is typed string[]; these are the keys of the table above.
export const requirementFieldNames = Object.keys(requirementFields) as RequirementField[];

/** A requirement's fields from `read`, asked once per field of the table with its kind and the names it is served under. */
export function readRequirementFields(read: (name: RequirementField, kind: RequirementFieldKind, servedAs: readonly string[]) => number | string | null): RequirementMeasures {
  const entries = requirementFieldNames.map((name) => {
    const field: { kind: RequirementFieldKind; servedAs?: readonly string[] } = requirementFields[name];
    return [name, read(name, field.kind, field.servedAs ?? [name])];
  });
  // fromEntries is untyped: each value comes from the reader of its field's kind.
  return Object.fromEntries(entries) as RequirementMeasures;
}

export interface SecurityRequirement extends RequirementMeasures {
  /** Stable key across snapshots: the requirement type (ids are sometimes GUIDs). */
  requirementType: string;
  kind: RequirementKind;
  /** The `@odata.type` as served (normalised to start with `#`), kept for unknown future types. */
  odataType: string | null;
  id: string | null;
}

/** How a customer measure is read, stored and served: a count, or a policy status. */
type MeasureKind = 'count' | 'policyStatus';
interface MeasureValues {
  count: number;
  policyStatus: PolicyStatus;
}

/**
 * The customer insight's measures (Graph `customerMfaInsight.mfa`), in one table: parsing,
 * change detection, the stored rows, the query API's `$select` and its schema all follow it, so
 * a new measure is one line here. `since` is the version of this table that added the measure:
 * a state recorded under an older version never knew it, so its first value is not a change.
 */
export const customerMeasures = {
  compliantAdminsCount: { kind: 'count', since: 1, description: 'Admins compliant with the MFA requirements.' },
  compliantNonAdminsCount: { kind: 'count', since: 1, description: 'Users other than admins compliant with the MFA requirements.' },
  totalUsersCount: { kind: 'count', since: 1, description: 'Users in the tenant.' },
  securityDefaultsStatus: { kind: 'policyStatus', since: 1, description: 'Security defaults: `enabled`, `disabled`, `unknownFutureValue` or newer.' },
  mfaConditionalAccessPolicyStatus: { kind: 'policyStatus', since: 1, description: 'Conditional Access policies requiring MFA: `enabled`, `disabled`, `unknownFutureValue` or newer.' },
  legacyPerUserMfaStatus: { kind: 'policyStatus', since: 1, description: 'Per-user MFA: `enabled`, `disabled`, `unknownFutureValue` or newer.' },
} as const satisfies Record<string, { kind: MeasureKind; since: number; description: string }>;

export type CustomerMeasure = keyof typeof customerMeasures;
type CustomerMeasures = { [Name in CustomerMeasure]: MeasureValues[(typeof customerMeasures)[Name]['kind']] | null };

export interface CustomerMfaInsight extends CustomerMeasures {
  tenantId: string;
}

// Object.keys is typed string[]; these are the keys of the table above.
export const customerMeasureNames = Object.keys(customerMeasures) as CustomerMeasure[];

/** The version of the measure table: states are stored with it (see `since`). */
export const measuresVersion = Math.max(...customerMeasureNames.map((name) => customerMeasures[name].since));

/** Builds a customer's measures from `read`, asked once per measure of the table with its kind. */
export function readMeasures(tenantId: string, read: (name: CustomerMeasure, kind: MeasureKind) => number | string | null): CustomerMfaInsight {
  // fromEntries is untyped: each value comes from the reader of its measure's kind.
  return { tenantId, ...(Object.fromEntries(customerMeasureNames.map((name) => [name, read(name, customerMeasures[name].kind)])) as CustomerMeasures) };
}

type PolicyMeasure = { [Name in CustomerMeasure]: (typeof customerMeasures)[Name]['kind'] extends 'policyStatus' ? Name : never }[CustomerMeasure];

/** The MFA policies Graph reports for a customer tenant: security defaults, Conditional Access, per-user MFA. */
export const customerMfaPolicies = customerMeasureNames.filter((name): name is PolicyMeasure => customerMeasures[name].kind === 'policyStatus');

/**
 * Whether a customer tenant has no MFA policy: `false` as soon as one policy is `enabled`, `true`
 * only when every policy is known to be `disabled`, and `null` (unknown) otherwise. A missing
 * status, `unknownFutureValue` or a value newer than this code may be a policy that protects the
 * tenant: unknown is not "none", so it neither raises an alert nor lists the customer as without MFA.
 */
export function hasNoMfaPolicy(customer: CustomerMfaInsight): boolean | null {
  const statuses = customerMfaPolicies.map((policy) => customer[policy]);
  if (statuses.includes('enabled')) return false;
  return statuses.every((status) => status === 'disabled') ? true : null;
}

/** No admin of the customer tenant is MFA-compliant: `compliantAdminsCount` is 0 (an unknown count is not 0). */
export function hasNoCompliantAdmins(customer: CustomerMfaInsight): boolean {
  return customer.compliantAdminsCount === 0;
}

export interface NonMfaPrincipal {
  objectId: string;
  tenantId: string | null;
  upn: string | null;
  /** UTC ISO timestamp of the last request made without MFA. */
  lastNonMfaRequestDateTime: string;
}

type RegistrationReport = 'credentialUserRegistrationCount' | 'usersRegisteredByFeature';

export interface RegistrationCounts {
  /** Which report answered: the legacy beta one, or its v1.0 replacement. */
  report: RegistrationReport;
  totalUserCount: number | null;
  /** Users registered for MFA (`mfaRegistered` in the legacy report, `mfaCapable` in the replacement). */
  mfaRegisteredUserCount: number | null;
  /** Every count the report gave, by its own name (`registered`, `capable`, `ssprEnabled`, ...). */
  countsByStatus: Record<string, number>;
}
