import { cannotSeeReasons, notVisibleReason } from './adminScan';
import { alertSubject } from './alertSubject';
import { dashboardLink } from './dashboardLinks';
import { compareFindings, findingAdmin, type Finding, type FindingKind, type MeasureValue, type ShareOfWhole } from './findings';
import { customerName, plural, type Group, type Line, type Message, type Section } from './message';
import { nextStep } from './nextStep';
import { oneLine } from './text';
import { inWords, type Enumeration } from './wording';

/**
 * The one alert a detector run may send, as a message every channel renders: new regressions
 * first (critical on top), then recoveries, then a one-line count of what is still open — or,
 * when nothing changed and a reminder is due, the list of what is still open. Within a section,
 * the lines about one customer come together under its name. Every line says what happened,
 * links to it on the dashboard, and gives the next step and where to take it. A section lists
 * at most `maxLinesPerSection` lines and counts the rest, so a first day with thousands of
 * findings is still a message of bounded size.
 */
export interface AlertContent {
  opened: readonly Finding[];
  resolved: readonly Finding[];
  /** Open findings not announced in this message. */
  stillOpen: readonly Finding[];
  /** True when this message exists only to remind of what is still open. */
  reminder: boolean;
  /** Base URL of the monitor (PUBLIC_BASE_URL), for links to the dashboard; null when not configured. */
  publicBaseUrl: string | null;
  /** Customer display names by tenant id, as known when the message is composed; a tenant without one shows its id. */
  customerNames: ReadonlyMap<string, string>;
  /** Most lines listed per section; the rest are counted and linked to the dashboard. */
  maxLinesPerSection: number;
}

const measureNames: Record<string, string> = {
  compliantAdminsCount: 'compliant admins',
  compliantNonAdminShare: 'share of MFA-compliant non-admin users',
  securityDefaultsStatus: 'security defaults',
  mfaConditionalAccessPolicyStatus: 'MFA conditional access policy',
  legacyPerUserMfaStatus: 'per-user MFA',
  perUserMfaStatus: 'per-user MFA',
  adminsRequiredNotUsingMfaCount: 'admins required but not using MFA',
  usersRequiredNotUsingMfaCount: 'users required but not using MFA',
  mfaEnabledAdminsCount: 'MFA-enabled admins',
  mfaEnabledUsersCount: 'MFA-enabled users',
  compliantUsersCount: 'MFA-compliant users',
  incompleteRegistrationUsersCount: 'users with incomplete MFA registration',
  compliantTenantCount: 'compliant customer tenants',
  mfaRegisteredUserCount: 'MFA-registered users',
  currentScore: 'partner security score',
};

const sourceNames: Record<string, string> = {
  partnerSecurity: 'the partner security score (Graph)',
  nonMfaPrincipals: 'non-MFA partner sign-ins (Partner Center)',
  registrationCounts: 'credential registration counts (Graph reports)',
};

/** Findings whose values are one of Microsoft's enumerations (a compliance status, a policy status): shown in words, never as served. */
const enumeratedKinds: Partial<Record<FindingKind, Enumeration>> = {
  requirementNotCompliant: 'complianceStatus',
  requirementPolicyDisabled: 'policyStatus',
  customerPolicyDisabled: 'policyStatus',
};

/** Longest name shown: names come from other systems and must not stretch a line or a heading. */
const maxNameLength = 100;
const maxSubjectLength = 255;

function measureName(finding: Finding): string {
  return measureNames[finding.measure] ?? finding.measure;
}

function value(finding: Finding, raw: MeasureValue): string {
  if (raw === null) return 'unknown';
  const enumeration = enumeratedKinds[finding.kind];
  if (enumeration !== undefined) return inWords(enumeration, String(raw));
  return finding.measure.endsWith('Share') ? `${raw}%` : String(raw);
}

/** "20 of 79 (25.3%)", or as much of it as is known. */
function countOfWhole(count: MeasureValue, whole: ShareOfWhole | null | undefined): string {
  const share = typeof whole?.share === 'number' ? `${whole.share.toFixed(1)}%` : null;
  const total = typeof whole?.total === 'number' ? whole.total : null;
  if (count === null) return share ?? 'unknown';
  const counted = total === null ? String(count) : `${count} of ${total}`;
  return share === null ? counted : `${counted} (${share})`;
}


