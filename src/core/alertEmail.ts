import { compareFindings, type Finding, type MeasureValue, type ShareOfWhole } from './findings';
import { nextStep, type NextStep } from './nextStep';
import { escapeHtml, linkUrl, oneLine } from './text';

/**
 * Renders the one email a detector run may send: new regressions first (critical on top),
 * then recoveries, then a one-line count of what is still open — or, when nothing changed
 * and a reminder is due, the list of what is still open. Plain text and HTML carry the same
 * content; the HTML is a single column that reads on a phone. Every line says what happened,
 * the next step and where to take it. A section lists at most `maxLinesPerSection` lines and
 * counts the rest, so a first day with thousands of findings is still an email of bounded size.
 */
export interface AlertContent {
  opened: readonly Finding[];
  resolved: readonly Finding[];
  /** Open findings not announced in this email. */
  stillOpen: readonly Finding[];
  /** True when this email exists only to remind of what is still open. */
  reminder: boolean;
  /** Base URL of the query API, for links; null when not configured. */
  publicBaseUrl: string | null;
  /** Customer display names by tenant id, as known when the email is rendered; a tenant without one shows its id. */
  customerNames: ReadonlyMap<string, string>;
  /** Most lines listed per section; the rest are counted and linked to the query API. */
  maxLinesPerSection: number;
}

