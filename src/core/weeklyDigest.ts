import type { PsaName } from './tickets';
import { compareFindings, type Finding } from './findings';
import { customerName } from './message';
import { isOneOf } from './text';
import { hasNoCompliantAdmins, hasNoMfaPolicy, isCompliant, type CustomerMfaInsight, type NonMfaPrincipal, type PartnerSecurityScore, type SecurityRequirement } from './model';

/**
 * The weekly digest: what a partner admin reads on Monday morning to see where MFA compliance
 * stands and where it moved, without waiting for a regression. Everything here is computed from
 * stored snapshots and findings; nothing is fetched. A part whose data is missing (no run in
 * the window, a source never collected) says so rather than showing zeros.
 */

const dayMs = 86_400_000;
export const digestWeekMs = 7 * dayMs;
/** The quarter the longer trend covers: 13 weeks. */
export const digestQuarterMs = 13 * digestWeekMs;

/** One complete run's partner security score. */
type ScorePoint = Pick<PartnerSecurityScore, 'currentScore' | 'maxScore'> & { at: Date };

/** One complete run's reading of one requirement. */
type RequirementPoint = Pick<SecurityRequirement, 'requirementType' | 'complianceStatus' | 'compliantTenantCount' | 'totalTenantCount'> & { at: Date };

/** A waiver as the digest lists it: what it silences, who owns it, until when. */
interface ExpiringWaiver {
  description: string;
  owner: string;
  expiresAt: Date;
}

export interface DigestInput {
  now: Date;
  /** Complete runs of the last quarter, any order. */
  scores: readonly ScorePoint[];
  requirements: readonly RequirementPoint[];
  /** Every customer in the newest complete snapshot, and in the newest one at least a week older; null when there is none. */
  customersNow: readonly CustomerMfaInsight[] | null;
  customersWeekAgo: readonly CustomerMfaInsight[] | null;
  customerNames: ReadonlyMap<string, string>;
  /** Findings no waiver silences; the waived open ones are only counted. */
  openFindings: readonly Finding[];
  waivedCount: number;
  /** Partner users who signed in without MFA in the newest complete run; null when the source was never collected. */
  principals: readonly NonMfaPrincipal[] | null;
  expiringWaivers: readonly ExpiringWaiver[];
  /** Per configured PSA, the customers whose open tickets are filed under its fallback company (as its last run left them), and how many in all. */
  mappingGaps: readonly { psa: PsaName; tenantIds: readonly string[]; count: number }[];
  /** Most customers named per mover list; the rest are counted. */
  maxNamed: number;
}

/** First and last value of a series over a window, with the points in between for a chart. */
interface Trend {
  first: number | null;
  last: number | null;
  /** One value per day of the window that had a run (the day's last), oldest first. */
  daily: { day: string; value: number | null }[];
}

interface RequirementTrend {
  requirementType: string;
  complianceStatus: string | null;
  compliantNow: boolean;
  /** Whether it was compliant at the start of the week (null when no run then). */
  compliantWeekAgo: boolean | null;
  compliantTenants: { now: number | null; weekAgo: number | null; total: number | null };
}

export type CustomerProblem = 'noMfaPolicy' | 'adminsNotCompliant';

export interface CustomerProblemCount {
  problem: CustomerProblem;
  now: number;
  weekAgo: number | null;
  /** Customers that have the problem now and did not a week ago, by name. */
  newlyAffected: Mover[];
  newlyAffectedMore: number;
  /** Customers that had it a week ago and no longer do. */
  fixed: Mover[];
  fixedMore: number;
}

export interface Mover {
  tenantId: string;
  name: string | null;
}

export interface FindingAge {
  label: string;
  count: number;
  critical: number;
}

/** The kinds of finding about what is inside customers' tenants: counted, and their first findings named like the oldest problems. */
const customerAdminKinds = ['adminWithoutMfaMethod', 'adminMfaNotRequired', 'customerNotVisible'] as const;
export type CustomerAdminKind = (typeof customerAdminKinds)[number];

export interface CustomerAdminProblem {
  kind: CustomerAdminKind;
  /** Open findings no waiver silences: admins, or (customerNotVisible) customers. */
  count: number;
  /** How many customers they are in. */
  customers: number;
  /** The first of them (most severe, then by customer), at most `maxNamed`; the rest are counted. */
  listed: Finding[];
  more: number;
}

