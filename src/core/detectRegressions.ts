import type { CustomerChangesBetween } from './customerChanges';
import { partnerSignInLogsUrl } from './entraLinks';
import type { Finding, FindingKind, FindingSubject, FindingTransition, MeasureValue, Severity, ShareOfWhole } from './findings';
import type { NonMfaPrincipal, PartnerSecurityScore, RegistrationCounts, SecurityRequirement, SnapshotSource } from './model';
import { customerMfaPolicies, hasNoMfaPolicy, snapshotSources } from './model';
import { isOneOf } from './text';
import { complianceLost, countOrShareFalls, falls, fallsByMoreThan, policyDisabled, presentWhileTrue, rises, type Reading, type Rule, type Observation } from './regressionRules';

/**
 * Compares the newest complete snapshot with the one the detector last saw and moves every
 * finding through its lifecycle. Pure: no I/O, no clock (the caller passes `now`).
 *
 * Unknown (null) on either side is never a regression and never a recovery: a failed run or
 * a missing field must not open or close anything.
 */
export interface ComplianceSnapshot {
  score?: PartnerSecurityScore | null;
  requirements?: readonly SecurityRequirement[];
  principals?: readonly NonMfaPrincipal[];
  registration?: RegistrationCounts | null;
}

export interface Thresholds {
  /** Points by which a customer's share of compliant non-admins may fall before it is a finding. */
  nonAdminShareDropPoints: number;
  /** Consecutive failed runs of one source before "the monitor cannot see" opens. */
  sourceFailuresBeforeAlert: number;
}

export const defaultThresholds: Thresholds = { nonAdminShareDropPoints: 5, sourceFailuresBeforeAlert: 3 };

export interface DetectionInput {
  /** What the detector last saw, per source; a source it never saw is absent. */
  previous: ComplianceSnapshot;
  /** The newest complete snapshot of each source that has new data; absent = nothing new. */
  current: ComplianceSnapshot;
  /**
   * The customers that changed between the partnerSecurity run last seen and the newest (absent:
   * no new run). A customer that did not change was judged on the same state when its run was
   * the newest, so only those that changed are observed.
   */
  customerChanges?: CustomerChangesBetween;
  findings: ReadonlyMap<string, Finding>;
  /** Failed runs since the last complete one, per source. */
  consecutiveFailures: Partial<Record<SnapshotSource, number>>;
  /** The newest failed run's error of each source, for the "cannot see" alert (codes and messages carry no secrets). */
  lastErrors?: Partial<Record<SnapshotSource, string>>;
  thresholds: Thresholds;
  now: string;
}

interface DetectionResult {
  transitions: FindingTransition[];
  /** Every finding whose stored state changed (transitions and updated current values). */
  changed: Finding[];
}


function share(part: number | null, whole: number | null): number | null {
  if (part === null || whole === null || whole <= 0) return null;
  return Math.round((part / whole) * 10_000) / 100;
}

function ofWhole(part: number | null, total: number | null): ShareOfWhole {
  return { total, share: share(part, total) };
}

