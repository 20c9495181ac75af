import type { FindingKind, Severity } from './findings';

/**
 * Tickets in the partner's PSA: one per open problem (by default a customer's findings of one
 * kind), opened, noted, closed and reopened in step with the findings it lists. The PSA keeps
 * the ticket; the monitor keeps, per ticket, what it last told it (TicketRecord), so that each
 * step is taken once even when an answer is lost.
 */

export const psaNames = ['connectwise', 'autotask', 'halopsa'] as const;
export type PsaName = (typeof psaNames)[number];

/** Each PSA by the name its vendor gives it, for people and logs. */
export const psaLabels: Record<PsaName, string> = { connectwise: 'ConnectWise PSA', autotask: 'Autotask', halopsa: 'HaloPSA' };

/** What one ticket gathers: a customer's (or the partner's own) findings of one kind, or one finding. */
export type TicketGrouping = 'customerAndKind' | 'finding';

/** When a closed ticket's problem comes back: its ticket is reopened, or a new one is opened. */
export type WhenBack = 'reopen' | 'new';

/**
 * How the company a ticket is filed under was found: an admin's explicit mapping, the PSA's
 * company whose website or domain is the tenant's, the one whose name is the customer's, the
 * fallback company (a mapping gap, listed in /api/status and the digest), or the partner's own
 * findings (filed under the fallback company, which is no gap).
 */
type CompanyMatchedBy = 'mapping' | 'domain' | 'name' | 'fallback' | 'partner';

export interface CompanyMatch {
  /** The PSA's id of the company (ConnectWise company id, Autotask company id, Halo client id), as text. */
  companyId: string;
  companyName: string | null;
  matchedBy: CompanyMatchedBy;
}

/**
 * A step under way on an open ticket, recorded before it is sent: a retry after a lost answer
 * finds the note by its reference before posting it again. Status changes are idempotent.
 */
export interface PendingTicketStep {
  step: 'note' | 'close' | 'reopen';
  /** Set in the note's text, e.g. `[MFA-MONITOR 3f9a1c02-n4]`, to find it again. */
  noteReference: string;
  /** The finding keys the ticket lists once the step is done. */
  lines: string[];
}

/**
 * One ticket as the monitor knows it, per PSA and group. `creating` means the create may have
 * reached the PSA: before creating again, the ticket is looked up by `reference`, which the
 * monitor puts in its title.
 */
export interface TicketRecord {
  psa: PsaName;
  /** The group's key: `<tenantId or partner>/<kind>`, or a finding's key with TicketGrouping `finding`. */
  groupKey: string;
  /** The customer tenant the ticket is about; null for the partner's own findings. */
  tenantId: string | null;
  kind: FindingKind;
  severity: Severity;
  /** Our marker in the ticket's title, unique per ticket ever opened, e.g. `MFA-MONITOR 3f9a1c02`. */
  reference: string;
  /** The PSA's ticket id once known (the create's answer, or the ticket found by reference). */
  ticketId: string | null;
  state: 'creating' | 'open' | 'closed';
  company: CompanyMatch | null;
  /** The finding keys the ticket lists, as of its last step. */
  lines: string[];
  pending: PendingTicketStep | null;
  /** Notes added so far: numbers each note's reference. */
  notes: number;
  openedAt: string;
  closedAt: string | null;
  updatedAt: string;
  attempts: number;
  lastError: string | null;
  /** The stable code of the last failure; `AlertUndeliverable` when the PSA refuses the monitor's credentials. */
  lastErrorCode: string | null;
  /** Concurrency token of the stored row; an update with a stale one fails. */
  etag: string;
}
