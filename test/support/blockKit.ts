/**
 * The problems Slack would find in an incoming-webhook message, from Slack's own reference:
 * - Block Kit blocks (docs.slack.dev/reference/block-kit/blocks, formerly api.slack.com/reference/block-kit/blocks):
 *   at most 50 blocks a message; a section's text 1-3000 characters, at most 10 fields of at most 2000 each;
 *   a header's text plain_text of at most 150; a context block 1-10 elements; a button's text at most 75
 *   and its url at most 3000;
 * - messages with blocks (docs.slack.dev/reference/methods/chat.postMessage, "text"): the top-level `text`
 *   is the notification and accessibility fallback, so it must be there, and it is mrkdwn as well;
 * - formatting (docs.slack.dev/messaging/formatting-message-text, "Escaping text" and "Linking to URLs"):
 *   `&`, `<` and `>` are control characters, escaped as `&amp;`, `&lt;`, `&gt;` in text; a link is
 *   `<url|text>`; so outside a link no raw `<`, `>` or a `&` that starts no escape, and a link's url is
 *   an http(s) URL with no `|`, and its text no `<` or `|`.
 * Returns none for a message Slack renders as written.
 */
type Json = Record<string, unknown>;

export function blockKitProblems(message: unknown): string[] {
  const problems: string[] = [];
  const body = message as Json;
  if (typeof body.text !== 'string' || body.text.trim() === '') problems.push('no top-level text (the notification fallback)');
  // The top-level text is formatted as mrkdwn unless `mrkdwn: false` is set (chat.postMessage, "Formatting").
  else if (body.mrkdwn !== false) problems.push(...mrkdwnProblems(body.text).map((problem) => `text: ${problem}`));
  const blocks = body.blocks;
  if (!Array.isArray(blocks)) return [...problems, 'blocks is not an array'];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks, at most 50`);
  (blocks as Json[]).forEach((block, index) => {
    const at = `blocks[${index}] (${String(block.type)})`;
    const text = block.text as Json | undefined;
    switch (block.type) {
      case 'header':
        if (text?.type !== 'plain_text' || typeof text.text !== 'string' || text.text.length === 0 || text.text.length > 150) problems.push(`${at}: text must be plain_text of 1-150 characters`);
        break;
      case 'section': {
        const fields = (block.fields as Json[] | undefined) ?? [];
        if (text === undefined && fields.length === 0) problems.push(`${at}: needs text or fields`);
        if (text !== undefined) problems.push(...textProblems(text, 3000, at));
        if (fields.length > 10) problems.push(`${at}: ${fields.length} fields, at most 10`);
        fields.forEach((field, position) => problems.push(...textProblems(field, 2000, `${at}.fields[${position}]`)));
        if (block.accessory !== undefined) problems.push(...elementProblems(block.accessory as Json, `${at}.accessory`));
        break;
      }
      case 'context': {
        const elements = (block.elements as Json[] | undefined) ?? [];
        if (elements.length === 0 || elements.length > 10) problems.push(`${at}: ${elements.length} elements, 1-10`);
        elements.forEach((element, position) => problems.push(...(element.type === 'image' ? [] : textProblems(element, 3000, `${at}.elements[${position}]`))));
        break;
      }
      case 'actions':
        ((block.elements as Json[] | undefined) ?? []).forEach((element, position) => problems.push(...elementProblems(element, `${at}.elements[${position}]`)));
        break;
      case 'divider':
        break;
      default:
        problems.push(`${at}: not a block this check knows`);
    }
  });
  return problems;
}

function textProblems(text: Json, max: number, at: string): string[] {
  if (text.type !== 'mrkdwn' && text.type !== 'plain_text') return [`${at}: text type ${String(text.type)}`];
  if (typeof text.text !== 'string' || text.text.length === 0 || text.text.length > max) return [`${at}: text of ${String((text.text as string | undefined)?.length)} characters, 1-${max}`];
  return text.type === 'mrkdwn' ? mrkdwnProblems(text.text).map((problem) => `${at}: ${problem}`) : [];
}

function elementProblems(element: Json, at: string): string[] {
  if (element.type !== 'button') return [];
  const problems: string[] = [];
  const text = element.text as Json | undefined;
  if (text?.type !== 'plain_text' || typeof text.text !== 'string' || text.text.length === 0 || text.text.length > 75) problems.push(`${at}: button text must be plain_text of 1-75 characters`);
  if (element.url !== undefined && (typeof element.url !== 'string' || element.url.length > 3000)) problems.push(`${at}: button url longer than 3000 characters`);
  return problems;
}

/** The links of a mrkdwn text, and what is left around them: every link well-formed, no control character loose. */
export function mrkdwnProblems(text: string): string[] {
  const problems: string[] = [];
  const outside = text.replace(/<([^<>]*)>/g, (_whole, inner: string) => {
    const [url, words, ...extra] = inner.split('|');
    if (!/^https?:\/\/[^\s|]+$/.test(url ?? '') || extra.length > 0 || words === undefined || words === '') problems.push(`malformed link <${inner.slice(0, 80)}>`);
    return '';
  });
  if (/[<>]/.test(outside)) problems.push('a raw < or > outside a link');
  if (/&(?!(amp|lt|gt);)/.test(outside)) problems.push('a raw & that starts no escape');
  return problems;
}

/** The links of a mrkdwn text, as Slack reads them: `<url|text>`. */
export function mrkdwnLinks(text: string): { url: string; text: string }[] {
  return [...text.matchAll(/<(https?:\/\/[^|>]+)\|([^>]*)>/g)].map((match) => ({ url: match[1] as string, text: match[2] as string }));
}
