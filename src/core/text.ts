/** Text helpers shared by everything that renders for people (emails, the digest) and reads what people type. */

/** Collapses line breaks and runs of white space: a subject, and every line, stays one line. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Whether `value` is one of `words` (the members of a string union, listed once at run time): it is then typed as one. */
export function isOneOf<T extends string>(words: readonly T[], value: unknown): value is T {
  return words.some((word) => word === value);
}

const htmlEscapes: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => htmlEscapes[char] ?? char);
}

/** Every line break a person can paste: CR LF, CR, LF, VT (Word's line break), FF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR. */
const lineBreak = /\r\n|[\r\n\v\f\u0085\u2028\u2029]/g;
/** Invisible at either end: white space and the code points Unicode says to ignore in display (zero-width ones, BOM). */
const invisibleEdges = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}]+|[\p{White_Space}\p{Default_Ignorable_Code_Point}]+$/gu;
/** A code point that shows something: not space, not ignorable, not a control, format or unpaired surrogate. */
const visible = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Cs}]/u;
/** Controls (C0, DEL, C1) other than tab, once line breaks are LF: NUL, BEL, ESC and the like mean nothing in text a person wrote. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;

/**
 * The one rule for free text a person sends (a waiver's owner and reason): NFC, with every kind of
 * line break made LF (the Unicode Standard's newline guidelines, section 5.8), invisible characters
 * trimmed from the ends; refused when it is not a string, when nothing in it is visible (only
 * zero-width characters, say), when it holds a control character or an unpaired surrogate (not
 * text: JSON can carry one, UTF-16 storage cannot pair it), a line break where one line is
 * expected, or more than `maxLength` characters. The problem says why, for a 400 that names the field.
 */
export function readPersonText(value: unknown, { maxLength, multiline }: { maxLength: number; multiline: boolean }): { text: string } | { problem: string } {
  if (typeof value !== 'string') return { problem: `must be text of 1 to ${maxLength} characters` };
  if (/\p{Cs}/u.test(value)) return { problem: 'must be well-formed Unicode text (it holds an unpaired surrogate, half of a character)' };
  const text = value.normalize('NFC').replace(lineBreak, '\n').replace(invisibleEdges, '');
  if (control.test(text)) return { problem: 'must not hold control characters (such as NUL, BEL or ESC); tab and line breaks are the only ones allowed' };
  if (!multiline && text.includes('\n')) return { problem: 'must be one line' };
  if (!visible.test(text)) return { problem: `must be text of 1 to ${maxLength} characters, with at least one visible character (not only spaces or zero-width characters)` };
  const length = [...text].length;
  if (length > maxLength) return { problem: `must be text of 1 to ${maxLength} characters (it has ${length})` };
  return { text };
}

/**
 * A URL as a link may carry it: http(s) only (a URL another system gave us could be
 * `javascript:`), normalised, and with the characters that end a Markdown or mrkdwn link
 * (`( ) < > |`, spaces) percent-encoded. Null when it is no http(s) URL: the text goes unlinked.
 */
export function linkUrl(url: string): string | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return parsed.href.replace(/[()<>| ]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
