import { psaLabels, type PsaName, type TicketRecord } from './tickets';

/**
 * Where one PSA's tickets stand, as its last detector run left them: what `/api/status`, the
 * dashboard and the digest show, summed up once per run from the records so that a status read
 * is one row per PSA however many tickets there are.
 */

/** A step whose last attempt failed: it is retried every run. */
export interface FailingTicketStep {
  groupKey: string;
  ticketId: string | null;
  /** `open` for a ticket being created (or settled); else the recorded note, close or reopen. */
  step: 'open' | 'note' | 'close' | 'reopen';
  lastError: string;
  lastErrorCode: string | null;
  /** When the step was first recorded: it counts against ALERT_UNDELIVERED_HOURS from then. */
  waitingSince: string;
}

export interface TicketStanding {
  openTickets: number;
  /** Creates not yet confirmed (looked up next run). */
  creating: number;
  /** Oldest first, at most `listedMost`; `failingCount` counts them all. */
  failing: FailingTicketStep[];
  failingCount: number;
  /** Customers whose open tickets are filed under the fallback company: mapping gaps, most tickets first (at most `listedMost`). */
  mappingGaps: { tenantId: string; tickets: number }[];
  mappingGapCount: number;
}

/** Kept short: the row holds them as JSON (a property takes 64 KiB), and the status names the rest by count. */
const listedMost = 100;

export function ticketStanding(records: readonly TicketRecord[]): TicketStanding {
  const failing = records
    .filter((record) => record.lastError !== null && (record.state === 'creating' || record.pending !== null))
    .map((record) => ({
      groupKey: record.groupKey,
      ticketId: record.ticketId,
      step: record.state === 'creating' ? ('open' as const) : (record.pending?.step ?? 'note'),
      lastError: record.lastError ?? '',
      lastErrorCode: record.lastErrorCode,
      waitingSince: record.state === 'creating' ? record.openedAt : record.updatedAt,
    }))
    .sort((left, right) => left.waitingSince.localeCompare(right.waitingSince));
  const gaps = new Map<string, number>();
  for (const record of records) {
    if (record.state !== 'closed' && record.company?.matchedBy === 'fallback' && record.tenantId !== null) gaps.set(record.tenantId, (gaps.get(record.tenantId) ?? 0) + 1);
  }
  const mappingGaps = [...gaps].map(([tenantId, tickets]) => ({ tenantId, tickets })).sort((left, right) => right.tickets - left.tickets || left.tenantId.localeCompare(right.tenantId));
  return {
    openTickets: records.filter((record) => record.state === 'open').length,
    creating: records.filter((record) => record.state === 'creating').length,
    failing: failing.slice(0, listedMost),
    failingCount: failing.length,
    mappingGaps: mappingGaps.slice(0, listedMost),
    mappingGapCount: mappingGaps.length,
  };
}

/**
 * Why a PSA makes the monitor unhealthy: it refuses the monitor (AlertUndeliverable: a setting
 * or a permission to fix), or a step has waited longer than ALERT_UNDELIVERED_HOURS.
 */
export function ticketProblems(psa: PsaName, standing: Pick<TicketStanding, 'failing'> & { failureCode: string | null; failure: string | null }, now: Date, limitMs: number): string[] {
  const label = psaLabels[psa];
  const problems: string[] = [];
  const refused = standing.failureCode === 'AlertUndeliverable' ? standing.failure : (standing.failing.find((step) => step.lastErrorCode === 'AlertUndeliverable')?.lastError ?? null);
  if (refused !== null) problems.push(`${label} refuses the monitor's tickets: ${refused}`);
  const late = standing.failing.filter((step) => now.getTime() - Date.parse(step.waitingSince) > limitMs);
  const oldest = late[0];
  if (oldest !== undefined) {
    problems.push(`${label}: ${late.length} ticket step${late.length === 1 ? ' has' : 's have'} waited longer than ${limitMs / 3_600_000} h, the oldest since ${oldest.waitingSince} (last error: ${oldest.lastError})`);
  }
  return problems;
}