function requirementObservations(before: readonly SecurityRequirement[] | undefined, after: readonly SecurityRequirement[]): Observation[] {
  const previous = new Map((before ?? []).map((requirement) => [requirement.requirementType, requirement]));
  const observations: Observation[] = [];
  for (const requirement of after) {
    const old = previous.get(requirement.requirementType);
    const subject: FindingSubject = { type: 'requirement', id: requirement.requirementType };
    // The requirement's own links, as the API gives them, go with every finding about it.
    const links = { actionUrl: requirement.actionUrl, helpUrl: requirement.helpUrl };
    const observe = (kind: FindingKind, severity: Severity, measure: string, rule: Rule, pick: (r: SecurityRequirement) => MeasureValue): void => {
      observations.push({ key: `requirement/${requirement.requirementType}/${measure}`, kind, severity, subject, measure, before: old ? pick(old) : null, after: pick(requirement), rule, ...links });
    };
    observe('requirementNotCompliant', 'critical', 'complianceStatus', complianceLost, (r) => r.complianceStatus);
    if (requirement.kind === 'customersMfaEnforcedSecurityRequirement') {
      observations.push({
        key: `requirement/${requirement.requirementType}/compliantTenants`,
        kind: 'compliantTenantsFell',
        severity: 'warning',
        subject,
        measure: 'compliantTenantCount',
        before: old ? old.compliantTenantCount : null,
        after: requirement.compliantTenantCount,
        ...(old ? { beforeOfWhole: ofWhole(old.compliantTenantCount, old.totalTenantCount) } : {}),
        afterOfWhole: ofWhole(requirement.compliantTenantCount, requirement.totalTenantCount),
        rule: countOrShareFalls,
        ...links,
      });
    }
    if (requirement.kind === 'adminsMfaEnforcedSecurityRequirement' || requirement.kind === 'mfaEnforcedSecurityRequirement') {
      observe('requirementCountWorse', 'warning', 'adminsRequiredNotUsingMfaCount', rises, (r) => r.adminsRequiredNotUsingMfaCount);
      observe('requirementCountWorse', 'warning', 'usersRequiredNotUsingMfaCount', rises, (r) => r.usersRequiredNotUsingMfaCount);
      observe('requirementCountWorse', 'warning', 'incompleteRegistrationUsersCount', rises, (r) => r.incompleteRegistrationUsersCount);
      observe('requirementCountWorse', 'warning', 'mfaEnabledAdminsCount', falls, (r) => r.mfaEnabledAdminsCount);
      observe('requirementCountWorse', 'warning', 'mfaEnabledUsersCount', falls, (r) => r.mfaEnabledUsersCount);
      observe('requirementCountWorse', 'warning', 'compliantUsersCount', falls, (r) => r.compliantUsersCount);
      observe('requirementPolicyDisabled', 'warning', 'securityDefaultsStatus', policyDisabled, (r) => r.securityDefaultsStatus);
      observe('requirementPolicyDisabled', 'warning', 'mfaConditionalAccessPolicyStatus', policyDisabled, (r) => r.mfaConditionalAccessPolicyStatus);
      observe('requirementPolicyDisabled', 'warning', 'perUserMfaStatus', policyDisabled, (r) => r.perUserMfaStatus);
    }
  }
  return observations;
}

function customerObservations({ fromRunId, changes }: CustomerChangesBetween, thresholds: Thresholds): Observation[] {
  const firstSight = fromRunId === null;
  const observations: Observation[] = [];
  const shareRule = fallsByMoreThan(thresholds.nonAdminShareDropPoints);
  for (const { before: old, after: customer } of changes) {
    // A customer gone is no observation: its open findings resolve (see detectRegressions).
    if (customer === null) continue;
    const subject: FindingSubject = { type: 'customer', id: customer.tenantId };
    observations.push({
      subject,
      key: `customer/${customer.tenantId}/compliantAdminsCount`,
      kind: 'customerCompliantAdminsFell',
      severity: 'warning',
      measure: 'compliantAdminsCount',
      before: old?.compliantAdminsCount ?? null,
      after: customer.compliantAdminsCount,
      rule: falls,
    });
    const noPolicy = hasNoMfaPolicy(customer);
    for (const policy of customerMfaPolicies) {
      observations.push({
        subject,
        key: `customer/${customer.tenantId}/${policy}`,
        kind: 'customerPolicyDisabled',
        // Critical when it left the tenant with no MFA policy; with another policy unknown, that is not known.
        severity: noPolicy === true ? 'critical' : 'warning',
        measure: policy,
        before: old?.[policy] ?? null,
        after: customer[policy],
        rule: policyDisabled,
      });
    }
    observations.push({
      subject,
      key: `customer/${customer.tenantId}/compliantNonAdminShare`,
      kind: 'customerNonAdminShareFell',
      severity: 'warning',
      measure: 'compliantNonAdminShare',
      before: old ? share(old.compliantNonAdminsCount, old.totalUsersCount) : null,
      after: share(customer.compliantNonAdminsCount, customer.totalUsersCount),
      rule: shareRule,
    });
    // A customer first seen now, with every MFA policy known to be off. On the detector's very
    // first look every customer is "new": that run only sets the baseline.
    observations.push({
      subject,
      key: `customer/${customer.tenantId}/newWithoutMfa`,
      kind: 'newCustomerWithoutMfa',
      severity: 'critical',
      measure: 'mfaPoliciesEnabled',
      before: firstSight ? null : 0,
      after: noPolicy === false ? 0 : !old && noPolicy === true ? 1 : null,
      rule: presentWhileTrue,
    });
  }
  return observations;
}

