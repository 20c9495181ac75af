import type { AdminIdentity } from './adminScan';
import { line, lineCount, moreText, section, type Group, type Line, type Message, type Section } from './message';
import { linkUrl, oneLine } from './text';

/**
 * A message (an alert or the digest at a glance) as the email has it, rendered for the channels
 * that take JSON: a Teams Workflows webhook (an Adaptive Card in a message envelope), a Slack
 * incoming webhook (Block Kit) and the signed generic webhook. Each keeps one event to one line,
 * with its next step, and stays inside its receiver's size limits by counting the lines it
 * leaves out ("and N more").
 */

/**
 * What a finding announced in a message was, for receivers that file tickets per finding; a
 * finding about a customer's admin names them (object id, UPN, display name), as its line does.
 */
type AnnouncedFinding = { key: string; kind: string; severity: string; change: string; admin?: AdminIdentity | null };

/** Teams refuses messages over about 28 KB; the card stays under this, envelope included. */
const teamsMaxBytes = 24_000;
/**
 * The card's schema version: the lowest that holds everything the card uses (RichTextBlock and
 * TextRun are from 1.2, `msteams.width` is Teams' own), so older Teams clients render it too; no
 * 1.5 feature (TextBlock `style: heading`) is worth losing them. Microsoft's Adaptive Cards SDK
 * parses every card at this version in the tests.
 */
const cardVersion = '1.4';
/** Block Kit: at most 50 blocks a message, 3000 characters a section's text, 150 a header's. */
const slackMaxBlocks = 50;
const slackMaxSectionText = 3000;
const slackMaxHeaderText = 150;
/** Slack truncates `text` beyond 40,000 characters; the fallback is the subject, far shorter. */
const slackMaxFallbackText = 4000;

type CardElement = Record<string, unknown>;

/**
 * Text shown as written. A TextBlock's text is Markdown (links, bold, italic, lists: Adaptive
 * Cards "Text features"), and backslash escapes render differently across Teams clients (the
 * mobile ones showed the backslashes: microsoft/AdaptiveCards#5590, #7474), so no escaping makes
 * a customer's name safe there; a RichTextBlock's TextRun is never read as Markdown. Every text
 * of the card is one of these, except the links the monitor writes.
 */
function plainText(text: string, run: CardElement = {}, block: CardElement = {}): CardElement {
  return { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text, ...run }], ...block };
}

/**
 * A Markdown link, the only Markdown the card holds: the words are the monitor's own (a next
 * step, "and N more"), the URL is made inert to Markdown; a URL that is not http(s) is not linked.
 */
function linkText(prefix: string, text: string, url: string | null, spacing: string, subtle = false): CardElement {
  const href = url === null ? null : linkUrl(url);
  const look = subtle ? { isSubtle: true } : {};
  if (href === null) return plainText(`${prefix}${text}`, look, { spacing });
  return { type: 'TextBlock', text: `${prefix}[${text.replace(/[[\]\\]/g, '')}](${href})`, wrap: true, spacing, ...look };
}

/**
 * A TextRun opening `href` when tapped: text as written (a TextRun renders no Markdown) that links
 * to the dashboard. `selectAction` on a TextRun is in the schema from 1.2 and may be an
 * Action.OpenUrl (Adaptive Cards schema explorer, TextRun); a URL that is not http(s) is not linked.
 */
function opening(href: string | null | undefined): CardElement {
  const url = href ? linkUrl(href) : null;
  return url === null ? {} : { selectAction: { type: 'Action.OpenUrl', url } };
}

function groupElements(group: Group): CardElement[] {
  const heading = group.heading ? [plainText(group.heading.text, { weight: 'Bolder', ...opening(group.heading.href) }, { spacing: 'Medium' })] : [];
  return [...heading, ...group.lines.flatMap(lineElements)];
}

function lineElements(line: Line): CardElement[] {
  const elements: CardElement[] = [plainText(line.text, { ...(line.critical ? { color: 'Attention', weight: 'Bolder' } : {}), ...opening(line.href) }, { spacing: 'Medium' })];
  if (line.step) elements.push(linkText('Next: ', line.step.text, line.step.url, 'None', true));
  return elements;
}

/**
 * Keeps lines while `fits` allows, in order, counting the rest into the section's "and N more"
 * (which must fit too); a group's heading is kept with its first line, never alone.
 */
