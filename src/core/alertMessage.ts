import { compareFindings, type Finding, type MeasureValue, type ShareOfWhole } from './findings';
import { apiRoot, customerName, plural, type Line, type Message, type Section } from './message';
import { nextStep } from './nextStep';
import { oneLine } from './text';

/**
 * The one alert a detector run may send, as a message every channel renders: new regressions
 * first (critical on top), then recoveries, then a one-line count of what is still open — or,
 * when nothing changed and a reminder is due, the list of what is still open. Every line says
 * what happened, the next step and where to take it. A section lists at most
 * `maxLinesPerSection` lines and counts the rest, so a first day with thousands of findings is
 * still a message of bounded size.
 */
export interface AlertContent {
  opened: readonly Finding[];
  resolved: readonly Finding[];
  /** Open findings not announced in this message. */
  stillOpen: readonly Finding[];
  /** True when this message exists only to remind of what is still open. */
  reminder: boolean;
  /** Base URL of the query API, for links; null when not configured. */
  publicBaseUrl: string | null;
  /** Customer display names by tenant id, as known when the message is composed; a tenant without one shows its id. */
  customerNames: ReadonlyMap<string, string>;
  /** Most lines listed per section; the rest are counted and linked to the query API. */
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

/** Longest name shown: names come from other systems and must not stretch a line or a subject. */
const maxNameLength = 100;
const maxSubjectLength = 255;

function measureName(finding: Finding): string {
  return measureNames[finding.measure] ?? finding.measure;
}

function value(measure: string, raw: MeasureValue): string {
  if (raw === null) return 'unknown';
  return measure.endsWith('Share') ? `${raw}%` : String(raw);
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
      return `Requirement ${subject.id}`;
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

/** One line saying what went wrong, in the domain's words. */
export function describeRegression(finding: Finding, names: Names = new Map()): string {
  const from = value(finding.measure, finding.baseline);
  const to = value(finding.measure, finding.current);
  switch (finding.kind) {
    case 'requirementNotCompliant':
      return `${subjectName(finding, names)} is no longer compliant (now ${to})`;
    case 'requirementPolicyDisabled':
    case 'customerPolicyDisabled':
      return `${subjectName(finding, names)}: ${measureName(finding)} was turned off${finding.severity === 'critical' && finding.kind === 'customerPolicyDisabled' ? ', leaving no MFA policy enabled' : ''}`;
    case 'compliantTenantsFell':
    case 'mfaRegisteredUsersFell':
      return `${measureName(finding)}: ${countOfWhole(finding.baseline, finding.baselineOfWhole)} -> ${countOfWhole(finding.current, finding.currentOfWhole)}`;
    case 'newCustomerWithoutMfa':
      return `New customer ${customerLabel(finding.subject.id, names, 'tenant')} has no MFA policy enabled`;
    case 'nonMfaSignIn':
      return `${subjectName(finding, names)} made a request without MFA at ${finding.key.split('/').pop()} UTC`;
    case 'sourceUnavailable':
      return `The monitor cannot see ${sourceNames[finding.subject.id] ?? finding.subject.id}: ${to} runs in a row failed${finding.detail ? ` (last error: ${finding.detail})` : ''}`;
    case 'scoreFell':
      return `Partner security score fell from ${from} to ${to}`;
    default:
      return `${subjectName(finding, names)}: ${measureName(finding)} went from ${from} to ${to}`;
  }
}

/** One line saying what is fixed. */
export function describeRecovery(finding: Finding, names: Names = new Map()): string {
  switch (finding.kind) {
    case 'requirementNotCompliant':
      return `${subjectName(finding, names)} is compliant again`;
    case 'requirementPolicyDisabled':
    case 'customerPolicyDisabled':
      return `${subjectName(finding, names)}: ${measureName(finding)} is enabled again`;
    case 'compliantTenantsFell':
    case 'mfaRegisteredUsersFell':
      return `${measureName(finding)}: back to ${countOfWhole(finding.current, finding.currentOfWhole)} (was ${countOfWhole(finding.baseline, finding.baselineOfWhole)} before the regression)`;
    case 'newCustomerWithoutMfa':
      return `${subjectName(finding, names)} now has an MFA policy enabled`;
    case 'sourceUnavailable':
      return `The monitor can see ${sourceNames[finding.subject.id] ?? finding.subject.id} again`;
    default:
      return finding.current === null
        ? `${subjectName(finding, names)} is no longer listed`
        : `${subjectName(finding, names)}: ${measureName(finding)} is back to ${value(finding.measure, finding.current)} (was ${value(finding.measure, finding.baseline)} before the regression)`;
  }
}

/** An alert's line for one finding: what happened (or is fixed) and, for a regression, its next step. */
function findingLine(finding: Finding, recovery: boolean, names: Names, root: string | null): Line {
  const critical = finding.severity === 'critical' && !recovery;
  const text = recovery ? describeRecovery(finding, names) : describeRegression(finding, names);
  // A recovery needs no next step.
  return { text: oneLine(`${critical ? 'CRITICAL: ' : ''}${text}`, 1000), step: recovery ? null : nextStep(finding, root), critical };
}

export function composeAlert(content: AlertContent): Message {
  const names = content.customerNames;
  const root = apiRoot(content.publicBaseUrl);
  const sorted = (findings: readonly Finding[]): Finding[] => [...findings].sort(compareFindings);
  const [opened, resolved, stillOpen] = [sorted(content.opened), sorted(content.resolved), sorted(content.stillOpen)];
  const section = (title: string, findings: Finding[], state: 'open' | 'resolved'): Section => {
    const listHref = root === null ? null : `${root}/api/findings?state=${state}`;
    const left = findings.length - content.maxLinesPerSection;
    return {
      title: `${title} (${findings.length})`,
      lines: findings.slice(0, content.maxLinesPerSection).map((finding) => findingLine(finding, state === 'resolved', names, root)),
      more: left > 0 ? { count: left, href: listHref } : null,
      listHref,
    };
  };
  const sections: Section[] = [];
  if (opened.length > 0) sections.push(section('New regressions', opened, 'open'));
  if (resolved.length > 0) sections.push(section('Resolved', resolved, 'resolved'));
  if (content.reminder && stillOpen.length > 0) sections.push(section('Still open', stillOpen, 'open'));
  return {
    subject: oneLine(subjectLine(opened, resolved, stillOpen, content.reminder, names), maxSubjectLength),
    sections,
    footer: !content.reminder && stillOpen.length > 0 ? `${plural(stillOpen.length, 'other problem')} still open.` : null,
    findingsLink: root === null ? null : `${root}/api/findings?state=open`,
  };
}

function subjectLine(opened: Finding[], resolved: Finding[], stillOpen: Finding[], reminder: boolean, names: Names): string {
  const prefix = '[MFA monitor]';
  const [worst] = opened;
  if (worst !== undefined) {
    const critical = opened.filter((finding) => finding.severity === 'critical').length;
    const tail = resolved.length > 0 ? `; ${resolved.length} resolved` : '';
    return `${prefix} ${plural(opened.length, 'new regression')}${critical > 0 ? ` (${critical} critical)` : ''}${tail}: ${describeRegression(worst, names)}`;
  }
  if (resolved.length > 0) return `${prefix} ${plural(resolved.length, 'problem')} resolved${stillOpen.length > 0 ? `; ${stillOpen.length} still open` : ''}`;
  return `${prefix} Reminder: ${plural(stillOpen.length, 'problem')} still open${reminder && stillOpen[0] ? `, worst: ${describeRegression(stillOpen[0], names)}` : ''}`;
}
