import { findingAdmin, findingKinds, severities, type Finding, type FindingKind } from './findings';
import { plural } from './message';

/**
 * An alert's subject: what kinds of problem, how many of each, most severe first ("[MFA monitor]
 * 10 partner users without MFA · 3 customers with no MFA policy · 20 more"). It is what an inbox
 * or a phone's notification shows, so it counts and never quotes: no name, id or time, which
 * the lines under it give.
 */

/** A kind of problem in people's words, for `count` customers, users or requirements it is about. */
type Words = (count: number) => string;

const problemWords: Record<FindingKind, Words> = {
  requirementNotCompliant: (count) => `${plural(count, 'requirement')} not compliant`,
  compliantTenantsFell: () => 'fewer compliant customer tenants',
  requirementCountWorse: (count) => `${plural(count, 'partner MFA figure')} worse`,
  requirementPolicyDisabled: (count) => `${count} partner MFA ${count === 1 ? 'policy' : 'policies'} turned off`,
  scoreFell: () => 'lower partner security score',
  customerCompliantAdminsFell: (count) => `${plural(count, 'customer')} with fewer admins using MFA`,
  customerPolicyDisabled: (count) => `${plural(count, 'customer')} with an MFA policy turned off`,
  customerNonAdminShareFell: (count) => `${plural(count, 'customer')} with fewer users using MFA`,
  newCustomerWithoutMfa: (count) => `${plural(count, 'new customer')} without MFA`,
  nonMfaSignIn: (count) => `${plural(count, 'partner user')} without MFA`,
  mfaRegisteredUsersFell: () => 'fewer partner users registered for MFA',
  sourceUnavailable: (count) => `monitor cannot read ${plural(count, 'source')}`,
  adminWithoutMfaMethod: (count) => `${plural(count, 'customer admin')} with no MFA method`,
  adminMfaNotRequired: (count) => `${plural(count, 'customer admin')} not required to use MFA`,
  customerNotVisible: (count) => `${plural(count, 'customer')} the monitor cannot see into`,
};

/** A kind of problem named without a count, for a ticket's title (which stays as it was opened while its lines change). */
export function problemName(kind: FindingKind): string {
  return problemWords[kind](2).replace(/^2 /, '');
}

/** A customer's policy turned off is critical when it leaves no MFA policy: a problem of its own in words. */
const noPolicyLeft: Words = (count) => `${plural(count, 'customer')} with no MFA policy`;

/** Kinds of problem named in a subject; the rest are counted ("20 more"). */
const namedProblems = 3;

/** The findings' problems, most severe first, then the most widespread: at most three named, the rest counted. */
function summary(findings: readonly Finding[]): string {
  const problems = new Map<string, { words: Words; severity: Finding['severity']; order: number; subjects: Set<string>; findings: number }>();
  for (const finding of findings) {
    const noneLeft = finding.kind === 'customerPolicyDisabled' && finding.severity === 'critical';
    const key = `${finding.kind}/${noneLeft}`;
    const problem = problems.get(key) ?? { words: noneLeft ? noPolicyLeft : problemWords[finding.kind], severity: finding.severity, order: findingKinds.indexOf(finding.kind), subjects: new Set(), findings: 0 };
    // A partner user signing in twice is one user without MFA; a customer's admins are counted each, not as their customer.
    problem.subjects.add(`${finding.subject.id}/${findingAdmin(finding)?.userId ?? ''}`.toLowerCase());
    problem.findings += 1;
    problems.set(key, problem);
  }
  const ranked = [...problems.values()].sort(
    (left, right) => severities.indexOf(left.severity) - severities.indexOf(right.severity) || right.subjects.size - left.subjects.size || left.order - right.order,
  );
  const named = ranked.slice(0, namedProblems);
  const rest = ranked.slice(namedProblems).reduce((count, problem) => count + problem.findings, 0);
  return [...named.map((problem) => problem.words(problem.subjects.size)), ...(rest > 0 ? [`${rest} more`] : [])].join(' · ');
}

/** New problems (and how many resolved); else what was resolved (and how many are still open); else a reminder of what is still open. */
export function alertSubject({ opened, resolved, stillOpen }: { opened: readonly Finding[]; resolved: readonly Finding[]; stillOpen: readonly Finding[] }): string {
  const prefix = '[MFA monitor]';
  if (opened.length > 0) return `${prefix} ${summary(opened)}${resolved.length > 0 ? `; ${resolved.length} resolved` : ''}`;
  if (resolved.length > 0) return `${prefix} Resolved: ${summary(resolved)}${stillOpen.length > 0 ? `; ${stillOpen.length} still open` : ''}`;
  return `${prefix} Reminder, still open: ${summary(stillOpen) || 'nothing'}`;
}
