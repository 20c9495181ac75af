import { randomUUID } from 'node:crypto';
import { longestRunMs } from '../core/adminScan';
import { deliveryTargetLabel, routedTargets } from '../core/alertRoutes';
import { errorCode } from '../core/errors';
import { snapshotSources } from '../core/model';
import { psaLabels } from '../core/tickets';
import type { DetectorRun } from '../ports';
import { abandonedRunMarginMs, DeadlineExceededError } from '../core/invocationDeadline';
import { waiverIndex } from '../core/waivers';
import { underLease, type HeldLease } from '../leases/underLease';
import { finishComposing } from './composeMessage';
import { abandonedRunMs, detectAndCompose } from './detectAndCompose';
import { deliverOutbox, throwMostUrgent } from './deliverOutbox';
import { syncTickets, ticketSummaryText } from '../tickets/syncTickets';
import type { DetectorDependencies, DetectorSettings, RunContext, TicketDependencies } from './detectorDependencies';

export interface DetectorOutcome {
  /** Set when another run held the lease and this one did nothing. */
  skipped: boolean;
  transitions: number;
  composedMessageId: string | null;
  sentMessageId: string | null;
  openFindings: number;
}

/**
 * One detector run: detect, compose, deliver — in that order, each step idempotent, under a
 * lease so two runs never interleave. Exactly-once delivery rests on four facts:
 * - a transition is first stored on its finding (`pendingChange`), so a crash before anything
 *   else happens loses nothing and a re-run finds nothing new to decide;
 * - a message claims its findings (`announcedIn`) before it becomes sendable, and is rendered
 *   from exactly those findings, so every transition is in exactly one message;
 * - a message has one delivery per target its findings are routed to, each with its own
 *   state, claimed with an ETag: a channel that is down never makes another resend;
 * - a delivery that may have reached its channel is looked up (ACS, by operation id) or posted
 *   again under the same `webhook-id` (the signed webhook's receivers drop repeats).
 * One message per run at most; each channel takes waiting messages oldest first. Tickets in each
 * configured PSA are kept in step with the findings beside the deliveries (tickets/syncTickets.ts),
 * each step recorded before it is sent, by the same reasoning.
 */
export async function runDetector(dependencies: DetectorDependencies, { deadline }: Pick<RunContext, 'deadline'> = {}): Promise<DetectorOutcome> {
  const { runs, clock, log } = dependencies;
  const outcome = await underLease({ lease: runs.lease('detectRegressions'), clock, log }, 'detectRegressions', randomUUID(), (lease) => detectUnderLease(dependencies, deadline, lease));
  return outcome ?? { skipped: true, transitions: 0, composedMessageId: null, sentMessageId: null, openFindings: 0 };
}

/** The run itself, as the holder of the detector's lease. */
async function detectUnderLease(dependencies: DetectorDependencies, deadline: Date | undefined, lease: HeldLease): Promise<DetectorOutcome> {
  const { store, clock, log } = dependencies;
  const startedAt = clock.now();
  const thisRun: DetectorRun = { startedAt: startedAt.toISOString(), finishedAt: null, status: 'running', errorCode: null };
  try {
    await store.recordRun(thisRun);
    // Findings are read once and kept current in memory: under the lease no one else writes them.
    const findings = new Map((await store.readFindings()).map((finding) => [finding.key, finding]));
    const silencer = waiverIndex(await dependencies.waivers.listWaivers(), startedAt);
    let names: Promise<ReadonlyMap<string, string>> | undefined;
    const run: RunContext = { ...dependencies, deadline, findings, customerNames: () => (names ??= customerNames(dependencies)), waived: (finding) => silencer(finding) !== null };
    for (const message of await store.unsentMessages()) {
      if (message.status === 'composing') await finishComposing(run, message);
    }
    await markAbandonedRuns(dependencies, deadline === undefined ? abandonedRunMs : deadline.getTime() - startedAt.getTime() + abandonedRunMarginMs);
    const { transitions, composedMessageId } = await detectAndCompose(run);
    // Every step before is a bounded storage call; a send waits up to its channel's timeout.
    const longest = longestSend(dependencies.settings, dependencies.tickets);
    if (deadline !== undefined && clock.now().getTime() + longest.ms > deadline.getTime()) {
      throw new DeadlineExceededError(
        deadline.getTime() - startedAt.getTime(),
        `before sending: a send may wait ${longest.ms / 1000} s for ${longest.what} and would end after it; the alert waits in the outbox for the next run`,
      );
    }
    await lease.confirm('sending, and that run sends instead');
    // Tickets are kept beside the deliveries: a PSA that is down holds back no channel, nor a channel a PSA.
    const [delivered, tickets] = await Promise.allSettled([deliverOutbox(run), syncTickets(run)]);
    throwMostUrgent([...(delivered.status === 'rejected' ? [delivered.reason] : []), ...(tickets.status === 'rejected' ? [tickets.reason] : tickets.value.failures)]);
    const sentMessageId = delivered.status === 'fulfilled' ? delivered.value : null;
    const ticketLine = tickets.status === 'fulfilled' && tickets.value.summaries.length > 0 ? `; tickets: ${ticketSummaryText(tickets.value.summaries)}` : '';
    // Only a run that got this far counts for the detector's health: /api/status expects one per scheduled occurrence.
    await store.recordCompletedRun({ startedAt: startedAt.toISOString(), finishedAt: clock.now().toISOString() });
    const open = [...findings.values()].filter((finding) => finding.state === 'open' && !finding.event);
    const waived = open.filter(run.waived).length;
    log.info(`detectRegressions: ${transitions.length} new transitions, ${open.length} open findings (${waived} waived)${sentMessageId ? `, sent ${sentMessageId}` : ''}${ticketLine}`);
    await recordEnd(dependencies, { ...thisRun, finishedAt: clock.now().toISOString(), status: 'complete' });
    return { skipped: false, transitions: transitions.length, composedMessageId, sentMessageId, openFindings: open.length };
  } catch (thrown) {
    await recordEnd(dependencies, { ...thisRun, finishedAt: clock.now().toISOString(), status: 'failed', errorCode: errorCode(thrown) });
    throw thrown;
  }
}

