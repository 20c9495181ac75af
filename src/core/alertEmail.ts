import { compareFindings, type Finding, type MeasureValue } from './findings';

/**
 * Renders the one email a detector run may send: new regressions first (critical on top),
 * then recoveries, then a one-line count of what is still open — or, when nothing changed
 * and a reminder is due, the list of what is still open. Plain text and HTML carry the same
 * content; the HTML is a single column that reads on a phone.
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
}

export interface RenderedEmail {
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
  compliantTenantShare: 'share of compliant customer tenants',
  mfaRegisteredUserCount: 'MFA-registered users',
  mfaRegisteredShare: 'share of MFA-registered users',
  currentScore: 'partner security score',
};

const sourceNames: Record<string, string> = {
  partnerSecurity: 'the partner security score (Graph)',
  nonMfaPrincipals: 'non-MFA partner sign-ins (Partner Center)',
  registrationCounts: 'credential registration counts (Graph reports)',
};

function measureName(finding: Finding): string {
  return measureNames[finding.measure] ?? finding.measure;
}

function value(measure: string, raw: MeasureValue): string {
  if (raw === null) return 'unknown';
  return measure.endsWith('Share') ? `${raw}%` : String(raw);
}

function subjectName(finding: Finding): string {
  const { subject } = finding;
  switch (subject.type) {
    case 'customer':
      return `Customer ${subject.name ? `${subject.name} (${subject.id})` : subject.id}`;
    case 'requirement':
      return `Requirement ${subject.id}`;
    case 'registration':
      return 'Registration counts';
    case 'principal':
      return `Partner user ${subject.id}`;
    case 'source':
      return 'Monitor';
    case 'score':
      return 'Partner security score';
  }
}

/** One line saying what went wrong, in the domain's words. */
export function describeRegression(finding: Finding): string {
  const from = value(finding.measure, finding.baseline);
  const to = value(finding.measure, finding.current);
  switch (finding.kind) {
    case 'requirementNotCompliant':
      return `${subjectName(finding)} is no longer compliant (now ${to})`;
    case 'requirementPolicyDisabled':
    case 'customerPolicyDisabled':
      return `${subjectName(finding)}: ${measureName(finding)} was turned off${finding.severity === 'critical' && finding.kind === 'customerPolicyDisabled' ? ', leaving no MFA policy enabled' : ''}`;
    case 'newCustomerWithoutMfa':
      return `New customer ${finding.subject.id}${finding.subject.name ? ` (${finding.subject.name})` : ''} has no MFA policy enabled`;
    case 'nonMfaSignIn':
      return `Partner user ${finding.subject.id} made a request without MFA at ${finding.key.split('/').pop()} UTC`;
    case 'sourceUnavailable':
      return `The monitor cannot see ${sourceNames[finding.subject.id] ?? finding.subject.id}: ${to} runs in a row failed${finding.detail ? ` (last error: ${finding.detail})` : ''}`;
    case 'scoreFell':
      return `Partner security score fell from ${from} to ${to}`;
    default:
      return `${subjectName(finding)}: ${measureName(finding)} went from ${from} to ${to}`;
  }
}

/** One line saying what is fixed. */
export function describeRecovery(finding: Finding): string {
  switch (finding.kind) {
    case 'requirementNotCompliant':
      return `${subjectName(finding)} is compliant again`;
    case 'requirementPolicyDisabled':
    case 'customerPolicyDisabled':
      return `${subjectName(finding)}: ${measureName(finding)} is enabled again`;
    case 'newCustomerWithoutMfa':
      return `Customer ${finding.subject.id} now has an MFA policy enabled`;
    case 'sourceUnavailable':
      return `The monitor can see ${sourceNames[finding.subject.id] ?? finding.subject.id} again`;
    default:
      return finding.current === null
        ? `${subjectName(finding)} is no longer listed`
        : `${subjectName(finding)}: ${measureName(finding)} is back to ${value(finding.measure, finding.current)} (was ${value(finding.measure, finding.baseline)} before the regression)`;
  }
}

