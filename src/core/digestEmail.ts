import { describeRegression } from './alertEmail';
import { nextStep, type NextStep } from './nextStep';
import { escapeHtml, linkUrl, oneLine } from './text';
import type { CustomerProblem, Mover, Trend, WeeklyDigest } from './weeklyDigest';

/**
 * Renders the weekly digest as an email. Email clients run no script and most drop SVG, and
 * Outlook for Windows lays HTML out with Word: every chart here is a table whose cells are the
 * bars (widths and heights in attributes, colours in `bgcolor`), which every client draws. The
 * plain-text part says the same in words and numbers.
 */
interface DigestRenderOptions {
  customerNames: ReadonlyMap<string, string>;
  /** Base URL of the query API and dashboard, for links; null when not configured. */
  publicBaseUrl: string | null;
}

interface RenderedDigest {
  subject: string;
  plainText: string;
  html: string;
}

const problemTitles: Record<CustomerProblem, string> = {
  noMfaPolicy: 'No MFA policy enabled',
  adminsNotCompliant: 'No admin using MFA',
};

const colours = { bar: '#0f6cbd', good: '#107c10', bad: '#a4262c', track: '#e6e6e6', muted: '#616161' } as const;

/** `mfaEnforcedForAdminsOfCustomers` -> "MFA enforced for admins of customers". */
export function requirementTitle(requirementType: string): string {
  const words = requirementType
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/\s+/)
    .map((word) => (/^mfa$/i.test(word) ? 'MFA' : word.toLowerCase()));
  const sentence = words.join(' ');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

function number(value: number | null): string {
  return value === null ? 'unknown' : String(Math.round(value * 10) / 10);
}

function change(from: number | null, to: number | null): string {
  if (from === null || to === null) return '';
  const delta = Math.round((to - from) * 10) / 10;
  return delta === 0 ? ' (no change)' : ` (${delta > 0 ? '+' : ''}${delta})`;
}

function moverLabel(mover: Mover): string {
  return mover.name === null ? `tenant ${mover.tenantId}` : oneLine(mover.name, 100);
}

function moverList(movers: Mover[], more: number): string {
  return `${movers.map(moverLabel).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A horizontal bar as two table cells: `part` of `whole` filled. */
function hbar(part: number, whole: number, colour: string): string {
  const filled = whole <= 0 ? 0 : Math.max(0, Math.min(100, Math.round((part / whole) * 100)));
  const cells =
    (filled > 0 ? `<td width="${filled}%" height="10" bgcolor="${colour}" style="background:${colour};font-size:0;line-height:0">&nbsp;</td>` : '') +
    (filled < 100 ? `<td width="${100 - filled}%" height="10" bgcolor="${colours.track}" style="background:${colours.track};font-size:0;line-height:0">&nbsp;</td>` : '');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>${cells}</tr></table>`;
}