function fitSections(sections: readonly Section[], fits: (sections: Section[]) => boolean): Section[] {
  const pairs = sections.map((whole): { whole: Section; fitted: Section } => ({ whole, fitted: { ...whole, groups: [], more: left(whole, 0) } }));
  const kept = pairs.map(({ fitted }) => fitted);
  pairs.forEach(({ whole, fitted }) => {
    let shown = 0;
    for (const group of whole.groups) {
      const into: Group = { ...group, lines: [] };
      fitted.groups.push(into);
      for (const next of group.lines) {
        into.lines.push(next);
        fitted.more = left(whole, shown + 1);
        if (!fits(kept)) {
          into.lines.pop();
          if (into.lines.length === 0) fitted.groups.pop();
          fitted.more = left(whole, shown);
          return;
        }
        shown += 1;
      }
    }
  });
  return kept;
}

/** The section's "and N more" when only its first `shown` lines are kept. */
function left(section: Section, shown: number): Section['more'] {
  const count = lineCount(section) - shown + (section.more?.count ?? 0);
  return count > 0 ? { count, href: section.listHref } : null;
}

function teamsCard(message: Message, sections: readonly Section[]) {
  const findingsLink = message.findingsLink === null ? null : linkUrl(message.findingsLink);
  const body: CardElement[] = [plainText(message.subject, { size: 'Medium', weight: 'Bolder' })];
  for (const section of sections) {
    body.push(plainText(section.title, { weight: 'Bolder' }, { spacing: 'Large', separator: true }));
    for (const group of section.groups) body.push(...groupElements(group));
    if (section.more) body.push(linkText('', moreText(section.more), section.more.href, 'Medium'));
  }
  if (message.footer) body.push(plainText(message.footer, {}, { spacing: 'Large' }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: cardVersion,
          // Without it Teams renders the card at a fraction of the channel's width.
          msteams: { width: 'Full' },
          body,
          ...(findingsLink !== null ? { actions: [{ type: 'Action.OpenUrl', title: 'All open findings', url: findingsLink }] } : {}),
        },
      },
    ],
  };
}

/** The Teams Workflows message: `{ type: 'message', attachments: [Adaptive Card] }`, under Teams' size limit. */
export function teamsPayload(message: Message): unknown {
  const size = (sections: Section[]) => Buffer.byteLength(JSON.stringify(teamsCard(message, sections)));
  return teamsCard(message, fitSections(message.sections, (sections) => size(sections) <= teamsMaxBytes));
}

/**
 * Slack mrkdwn the monitor wrote. Data becomes mrkdwn only through `data` (which escapes `&`, `<`
 * and `>`, Slack's control characters) and a link only through `link`, so a link is never escaped
 * into literal text and data never forms a link or a mention. Sections set `verbatim`: Slack then
 * leaves URLs and channel names in data as they are instead of linking them.
 */
class Mrkdwn {
  /** Makes the type nominal: a plain `{ text }` (a line, say) is not mrkdwn. */
  private declare readonly nominal: never;
  constructor(readonly text: string) {}
}

