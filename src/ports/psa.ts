import type { Severity } from '../core/findings';
import type { TicketStanding } from '../core/ticketStanding';
import type { CompanyMatch, PsaName, TicketRecord } from '../core/tickets';
import type { CompanyMapping, CompanyMappingAuditEntry } from '../core/companyMappings';

/** A company (ConnectWise, Autotask) or client (HaloPSA) as the PSA lists it. */
export interface PsaCompany {
  id: string;
  name: string;
}

export interface NewTicket {
  /** Our marker, e.g. `MFA-MONITOR 3f9a1c02`: what `findTicket` matches in the title. */
  reference: string;
  /**
   * Begins with `[<reference>] `. A PSA with a shorter title limit than the title (ConnectWise's
   * summary takes 100 characters) cuts the end, never the marker.
   */
  title: string;
  /** Plain text: the lines, the next steps, links. */
  description: string;
  companyId: string;
  severity: Severity;
}

export interface FoundTicket {
  ticketId: string;
  /** Whether the PSA shows it closed (completed) now. */
  closed: boolean;
}

/**
 * One PSA's tickets, as each vendor's REST API documents them. Every call is bounded (the PSA's
 * timeout setting, retries after 429 and 5xx included) and paced to the PSA's documented rate.
 * Errors are MonitorErrors with `statusCode` when the PSA answered:
 * - `PsaRefused` (401, 403): the credentials or their permissions; nothing changes until fixed;
 * - `PsaRejected` (another 4xx): the request (a board, status or company the PSA does not have);
 * - `PsaUnavailable` (429 or 5xx past the budget, a refused connection): it did not happen;
 * - `PsaTimeout` (no answer): it may have happened.
 */
export interface PsaTickets {
  readonly psa: PsaName;
  /** The ticket whose title carries `reference`, open or closed; null when the PSA has none. */
  findTicket(reference: string): Promise<FoundTicket | null>;
  /** Creates the ticket on the configured board or queue; resolves to its id. */
  createTicket(ticket: NewTicket): Promise<string>;
  /** Whether the ticket has a note whose text carries `reference`. */
  hasNote(ticketId: string, reference: string): Promise<boolean>;
  /** Adds a note (the text carries its reference) to the ticket. */
  addNote(ticketId: string, note: { reference: string; text: string }): Promise<void>;
  /** Sets the configured closed status, or the configured new status (reopening); repeating it changes nothing. */
  setStatus(ticketId: string, status: 'closed' | 'open'): Promise<void>;
  /** The company whose website or domain is one of `domains`, else whose name is `name` (case aside); null when none is. */
  findCompany(customer: { name: string | null; domains: readonly string[] }): Promise<(PsaCompany & { matchedBy: 'domain' | 'name' }) | null>;
  /** One company by id (the doctor's check, and a mapping's check when an admin sets it); null when the PSA has none. */
  readCompany(companyId: string): Promise<PsaCompany | null>;
  /**
   * What `npm run doctor` shows, in order, never throwing: signing in, the board or queue, the
   * statuses and priorities the settings name, the fallback company. A failed step names the
   * setting or the permission to fix.
   */
  checkSetup(): Promise<PsaSetupStep[]>;
  /** Requests sent so far, attempts included: what a run costs against the PSA's documented limit. */
  readonly requestCount: number;
}

export interface PsaSetupStep {
  /** e.g. "sign in", "board Help Desk", "status >Closed", "fallback company 250". */
  step: string;
  ok: boolean;
  /** What was found, or what is wrong and how to fix it. */
  detail: string;
}

/**
 * What one detector run did in one PSA, and where its tickets stood at its end, kept per PSA
 * (each run replaces it): the status and the digest read this one row, not every record.
 */
export interface PsaRunRecord extends TicketStanding {
  psa: PsaName;
  finishedAt: string;
  /** New tickets past PSA_TICKETS_PER_RUN, waiting for later runs. */
  heldBack: number;
  /** Steps planned, and taken to the end. */
  steps: number;
  done: number;
  /** Requests the PSA's client sent in the run, retries included. */
  requests: number;
  /** Why the run's steps stopped: `AlertUndeliverable` when the PSA refused the monitor; null when none failed the invocation. */
  failureCode: string | null;
  failure: string | null;
}

/** Where the PSA's tickets stand: one record per PSA and group, and each PSA's last run. */
export interface TicketStore {
  /** Every record of one PSA. */
  list(psa: PsaName): Promise<TicketRecord[]>;
  /** Creates a record; null when one with its PSA and group exists (another run made it). */
  create(record: Omit<TicketRecord, 'etag'>): Promise<TicketRecord | null>;
  /** Optimistic update: null when the row changed since it was read. */
  update(record: TicketRecord): Promise<TicketRecord | null>;
  /** Replaces the PSA's last run. */
  recordRun(run: PsaRunRecord): Promise<void>;
  /** Each PSA's last run, for those that have had one. */
  lastRuns(): Promise<PsaRunRecord[]>;
}

/** The company a customer's tickets are filed under: a mapping, else a match in the PSA, else the fallback; the partner's own findings go to the fallback. */
export type ResolveCompany = (psa: PsaName, tenantId: string | null) => Promise<CompanyMatch>;

/** A mapping as stored, with the concurrency token a change must match. */
export interface StoredCompanyMapping extends CompanyMapping {
  etag: string;
}

/**
 * The explicit customer -> company mappings and their audit trail: each change is stored together
 * with its audit entry or not at all; a change with a stale `etag` is refused (null, false), so
 * two admins never overwrite each other. Audit entries are never deleted.
 */
export interface CompanyMappingStore {
  /** Every mapping, of every PSA. */
  list(): Promise<StoredCompanyMapping[]>;
  read(psa: PsaName, tenantId: string): Promise<StoredCompanyMapping | null>;
  /**
   * Sets a mapping: `etag` null creates it (null when one exists meanwhile), else replaces the
   * stored one read with `etag` (null when it changed or went since).
   */
  put(mapping: CompanyMapping, etag: string | null, audit: CompanyMappingAuditEntry): Promise<StoredCompanyMapping | null>;
  /** False when the mapping changed or went since `etag` was read. */
  delete(psa: PsaName, tenantId: string, etag: string, audit: CompanyMappingAuditEntry): Promise<boolean>;
  /** Audit entries newest first, at most `top`. */
  auditTrail(options: { top: number }): Promise<CompanyMappingAuditEntry[]>;
}