function link(base: string | null, finding: Finding): string | null {
  if (base === null) return null;
  const root = base.replace(/\/+$/, '');
  const id = encodeURIComponent(finding.subject.id);
  switch (finding.subject.type) {
    case 'customer':
      return `${root}/api/customers/${id}/history`;
    case 'requirement':
      return `${root}/api/requirements?type=${id}`;
    case 'principal':
      return `${root}/api/principals`;
    case 'registration':
      return `${root}/api/registrations`;
    case 'score':
      return `${root}/api/score`;
    case 'source':
      return `${root}/api/runs?source=${id}`;
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function renderAlert(content: AlertContent): RenderedEmail {
  const opened = [...content.opened].sort(compareFindings);
  const resolved = [...content.resolved].sort(compareFindings);
  const stillOpen = [...content.stillOpen].sort(compareFindings);
  const sections: { title: string; lines: { text: string; href: string | null; critical: boolean }[] }[] = [];
  const entry = (describe: (finding: Finding) => string) => (finding: Finding) => ({
    text: `${finding.severity === 'critical' ? 'CRITICAL: ' : ''}${describe(finding)}`,
    href: link(content.publicBaseUrl, finding),
    critical: finding.severity === 'critical',
  });
  if (opened.length > 0) sections.push({ title: `New regressions (${opened.length})`, lines: opened.map(entry(describeRegression)) });
  if (resolved.length > 0) sections.push({ title: `Resolved (${resolved.length})`, lines: resolved.map(entry(describeRecovery)) });
  if (content.reminder && stillOpen.length > 0) sections.push({ title: `Still open (${stillOpen.length})`, lines: stillOpen.map(entry(describeRegression)) });

  const subject = subjectLine(opened, resolved, stillOpen, content.reminder);
  const footer = !content.reminder && stillOpen.length > 0 ? `${plural(stillOpen.length, 'other problem')} still open.` : null;
  const findingsLink = content.publicBaseUrl ? `${content.publicBaseUrl.replace(/\/+$/, '')}/api/findings?state=open` : null;

  const plainText = [
    subject,
    '',
    ...sections.flatMap((section) => [section.title, ...section.lines.map((line) => `- ${line.text}${line.href ? `\n  ${line.href}` : ''}`), '']),
    ...(footer ? [footer] : []),
    ...(findingsLink ? [`All open findings: ${findingsLink}`] : []),
  ].join('\n');

  const html = [
    '<!doctype html><html><body style="margin:0;padding:16px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.4;color:#1b1b1b">',
    '<div style="max-width:600px;margin:0 auto">',
    `<h1 style="font-size:18px;margin:0 0 12px">${escapeHtml(subject)}</h1>`,
    ...sections.map(
      (section) =>
        `<h2 style="font-size:16px;margin:16px 0 6px">${escapeHtml(section.title)}</h2><ul style="padding-left:18px;margin:0">${section.lines
          .map((line) => `<li style="margin:0 0 6px${line.critical ? ';color:#a4262c;font-weight:600' : ''}">${line.href ? `<a href="${escapeHtml(line.href)}" style="color:inherit">${escapeHtml(line.text)}</a>` : escapeHtml(line.text)}</li>`)
          .join('')}</ul>`,
    ),
    footer ? `<p style="margin:16px 0 0">${escapeHtml(footer)}</p>` : '',
    findingsLink ? `<p style="margin:8px 0 0"><a href="${escapeHtml(findingsLink)}">All open findings</a></p>` : '',
    '</div></body></html>',
  ].join('');

  return { subject, plainText, html };
}

function subjectLine(opened: Finding[], resolved: Finding[], stillOpen: Finding[], reminder: boolean): string {
  const prefix = '[MFA monitor]';
  if (opened.length > 0) {
    const critical = opened.filter((finding) => finding.severity === 'critical').length;
    const worst = opened[0] as Finding;
    const tail = resolved.length > 0 ? `; ${resolved.length} resolved` : '';
    return `${prefix} ${plural(opened.length, 'new regression')}${critical > 0 ? ` (${critical} critical)` : ''}: ${describeRegression(worst)}${tail}`;
  }
  if (resolved.length > 0) return `${prefix} ${plural(resolved.length, 'problem')} resolved${stillOpen.length > 0 ? `; ${stillOpen.length} still open` : ''}`;
  return `${prefix} Reminder: ${plural(stillOpen.length, 'problem')} still open${reminder && stillOpen[0] ? `, worst: ${describeRegression(stillOpen[0])}` : ''}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}
