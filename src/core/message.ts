import type { NextStep } from './nextStep';

/**
 * What a message says, whatever the channel. An alert (alertMessage.ts) and the weekly digest
 * (digestMessage.ts) are each composed once into this model; each channel's renderer only lays
 * it out (the email in messageEmail.ts; Teams, Slack and the signed webhook in
 * channelPayloads.ts), so every channel carries the same lines in the same words.
 */
export interface Message {
  subject: string;
  sections: Section[];
  /** A closing line ("N other problems still open."), when there is one. */
  footer: string | null;
  /** The dashboard's list of open findings, when PUBLIC_BASE_URL is set. */
  findingsLink: string | null;
  /** Email only: a title other than the subject, and a note under it. */
  heading?: { title: string; note: string };
}

export interface Section {
  title: string;
  groups: Group[];
  /** Lines left out, and where the dashboard lists them all. */
  more: { count: number; href: string | null } | null;
  /** Where the dashboard lists every line of the section (null without PUBLIC_BASE_URL): a channel that shows fewer lines links there. */
  listHref: string | null;
  /** Email only: a column chart of daily values after the lines, and its caption. */
  chart?: { daily: readonly { day: string; value: number | null }[]; max: number | null; caption: string };
}

/**
 * Lines about one thing under its heading, said once: one customer (its name and tenant id), the
 * partner's users, the partner tenant. A section of figures is one group without a heading.
 */
export interface Group {
  heading: { text: string; href: string | null } | null;
  lines: Line[];
}

/** One line: one event or one figure, with what to do about it and where. */
export interface Line {
  text: string;
  /** Where the dashboard shows what the line is about (its finding); none for a figure, or without PUBLIC_BASE_URL. */
  href?: string | null;
  step: NextStep | null;
  /** Shown in the attention colour: a critical finding, a figure that needs action. */
  critical: boolean;
  /** Email only: a bar of `part` out of `whole` under the text. */
  bar?: { part: number; whole: number; tone: 'neutral' | 'good' | 'bad' };
}

/** "and N more": the lines a section leaves out. */
export function moreText(more: NonNullable<Section['more']>): string {
  return `and ${more.count} more`;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A figure to one decimal, or "unknown". */
export function figure(value: number | null): string {
  return value === null ? 'unknown' : String(Math.round(value * 10) / 10);
}

/** `to - from` to one decimal; null when either is unknown. */
export function delta(from: number | null, to: number | null): number | null {
  return from === null || to === null ? null : Math.round((to - from) * 10) / 10;
}

/** " (+3)", " (-1.5)", " (no change)", or nothing when either end is unknown. */
export function change(from: number | null, to: number | null): string {
  const difference = delta(from, to);
  if (difference === null) return '';
  return difference === 0 ? ' (no change)' : ` (${difference > 0 ? '+' : ''}${difference})`;
}

/** A customer's display name: the directory keys names by lower-case tenant id, insights carry ids as served. */
export function customerName(names: ReadonlyMap<string, string>, tenantId: string): string | null {
  return names.get(tenantId.toLowerCase()) ?? names.get(tenantId) ?? null;
}

/** One line with nothing to do about it. */
export function line(text: string, critical = false, bar?: Line['bar']): Line {
  return { text, step: null, critical, ...(bar === undefined ? {} : { bar }) };
}

/** A section that lists every line it is given, under no heading. */
export function section(title: string, lines: Line[], extra: Pick<Section, 'chart'> = {}): Section {
  return { title, groups: [{ heading: null, lines }], more: null, listHref: null, ...extra };
}

/** How many lines a section shows. */
export function lineCount(section: Pick<Section, 'groups'>): number {
  return section.groups.reduce((count, group) => count + group.lines.length, 0);
}
