/**
 * A finding is one problem the monitor tells admins about, under a stable key so it is
 * announced once when it opens and once when it clears. `baseline` is the value before the
 * regression: the finding resolves when the measure is back there, not merely when it stops
 * getting worse.
 */
export type Severity = 'critical' | 'warning';
export type FindingState = 'open' | 'resolved';

export type FindingKind =
  | 'requirementNotCompliant'
  | 'compliantTenantCountFell'
  | 'compliantTenantShareFell'
  | 'requirementCountWorse'
  | 'requirementPolicyDisabled'
  | 'scoreFell'
  | 'customerCompliantAdminsFell'
  | 'customerPolicyDisabled'
  | 'customerNonAdminShareFell'
  | 'newCustomerWithoutMfa'
  | 'nonMfaSignIn'
  | 'mfaRegisteredUsersFell'
  | 'mfaRegisteredShareFell'
  | 'sourceUnavailable';

export type MeasureValue = number | string | null;

export interface FindingSubject {
  type: 'requirement' | 'score' | 'customer' | 'principal' | 'registration' | 'source';
  id: string;
  /** A display name where one is known (customer name, UPN is never used: it is personal data in mail). */
  name?: string | null;
}

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
  openedAt: string;
  resolvedAt: string | null;
  /** Sightings (one-off events) close quietly when they leave the API's window; nothing is announced then. */
  event: boolean;
  /** What the service said, where it helps an admin act (the last error of a source that cannot be read). */
  detail?: string | null;
}

export interface FindingTransition {
  change: 'opened' | 'reopened' | 'resolved';
  finding: Finding;
}

const severityRank: Record<Severity, number> = { critical: 0, warning: 1 };

/** Critical first, then by kind and subject, so emails and API answers are stable. */
export function compareFindings(left: Finding, right: Finding): number {
  return (
    severityRank[left.severity] - severityRank[right.severity] ||
    left.kind.localeCompare(right.kind) ||
    left.subject.id.localeCompare(right.subject.id) ||
    left.key.localeCompare(right.key)
  );
}
