import { invalidParameter } from './problem';
import type { ContinuationTokens, PagePosition } from './continuationToken';
import type { CustomerDirectoryState, CustomerProfile } from '../core/customerNames';
import type { PsaName } from '../core/tickets';
import type { CompanyMappingStore, PsaRunRecord, PsaTickets } from '../ports/psa';
import type { SnapshotSource } from '../core/model';
import type { ClientSecretStore, Clock, DigestLedger, WaiverStore } from '../ports';
import type { ScheduledWork } from '../core/scheduleHealth';
import { runStartedAt } from '../core/snapshotRun';
import type { QueryReader, UnreadableRowSink } from '../ports/queryReader';
import type { SettingProblem } from '../config';

/** What the query API reads of waivers; like the reader, it can skip rows that cannot be read. */
interface WaiverReader extends Pick<WaiverStore, 'listWaivers' | 'auditTrail'> {
  skippingUnreadable(sink: UnreadableRowSink): WaiverReader;
}

/**
 * The query API's use cases. Each returns a JSON body (shaped as `schemas.ts` describes) and
 * the rows a CSV answer lists. Series are oldest first, ready to chart; only complete runs count.
 */
export interface QueryDependencies {
  reader: QueryReader;
  tokens: ContinuationTokens;
  clock: Clock;
  /** Customer display names as last refreshed, and how that refresh went. */
  directory: { customerNames(): Promise<ReadonlyMap<string, string>>; readState(): Promise<CustomerDirectoryState>; customerProfiles(): Promise<ReadonlyMap<string, CustomerProfile>> };
  /** How long an alert may wait undelivered before the monitor is unhealthy. */
  undeliveredAlertLimitMs: number;
  /** Waivers and their audit trail, read only. */
  waivers: WaiverReader;
  /** The weekly digest's ledger: the newest week's digest and how its delivery went. */
  digests: Pick<DigestLedger, 'latest'>;
  /** The schedules runs are expected on, and the grace; read only by the status, so a bad schedule setting touches no other endpoint. */
  health(): Promise<MonitorHealthSettings>;
  /** Where the app registration's client secret is kept, to judge its expiry; null when none is named. Read only by the status. */
  clientSecret(): Promise<ClientSecretStore | null>;
  /** WAIVER_MAX_DAYS, for a waiver form's default and limit; null when the setting cannot be read (the status names it). */
  waiverMaxDays(): number | null;
  /** Whether the customer-admin scan runs (CUSTOMER_TENANT_AUTH is not off); null when its settings cannot be read. */
  customerAdminScanOn(): boolean | null;
  /** The scan queue's and its poison queue's depths, read only by the status while the scan is on. */
  scanQueueDepths(): Promise<{ queued: number; poisoned: number }>;
  /** Company mappings and their audit trail, read only. */
  companyMappings: Pick<CompanyMappingStore, 'list' | 'auditTrail'>;
  /** The configured PSAs' clients and fallback companies; built only by the PSA companies list (a look-up asks the PSAs). */
  psaTickets(): Promise<{ clients: PsaTickets[]; fallbackCompanyIds: Partial<Record<PsaName, string>> }>;
  /** The configured PSAs and each one's last detector run (see ticketStatus); null when the ticket settings cannot be read (the status names them). */
  tickets(): TicketReads | null;
  /** Every setting some function cannot read (config.ts configurationProblems): each fails that function until fixed. */
  configurationProblems(): readonly SettingProblem[];
}

/** What the status reads of the tickets: the configured PSAs (from the settings) and each one's last run. */
export interface TicketReads {
  configured: readonly PsaName[];
  lastRuns(): Promise<PsaRunRecord[]>;
}

/** What the status judges runs against: each scheduled function's schedule (or why it cannot be read) and the grace. */
export interface MonitorHealthSettings {
  /** Null for a source that is not collected (the customer-admin scan while CUSTOMER_TENANT_AUTH is off). */
  schedules: Record<Exclude<SnapshotSource, 'customerAdmins'> | 'detectRegressions', ScheduledWork['schedule']> & { customerAdmins: ScheduledWork['schedule'] | null };
  graceMs: number;
  /** How long a customer-admin run may take before it must have closed. */
  customerAdminsDeadlineMs: number;
}

export interface QueryResult {
  body: Record<string, unknown>;
  rows: readonly object[];
  /** The HTTP status when not 200 (the status endpoint answers 503 when unhealthy). */
  httpStatus?: number;
}

export const collectedAt = (runId: string): string => runStartedAt(runId).toISOString();

/** A customer's display name, or null when no source has named it (people then see the tenant id). */
export function nameOf(names: ReadonlyMap<string, string>, tenantId: string): string | null {
  return names.get(tenantId.toLowerCase()) ?? null;
}

/** Where a continuation token says the next page starts, or null on a first page; a token of another listing is a 400 saying why. */
export function pagePosition({ tokens }: QueryDependencies, query: string, continuationToken: string | undefined): PagePosition | null {
  if (continuationToken === undefined) return null;
  const decoded = tokens.decode(continuationToken);
  if (decoded === 'otherVersion') throw invalidParameter('continuationToken', 'was issued by an earlier version of this API, whose positions no longer apply: start again without it');
  if (decoded === null) throw invalidParameter('continuationToken', 'is not a token this API issued (altered, truncated, or from an earlier deployment key): start again without it');
  if (decoded.query !== query) throw invalidParameter('continuationToken', 'belongs to a listing with other filters: pass the same filters as on the first page');
  return decoded;
}