export interface WeeklyDigest {
  /** The ISO week it covers, e.g. `2026-W49`: one digest per week, whatever the schedule. */
  week: string;
  generatedAt: Date;
  score: { week: Trend; quarter: Trend; maxScore: number | null };
  requirements: RequirementTrend[];
  customers: { total: number | null; totalWeekAgo: number | null; problems: CustomerProblemCount[] } | null;
  findingsByAge: FindingAge[];
  oldestOpen: Finding[];
  openCount: number;
  waivedCount: number;
  principals: { count: number; users: string[]; more: number } | null;
  /** Empty when no finding of these kinds is open: the customer-admin scan may be off, so no zero is claimed. */
  customerAdmins: CustomerAdminProblem[];
  expiringWaivers: ExpiringWaiver[];
  /** PSAs with customers on the fallback company: the mapping gaps, named (by name, else tenant id) up to maxNamed. */
  mappingGaps: { psa: PsaName; customers: string[]; more: number }[];
}

/** The ISO-8601 week (Monday first; the week with the year's first Thursday is week 1) of a UTC instant. */
export function isoWeek(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / dayMs + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function trend(points: readonly { at: Date; value: number | null }[], from: Date, to: Date): Trend {
  const inWindow = points.filter((point) => point.at >= from && point.at <= to).sort((left, right) => left.at.getTime() - right.at.getTime());
  const byDay = new Map<string, number | null>();
  for (const point of inWindow) byDay.set(point.at.toISOString().slice(0, 10), point.value);
  return {
    first: inWindow[0]?.value ?? null,
    last: inWindow.at(-1)?.value ?? null,
    daily: [...byDay].map(([day, value]) => ({ day, value })),
  };
}

/** The newest point at or before `at`. */
function latestAtOrBefore<T extends { at: Date }>(points: readonly T[], at: Date): T | undefined {
  let best: T | undefined;
  for (const point of points) if (point.at <= at && (best === undefined || point.at > best.at)) best = point;
  return best;
}

function requirementTrends(points: readonly RequirementPoint[], now: Date): RequirementTrend[] {
  const weekAgo = new Date(now.getTime() - digestWeekMs);
  const types = [...new Set(points.map((point) => point.requirementType))].sort();
  return types.flatMap((requirementType) => {
    const own = points.filter((point) => point.requirementType === requirementType);
    const current = latestAtOrBefore(own, now);
    if (current === undefined) return [];
    const before = latestAtOrBefore(own, weekAgo);
    return [
      {
        requirementType,
        complianceStatus: current.complianceStatus,
        compliantNow: isCompliant(current.complianceStatus),
        compliantWeekAgo: before === undefined ? null : isCompliant(before.complianceStatus),
        compliantTenants: { now: current.compliantTenantCount, weekAgo: before?.compliantTenantCount ?? null, total: current.totalTenantCount },
      },
    ];
  });
}

const problemPredicates: { problem: CustomerProblem; has: (customer: CustomerMfaInsight) => boolean }[] = [
  // A policy of unknown status is not "none": the same rule as the alerts and the query API.
  { problem: 'noMfaPolicy', has: (customer) => hasNoMfaPolicy(customer) === true },
  { problem: 'adminsNotCompliant', has: hasNoCompliantAdmins },
];

function customerProblems(input: DigestInput): WeeklyDigest['customers'] {
  const now = input.customersNow;
  if (now === null) return null;
  const before = input.customersWeekAgo;
  const mover = (tenantId: string): Mover => ({ tenantId, name: customerName(input.customerNames, tenantId) });
  // Named customers first, by name; unnamed ones after, by tenant id: admins look names up.
  const byName = (left: Mover, right: Mover): number =>
    left.name !== null && right.name !== null ? left.name.localeCompare(right.name) : left.name !== null ? -1 : right.name !== null ? 1 : left.tenantId.localeCompare(right.tenantId);
  const limit = (movers: Mover[]): [Mover[], number] => {
    const sorted = movers.sort(byName);
    return [sorted.slice(0, input.maxNamed), Math.max(0, sorted.length - input.maxNamed)];
  };
  const problems = problemPredicates.map(({ problem, has }): CustomerProblemCount => {
    const affectedNow = new Set(now.filter(has).map((customer) => customer.tenantId));
    const affectedBefore = before === null ? null : new Set(before.filter(has).map((customer) => customer.tenantId));
    // A customer that left the partner is not "fixed"; one that joined with the problem is newly affected.
    const presentNow = new Set(now.map((customer) => customer.tenantId));
    const [newlyAffected, newlyAffectedMore] = limit(affectedBefore === null ? [] : [...affectedNow].filter((id) => !affectedBefore.has(id)).map(mover));
    const [fixed, fixedMore] = limit(affectedBefore === null ? [] : [...affectedBefore].filter((id) => !affectedNow.has(id) && presentNow.has(id)).map(mover));
    return { problem, now: affectedNow.size, weekAgo: affectedBefore?.size ?? null, newlyAffected, newlyAffectedMore, fixed, fixedMore };
  });
  return { total: now.length, totalWeekAgo: before?.length ?? null, problems };
}

const ageBuckets: { label: string; minDays: number; maxDays: number }[] = [
  { label: 'under a week', minDays: 0, maxDays: 7 },
  { label: '1-4 weeks', minDays: 7, maxDays: 28 },
  { label: '1-3 months', minDays: 28, maxDays: 91 },
  { label: 'over 3 months', minDays: 91, maxDays: Number.POSITIVE_INFINITY },
];

function findingsByAge(findings: readonly Finding[], now: Date): FindingAge[] {
  return ageBuckets.map((bucket) => {
    const inBucket = findings.filter((finding) => {
      const days = (now.getTime() - Date.parse(finding.openedAt)) / dayMs;
      return days >= bucket.minDays && days < bucket.maxDays;
    });
    return { label: bucket.label, count: inBucket.length, critical: inBucket.filter((finding) => finding.severity === 'critical').length };
  });
}

function customerAdminProblems(open: readonly Finding[], maxNamed: number): CustomerAdminProblem[] {
  const inside = open.filter((finding) => isOneOf(customerAdminKinds, finding.kind));
  if (inside.length === 0) return [];
  return customerAdminKinds.map((kind) => {
    const found = inside.filter((finding) => finding.kind === kind).sort(compareFindings);
    const customers = new Set(found.map((finding) => finding.subject.id.toLowerCase())).size;
    return { kind, count: found.length, customers, listed: found.slice(0, maxNamed), more: Math.max(0, found.length - maxNamed) };
  });
}

export function composeWeeklyDigest(input: DigestInput): WeeklyDigest {
  const { now } = input;
  const weekStart = new Date(now.getTime() - digestWeekMs);
  const quarterStart = new Date(now.getTime() - digestQuarterMs);
  const scorePoints = input.scores.map((point) => ({ at: point.at, value: point.currentScore }));
  const open = input.openFindings.filter((finding) => finding.state === 'open' && !finding.event);
  const oldestFirst = [...open].sort((left, right) => Date.parse(left.openedAt) - Date.parse(right.openedAt) || compareFindings(left, right));
  const principals = input.principals;
  const users = principals === null ? [] : [...new Set(principals.map((principal) => principal.upn ?? `object id ${principal.objectId}`))].sort();
  return {
    week: isoWeek(now),
    generatedAt: now,
    score: {
      week: trend(scorePoints, weekStart, now),
      quarter: trend(scorePoints, quarterStart, now),
      maxScore: latestAtOrBefore(input.scores, now)?.maxScore ?? null,
    },
    requirements: requirementTrends(input.requirements, now),
    customers: customerProblems(input),
    findingsByAge: findingsByAge(open, now),
    oldestOpen: oldestFirst.slice(0, input.maxNamed),
    openCount: open.length,
    waivedCount: input.waivedCount,
    principals: principals === null ? null : { count: users.length, users: users.slice(0, input.maxNamed), more: Math.max(0, users.length - input.maxNamed) },
    customerAdmins: customerAdminProblems(open, input.maxNamed),
    expiringWaivers: [...input.expiringWaivers].sort((left, right) => left.expiresAt.getTime() - right.expiresAt.getTime()),
    mappingGaps: input.mappingGaps
      .filter((gap) => gap.count > 0)
      .map((gap) => {
        const customers = gap.tenantIds.slice(0, input.maxNamed).map((tenantId) => input.customerNames.get(tenantId.toLowerCase()) ?? `tenant ${tenantId}`);
        return { psa: gap.psa, customers, more: Math.max(0, gap.count - customers.length) };
      }),
  };
}
