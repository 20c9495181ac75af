/*
 * The places alerts go besides email, each checking what its real counterpart checks:
 * - a Teams Workflows webhook ("Post to a channel when a webhook request is received") at
 *   `/teams/workflows/<id>/triggers/manual/paths/invoke?...&sig=<secret>`: a message envelope
 *   with Adaptive Cards (1.4 or 1.5, known element types); the retired connector MessageCard is refused;
 * - a Slack incoming webhook at `/slack/services/<team>/<bot>/<secret>`: Block Kit essentials and limits;
 * - a Standard Webhooks receiver at `/webhook/receive`: the signature, a 5-minute replay window,
 *   and repeats of a `webhook-id` acknowledged without being kept again, as receivers are told to.
 * Each keeps what it accepted, for tests and for `/_sim/teams`, `/_sim/slack`, `/_sim/webhook`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Exchange } from './exchange';
import type { FaultBook } from './faultBook';
import { applyRequestFaults } from './requestFaults';
import type { ReceivedPost } from './types';

/** Teams refuses larger messages (about 28 KB). */
const TEAMS_MAX_BYTES = 28 * 1024;
const CARD_ELEMENTS = new Set(['TextBlock', 'RichTextBlock', 'Container', 'ColumnSet', 'Column', 'FactSet', 'Image', 'ImageSet', 'ActionSet', 'Table']);
const CARD_ACTIONS = new Set(['Action.OpenUrl', 'Action.Submit', 'Action.ShowCard', 'Action.ToggleVisibility', 'Action.Execute']);
const SLACK_BLOCKS = new Set(['header', 'section', 'divider', 'context', 'actions', 'image', 'rich_text']);
const REPLAY_WINDOW_S = 5 * 60;
const KEPT = 1000;

interface ChannelSecrets {
  teamsSig: string;
  slackSecret: string;
  webhookSecret: string;
}

export class ChannelReceivers {
  private readonly received = { teams: [] as ReceivedPost[], slack: [] as ReceivedPost[], webhook: [] as ReceivedPost[] };
  private readonly seenWebhookIds = new Set<string>();

  constructor(private readonly secrets: ChannelSecrets) {}

  list(channel: 'teams' | 'slack' | 'webhook'): ReceivedPost[] {
    return this.received[channel].map((post) => ({ ...post }));
  }

  async handle(ex: Exchange, faults: FaultBook): Promise<void> {
    if (ex.method !== 'POST') return ex.send(405, { error: 'POST only' });
    if ((await applyRequestFaults(ex, faults, 0)) === undefined) return;
    if (ex.service === 'teams') return this.teams(ex);
    if (ex.service === 'slack') return this.slack(ex);
    return this.webhook(ex);
  }

  private keep(channel: 'teams' | 'slack' | 'webhook', body: unknown, headers: Record<string, string> = {}): void {
    const list = this.received[channel];
    list.push({ receivedAt: new Date().toISOString(), body, headers });
    if (list.length > KEPT) list.shift();
  }

