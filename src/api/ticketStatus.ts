import { ticketProblems } from '../core/ticketStanding';
import { psaLabels } from '../core/tickets';
import { nameOf, type TicketReads } from './queries';

/**
 * The status's `tickets` section: per configured PSA, as its last detector run left it (one row
 * per PSA, written by the run, rather than every ticket record on each status read): open
 * tickets, problems waiting for the cap, steps failing, and the mapping gaps by customer. A PSA
 * that refuses the monitor and a step waiting past ALERT_UNDELIVERED_HOURS are reasons.
 */
export async function ticketStatus(reads: TicketReads | null, names: () => Promise<ReadonlyMap<string, string>>, now: Date, limitMs: number) {
  if (reads === null || reads.configured.length === 0) return { section: [], problems: [] };
  const runs = new Map((await reads.lastRuns()).map((run) => [run.psa, run]));
  const named = [...runs.values()].some((run) => run.mappingGaps.length > 0) ? await names() : new Map<string, string>();
  const problems: string[] = [];
  const section = reads.configured.map((psa) => {
    const run = runs.get(psa);
    if (run === undefined) return { psa, name: psaLabels[psa], lastRunAt: null, openTickets: 0, creating: 0, heldBack: 0, requestsLastRun: 0, refused: false, failing: [], failingCount: 0, mappingGaps: [], mappingGapCount: 0 };
    const reasons = ticketProblems(psa, run, now, limitMs);
    problems.push(...reasons);
    return {
      psa,
      name: psaLabels[psa],
      lastRunAt: run.finishedAt,
      openTickets: run.openTickets,
      creating: run.creating,
      heldBack: run.heldBack,
      requestsLastRun: run.requests,
      refused: run.failureCode === 'AlertUndeliverable' || run.failing.some((step) => step.lastErrorCode === 'AlertUndeliverable'),
      failing: run.failing,
      failingCount: run.failingCount,
      mappingGaps: run.mappingGaps.map((gap) => ({ ...gap, customerName: nameOf(named, gap.tenantId) })),
      mappingGapCount: run.mappingGapCount,
    };
  });
  return { section, problems };
}