type Names = ReadonlyMap<string, string>;

/** A customer by name first and id after ("Contoso Ltd (tenant …)"), or by id alone. */
function customerLabel(tenantId: string, names: Names, unnamed = 'Customer tenant'): string {
  const name = customerName(names, tenantId);
  return name ? `${oneLine(name, maxNameLength)} (tenant ${tenantId})` : `${unnamed} ${tenantId}`;
}

function subjectName(finding: Finding, names: Names): string {
  const { subject } = finding;
  switch (subject.type) {
    case 'customer':
      return customerLabel(subject.id, names);
    case 'requirement':
      return `Requirement ${inWords('requirementType', subject.id)}`;
    case 'registration':
      return 'Registration counts';
    case 'principal':
      return subject.name ? `${oneLine(subject.name, maxNameLength)} (object id ${subject.id})` : `Partner user ${subject.id}`;
    case 'source':
      return 'Monitor';
    case 'score':
      return 'Partner security score';
  }
}

/**
 * How a line names what it is about: `named` (the query API's description, a line on its own) or
 * `underHeading` (an alert's line under its customer's heading, which names the customer once).
 */
type Naming = 'named' | 'underHeading';

/** `text` about the finding's subject, after its name and `separator` — or, under its customer's heading, on its own. */
function about(finding: Finding, names: Names, naming: Naming, separator: string, text: string): string {
  if (naming === 'underHeading' && finding.subject.type === 'customer') return text.charAt(0).toUpperCase() + text.slice(1);
  return `${subjectName(finding, names)}${separator}${text}`;
}

/**
 * A customer's admin as the partner's admins know them: "Jane Doe (jane@contoso.com)", or by the
 * object id beside what is known. Names come from the customer's directory and go only into
 * messages to the partner's admins (never logs), as a partner user's UPN does. A UPN is never
 * capitalised: `leading` only picks the case of the monitor's own words.
 */
function adminName(finding: Finding, leading = false): string {
  const admin = findingAdmin(finding);
  const userId = admin?.userId ?? 'unknown';
  const display = admin?.displayName ? oneLine(admin.displayName, maxNameLength) : null;
  const upn = admin?.userPrincipalName ? oneLine(admin.userPrincipalName, maxNameLength) : null;
  if (display !== null) return `${display} (${upn ?? `object id ${userId}`})`;
  return upn ?? `${leading ? 'User' : 'user'} ${userId}`;
}

/** A line that starts with an admin's name: under the customer's heading as it is, else after the customer's name. */
function aboutAdmin(finding: Finding, names: Names, naming: Naming, text: (admin: string) => string): string {
  return naming === 'underHeading' ? text(adminName(finding, true)) : `${subjectName(finding, names)}: ${text(adminName(finding, true))}`;
}

/** Whose admins a "cannot see into" line is about: the customer by name under its heading ("Contoso's admins"), else with its tenant id. */
function customerAdmins(finding: Finding, names: Names, naming: Naming): string {
  const name = customerName(names, finding.subject.id);
  if (naming === 'named') return `the admins of ${customerLabel(finding.subject.id, names)}`;
  return name ? `${oneLine(name, maxNameLength)}'s admins` : "this tenant's admins";
}

/** Why the monitor cannot see into a customer: the reason in words, and what the service said after it (`<reason>: <said>`). */
function notVisibleWords(detail: string | null | undefined): string {
  const reason = notVisibleReason(detail);
  if (reason === null) return detail ? oneLine(detail, 300) : 'no reason was recorded';
  const said = (detail ?? '').slice(reason.length + 1).trim();
  return `${cannotSeeReasons[reason].description}${said ? ` (the service said: ${oneLine(said, 300)})` : ''}`;
}