  private teams(ex: Exchange): void {
    const match = /^\/teams\/workflows\/[0-9a-f]+\/triggers\/manual\/paths\/invoke$/.exec(ex.url.pathname);
    if (!match || !same(ex.url.searchParams.get('sig') ?? '', this.secrets.teamsSig)) {
      return ex.send(401, { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated: the sig parameter is missing or wrong.' } });
    }
    if (ex.body.length > TEAMS_MAX_BYTES) return ex.send(413, { error: { code: 'MessageTooLarge', message: `The message is ${ex.body.length} bytes; Teams takes at most ${TEAMS_MAX_BYTES}.` } });
    const parsed = json(ex.body);
    const problem = parsed === undefined ? 'the body is not JSON' : teamsProblem(parsed);
    if (problem !== undefined) return ex.send(400, { error: { code: 'InvalidRequestContent', message: problem } });
    this.keep('teams', parsed);
    ex.send(202);
  }

  private slack(ex: Exchange): void {
    const match = /^\/slack\/services\/T[0-9A-Z]+\/B[0-9A-Z]+\/([A-Za-z0-9]+)$/.exec(ex.url.pathname);
    if (!match || !same(match[1] as string, this.secrets.slackSecret)) return ex.send(404, 'no_service');
    const parsed = json(ex.body);
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null) return ex.send(400, 'invalid_payload');
    const problem = slackProblem(parsed as Record<string, unknown>);
    if (problem !== undefined) return ex.send(400, problem);
    this.keep('slack', parsed);
    ex.send(200, 'ok');
  }

  private webhook(ex: Exchange): void {
    if (ex.url.pathname !== '/webhook/receive') return ex.send(404, { error: 'no such receiver' });
    const id = ex.header('webhook-id');
    const timestamp = ex.header('webhook-timestamp');
    const signatures = ex.header('webhook-signature');
    if (!id || !timestamp || !signatures) return ex.send(400, { error: 'webhook-id, webhook-timestamp and webhook-signature are required' });
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > REPLAY_WINDOW_S) {
      return ex.send(401, { error: 'webhook-timestamp is outside the 5-minute replay window' });
    }
    const key = Buffer.from(this.secrets.webhookSecret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(ex.body).digest('base64');
    const verified = signatures.split(' ').some((entry) => entry.startsWith('v1,') && same(entry.slice(3), expected));
    if (!verified) return ex.send(401, { error: 'no signature in webhook-signature verifies' });
    const parsed = json(ex.body);
    if (parsed === undefined) return ex.send(400, { error: 'the body is not JSON' });
    // A repeat (a sender retrying after a lost answer) is acknowledged, and not processed twice.
    if (!this.seenWebhookIds.has(id)) {
      this.seenWebhookIds.add(id);
      this.keep('webhook', parsed, { 'webhook-id': id, 'webhook-timestamp': timestamp });
    }
    ex.send(204);
  }
}

function json(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function same(given: string, expected: string): boolean {
  const [left, right] = [Buffer.from(given), Buffer.from(expected)];
  return left.length === right.length && timingSafeEqual(left, right);
}

type Json = Record<string, unknown>;

function teamsProblem(message: unknown): string | undefined {
  const envelope = message as Json;
  if (envelope['@type'] === 'MessageCard' || envelope['@context'] !== undefined) return 'Office 365 connector MessageCards are not supported: send an Adaptive Card in attachments[]';
  if (envelope.type !== 'message') return 'type must be "message"';
  if (!Array.isArray(envelope.attachments) || envelope.attachments.length === 0) return 'attachments must hold at least one card';
  for (const [index, attachment] of (envelope.attachments as Json[]).entries()) {
    if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') return `attachments[${index}].contentType must be application/vnd.microsoft.card.adaptive`;
    const card = attachment.content as Json | undefined;
    if (card === undefined || card === null || typeof card !== 'object') return `attachments[${index}].content must be an Adaptive Card`;
    if (card.type !== 'AdaptiveCard') return `attachments[${index}].content.type must be "AdaptiveCard"`;
    if (typeof card.$schema !== 'string') return `attachments[${index}].content.$schema is missing`;
    const version = /^1\.(\d+)$/.exec(String(card.version));
    if (!version || Number(version[1]) < 4 || Number(version[1]) > 5) return `attachments[${index}].content.version must be 1.4 or 1.5 (got ${String(card.version)})`;
    if (!Array.isArray(card.body) || card.body.length === 0) return `attachments[${index}].content.body must be a non-empty array`;
    const problem = elementsProblem(card.body as Json[], `attachments[${index}].content.body`);
    if (problem !== undefined) return problem;
    for (const [position, action] of ((card.actions as Json[] | undefined) ?? []).entries()) {
      if (!CARD_ACTIONS.has(String(action.type))) return `actions[${position}].type ${String(action.type)} is not an Adaptive Card action`;
      if (action.type === 'Action.OpenUrl' && !/^https?:\/\//.test(String(action.url))) return `actions[${position}].url must be an http(s) URL`;
    }
  }
  return undefined;
}

function elementsProblem(elements: Json[], path: string): string | undefined {
  for (const [index, element] of elements.entries()) {
    if (!CARD_ELEMENTS.has(String(element.type))) return `${path}[${index}].type ${String(element.type)} is not an Adaptive Card element`;
    if (element.type === 'TextBlock' && (typeof element.text !== 'string' || element.text === '')) return `${path}[${index}].text must be a non-empty string`;
    if (Array.isArray(element.items)) {
      const problem = elementsProblem(element.items as Json[], `${path}[${index}].items`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** Slack answers `invalid_blocks` (with no detail) to any of these; the detail helps a test say why. */
function slackProblem(message: Json): string | undefined {
  const blocks = message.blocks;
  if ((typeof message.text !== 'string' || message.text === '') && !Array.isArray(blocks)) return 'no_text';
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'invalid_blocks: blocks must be an array';
  if (blocks.length > 50) return `invalid_blocks: ${blocks.length} blocks, at most 50`;
  for (const [index, block] of (blocks as Json[]).entries()) {
    if (!SLACK_BLOCKS.has(String(block.type))) return `invalid_blocks: blocks[${index}].type ${String(block.type)}`;
    const text = block.text as Json | undefined;
    if (block.type === 'header' && (text?.type !== 'plain_text' || typeof text.text !== 'string' || text.text.length > 150)) return `invalid_blocks: blocks[${index}] header text must be plain_text of at most 150 characters`;
    if (block.type === 'section') {
      if (text === undefined && block.fields === undefined) return `invalid_blocks: blocks[${index}] section needs text or fields`;
      if (text !== undefined && (!['mrkdwn', 'plain_text'].includes(String(text.type)) || typeof text.text !== 'string' || text.text.length === 0 || text.text.length > 3000)) {
        return `invalid_blocks: blocks[${index}] section text must be 1 to 3000 characters of mrkdwn or plain_text`;
      }
    }
    if (block.type === 'context' && (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10)) return `invalid_blocks: blocks[${index}] context needs 1 to 10 elements`;
  }
  return undefined;
}