function data(text: string): Mrkdwn {
  return new Mrkdwn(text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}

/** `<url|words>`; a URL that is no http(s) URL leaves the words unlinked. `|` would end the words early. */
function link(url: string | null, words: string): Mrkdwn {
  const href = url === null ? null : linkUrl(url);
  return href === null ? data(words) : new Mrkdwn(`<${href}|${data(words).text.replace(/\|/g, '¦')}>`);
}

/** mrkdwn`...`: the literal parts are the monitor's own mrkdwn, every value must be Mrkdwn already. */
function mrkdwn(literals: TemplateStringsArray, ...values: Mrkdwn[]): Mrkdwn {
  return new Mrkdwn(literals.reduce((text, literal, index) => text + (values[index - 1]?.text ?? '') + literal, ''));
}

/** A line, its text linked to what it is about on the dashboard. */
function slackLine(line: Line): Mrkdwn {
  const words = link(line.href ?? null, line.text);
  const text = line.critical ? mrkdwn`• *${words}*` : mrkdwn`• ${words}`;
  return line.step ? mrkdwn`${text}\n    Next: ${link(line.step.url, line.step.text)}` : text;
}

/** A group's heading (a customer's name, linked to its page on the dashboard), then its lines. */
function slackGroup(group: Group): Mrkdwn[] {
  const heading = group.heading ? [mrkdwn`*${link(group.heading.href, group.heading.text)}*`] : [];
  return [...heading, ...group.lines.map(slackLine)];
}

/** A section's text is at most 3000 characters; a longer line is cut, and any link it held with it. */
function clipMrkdwn({ text }: Mrkdwn, max: number): Mrkdwn {
  if (text.length <= max) return new Mrkdwn(text);
  let cut = text.slice(0, max - 1);
  // A link (`<...|...>`) or an escape (`&amp;`) cut in two would show its pieces: cut before it.
  if (cut.lastIndexOf('<') > cut.lastIndexOf('>')) cut = cut.slice(0, cut.lastIndexOf('<'));
  return new Mrkdwn(`${cut.replace(/&[a-z]{0,3}$/, '')}…`);
}

type SlackText = { type: 'mrkdwn'; text: string; verbatim: true };

function slackText({ text }: Mrkdwn): SlackText {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** Section blocks of one alert section: as many lines a block as its 3000 characters hold. */
function slackSectionBlocks(section: Section): { type: 'section'; text: SlackText }[] {
  const texts: Mrkdwn[] = [];
  let current = mrkdwn`*${data(section.title)}*`;
  const more = section.more ? link(section.more.href, moreText(section.more)) : null;
  for (const next of [...section.groups.flatMap(slackGroup).map((text) => clipMrkdwn(text, slackMaxSectionText)), ...(more === null ? [] : [more])]) {
    if (current.text.length + 1 + next.text.length > slackMaxSectionText) {
      texts.push(current);
      current = next;
    } else {
      current = mrkdwn`${current}\n${next}`;
    }
  }
  texts.push(current);
  return texts.map((text) => ({ type: 'section', text: slackText(text) }));
}

function slackBlocks(message: Message, sections: readonly Section[]): unknown[] {
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: oneLine(message.subject, slackMaxHeaderText), emoji: false } }];
  for (const section of sections) blocks.push({ type: 'divider' }, ...slackSectionBlocks(section));
  const closing = [message.footer === null ? null : data(message.footer), message.findingsLink === null ? null : link(message.findingsLink, 'All open findings')].filter((part): part is Mrkdwn => part !== null);
  if (closing.length > 0) blocks.push({ type: 'context', elements: [slackText(closing.reduce((text, part) => mrkdwn`${text} ${part}`))] });
  return blocks;
}

/** The Slack incoming-webhook message: a subject fallback and Block Kit blocks within Slack's limits. */
export function slackPayload(message: Message): unknown {
  const sections = fitSections(message.sections, (candidate) => slackBlocks(message, candidate).length <= slackMaxBlocks);
  // The fallback `text` is mrkdwn too (notifications show it): escaped like any data.
  return { text: data(oneLine(message.subject, slackMaxFallbackText)).text, blocks: slackBlocks(message, sections) };
}

/**
 * A body for the signed webhook, in the Standard Webhooks shape (`type`, `timestamp`, `data`):
 * every event is `mfaMonitor.<event>`, and its data carries the message id (receivers deduplicate
 * on it) and the subject every channel shows.
 */
export function webhookBody(event: 'alert' | 'reminder' | 'test' | 'weeklyDigest', timestamp: string, messageId: string, subject: string, data: object): unknown {
  return { type: `mfaMonitor.${event}`, timestamp, data: { messageId, subject, ...data } };
}

/**
 * An alert for the signed webhook: its lines as the email has them, and each announced finding by
 * key, for receivers that file a ticket per finding and close it on its recovery.
 */
export function webhookPayload(message: Message, meta: { messageId: string; composedAt: string; event: 'alert' | 'reminder' | 'test'; findings: readonly AnnouncedFinding[] }): unknown {
  return webhookBody(meta.event, meta.composedAt, meta.messageId, message.subject, {
    sections: message.sections.map((section) => ({
      title: section.title,
      groups: section.groups.map((group) => ({
        heading: group.heading === null ? null : { text: group.heading.text, link: group.heading.href },
        lines: group.lines.map((line) => ({ text: line.text, critical: line.critical, link: line.href ?? null, nextStep: line.step })),
      })),
      more: section.more === null ? null : { count: section.more.count, link: section.more.href },
    })),
    footer: message.footer,
    findingsLink: message.findingsLink,
    findings: meta.findings.map((finding) => ({ key: finding.key, kind: finding.kind, severity: finding.severity, change: finding.change, admin: finding.admin ?? null })),
  });
}

/**
 * What `npm run doctor -- --send-test-message` posts to each channel: marked as a test in its
 * subject and, for the signed webhook, in its event type, so no receiver files it as an alert.
 */
export const channelTestMessage: Message = {
  subject: '[MFA monitor] Test message from npm run doctor',
  sections: [section('Test', [line('This test message was sent by npm run doctor: no action is needed. Alerts from the monitor arrive in this channel the same way.')])],
  footer: null,
  findingsLink: null,
};
