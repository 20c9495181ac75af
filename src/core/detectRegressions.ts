import { adminFindingPrefix, adminObservations } from './adminFindings';
import type { TenantAdminScan } from './adminScan';
import type { CustomerChangesBetween } from './customerChanges';
import { entraUrl } from './entraLinks';
import type { Finding, FindingSubject, FindingTransition, MeasureValue, ShareOfWhole } from './findings';
import type { CustomerMfaInsight, NonMfaPrincipal, PartnerSecurityScore, RegistrationCounts, SecurityRequirement, SnapshotSource } from './model';
import { customerMfaPolicies, hasNoMfaPolicy, snapshotSources } from './model';
import { isOneOf } from './text';
import { complianceLost, countOrShareFalls, falls, fallsByMoreThan, policyDisabled, presentWhileTrue, rises, type Reading, type Observation } from './regressionRules';

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
  /** Each customer tenant's result in the newest customer-admin run. */
  adminScans?: readonly TenantAdminScan[];
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

/** One measure of a subject: what the finding is called, how it moves, and how to read it from the subject's state. */
interface Measure<T> extends Pick<Observation, 'kind' | 'severity' | 'measure' | 'rule'> {
  /** The key's last part, when it is not the measure's name. */
  name?: string;
  read: (state: T) => MeasureValue;
  /** For a count read with its share: the whole it is part of. */
  whole?: (state: T) => ShareOfWhole;
}

/**
 * Observes a subject's measures, each read from its state before (none: unknown, so never a
 * regression) and now, under the key `<prefix>/<measure>`, with what every finding about it carries.
 */
function observer<T>(prefix: string, subject: FindingSubject, old: T | null | undefined, now: T, shared: Partial<Observation> = {}) {
  return ({ name, measure, read, whole, ...rest }: Measure<T>): Observation => ({
    ...rest,
    key: `${prefix}/${name ?? measure}`,
    subject,
    measure,
    before: old ? read(old) : null,
    after: read(now),
    beforeOfWhole: old && whole ? whole(old) : undefined,
    afterOfWhole: whole?.(now),
    ...shared,
  });
}

function requirementObservations(before: readonly SecurityRequirement[] | undefined, after: readonly SecurityRequirement[]): Observation[] {
  const previous = new Map((before ?? []).map((requirement) => [requirement.requirementType, requirement]));
  return after.flatMap((requirement) => {
    const { requirementType: type, kind } = requirement;
    // The requirement's own links, as the API gives them, go with every finding about it.
    const links = { actionUrl: requirement.actionUrl, helpUrl: requirement.helpUrl };
    const observe = observer(`requirement/${type}`, { type: 'requirement', id: type }, previous.get(type), requirement, links);
    const measures: Measure<SecurityRequirement>[] = [
      { kind: 'requirementNotCompliant', severity: 'critical', measure: 'complianceStatus', rule: complianceLost, read: (r) => r.complianceStatus },
    ];
    if (kind === 'customersMfaEnforcedSecurityRequirement') {
      const read = (r: SecurityRequirement) => r.compliantTenantCount;
      const whole = (r: SecurityRequirement) => ofWhole(read(r), r.totalTenantCount);
      measures.push({ kind: 'compliantTenantsFell', severity: 'warning', measure: 'compliantTenantCount', name: 'compliantTenants', rule: countOrShareFalls, read, whole });
    }
    if (kind === 'adminsMfaEnforcedSecurityRequirement' || kind === 'mfaEnforcedSecurityRequirement') {
      for (const [measure, rule] of requirementCounts) measures.push({ kind: 'requirementCountWorse', severity: 'warning', measure, rule, read: (r) => r[measure] });
      for (const measure of requirementPolicies) measures.push({ kind: 'requirementPolicyDisabled', severity: 'warning', measure, rule: policyDisabled, read: (r) => r[measure] });
    }
    return measures.map(observe);
  });
}

/** The MFA requirements' counts, each with the way it gets worse, and their policies. */
const requirementCounts = [
  ['adminsRequiredNotUsingMfaCount', rises],
  ['usersRequiredNotUsingMfaCount', rises],
  ['incompleteRegistrationUsersCount', rises],
  ['mfaEnabledAdminsCount', falls],
  ['mfaEnabledUsersCount', falls],
  ['compliantUsersCount', falls],
] as const;
const requirementPolicies = ['securityDefaultsStatus', 'mfaConditionalAccessPolicyStatus', 'perUserMfaStatus'] as const;

