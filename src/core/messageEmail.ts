import { figure, moreText, type Group, type Line, type Message, type Section } from './message';
import type { NextStep } from './nextStep';
import { escapeHtml, linkUrl } from './text';

/**
 * A message as an email: plain text and HTML with the same content. The HTML is one column of at
 * most 600 pixels that reads on a phone. Email clients run no script and most drop SVG, and
 * Outlook for Windows lays HTML out with Word (which ignores `max-width` on a div): the column is
 * a table, and every chart is a table whose cells are the bars (widths and heights in attributes,
 * colours in `bgcolor`), which every client draws.
 */
export interface RenderedEmail {
  subject: string;
  plainText: string;
  html: string;
}

const colours = { neutral: '#0f6cbd', good: '#107c10', bad: '#a4262c', track: '#e6e6e6', muted: '#616161', step: '#444' } as const;
const chartHeight = 60;

export function renderEmail(message: Message): RenderedEmail {
  return { subject: message.subject, plainText: plainText(message), html: html(message) };
}

function plainText({ subject, sections, footer, findingsLink }: Message): string {
  return [
    subject,
    '',
    ...sections.flatMap((one) => [
      one.title,
      ...one.groups.flatMap((group) => [...(group.heading ? [`${group.heading.text}${group.heading.href ? `: ${group.heading.href}` : ''}`] : []), ...group.lines.map(plainLine)]),
      ...(one.more ? [`${moreText(one.more)}${one.more.href ? `: ${one.more.href}` : ''}`] : []),
      '',
    ]),
    ...(footer ? [footer] : []),
    ...(findingsLink ? [`All open findings: ${findingsLink}`] : []),
  ].join('\n');
}

function plainLine(line: Line): string {
  const href = line.href ? `\n  Details: ${line.href}` : '';
  const step = line.step ? `\n  Next: ${line.step.text}${line.step.url ? `\n  ${line.step.url}` : ''}` : '';
  return `- ${line.text}${href}${step}`;
}

function html({ subject, heading, sections, footer, findingsLink }: Message): string {
  return [
    '<!doctype html><html><body style="margin:0;padding:16px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.4;color:#1b1b1b">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center"><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;width:100%"><tr><td align="left">',
    heading
      ? `<h1 style="font-size:18px;margin:0 0 4px">${escapeHtml(heading.title)}</h1><p style="margin:4px 0;color:${colours.muted}">${escapeHtml(heading.note)}</p>`
      : `<h1 style="font-size:18px;margin:0 0 12px">${escapeHtml(subject)}</h1>`,
    ...sections.map(htmlSection),
    footer ? `<p style="margin:16px 0 0">${escapeHtml(footer)}</p>` : '',
    findingsLink ? `<p style="margin:8px 0 0">${htmlLink(findingsLink, 'All open findings')}</p>` : '',
    '</td></tr></table></td></tr></table></body></html>',
  ].join('');
}

function htmlSection(section: Section): string {
  const { chart, more } = section;
  return (
    `<h2 style="font-size:16px;margin:16px 0 6px">${escapeHtml(section.title)}</h2>${section.groups.map(htmlGroup).join('')}` +
    (chart ? columns(chart.daily, chart.max) + `<p style="margin:4px 0;color:${colours.muted}">${escapeHtml(chart.caption)}</p>` : '') +
    (more ? `<p style="margin:6px 0 0">${more.href ? htmlLink(more.href, moreText(more)) : escapeHtml(moreText(more))}</p>` : '')
  );
}

/** A group's heading (a customer's name, linked to its page on the dashboard), then its lines. */
function htmlGroup(group: Group): string {
  const heading = group.heading ? `<p style="margin:10px 0 4px;font-weight:600">${group.heading.href ? htmlLink(group.heading.href, group.heading.text) : escapeHtml(group.heading.text)}</p>` : '';
  return `${heading}<ul style="padding-left:18px;margin:0">${group.lines.map(htmlLine).join('')}</ul>`;
}

/**
 * A line's text (a critical one in the attention colour), then a small link to what it is about
 * on the dashboard: the statements read as text, the links as the way to act.
 */
function htmlLine(line: Line): string {
  const details = line.href ? ` <span style="font-size:13px">${htmlLink(line.href, 'Details')}</span>` : '';
  const text = `<span${line.critical ? ` style="color:${colours.bad};font-weight:600"` : ''}>${escapeHtml(line.text)}</span>${details}`;
  const bar = line.bar ? hbar(line.bar.part, line.bar.whole, colours[line.bar.tone]) : '';
  const step = line.step ? `<br><span style="color:${colours.step}">Next: ${htmlStep(line.step)}</span>` : '';
  return `<li style="margin:0 0 8px">${text}${bar}${step}</li>`;
}

/** A next step, linked when its URL is an http(s) one: a URL another system gave (a requirement's actionUrl) could be `javascript:`. */
function htmlStep(step: NextStep): string {
  return step.url === null ? escapeHtml(step.text) : htmlLink(step.url, step.text);
}

function htmlLink(url: string, words: string): string {
  const href = linkUrl(url);
  return href === null ? escapeHtml(words) : `<a href="${escapeHtml(href)}">${escapeHtml(words)}</a>`;
}

/** A horizontal bar as two table cells: `part` of `whole` filled. */
function hbar(part: number, whole: number, colour: string): string {
  const filled = whole <= 0 ? 0 : Math.max(0, Math.min(100, Math.round((part / whole) * 100)));
  const cell = (width: number, fill: string) => `<td width="${width}%" height="10" bgcolor="${fill}" style="background:${fill};font-size:0;line-height:0">&nbsp;</td>`;
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>${filled > 0 ? cell(filled, colour) : ''}${filled < 100 ? cell(100 - filled, colours.track) : ''}</tr></table>`;
}

/** A column chart of daily values: one column per day, bars bottom-aligned, heights in pixels. */
function columns(daily: NonNullable<Section['chart']>['daily'], maxValue: number | null): string {
  const known = daily.flatMap((point) => (point.value === null ? [] : [point.value]));
  if (known.length === 0) return '';
  const top = Math.max(maxValue ?? 0, ...known);
  const cells = daily.map((point) => {
    const bar = point.value === null || top <= 0 ? 0 : Math.max(1, Math.round((point.value / top) * chartHeight));
    const title = escapeHtml(`${point.day}: ${figure(point.value)}`);
    return `<td valign="bottom" align="center" style="padding:0 1px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td height="${bar}" bgcolor="${colours.neutral}" title="${title}" style="background:${colours.neutral};font-size:0;line-height:0">&nbsp;</td></tr></table></td>`;
  });
  return `<table role="presentation" width="100%" height="${chartHeight}" cellpadding="0" cellspacing="0" border="0" style="margin:6px 0"><tr>${cells.join('')}</tr></table>`;
}