/** One line saying what went wrong, in the domain's words. */
export function describeRegression(finding: Finding, names: Names = new Map(), naming: Naming = 'named'): string {
  const from = value(finding, finding.baseline);
  const to = value(finding, finding.current);
  switch (finding.kind) {
    case 'requirementNotCompliant':
      // "not compliant (now not compliant)" says it twice: the status is given when it says more (unknown, a newer value).
      return `${subjectName(finding, names)} is no longer compliant${to === inWords('complianceStatus', 'noncomplaint') ? '' : ` (now ${to})`}`;
    case 'requirementPolicyDisabled':
    case 'customerPolicyDisabled':
      return about(finding, names, naming, ': ', `${measureName(finding)} was turned off${finding.severity === 'critical' && finding.kind === 'customerPolicyDisabled' ? ', leaving no MFA policy enabled' : ''}`);
    case 'compliantTenantsFell':
    case 'mfaRegisteredUsersFell':
      return `${measureName(finding)}: ${countOfWhole(finding.baseline, finding.baselineOfWhole)} -> ${countOfWhole(finding.current, finding.currentOfWhole)}`;
    case 'newCustomerWithoutMfa':
      return naming === 'underHeading' ? 'New customer with no MFA policy enabled' : `New customer ${customerLabel(finding.subject.id, names, 'tenant')} has no MFA policy enabled`;
    case 'nonMfaSignIn':
      return `${subjectName(finding, names)} made a request without MFA at ${finding.key.split('/').pop()} UTC`;
    case 'sourceUnavailable':
      return `The monitor cannot see ${sourceNames[finding.subject.id] ?? finding.subject.id}: ${to} runs in a row failed${finding.detail ? ` (last error: ${finding.detail})` : ''}`;
    case 'scoreFell':
      return `Partner security score fell from ${from} to ${to}`;
    case 'adminWithoutMfaMethod':
      return aboutAdmin(finding, names, naming, (admin) => `${admin}, an admin, has no MFA method registered`);
    case 'adminMfaNotRequired':
      return about(finding, names, naming, ': ', `no policy requires MFA of ${adminName(finding)}${finding.detail ? `: ${oneLine(finding.detail, 300)}` : ''}`);
    case 'customerNotVisible':
      return `The monitor cannot see into ${customerAdmins(finding, names, naming)}: ${notVisibleWords(finding.detail)}`;
    default:
      return about(finding, names, naming, ': ', `${measureName(finding)} went from ${from} to ${to}`);
  }
}

/** One line saying what is fixed. */
export function describeRecovery(finding: Finding, names: Names = new Map(), naming: Naming = 'named'): string {
  switch (finding.kind) {
    case 'requirementNotCompliant':
      return `${subjectName(finding, names)} is compliant again`;
    case 'requirementPolicyDisabled':
    case 'customerPolicyDisabled':
      return about(finding, names, naming, ': ', `${measureName(finding)} is ${value(finding, 'enabled')} again`);
    case 'compliantTenantsFell':
    case 'mfaRegisteredUsersFell':
      return `${measureName(finding)}: back to ${countOfWhole(finding.current, finding.currentOfWhole)} (was ${countOfWhole(finding.baseline, finding.baselineOfWhole)} before the regression)`;
    case 'newCustomerWithoutMfa':
      return about(finding, names, naming, ' ', 'now has an MFA policy enabled');
    case 'sourceUnavailable':
      return `The monitor can see ${sourceNames[finding.subject.id] ?? finding.subject.id} again`;
    // An admin no longer listed (current null) resolves the finding without fixing it: said as such.
    case 'adminWithoutMfaMethod':
      return aboutAdmin(finding, names, naming, (admin) => `${admin} ${finding.current === null ? 'is no longer an admin' : 'now has an MFA method registered'}`);
    case 'adminMfaNotRequired':
      return finding.current === null
        ? aboutAdmin(finding, names, naming, (admin) => `${admin} is no longer an admin`)
        : about(finding, names, naming, ': ', `MFA is now required of ${adminName(finding)}`);
    // A customer no longer listed resolves it too: said as for any customer finding.
    case 'customerNotVisible':
      return finding.current === null ? about(finding, names, naming, ' ', 'is no longer listed') : `The monitor can see into ${customerAdmins(finding, names, naming)} again`;
    default:
      return finding.current === null
        ? about(finding, names, naming, ' ', 'is no longer listed')
        : about(finding, names, naming, ': ', `${measureName(finding)} is back to ${value(finding, finding.current)} (was ${value(finding, finding.baseline)} before the regression)`);
  }
}

