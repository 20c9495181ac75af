import { compareFindings, severities, type Finding, type StoredFinding } from './findings';
import type { PendingTicketStep, TicketGrouping, TicketRecord, WhenBack } from './tickets';

/**
 * What a PSA's tickets must become for the findings as they are now: the pure half of keeping
 * tickets in step. Each run groups the open findings the routes send to the PSA, compares the
 * groups with the ticket records, and plans one step per ticket that differs. The detector's
 * sync carries the steps out, recording each before it sends it (see TicketRecord).
 */

/** The open findings one ticket lists: a customer's (or the partner's own) of one kind, or one finding. */
export interface TicketGroup {
  key: string;
  /** The customer tenant; null for the partner's own findings (requirements, score, partner users, the monitor). */
  tenantId: string | null;
  /** Sorted most severe first (compareFindings); never empty. */
  findings: Finding[];
}

export type TicketStep =
  /** A new ticket: none yet, or its last one closed and PSA_WHEN_BACK=new; or one whose create may have been sent (state `creating`), looked up first. */
  | { step: 'open'; group: TicketGroup; record: TicketRecord | null }
  /** A ticket whose create may have been sent while its problem went away: found and closed if it exists, else forgotten. */
  | { step: 'settle'; record: TicketRecord }
  /** A note, a close or a reopen to record on the ticket and then send. */
  | { step: 'begin'; record: TicketRecord; pending: PendingTicketStep }
  /** A note, close or reopen recorded by an earlier run whose outcome is unknown: finished, never doubled. */
  | { step: 'finish'; record: TicketRecord };

interface TicketPlan {
  /** In the order they are taken: unfinished work first, then changes to open tickets, then new tickets most severe first. */
  steps: TicketStep[];
  /** New tickets past PSA_TICKETS_PER_RUN, left for later runs. */
  heldBack: number;
}

export interface TicketPlanSettings {
  grouping: TicketGrouping;
  whenBack: WhenBack;
  ticketsPerRun: number;
}

/** The customer a finding is about, or null for the partner's own. */
function tenantOf(finding: Pick<Finding, 'subject'>): string | null {
  return finding.subject.type === 'customer' ? finding.subject.id.toLowerCase() : null;
}

/** A group's key: `<tenantId or partner>/<kind>`, or the finding's key with one ticket per finding. */
export function groupKeyOf(finding: Finding, grouping: TicketGrouping): string {
  return grouping === 'finding' ? finding.key : `${tenantOf(finding) ?? 'partner'}/${finding.kind}`;
}

/**
 * The findings tickets are kept for now: open, routed to `psa`, and not waived (a waiver is an
 * admin saying the ticket is not needed). Sightings count while they are listed.
 */
export function ticketGroups(findings: Iterable<StoredFinding>, grouping: TicketGrouping, ticketed: (finding: StoredFinding) => boolean, waived: (finding: StoredFinding) => boolean): TicketGroup[] {
  const groups = new Map<string, TicketGroup>();
  for (const finding of findings) {
    if (finding.state !== 'open' || !ticketed(finding) || waived(finding)) continue;
    const key = groupKeyOf(finding, grouping);
    const group = groups.get(key) ?? { key, tenantId: tenantOf(finding), findings: [] };
    group.findings.push(finding);
    groups.set(key, group);
  }
  for (const group of groups.values()) group.findings.sort(compareFindings);
  return [...groups.values()];
}

const sameLines = (left: readonly string[], right: readonly string[]) => left.length === right.length && left.every((key, index) => key === right[index]);

/** A group's lines as a ticket records them: its finding keys, sorted. */
export function linesOf(group: TicketGroup): string[] {
  return group.findings.map((finding) => finding.key).sort();
}

/**
 * One step per ticket whose PSA state differs from what the findings say. A record with work
 * under way gets only that work finished this run; its next change is planned the run after.
 */
export function planTickets(groups: readonly TicketGroup[], records: readonly TicketRecord[], settings: TicketPlanSettings): TicketPlan {
  const byKey = new Map(groups.map((group) => [group.key, group]));
  const unfinished: TicketStep[] = [];
  const changes: TicketStep[] = [];
  const opens: { group: TicketGroup; record: TicketRecord | null }[] = [];
  const recorded = new Set<string>();
  for (const record of records) {
    recorded.add(record.groupKey);
    const group = byKey.get(record.groupKey) ?? null;
    if (record.state === 'creating') {
      unfinished.push(group === null ? { step: 'settle', record } : { step: 'open', group, record });
    } else if (record.pending !== null) {
      unfinished.push({ step: 'finish', record });
    } else if (record.state === 'open' && group === null) {
      changes.push({ step: 'begin', record, pending: { step: 'close', noteReference: noteReference(record), lines: [] } });
    } else if (record.state === 'open' && group !== null && !sameLines(record.lines, linesOf(group))) {
      changes.push({ step: 'begin', record, pending: { step: 'note', noteReference: noteReference(record), lines: linesOf(group) } });
    } else if (record.state === 'closed' && group !== null) {
      if (settings.whenBack === 'reopen' && record.ticketId !== null) changes.push({ step: 'begin', record, pending: { step: 'reopen', noteReference: noteReference(record), lines: linesOf(group) } });
      else opens.push({ group, record });
    }
  }
  for (const group of groups) if (!recorded.has(group.key)) opens.push({ group, record: null });
  // Resumed creates count against the cap too: each may open a ticket.
  const resumed = unfinished.filter((step) => step.step === 'open').length;
  const room = Math.max(0, settings.ticketsPerRun - resumed);
  const ranked = opens.sort((left, right) => rank(left.group) - rank(right.group) || compareFindings(first(left.group), first(right.group)));
  return {
    steps: [...unfinished, ...changes, ...ranked.slice(0, room).map(({ group, record }) => ({ step: 'open' as const, group, record }))],
    heldBack: Math.max(0, ranked.length - room),
  };
}

// A group is made from its findings: it never is empty.
const first = (group: TicketGroup): Finding => group.findings[0] as Finding;
const rank = (group: TicketGroup): number => severities.indexOf(first(group).severity);

/** The next note's marker: the ticket's reference and the note's number, e.g. `MFA-MONITOR 3f9a1c02-n2`. */
function noteReference(record: TicketRecord): string {
  return `${record.reference}-n${record.notes + 1}`;
}
