import { moreText, type AlertLine, type AlertMessage, type AlertSection } from './alertEmail';

/**
 * The same alert as the email, rendered for the channels that take JSON: a Teams Workflows
 * webhook (an Adaptive Card in a message envelope), a Slack incoming webhook (Block Kit) and
 * the signed generic webhook. Each keeps one event to one line, with its next step, and stays
 * inside its receiver's size limits by counting the lines it leaves out ("and N more").
 */

/** What a finding announced in a message was, for receivers that file tickets per finding. */
interface AnnouncedFinding {
  key: string;
  kind: string;
  severity: string;
  change: string;
}

/** Teams refuses messages over about 28 KB; the card stays under this, envelope included. */
const teamsMaxBytes = 24_000;
/** Block Kit: at most 50 blocks a message, 3000 characters a section's text, 150 a header's. */
const slackMaxBlocks = 50;
const slackMaxSectionText = 3000;
const slackMaxHeaderText = 150;
/** Slack truncates `text` beyond 40,000 characters; the fallback is the subject, far shorter. */
const slackMaxFallbackText = 4000;

type CardElement = Record<string, unknown>;

/** `[text](url)` is markdown in a TextBlock: brackets in the text would end the link early. */
function cardLink(text: string, url: string): string {
  return `[${text.replace(/[[\]]/g, '')}](${url})`;
}

function lineElements(line: AlertLine): CardElement[] {
  const elements: CardElement[] = [{ type: 'TextBlock', text: line.text, wrap: true, ...(line.critical ? { color: 'Attention', weight: 'Bolder' } : {}), spacing: 'Medium' }];
  if (line.step) {
    elements.push({ type: 'TextBlock', text: `Next: ${line.step.url ? cardLink(line.step.text, line.step.url) : line.step.text}`, wrap: true, isSubtle: true, spacing: 'None' });
  }
  return elements;
}

/** Keeps lines while `fits` allows, counting the rest into the section's "and N more" (which must fit too). */
function fitSections(sections: readonly AlertSection[], fits: (sections: AlertSection[]) => boolean): AlertSection[] {
  const kept: AlertSection[] = sections.map((section) => ({ ...section, lines: [], more: left(section, 0) }));
  sections.forEach((section, index) => {
    const target = kept[index] as AlertSection;
    for (const line of section.lines) {
      target.lines.push(line);
      target.more = left(section, target.lines.length);
      if (!fits(kept)) {
        target.lines.pop();
        target.more = left(section, target.lines.length);
        break;
      }
    }
  });
  return kept;
}

/** The section's "and N more" when only its first `shown` lines are kept. */
function left(section: AlertSection, shown: number): AlertSection['more'] {
  const count = section.lines.length - shown + (section.more?.count ?? 0);
  return count > 0 ? { count, href: section.listHref } : null;
}

function teamsCard(message: AlertMessage, sections: readonly AlertSection[]) {
  const body: CardElement[] = [{ type: 'TextBlock', text: message.subject, size: 'Medium', weight: 'Bolder', wrap: true, style: 'heading' }];
  for (const section of sections) {
    body.push({ type: 'TextBlock', text: section.title, weight: 'Bolder', wrap: true, spacing: 'Large', separator: true });
    for (const line of section.lines) body.push(...lineElements(line));
    if (section.more) body.push({ type: 'TextBlock', text: section.more.href ? cardLink(moreText(section.more), section.more.href) : moreText(section.more), wrap: true, spacing: 'Medium' });
  }
  if (message.footer) body.push({ type: 'TextBlock', text: message.footer, wrap: true, spacing: 'Large' });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          // Without it Teams renders the card at a fraction of the channel's width.
          msteams: { width: 'Full' },
          body,
          ...(message.findingsLink ? { actions: [{ type: 'Action.OpenUrl', title: 'All open findings', url: message.findingsLink }] } : {}),
        },
      },
    ],
  };
}

/** The Teams Workflows message: `{ type: 'message', attachments: [Adaptive Card 1.4] }`, under Teams' size limit. */
export function teamsPayload(message: AlertMessage): unknown {
  const size = (sections: AlertSection[]) => Buffer.byteLength(JSON.stringify(teamsCard(message, sections)));
  return teamsCard(message, fitSections(message.sections, (sections) => size(sections) <= teamsMaxBytes));
}

/** Slack's mrkdwn treats &, < and > as control characters. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackLine(line: AlertLine): string {
  const text = `• ${line.critical ? `*${slackEscape(line.text)}*` : slackEscape(line.text)}`;
  if (!line.step) return text;
  const step = line.step.url ? `<${line.step.url}|${slackEscape(line.step.text).replace(/\|/g, '¦')}>` : slackEscape(line.step.text);
  return `${text}\n    Next: ${step}`;
}

function slackMore(more: NonNullable<AlertSection['more']>): string {
  return more.href ? `<${more.href}|${moreText(more)}>` : moreText(more);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Section blocks of one alert section: as many lines a block as its 3000 characters hold. */
function slackSectionBlocks(section: AlertSection): { type: 'section'; text: { type: 'mrkdwn'; text: string } }[] {
  const texts: string[] = [];
  let current = `*${slackEscape(section.title)}*`;
  for (const line of section.lines) {
    const next = clip(slackLine(line), slackMaxSectionText);
    if (current.length + 1 + next.length > slackMaxSectionText) {
      texts.push(current);
      current = next;
    } else {
      current = `${current}\n${next}`;
    }
  }
  const more = section.more ? slackMore(section.more) : null;
  if (more !== null && current.length + 1 + more.length > slackMaxSectionText) {
    texts.push(current);
    current = more;
  } else if (more !== null) {
    current = `${current}\n${more}`;
  }
  texts.push(current);
  return texts.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
}

function slackBlocks(message: AlertMessage, sections: readonly AlertSection[]): unknown[] {
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: clip(message.subject, slackMaxHeaderText), emoji: false } }];
  for (const section of sections) blocks.push({ type: 'divider' }, ...slackSectionBlocks(section));
  const closing = [message.footer, message.findingsLink ? `<${message.findingsLink}|All open findings>` : null].filter((part): part is string => part !== null);
  if (closing.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(closing[0] as string) + (closing[1] ? ` ${closing[1]}` : '') }] });
  return blocks;
}

/** The Slack incoming-webhook message: a subject fallback and Block Kit blocks within Slack's limits. */
export function slackPayload(message: AlertMessage): unknown {
  const sections = fitSections(message.sections, (candidate) => slackBlocks(message, candidate).length <= slackMaxBlocks);
  return { text: clip(message.subject, slackMaxFallbackText), blocks: slackBlocks(message, sections) };
}

/**
 * The signed webhook's body, in the Standard Webhooks shape (`type`, `timestamp`, `data`): the
 * alert's lines as the email has them, and each announced finding by key, for receivers that
 * file a ticket per finding and close it on its recovery.
 */
export function webhookPayload(message: AlertMessage, meta: { messageId: string; composedAt: string; reminder: boolean; findings: readonly AnnouncedFinding[] }): unknown {
  return {
    type: meta.reminder ? 'mfaMonitor.reminder' : 'mfaMonitor.alert',
    timestamp: meta.composedAt,
    data: {
      messageId: meta.messageId,
      subject: message.subject,
      sections: message.sections.map((section) => ({
        title: section.title,
        lines: section.lines.map((line) => ({ text: line.text, critical: line.critical, nextStep: line.step })),
        more: section.more,
      })),
      footer: message.footer,
      findingsLink: message.findingsLink,
      findings: meta.findings,
    },
  };
}