/** A column chart of daily values: one column per day, bars bottom-aligned, heights in pixels. */
function columns(trend: Trend, maxValue: number | null): string {
  const known = trend.daily.filter((point): point is { day: string; value: number } => point.value !== null);
  if (known.length === 0) return '';
  const top = Math.max(maxValue ?? 0, ...known.map((point) => point.value));
  const height = 60;
  const cells = trend.daily
    .map((point) => {
      const bar = point.value === null || top <= 0 ? 0 : Math.max(1, Math.round((point.value / top) * height));
      return (
        `<td valign="bottom" align="center" style="padding:0 1px">` +
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td height="${bar}" bgcolor="${colours.bar}" title="${escapeHtml(`${point.day}: ${number(point.value)}`)}" style="background:${colours.bar};font-size:0;line-height:0">&nbsp;</td></tr></table>` +
        `</td>`
      );
    })
    .join('');
  return `<table role="presentation" width="100%" height="${height}" cellpadding="0" cellspacing="0" border="0" style="margin:6px 0"><tr>${cells}</tr></table>`;
}

/** A next step, linked when its URL is an http(s) one: a URL another system gave (a requirement's actionUrl) could be `javascript:`. */
function htmlStep(step: NextStep): string {
  const href = step.url === null ? null : linkUrl(step.url);
  return href === null ? escapeHtml(step.text) : `<a href="${escapeHtml(href)}">${escapeHtml(step.text)}</a>`;
}

function section(title: string, body: string): string {
  return `<h2 style="font-size:16px;margin:20px 0 6px">${escapeHtml(title)}</h2>${body}`;
}

function paragraph(text: string, colour?: string): string {
  return `<p style="margin:4px 0${colour ? `;color:${colour}` : ''}">${escapeHtml(text)}</p>`;
}

export function renderWeeklyDigest(digest: WeeklyDigest, options: DigestRenderOptions): RenderedDigest {
  const root = options.publicBaseUrl === null ? null : options.publicBaseUrl.replace(/\/+$/, '');
  const { score } = digest;
  const critical = digest.findingsByAge.reduce((sum, age) => sum + age.critical, 0);
  const subject = oneLine(
    `[MFA monitor] Weekly digest ${digest.week}: score ${number(score.week.last)}${change(score.week.first, score.week.last)}, ${plural(digest.openCount, 'open problem')}${critical > 0 ? ` (${critical} critical)` : ''}`,
    255,
  );

  const text: string[] = [subject, ''];
  const html: string[] = [
    '<!doctype html><html><body style="margin:0;padding:16px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.4;color:#1b1b1b">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center"><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;width:100%"><tr><td align="left">',
    `<h1 style="font-size:18px;margin:0 0 4px">${escapeHtml(`Weekly MFA compliance digest, ${digest.week}`)}</h1>`,
    paragraph(`As of ${digest.generatedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`, colours.muted),
  ];

  // Score
  const scoreLine =
    score.week.last === null
      ? 'Partner security score: no complete run this week.'
      : `Partner security score: ${number(score.week.last)}${score.maxScore === null ? '' : ` of ${number(score.maxScore)}`}; this week${change(score.week.first, score.week.last)}, this quarter${change(score.quarter.first, score.quarter.last)}.`;
  text.push('Partner security score', scoreLine, '');
  html.push(section('Partner security score', paragraph(scoreLine) + columns(score.quarter, score.maxScore) + paragraph(`Daily score over the last 13 weeks (${score.quarter.daily.length} days with a run).`, colours.muted)));

  // Requirements
  if (digest.requirements.length > 0) {
    const lines = digest.requirements.map((requirement) => {
      const status = requirement.compliantNow ? 'compliant' : `not compliant (${requirement.complianceStatus ?? 'unknown'})`;
      const moved = requirement.compliantWeekAgo === null || requirement.compliantWeekAgo === requirement.compliantNow ? '' : requirement.compliantNow ? ', fixed this week' : ', broke this week';
      const tenants = requirement.compliantTenants;
      const counts = tenants.now === null ? '' : `; ${tenants.now}${tenants.total === null ? '' : ` of ${tenants.total}`} customer tenants compliant${change(tenants.weekAgo, tenants.now)}`;
      return { requirement, line: `${requirementTitle(requirement.requirementType)}: ${status}${moved}${counts}` };
    });
    text.push('Requirements', ...lines.map(({ line }) => `- ${line}`), '');
    html.push(
      section(
        'Requirements',
        lines
          .map(({ requirement, line }) => {
            const tenants = requirement.compliantTenants;
            const bar = tenants.now !== null && tenants.total !== null ? hbar(tenants.now, tenants.total, requirement.compliantNow ? colours.good : colours.bad) : '';
            return `<div style="margin:0 0 10px">${paragraph(line, requirement.compliantNow ? undefined : colours.bad)}${bar}</div>`;
          })
          .join(''),
      ),
    );
  }

  // Customers
  const customers = digest.customers;
  if (customers === null) {
    text.push('Customers', 'No complete snapshot of customers yet.', '');
    html.push(section('Customers', paragraph('No complete snapshot of customers yet.')));
  } else {
    const total = customers.total ?? 0;
    const parts: string[] = [paragraph(`${plural(total, 'customer tenant')}${customers.totalWeekAgo === null ? '' : change(customers.totalWeekAgo, total)}.`)];
    text.push('Customers', `${plural(total, 'customer tenant')}${customers.totalWeekAgo === null ? '' : change(customers.totalWeekAgo, total)}.`);
    for (const problem of customers.problems) {
      const headline = `${problemTitles[problem.problem]}: ${problem.now} of ${total}${change(problem.weekAgo, problem.now)}`;
      text.push(`- ${headline}`);
      parts.push(`<div style="margin:8px 0 0">${paragraph(headline)}${hbar(problem.now, total, problem.now > 0 ? colours.bad : colours.good)}</div>`);
      if (problem.newlyAffected.length > 0) {
        const line = `New this week: ${moverList(problem.newlyAffected, problem.newlyAffectedMore)}`;
        text.push(`  ${line}`);
        parts.push(paragraph(line, colours.bad));
      }
      if (problem.fixed.length > 0) {
        const line = `Fixed this week: ${moverList(problem.fixed, problem.fixedMore)}`;
        text.push(`  ${line}`);
        parts.push(paragraph(line, colours.good));
      }
    }
    if (root !== null) {
      const href = `${root}/api/customers?status=nonCompliant`;
      text.push(`All customers with a problem: ${href}`);
      parts.push(`<p style="margin:6px 0"><a href="${escapeHtml(href)}">All customers with a problem</a></p>`);
    }
    text.push('');
    html.push(section('Customers', parts.join('')));
  }

  // Open findings by age
  const ageLines = digest.findingsByAge.map((age) => `${age.label}: ${age.count}${age.critical > 0 ? ` (${age.critical} critical)` : ''}`);
  const widest = Math.max(1, ...digest.findingsByAge.map((age) => age.count));
  const waivedLine = digest.waivedCount > 0 ? `${plural(digest.waivedCount, 'more open problem')} ${digest.waivedCount === 1 ? 'is' : 'are'} waived (see the waivers on the dashboard).` : null;
  text.push(`Open problems (${digest.openCount}) by age`, ...ageLines.map((line) => `- ${line}`), ...(waivedLine ? [waivedLine] : []));
  const oldest = digest.oldestOpen.map((finding) => {
    const step = nextStep(finding, root);
    return { line: `Open since ${finding.openedAt.slice(0, 10)}: ${oneLine(describeRegression(finding, options.customerNames), 300)}`, step };
  });
  if (oldest.length > 0) text.push('Oldest:', ...oldest.map(({ line, step }) => `- ${line}\n  Next: ${step.text}${step.url ? `\n  ${step.url}` : ''}`));
  text.push('');
  html.push(
    section(
      `Open problems (${digest.openCount}) by age`,
      `<table role="presentation" width="100%" cellpadding="2" cellspacing="0" border="0">${digest.findingsByAge
        .map((age, index) => `<tr><td width="35%" style="font-size:14px">${escapeHtml(ageLines[index] ?? '')}</td><td>${hbar(age.count, widest, age.critical > 0 ? colours.bad : colours.bar)}</td></tr>`)
        .join('')}</table>` +
        (waivedLine ? paragraph(waivedLine, colours.muted) : '') +
        (oldest.length > 0
          ? `<p style="margin:10px 0 4px">Oldest:</p><ul style="padding-left:18px;margin:0">${oldest
              .map(({ line, step }) => `<li style="margin:0 0 8px">${escapeHtml(line)}<br><span style="color:${colours.muted}">Next: ${htmlStep(step)}</span></li>`)
              .join('')}</ul>`
          : ''),
    ),
  );

  // Partner users without MFA
  const principals = digest.principals;
  const principalLine =
    principals === null
      ? 'Partner users signing in without MFA: not collected yet.'
      : principals.count === 0
        ? 'No partner user signed in without MFA in Partner Center\'s last 7 days.'
        : `${plural(principals.count, 'partner user')} signed in without MFA in Partner Center's last 7 days: ${principals.users.join(', ')}${principals.more > 0 ? ` and ${principals.more} more` : ''}.`;
  text.push('Partner users without MFA', principalLine, '');
  html.push(section('Partner users without MFA', paragraph(principalLine, principals !== null && principals.count > 0 ? colours.bad : undefined)));

  // Waivers
  if (digest.expiringWaivers.length > 0) {
    const lines = digest.expiringWaivers.map((waiver) => `${waiver.description}, owned by ${waiver.owner}, expires ${waiver.expiresAt.toISOString().slice(0, 10)}`);
    text.push('Waivers expiring soon', ...lines.map((line) => `- ${line}`), '');
    html.push(section('Waivers expiring soon', `<ul style="padding-left:18px;margin:0">${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`));
  }

  if (root !== null) {
    text.push(`Dashboard: ${root}/api/dashboard`);
    html.push(`<p style="margin:20px 0 0"><a href="${escapeHtml(`${root}/api/dashboard`)}">Open the dashboard</a></p>`);
  }
  html.push('</td></tr></table></td></tr></table></body></html>');
  return { subject, plainText: text.join('\n'), html: html.join('') };
}
