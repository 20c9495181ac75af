import { isTicketed } from '../core/alertRoutes';
import { errorCode, MonitorError, toError } from '../core/errors';
import { planTickets, ticketGroups, type TicketStep } from '../core/ticketPlan';
import { ticketStanding } from '../core/ticketStanding';
import { psaLabels, type PsaName } from '../core/tickets';
import type { RunContext } from '../detector/detectorDependencies';
import type { PsaTickets, ResolveCompany } from '../ports/psa';
import { StepFailed, takeStep, type PsaStepContext } from './ticketSteps';

/**
 * Keeps each configured PSA's tickets in step with the findings, each step taken once though no
 * PSA takes an idempotency key. Each PSA is synced on its own, beside the outbox's deliveries: a
 * PSA that is down, slow or refusing holds back neither another PSA nor any channel.
 *
 * Per run and PSA: the open findings routed to `psa` and not waived are grouped (ticketGroups),
 * compared with the PSA's records (planTickets), and the planned steps are taken in order while
 * the deadline leaves room for every call of the next one (each call is bounded by
 * PSA_TIMEOUT_SECONDS). The protocol, per step (ticketSteps.ts):
 * - open: the record is written first — created (insert-only: a second writer gets 409), or a
 *   closed one reset under a new reference (PSA_WHEN_BACK=new) — in state `creating` with
 *   attempts + 1, BEFORE the PSA is called. The company is resolved and stored on the record.
 *   A record that had attempts before is looked up by its reference (`findTicket`, the marker
 *   in the title) and what is found is adopted; otherwise `createTicket`. Then the record is
 *   `open` with the ticket id. No answer (PsaTimeout) leaves it `creating`, looked up next run;
 *   an answered failure (PsaRejected, PsaUnavailable, PsaRefused) leaves it `creating` too, with
 *   lastError and lastErrorCode (the next run looks up first, which is safe).
 * - settle: a `creating` record whose problem went away is looked up: found, it is recorded
 *   `open` (the next run closes it with a note); not found, it is recorded closed without a ticket.
 * - begin: the note, close or reopen is recorded `pending` (ETag-conditional) BEFORE it is sent, then finished.
 * - finish: a note whose step had an attempt before is looked up (`hasNote`, by the note's
 *   reference) before it is added; a close is the note then the closed status; a reopen the
 *   new status then the note (status changes repeat harmlessly). Then pending is cleared, the
 *   lines are the step's, and the note count moves on.
 * Every record write is conditional on the ETag it was read with: a run that lost the race stops.
 *
 * Failures: a refusal (PsaRefused, 401/403) fails the invocation with AlertUndeliverable at once
 * and stops the PSA's steps; a step waiting longer than ALERT_UNDELIVERED_HOURS fails it with
 * AlertUndelivered; the rest are logged as warnings and retried next run. A PSA that is down or
 * slow (PsaUnavailable, PsaTimeout) stops its steps for this run; a rejected request (PsaRejected)
 * stops only its own.
 */

/** What one PSA's sync did in a run: the detector's log line, and the PSA's run record for the status. */
interface PsaSyncSummary {
  psa: PsaName;
  steps: number;
  done: number;
  heldBack: number;
  requests: number;
}

interface TicketSyncOutcome {
  summaries: PsaSyncSummary[];
  /** AlertUndeliverable or AlertUndelivered failures the invocation fails with, and anything else that went wrong (storage). */
  failures: unknown[];
}

/** The most PSA calls one step makes (the company's lookup may take two): the time it must have left. */
const callsOf: Record<TicketStep['step'], number> = { open: 4, settle: 1, begin: 3, finish: 3 };

export async function syncTickets(run: RunContext): Promise<TicketSyncOutcome> {
  const tickets = run.tickets;
  if (!tickets || tickets.psas.length === 0) return { summaries: [], failures: [] };
  const resolveCompany = tickets.resolveCompany();
  const outcomes = await Promise.all(
    tickets.psas.map((psa) =>
      syncPsa(run, psa, resolveCompany).catch((thrown: unknown) => ({ summary: { psa: psa.psa, steps: 0, done: 0, heldBack: 0, requests: 0 }, failures: [thrown] })),
    ),
  );
  return { summaries: outcomes.map((outcome) => outcome.summary), failures: outcomes.flatMap((outcome) => outcome.failures) };
}