/** The longest a send to a routed target (or one call to a PSA) may wait: what the run must have left before it sends. */
function longestSend(settings: DetectorSettings, tickets: TicketDependencies | null | undefined): { ms: number; what: string } {
  const channels = new Set(routedTargets(settings.routes).map((target) => target.channel));
  const webhooks = [...channels].filter((channel) => channel !== 'email');
  const email = channels.has('email') ? settings.emailTimeoutMs : 0;
  const posts = webhooks.length > 0 ? settings.channelTimeoutMs : 0;
  const psaCall = tickets && tickets.psas.length > 0 && settings.routes.some((route) => route.tickets) ? tickets.settings.timeoutMs : 0;
  const longest = email >= posts ? { ms: email, what: 'ACS' } : { ms: posts, what: webhooks.map(deliveryTargetLabel).join(', ') };
  return psaCall > longest.ms ? { ms: psaCall, what: tickets?.psas.map((psa) => psaLabels[psa.psa]).join(', ') ?? 'a PSA' } : longest;
}

/**
 * The run's end, for the status: a failed run makes the monitor unhealthy until one completes.
 * Trouble recording it is only logged (storage that failed the run may fail this too): the
 * invocation's own result says how it ended either way.
 */
async function recordEnd({ store, log }: DetectorDependencies, run: DetectorRun): Promise<void> {
  await store.recordRun(run).catch((thrown: unknown) => log.warn(`detectRegressions: could not record how the run ended (${errorCode(thrown)})`));
}

/**
 * Marks runs left `running` longer than an invocation can last (this one's budget, the same
 * host.json for every function, plus a margin) as failed (Abandoned), whichever of the detector
 * and the source's next run comes first. Trouble doing so is only logged: they count as failures anyway.
 */
async function markAbandonedRuns({ runs, clock, log }: DetectorDependencies, invocationLimitMs: number): Promise<void> {
  const now = clock.now();
  for (const source of snapshotSources) {
    // A customer-admin run spans many invocations, up to its deadline and its close: it is abandoned only past the longest a run may last.
    const limit = source === 'customerAdmins' ? Math.max(invocationLimitMs, longestRunMs) : invocationLimitMs;
    const reason =
      source === 'customerAdmins'
        ? `no end was recorded within ${Math.round(limit / 60_000)} minutes of its start: its close message never completed it (look for scanCustomerTenant failures); marked by detectRegressions`
        : `no end was recorded within ${Math.round(limit / 1000)} s of its start: the invocation was stopped (process killed, host recycled or the function timeout reached) before it could record one; marked by detectRegressions`;
    try {
      for (const run of await runs.markAbandonedRuns(source, new Date(now.getTime() - limit), reason, now)) {
        log.warn(`detectRegressions: ${source} run ${run.runId} (started ${run.startedAt}) was still running with no end recorded: marked failed as Abandoned`);
      }
    } catch (thrown) {
      log.warn(`detectRegressions: could not mark abandoned ${source} runs (${errorCode(thrown)})`);
    }
  }
}

/** Names make emails readable but are never needed: without them, customers show by tenant id. */
function customerNames({ directory, log }: DetectorDependencies): Promise<ReadonlyMap<string, string>> {
  return directory.customerNames().catch((thrown: unknown) => {
    log.warn(`detectRegressions: customer names unavailable (${errorCode(thrown)}); emails show tenant ids`);
    return new Map<string, string>();
  });
}