interface RenderedEmail {
  subject: string;
  plainText: string;
  html: string;
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
  // The directory keys names by lower-case tenant id; insights carry ids as served.
  const name = names.get(tenantId.toLowerCase()) ?? names.get(tenantId);
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

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** One line of an alert: one event, with its next step. */
export interface AlertLine {
  text: string;
  step: NextStep | null;
  critical: boolean;
}

export interface AlertSection {
  title: string;
  lines: AlertLine[];
  /** Lines left out, and where the query API lists them all. */
  more: { count: number; href: string | null } | null;
  /** Where the query API lists every finding of the section (null without PUBLIC_BASE_URL): a channel that shows fewer lines links there. */
  listHref: string | null;
}

/**
 * What an alert says, whatever the channel: each channel renders this same model, so an email,
 * a Teams card, a Slack message and a webhook carry the same lines.
 */
export interface AlertMessage {
  subject: string;
  sections: AlertSection[];
  /** "N other problems still open.", when there are. */
  footer: string | null;
  /** The query API's open findings, when PUBLIC_BASE_URL is set. */
  findingsLink: string | null;
}

export function composeAlert(content: AlertContent): AlertMessage {
  const names = content.customerNames;
  const root = content.publicBaseUrl === null ? null : content.publicBaseUrl.replace(/\/+$/, '');
  const opened = [...content.opened].sort(compareFindings);
  const resolved = [...content.resolved].sort(compareFindings);
  const stillOpen = [...content.stillOpen].sort(compareFindings);
  const section = (title: string, findings: Finding[], describe: (finding: Finding, names: Names) => string, recovery: boolean, state: 'open' | 'resolved'): AlertSection => {
    const shown = findings.slice(0, content.maxLinesPerSection);
    const left = findings.length - shown.length;
    const listHref = root === null ? null : `${root}/api/findings?state=${state}`;
    return {
      title: `${title} (${findings.length})`,
      lines: shown.map((finding) => ({
        text: oneLine(`${finding.severity === 'critical' && !recovery ? 'CRITICAL: ' : ''}${describe(finding, names)}`, 1000),
        // A recovery needs no next step.
        step: recovery ? null : nextStep(finding, root),
        critical: finding.severity === 'critical' && !recovery,
      })),
      more: left > 0 ? { count: left, href: listHref } : null,
      listHref,
    };
  };
  const sections: AlertSection[] = [];
  if (opened.length > 0) sections.push(section('New regressions', opened, describeRegression, false, 'open'));
  if (resolved.length > 0) sections.push(section('Resolved', resolved, describeRecovery, true, 'resolved'));
  if (content.reminder && stillOpen.length > 0) sections.push(section('Still open', stillOpen, describeRegression, false, 'open'));

  const subject = oneLine(subjectLine(opened, resolved, stillOpen, content.reminder, names), maxSubjectLength);
  const footer = !content.reminder && stillOpen.length > 0 ? `${plural(stillOpen.length, 'other problem')} still open.` : null;
  const findingsLink = root ? `${root}/api/findings?state=open` : null;
  return { subject, sections, footer, findingsLink };
}

/** "and N more": the lines a section leaves out. */
export function moreText(more: NonNullable<AlertSection['more']>): string {
  return `and ${more.count} more`;
}

export function renderAlert(content: AlertContent): RenderedEmail {
  return renderEmail(composeAlert(content));
}

export function renderEmail({ subject, sections, footer, findingsLink }: AlertMessage): RenderedEmail {

  const plainText = [
    subject,
    '',
    ...sections.flatMap((one) => [
      one.title,
      ...one.lines.map((line) => `- ${line.text}${line.step ? `\n  Next: ${line.step.text}${line.step.url ? `\n  ${line.step.url}` : ''}` : ''}`),
      ...(one.more ? [`${moreText(one.more)}${one.more.href ? `: ${one.more.href}` : ''}`] : []),
      '',
    ]),
    ...(footer ? [footer] : []),
    ...(findingsLink ? [`All open findings: ${findingsLink}`] : []),
  ].join('\n');

  const html = [
    '<!doctype html><html><body style="margin:0;padding:16px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.4;color:#1b1b1b">',
    '<div style="max-width:600px;margin:0 auto">',
    `<h1 style="font-size:18px;margin:0 0 12px">${escapeHtml(subject)}</h1>`,
    ...sections.map(
      (one) =>
        `<h2 style="font-size:16px;margin:16px 0 6px">${escapeHtml(one.title)}</h2><ul style="padding-left:18px;margin:0">${one.lines.map(htmlLine).join('')}</ul>` +
        (one.more ? `<p style="margin:6px 0 0">${one.more.href ? `<a href="${escapeHtml(one.more.href)}">${escapeHtml(moreText(one.more))}</a>` : escapeHtml(moreText(one.more))}</p>` : ''),
    ),
    footer ? `<p style="margin:16px 0 0">${escapeHtml(footer)}</p>` : '',
    findingsLink ? `<p style="margin:8px 0 0"><a href="${escapeHtml(findingsLink)}">All open findings</a></p>` : '',
    '</div></body></html>',
  ].join('');

  return { subject, plainText, html };
}

function htmlLine(line: AlertLine): string {
  const text = `<span${line.critical ? ' style="color:#a4262c;font-weight:600"' : ''}>${escapeHtml(line.text)}</span>`;
  if (!line.step) return `<li style="margin:0 0 8px">${text}</li>`;
  const href = line.step.url === null ? null : linkUrl(line.step.url);
  const step = href !== null ? `<a href="${escapeHtml(href)}">${escapeHtml(line.step.text)}</a>` : escapeHtml(line.step.text);
  return `<li style="margin:0 0 8px">${text}<br><span style="color:#444">Next: ${step}</span></li>`;
}

function subjectLine(opened: Finding[], resolved: Finding[], stillOpen: Finding[], reminder: boolean, names: Names): string {
  const prefix = '[MFA monitor]';
  const worst = opened[0];
  if (worst !== undefined) {
    const critical = opened.filter((finding) => finding.severity === 'critical').length;
    const tail = resolved.length > 0 ? `; ${resolved.length} resolved` : '';
    return `${prefix} ${plural(opened.length, 'new regression')}${critical > 0 ? ` (${critical} critical)` : ''}${tail}: ${describeRegression(worst, names)}`;
  }
  if (resolved.length > 0) return `${prefix} ${plural(resolved.length, 'problem')} resolved${stillOpen.length > 0 ? `; ${stillOpen.length} still open` : ''}`;
  return `${prefix} Reminder: ${plural(stillOpen.length, 'problem')} still open${reminder && stillOpen[0] ? `, worst: ${describeRegression(stillOpen[0], names)}` : ''}`;
}