function customerObservations({ fromRunId, changes }: CustomerChangesBetween, thresholds: Thresholds): Observation[] {
  const firstSight = fromRunId === null;
  const shareRule = fallsByMoreThan(thresholds.nonAdminShareDropPoints);
  const nonAdminShare = (c: CustomerMfaInsight) => share(c.compliantNonAdminsCount, c.totalUsersCount);
  // A customer gone is no observation: its open findings resolve (see detectRegressions).
  return changes.flatMap(({ before: old, after: customer }) => {
    if (customer === null) return [];
    const observe = observer(`customer/${customer.tenantId}`, { type: 'customer', id: customer.tenantId }, old, customer);
    const noPolicy = hasNoMfaPolicy(customer);
    return [
      observe({ kind: 'customerCompliantAdminsFell', severity: 'warning', measure: 'compliantAdminsCount', rule: falls, read: (c) => c.compliantAdminsCount }),
      // Critical when it left the tenant with no MFA policy; with another policy unknown, that is not known.
      ...customerMfaPolicies.map((policy) =>
        observe({ kind: 'customerPolicyDisabled', severity: noPolicy === true ? 'critical' : 'warning', measure: policy, rule: policyDisabled, read: (c) => c[policy] }),
      ),
      observe({ kind: 'customerNonAdminShareFell', severity: 'warning', measure: 'compliantNonAdminShare', rule: shareRule, read: nonAdminShare }),
      // A customer first seen now, with every MFA policy known to be off. On the detector's very
      // first look every customer is "new": that run only sets the baseline.
      {
        ...observe({ kind: 'newCustomerWithoutMfa', severity: 'critical', measure: 'mfaPoliciesEnabled', name: 'newWithoutMfa', rule: presentWhileTrue, read: () => null }),
        before: firstSight ? null : 0,
        after: noPolicy === false ? 0 : !old && noPolicy === true ? 1 : null,
      },
    ];
  });
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
    actionUrl: entraUrl(principal.tenantId, 'signInLogs'),
  }));
}

function registrationObservations(before: RegistrationCounts | null | undefined, after: RegistrationCounts): Observation[] {
  // The two reports count different things (mfaRegistered vs mfaCapable): never compare across them.
  const comparable = before && before.report === after.report ? before : null;
  const observe = observer('registration', { type: 'registration', id: after.report }, comparable, after);
  const whole = (r: RegistrationCounts) => ofWhole(r.mfaRegisteredUserCount, r.totalUserCount);
  const read = (r: RegistrationCounts) => r.mfaRegisteredUserCount;
  return [observe({ kind: 'mfaRegisteredUsersFell', severity: 'warning', measure: 'mfaRegisteredUserCount', name: 'mfaRegisteredUsers', rule: countOrShareFalls, read, whole })];
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
    const observe = observer('score', { type: 'score', id: 'partnerSecurityScore' }, previous.score, current.score);
    observations.push(observe({ kind: 'scoreFell', severity: 'warning', measure: 'currentScore', rule: falls, read: (score) => score.currentScore }));
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
  if (current.adminScans) {
    observations.push(...adminObservations(current.adminScans, input.findings));
    coveredPrefixes.push(adminFindingPrefix);
  }
  observations.push(...sourceObservations(input));

  const observed = new Set(observations.map((observation) => observation.key));
  // A customer or sighting no longer listed by a complete snapshot cannot still be a problem.
  const unlisted = (key: string) => !observed.has(key) && coveredPrefixes.some((prefix) => key.startsWith(prefix));
  const gone = [...input.findings.values()].filter((finding) => finding.state === 'open' && unlisted(finding.key));
  const moves = [
    ...observations.map((observation) => evaluate(observation, input.findings.get(observation.key), input.now)),
    ...gone.map((finding): Move => ({ finding: { ...finding, state: 'resolved', current: null, resolvedAt: input.now }, transition: finding.event ? null : 'resolved' })),
  ].filter((move) => move !== null);
  const transitions = moves.flatMap(({ finding, transition }) => (transition === null ? [] : [{ change: transition, finding }]));
  return { transitions, changed: moves.map((move) => move.finding) };
}

/** A finding's new state, and the transition it made (none when only its current values moved). */
type Move = { finding: Finding; transition: FindingTransition['change'] | null };

function evaluate(observation: Observation, existing: Finding | undefined, now: string): Move | null {
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
    const detail = observation.detail ?? existing.detail ?? null;
    const unchanged =
      after === existing.current &&
      detail === (existing.detail ?? null) &&
      observation.severity === existing.severity &&
      sameWhole(observation.afterOfWhole, existing.currentOfWhole) &&
      (observation.actionUrl ?? null) === (existing.actionUrl ?? null) &&
      (observation.helpUrl ?? null) === (existing.helpUrl ?? null);
    if (unchanged) return null;
    return { finding: { ...existing, ...links, current: after, ...wholeNow, severity: observation.severity, detail }, transition: null };
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
    ...(observation.admin ? { admin: observation.admin } : {}),
    ...links,
  };
  return { finding, transition: existing ? 'reopened' : 'opened' };
}

function sameWhole(left: ShareOfWhole | null | undefined, right: ShareOfWhole | null | undefined): boolean {
  return (left?.total ?? null) === (right?.total ?? null) && (left?.share ?? null) === (right?.share ?? null);
}
