/** Text helpers shared by everything that renders for people (emails, the digest). */

/** Collapses line breaks and runs of white space: a subject, and every line, stays one line. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

/**
 * A URL as a link may carry it: http(s) only (a URL another system gave us could be
 * `javascript:`), normalised, and with the characters that end a Markdown or mrkdwn link
 * (`( ) < > |`, spaces) percent-encoded. Null when it is no http(s) URL: the text goes unlinked.
 */
export function linkUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return parsed.href.replace(/[()<>| ]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