/** The heading a finding's line comes under: its customer (linked to the customer's page), the partner's users, the partner tenant, or the monitor. */
function headingOf(finding: Finding, names: Names, publicBaseUrl: string | null): NonNullable<Group['heading']> {
  switch (finding.subject.type) {
    case 'customer':
      return { text: customerLabel(finding.subject.id, names), href: dashboardLink(publicBaseUrl, { customer: finding.subject.id }) };
    case 'principal':
      return { text: 'Partner users', href: null };
    case 'source':
      return { text: 'The monitor', href: null };
    default:
      return { text: 'Partner tenant', href: null };
  }
}

/**
 * Findings as lines grouped under their headings, at most `max` lines: findings come sorted, and
 * each group stands where its first (most severe) finding does, its other findings with it. Says
 * how many lines were left out.
 */
export function groupedLines(findings: readonly Finding[], toLine: (finding: Finding) => Line, names: Names, publicBaseUrl: string | null, max: number): { groups: Group[]; left: number } {
  const byHeading = new Map<string, { heading: NonNullable<Group['heading']>; findings: Finding[] }>();
  for (const finding of findings) {
    const heading = headingOf(finding, names, publicBaseUrl);
    const key = finding.subject.type === 'customer' ? `customer/${finding.subject.id.toLowerCase()}` : heading.text;
    const group = byHeading.get(key) ?? { heading, findings: [] };
    group.findings.push(finding);
    byHeading.set(key, group);
  }
  const groups: Group[] = [];
  let room = max;
  for (const { heading, findings: own } of byHeading.values()) {
    if (room <= 0) break;
    groups.push({ heading, lines: own.slice(0, room).map(toLine) });
    room -= own.length;
  }
  return { groups, left: Math.max(0, findings.length - max) };
}

/** An alert's line for one finding: what happened (or is fixed), a link to it on the dashboard and, for a regression, its next step. */
function findingLine(finding: Finding, recovery: boolean, names: Names, publicBaseUrl: string | null): Line {
  const critical = finding.severity === 'critical' && !recovery;
  const text = recovery ? describeRecovery(finding, names, 'underHeading') : describeRegression(finding, names, 'underHeading');
  // A recovery needs no next step.
  return { text: oneLine(`${critical ? 'CRITICAL: ' : ''}${text}`, 1000), href: dashboardLink(publicBaseUrl, { finding: finding.key }), step: recovery ? null : nextStep(finding, publicBaseUrl), critical };
}

/** The earliest of the times, for a list of what changed since then; none when a finding lacks one. */
function earliest(times: readonly (string | null)[]): string | undefined {
  return times.every((time): time is string => time !== null && time !== '') ? [...times].sort()[0] : undefined;
}

export function composeAlert(content: AlertContent): Message {
  const { customerNames: names, publicBaseUrl } = content;
  const sorted = (findings: readonly Finding[]): Finding[] => [...findings].sort(compareFindings);
  const [opened, resolved, stillOpen] = [sorted(content.opened), sorted(content.resolved), sorted(content.stillOpen)];
  const section = (title: string, findings: Finding[], list: 'new' | 'resolved' | 'open'): Section => {
    // New and resolved lists link to what changed since the earliest of them: this message's changes, and any since.
    const since = list === 'new' ? earliest(findings.map((finding) => finding.openedAt)) : list === 'resolved' ? earliest(findings.map((finding) => finding.resolvedAt)) : undefined;
    const listHref = dashboardLink(publicBaseUrl, { findings: list === 'resolved' ? 'resolved' : 'open', ...(since === undefined ? {} : { since }) });
    const { groups, left } = groupedLines(findings, (finding) => findingLine(finding, list === 'resolved', names, publicBaseUrl), names, publicBaseUrl, content.maxLinesPerSection);
    return { title: `${title} (${findings.length})`, groups, more: left > 0 ? { count: left, href: listHref } : null, listHref };
  };
  const sections: Section[] = [];
  if (opened.length > 0) sections.push(section('New regressions', opened, 'new'));
  if (resolved.length > 0) sections.push(section('Resolved', resolved, 'resolved'));
  if (content.reminder && stillOpen.length > 0) sections.push(section('Still open', stillOpen, 'open'));
  return {
    subject: oneLine(alertSubject({ opened, resolved, stillOpen }), maxSubjectLength),
    sections,
    footer: !content.reminder && stillOpen.length > 0 ? `${plural(stillOpen.length, 'other problem')} still open.` : null,
    findingsLink: dashboardLink(publicBaseUrl, { findings: 'open' }),
  };
}