function principalKey(principal: NonMfaPrincipal): string {
  return `principal/${principal.objectId}/${principal.lastNonMfaRequestDateTime}`;
}

function principalObservations(before: readonly NonMfaPrincipal[] | undefined, after: readonly NonMfaPrincipal[]): Observation[] {
  if (before === undefined) return [];
  const seen = new Set(before.map(principalKey));
  return after.map((principal) => ({
    key: principalKey(principal),
    kind: 'nonMfaSignIn' as const,
    severity: 'critical' as const,
    // The UPN names the partner's own staff member to the partner's own admins; the key stays the object id.
    subject: { type: 'principal' as const, id: principal.objectId, ...(principal.upn ? { name: principal.upn } : {}) },
    measure: 'lastNonMfaRequestDateTime',
    before: 0,
    after: seen.has(principalKey(principal)) ? null : 1,
    rule: presentWhileTrue,
    event: true,
    actionUrl: partnerSignInLogsUrl(principal.tenantId),
  }));
}

function registrationObservations(before: RegistrationCounts | null | undefined, after: RegistrationCounts): Observation[] {
  // The two reports count different things (mfaRegistered vs mfaCapable): never compare across them.
  const comparable = before && before.report === after.report ? before : null;
  const subject: FindingSubject = { type: 'registration', id: after.report };
  return [
    {
      key: 'registration/mfaRegisteredUsers',
      kind: 'mfaRegisteredUsersFell',
      severity: 'warning',
      subject,
      measure: 'mfaRegisteredUserCount',
      before: comparable?.mfaRegisteredUserCount ?? null,
      after: after.mfaRegisteredUserCount,
      ...(comparable ? { beforeOfWhole: ofWhole(comparable.mfaRegisteredUserCount, comparable.totalUserCount) } : {}),
      afterOfWhole: ofWhole(after.mfaRegisteredUserCount, after.totalUserCount),
      rule: countOrShareFalls,
    },
  ];
}

function sourceObservations(input: DetectionInput): Observation[] {
  return Object.entries(input.consecutiveFailures).map(([source, failures]) => ({
    key: `source/${source}/unavailable`,
    kind: 'sourceUnavailable' as const,
    severity: 'critical' as const,
    subject: { type: 'source' as const, id: source },
    measure: 'consecutiveFailedRuns',
    before: 0,
    after: failures >= input.thresholds.sourceFailuresBeforeAlert ? failures : failures === 0 ? 0 : null,
    rule: presentWhileTrue,
    detail: isOneOf(snapshotSources, source) ? (input.lastErrors?.[source] ?? null) : null,
  }));
}