/** One PSA's steps in order; its failures, to fail the invocation with once every PSA and channel is done. */
async function syncPsa(run: RunContext, psa: PsaTickets, resolveCompany: ResolveCompany): Promise<{ summary: PsaSyncSummary; failures: unknown[] }> {
  const { clock, log, settings, deadline } = run;
  const tickets = run.tickets;
  if (!tickets) throw new Error('syncPsa needs the tickets part');
  const { store } = tickets;
  const requestsBefore = psa.requestCount;
  const label = psaLabels[psa.psa];
  const groups = ticketGroups(run.findings.values(), tickets.settings.grouping, (finding) => isTicketed(settings.routes, finding), run.waived);
  const plan = planTickets(groups, await store.list(psa.psa), tickets.settings);
  const context: PsaStepContext = {
    psa,
    store,
    resolveCompany,
    findings: run.findings,
    waived: run.waived,
    writing: { psa: psa.psa, customerNames: plan.steps.length === 0 ? new Map() : await run.customerNames(), publicBaseUrl: settings.publicBaseUrl, maxLines: settings.alertMaxLines },
    clock,
    log,
  };
  const failures: unknown[] = [];
  let done = 0;
  for (const [index, step] of plan.steps.entries()) {
    if (deadline !== undefined && clock.now().getTime() + callsOf[step.step] * tickets.settings.timeoutMs > deadline.getTime()) {
      log.warn(`detectRegressions: no time left before the deadline for ${label}; ${plan.steps.length - index} ticket steps wait for the next run`);
      break;
    }
    try {
      await takeStep(context, step);
      done += 1;
    } catch (thrown) {
      if (!(thrown instanceof StepFailed)) throw thrown;
      const failure = invocationFailure(thrown, label, clock.now(), settings.undeliveredAlertLimitMs);
      if (failure !== null) failures.push(failure);
      else log.warn(`detectRegressions: ${label} ticket step for ${thrown.groupKey} failed (${errorCode(thrown.failure)}): ${thrown.message}; it is retried next run`);
      // Refused, down or slow: the next step would fare no better. A rejected request is that step's own.
      if (errorCode(thrown.failure) !== 'PsaRejected') {
        if (index + 1 < plan.steps.length) log.warn(`detectRegressions: ${label}: ${plan.steps.length - index - 1} further ticket steps wait for the next run`);
        break;
      }
    }
  }
  const summary = { psa: psa.psa, steps: plan.steps.length, done, heldBack: plan.heldBack, requests: psa.requestCount - requestsBefore };
  const first = failures.find((failure): failure is MonitorError => failure instanceof MonitorError) ?? null;
  // Read again once the steps are done: the status and the digest read this one row, never every record.
  const standing = ticketStanding(await store.list(psa.psa));
  await store.recordRun({ ...summary, ...standing, finishedAt: clock.now().toISOString(), failureCode: first?.code ?? null, failure: first?.message.slice(0, 500) ?? null });
  return { summary, failures };
}

/**
 * The failure a step's must fail the invocation with, the one signal Azure Monitor alerts on: at
 * once when the PSA refuses the monitor (its message names the settings to check, never a
 * secret), and when the step has waited longer than ALERT_UNDELIVERED_HOURS; null otherwise.
 */
function invocationFailure(failed: StepFailed, label: string, now: Date, limitMs: number): MonitorError | null {
  if (errorCode(failed.failure) === 'PsaRefused') {
    return new MonitorError('AlertUndeliverable', `${toError(failed.failure).message}; ${label}'s tickets wait until this is fixed`, { cause: failed.failure });
  }
  const waitedMs = now.getTime() - Date.parse(failed.waitingSince);
  if (waitedMs <= limitMs) return null;
  return new MonitorError(
    'AlertUndelivered',
    `a ${label} ticket step for ${failed.groupKey} has waited ${Math.floor(waitedMs / 60_000)} min, longer than ALERT_UNDELIVERED_HOURS (${limitMs / 3_600_000} h): ${failed.message}; it is retried next run`,
    { cause: failed.failure },
  );
}

/** The detector's log line for the tickets: per PSA, steps done, held back, requests. */
export function ticketSummaryText(summaries: readonly PsaSyncSummary[]): string {
  return summaries.map((summary) => `${psaLabels[summary.psa]}: ${summary.done}/${summary.steps} ticket steps, ${summary.heldBack} held back, ${summary.requests} requests`).join('; ');
}
