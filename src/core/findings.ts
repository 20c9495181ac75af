import type { AdminIdentity } from './adminScan';
import { snapshotSources, type SnapshotSource } from './model';
import { isOneOf } from './text';

/** Most urgent first: the order findings are listed and alerted in. */
export const severities = ['critical', 'warning'] as const;
export type Severity = (typeof severities)[number];
export const findingStates = ['open', 'resolved'] as const;
export type FindingState = (typeof findingStates)[number];

export const findingKinds = [
  'requirementNotCompliant',
  'compliantTenantsFell',
  'requirementCountWorse',
  'requirementPolicyDisabled',
  'scoreFell',
  'customerCompliantAdminsFell',
  'customerPolicyDisabled',
  'customerNonAdminShareFell',
  'newCustomerWithoutMfa',
  'nonMfaSignIn',
  'mfaRegisteredUsersFell',
  'sourceUnavailable',
  'adminWithoutMfaMethod',
  'adminMfaNotRequired',
  'customerNotVisible',
] as const;
export type FindingKind = (typeof findingKinds)[number];

export type MeasureValue = number | string | null;

export const subjectTypes = ['requirement', 'score', 'customer', 'principal', 'registration', 'source'] as const;

export interface FindingSubject {
  type: (typeof subjectTypes)[number];
  id: string;
  /**
   * A partner user's UPN, shown to the partner's own admins beside the object id. Customer
   * names are not stored here: the renderer takes them from the customer directory, current.
   * Never part of a key.
   */
  name?: string | null;
}

/**
 * The whole a counted measure is part of, for findings about a count and its share together
 * ("20 of 79 (25.3%)"). `share` is in percent, rounded to 0.01; it is stored rather than derived
 * because a finding migrated from the older two-finding form may know the share and not the total.
 */
export interface ShareOfWhole {
  total: number | null;
  share: number | null;
}

/**
 * A finding is one problem the monitor tells admins about, under a stable key so it is
 * announced once when it opens and once when it clears. `baseline` is the value before the
 * regression: the finding resolves when the measure is back there, not merely when it stops
 * getting worse.
 */
export interface Finding {
  key: string;
  kind: FindingKind;
  severity: Severity;
  subject: FindingSubject;
  /** The measure's name in the API's words, e.g. `compliantAdminsCount`. */
  measure: string;
  state: FindingState;
  baseline: MeasureValue;
  current: MeasureValue;
  /** For a count read with its share: the whole and the share at the baseline and now. */
  baselineOfWhole?: ShareOfWhole | null;
  currentOfWhole?: ShareOfWhole | null;
  openedAt: string;
  resolvedAt: string | null;
  /** Sightings (one-off events) close quietly when they leave the API's window; nothing is announced then. */
  event: boolean;
  /** What the service said, where it helps an admin act (the last error of a source that cannot be read). */
  detail?: string | null;
  /** Where to act on it and where it is explained, as the API gave them (a requirement's `actionUrl` and `helpUrl`). */
  actionUrl?: string | null;
  helpUrl?: string | null;
  /** The customer tenant's admin a finding is about (its subject is the customer), named for the partner's admins to act on. */
  admin?: AdminIdentity | null;
}

export const findingChanges = ['opened', 'reopened', 'resolved'] as const;

export interface FindingTransition {
  change: (typeof findingChanges)[number];
  finding: Finding;
}

/** A finding as stored: its lifecycle plus what has (not yet) been announced. */
export interface StoredFinding extends Finding {
  /** A transition decided but not yet put in an email. */
  pendingChange: FindingTransition['change'] | null;
  /** The outbox message that announces (or announced) the last transition, and which one. */
  announcedIn: string | null;
  announcedChange: FindingTransition['change'] | null;
  /** An opening a waiver kept quiet, announced when no waiver covers the finding any more (absent: none). */
  silencedChange?: 'opened' | 'reopened' | null;
}

/**
 * The customer admin a finding names: its identity, or (a row stored without it) the object id its
 * key holds (`admins/<tenantId>/<userId>/<measure>`); null for a finding about no admin.
 */
export function findingAdmin({ admin, key }: Pick<Finding, 'admin' | 'key'>): AdminIdentity | null {
  if (admin) return admin;
  const [prefix, , userId, measure] = key.split('/');
  return prefix === 'admins' && userId && measure ? { userId, userPrincipalName: null, displayName: null } : null;
}

/** Critical first, then by kind and subject, so emails and API answers are stable. */
export function compareFindings(left: Finding, right: Finding): number {
  return (
    severities.indexOf(left.severity) - severities.indexOf(right.severity) ||
    left.kind.localeCompare(right.kind) ||
    left.subject.id.localeCompare(right.subject.id) ||
    left.key.localeCompare(right.key)
  );
}

/** The source whose snapshots a finding is about: partnerSecurity's, unless its subject names another. */
function sourceOfFinding(finding: Finding): SnapshotSource {
  const { subject } = finding;
  if (subject.type === 'principal') return 'nonMfaPrincipals';
  if (subject.type === 'registration') return 'registrationCounts';
  if (finding.key.startsWith('admins/')) return 'customerAdmins';
  return subject.type === 'source' && isOneOf(snapshotSources, subject.id) ? subject.id : 'partnerSecurity';
}

/** Open findings per source, as the status shows them. */
export type OpenFindingCounts = Record<SnapshotSource, number>;

export function countOpenFindings(findings: Iterable<Finding>): OpenFindingCounts {
  const counts: OpenFindingCounts = { partnerSecurity: 0, nonMfaPrincipals: 0, registrationCounts: 0, customerAdmins: 0 };
  for (const finding of findings) if (finding.state === 'open') counts[sourceOfFinding(finding)] += 1;
  return counts;
}