export function detectRegressions(input: DetectionInput): DetectionResult {
  const { previous, current } = input;
  const observations: Observation[] = [];
  const coveredPrefixes: string[] = [];
  if (current.score) {
    observations.push({ key: 'score/currentScore', kind: 'scoreFell', severity: 'warning', subject: { type: 'score', id: 'partnerSecurityScore' }, measure: 'currentScore', before: previous.score?.currentScore ?? null, after: current.score.currentScore, rule: falls });
  }
  if (current.requirements) observations.push(...requirementObservations(previous.requirements, current.requirements));
  if (input.customerChanges) {
    observations.push(...customerObservations(input.customerChanges, input.thresholds));
    // Compared with nothing, every customer is listed: one not listed is gone. Otherwise those gone are named.
    if (input.customerChanges.fromRunId === null) coveredPrefixes.push('customer/');
    else for (const change of input.customerChanges.changes) if (change.after === null) coveredPrefixes.push(`customer/${change.tenantId}/`);
  }
  if (current.principals) {
    observations.push(...principalObservations(previous.principals, current.principals));
    coveredPrefixes.push('principal/');
  }
  if (current.registration) observations.push(...registrationObservations(previous.registration, current.registration));
  observations.push(...sourceObservations(input));

  const transitions: FindingTransition[] = [];
  const changed: Finding[] = [];
  const observed = new Set<string>();
  for (const observation of observations) {
    observed.add(observation.key);
    const existing = input.findings.get(observation.key);
    const next = evaluate(observation, existing, input.now);
    if (next) {
      changed.push(next.finding);
      if (next.transition) transitions.push({ change: next.transition, finding: next.finding });
    }
  }
  // A customer or sighting no longer listed by a complete snapshot cannot still be a problem.
  for (const finding of input.findings.values()) {
    if (finding.state !== 'open' || observed.has(finding.key)) continue;
    if (!coveredPrefixes.some((prefix) => finding.key.startsWith(prefix))) continue;
    const resolved: Finding = { ...finding, state: 'resolved', current: null, resolvedAt: input.now };
    changed.push(resolved);
    if (!finding.event) transitions.push({ change: 'resolved', finding: resolved });
  }
  return { transitions, changed };
}

function evaluate(observation: Observation, existing: Finding | undefined, now: string): { finding: Finding; transition: FindingTransition['change'] | null } | null {
  const { rule, before, after } = observation;
  const afterReading: Reading = { value: after, ofWhole: observation.afterOfWhole ?? null };
  const wholeNow = observation.afterOfWhole ? { currentOfWhole: observation.afterOfWhole } : {};
  const links = observation.actionUrl || observation.helpUrl ? { actionUrl: observation.actionUrl ?? null, helpUrl: observation.helpUrl ?? null } : {};
  if (existing?.state === 'open') {
    if (after === null) return null;
    if (rule.recovered({ value: existing.baseline, ofWhole: existing.baselineOfWhole ?? null }, afterReading)) {
      // Sightings leave quietly: the sign-in happened, and "it aged out" is not a recovery.
      return { finding: { ...existing, ...links, state: 'resolved', current: after, ...wholeNow, resolvedAt: now }, transition: existing.event ? null : 'resolved' };
    }
    const unchanged =
      after === existing.current &&
      observation.severity === existing.severity &&
      sameWhole(observation.afterOfWhole, existing.currentOfWhole) &&
      (observation.actionUrl ?? null) === (existing.actionUrl ?? null) &&
      (observation.helpUrl ?? null) === (existing.helpUrl ?? null);
    if (unchanged) return null;
    return { finding: { ...existing, ...links, current: after, ...wholeNow, severity: observation.severity }, transition: null };
  }
  const beforeReading: Reading = { value: before, ofWhole: observation.beforeOfWhole ?? null };
  if (before === null || after === null || !rule.regressed(beforeReading, afterReading)) return null;
  const finding: Finding = {
    key: observation.key,
    kind: observation.kind,
    severity: observation.severity,
    subject: observation.subject,
    measure: observation.measure,
    state: 'open',
    baseline: before,
    current: after,
    ...(observation.beforeOfWhole ? { baselineOfWhole: observation.beforeOfWhole } : {}),
    ...wholeNow,
    openedAt: now,
    resolvedAt: null,
    event: observation.event ?? false,
    ...(observation.detail ? { detail: observation.detail } : {}),
    ...links,
  };
  return { finding, transition: existing ? 'reopened' : 'opened' };
}

function sameWhole(left: ShareOfWhole | null | undefined, right: ShareOfWhole | null | undefined): boolean {
  return (left?.total ?? null) === (right?.total ?? null) && (left?.share ?? null) === (right?.share ?? null);
}
