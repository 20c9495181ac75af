import { randomBytes, randomUUID } from 'node:crypto';
import { renderAlert } from '../core/alertEmail';
import { detectRegressions, type ComplianceSnapshot, type Thresholds } from '../core/detectRegressions';
import { errorCode, MonitorError, toError } from '../core/errors';
import type { FindingTransition, StoredFinding } from '../core/findings';
import { snapshotSources, type SnapshotSource } from '../core/model';
import type { Clock, CustomerDirectory, DetectorStore, EmailSender, Logger, OutboxMessage, SnapshotReader, SnapshotStore } from '../ports';
import type { SnapshotRun } from '../core/snapshotRun';
import { abandonedRunMarginMs, DeadlineExceededError } from '../core/invocationDeadline';
import { upgradeFindings } from '../core/upgradeFindings';

interface DetectorSettings {
  thresholds: Thresholds;
  reminderDays: number;
  publicBaseUrl: string | null;
  /** Most lines an email lists per section. */
  alertMaxLines: number;
  /** How long an alert may wait undelivered through transient failures before invocations fail. */
  undeliveredAlertLimitMs: number;
  /** How long one send may wait for ACS: a send is only started when it can end before the deadline. */
  emailTimeoutMs: number;
}

interface DetectorOptions {
  /** When the invocation must stop; a send that could outlast it is not started. */
  deadline?: Date;
}

export interface DetectorDependencies {
  snapshots: SnapshotReader;
  /** The run ledger, where runs left `running` by a stopped invocation are marked abandoned. */
  runs: Pick<SnapshotStore, 'markAbandonedRuns'>;
  store: DetectorStore;
  sender: EmailSender;
  /** Customer names for emails; never read for detection, so a rename is never a regression. */
  directory: CustomerDirectory;
  clock: Clock;
  log: Logger;
  settings: DetectorSettings;
}

/** What one run renders emails with: the findings, kept current in memory, and customer names read at most once. */
interface RunContext {
  findings: Map<string, StoredFinding>;
  customerNames(): Promise<ReadonlyMap<string, string>>;
}

export interface DetectorOutcome {
  /** Set when another run held the lease and this one did nothing. */
  skipped: boolean;
  transitions: number;
  composedMessageId: string | null;
  sentMessageId: string | null;
  openFindings: number;
}

/**
 * Short, and renewed while the run works: a crashed run blocks the next for at most this long,
 * and a run that can no longer renew it stops before sending.
 */
const leaseMs = 2 * 60_000;
const leaseRenewalMs = 30_000;
/** A run still `running` after this long crashed: it counts as a failure. */
const abandonedRunMs = 2 * 60 * 60_000;
/** ACS reporting the same message Failed this often ends retries: it will not change its mind. */
const maxRefusals = 5;

/**
 * One detector run: detect, compose, deliver — in that order, each step idempotent, under a
 * lease so two runs never interleave. Exactly-once delivery rests on three facts:
 * - a transition is first stored on its finding (`pendingChange`), so a crash before anything
 *   else happens loses nothing and a re-run finds nothing new to decide;
 * - a message claims its findings (`announcedIn`) before it becomes sendable, and is rendered
 *   from exactly those findings, so every transition is in exactly one message;
 * - a message that may have reached ACS is looked up by its operation id before any resend.
 * One email per run at most: while a message waits (ACS down), transitions accumulate on their
 * findings and go out together in the next one.
 */
export async function runDetector(dependencies: DetectorDependencies, options: DetectorOptions = {}): Promise<DetectorOutcome> {
  const { store, clock, log } = dependencies;
  const owner = randomUUID();
  const startedAt = clock.now();
  if (!(await store.acquireLease(owner, startedAt, new Date(startedAt.getTime() + leaseMs)))) {
    log.warn('detectRegressions: another run holds the lease; this one does nothing');
    await store.recordSkippedRun(startedAt).catch((thrown: unknown) => log.warn(`detectRegressions: could not record the skipped run (${errorCode(thrown)})`));
    return { skipped: true, transitions: 0, composedMessageId: null, sentMessageId: null, openFindings: 0 };
  }
  const lease = holdLease(dependencies, owner);
  try {
    // Findings are read once and kept current in memory: under the lease no one else writes them.
    const findings = await readUpgradedFindings(store);
    const run: RunContext = { findings, customerNames: once(() => customerNames(dependencies)) };
    for (const message of await store.unsentMessages()) {
      if (message.status === 'composing') await finishComposing(dependencies, message, run);
    }
    await markAbandonedRuns(dependencies, options.deadline === undefined ? abandonedRunMs : options.deadline.getTime() - startedAt.getTime() + abandonedRunMarginMs);
    const { transitions, composedMessageId } = await detectAndCompose(dependencies, run);
    // Every step before is a bounded storage call; a send waits up to the email timeout.
    if (options.deadline !== undefined && clock.now().getTime() + dependencies.settings.emailTimeoutMs > options.deadline.getTime()) {
      throw new DeadlineExceededError(
        options.deadline.getTime() - startedAt.getTime(),
        `before sending: a send may wait ${dependencies.settings.emailTimeoutMs / 1000} s for ACS and would end after it; the email waits in the outbox for the next run`,
      );
    }
    await lease.confirm();
    const sentMessageId = await deliver(dependencies, run);
    // Only a run that got this far counts for the detector's health: /api/status expects one per scheduled occurrence.
    await store.recordCompletedRun({ startedAt: startedAt.toISOString(), finishedAt: clock.now().toISOString() });
    const openFindings = [...findings.values()].filter((finding) => finding.state === 'open' && !finding.event).length;
    log.info(`detectRegressions: ${transitions.length} new transitions, ${openFindings} open findings${sentMessageId ? `, sent ${sentMessageId}` : ''}`);
    return { skipped: false, transitions: transitions.length, composedMessageId, sentMessageId, openFindings };
  } finally {
    lease.stop();
    await store.releaseLease(owner);
  }
}

/**
 * Marks runs left `running` longer than an invocation can last (this one's budget, the same
 * host.json for every function, plus a margin) as failed (Abandoned), whichever of the detector
 * and the source's next run comes first. Trouble doing so is only logged: they count as failures anyway.
 */
async function markAbandonedRuns({ runs, clock, log }: DetectorDependencies, limitMs: number): Promise<void> {
  const now = clock.now();
  const reason = `no end was recorded within ${Math.round(limitMs / 1000)} s of its start: the invocation was stopped (process killed, host recycled or the function timeout reached) before it could record one; marked by detectRegressions`;
  for (const source of snapshotSources) {
    try {
      for (const run of await runs.markAbandonedRuns(source, new Date(now.getTime() - limitMs), reason, now)) {
        log.warn(`detectRegressions: ${source} run ${run.runId} (started ${run.startedAt}) was still running with no end recorded: marked failed as Abandoned`);
      }
    } catch (thrown) {
      log.warn(`detectRegressions: could not mark abandoned ${source} runs (${errorCode(thrown)})`);
    }
  }
}

/**
 * Renews the lease while the run works. `confirm` renews it at once and throws LeaseLost when
 * the lease is gone (it expired while the run stalled and another run took it): sending then
 * would race that run.
 */
function holdLease({ store, clock, log }: DetectorDependencies, owner: string): { confirm(): Promise<void>; stop(): void } {
  let lost = false;
  const renew = async (): Promise<boolean> => (lost ||= !(await store.renewLease(owner, new Date(clock.now().getTime() + leaseMs))));
  const timer = setInterval(() => {
    renew().catch((thrown: unknown) => log.warn(`detectRegressions: could not renew the lease (${errorCode(thrown)}); trying again`));
  }, leaseRenewalMs);
  timer.unref();
  return {
    async confirm() {
      if (await renew()) throw new MonitorError('LeaseLost', 'detectRegressions lost its lease to another run while working; it stopped before sending, and that run sends instead');
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Reads the findings, bringing any stored in an older shape to the current one first: the
 * merged findings are written before the rows they replace are deleted, so a crash in between
 * leaves both, and the next run only deletes (the upgrade is idempotent).
 */
async function readUpgradedFindings(store: DetectorStore): Promise<Map<string, StoredFinding>> {
  const findings = new Map((await store.readFindings()).map((finding) => [finding.key, finding]));
  const { upgraded, retired } = upgradeFindings(findings);
  if (retired.length === 0) return findings;
  await store.writeFindings(upgraded);
  await store.deleteFindings(retired);
  for (const key of retired) findings.delete(key);
  for (const finding of upgraded) findings.set(finding.key, finding);
  return findings;
}

/** Names make emails readable but are never needed: without them, customers show by tenant id. */
async function customerNames({ directory, log }: DetectorDependencies): Promise<ReadonlyMap<string, string>> {
  try {
    return await directory.customerNames();
  } catch (thrown) {
    log.warn(`detectRegressions: customer names unavailable (${errorCode(thrown)}); emails show tenant ids`);
    return new Map();
  }
}

function once<T>(read: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= read());
}

/**
 * Detects, and when no earlier email is waiting (or a reminder is due) composes the next one
 * in the same pass: its findings are written once, already claimed by the message. While an
 * email waits, transitions are stored as pending and go into the next message.
 */
async function detectAndCompose(dependencies: DetectorDependencies, run: RunContext): Promise<{ transitions: FindingTransition[]; composedMessageId: string | null }> {
  const { snapshots, store, clock, settings } = dependencies;
  const { findings } = run;
  const now = clock.now();
  const state = await store.readState();
  const previous: ComplianceSnapshot = {};
  const current: ComplianceSnapshot = {};
  const consecutiveFailures: Partial<Record<SnapshotSource, number>> = {};
  const lastErrors: Partial<Record<SnapshotSource, string>> = {};
  const lastSeen = { ...state.lastSeen };
  await Promise.all(
    snapshotSources.map(async (source) => {
      const recent = await snapshots.listRuns(source, { top: settings.thresholds.sourceFailuresBeforeAlert + 1 });
      consecutiveFailures[source] = countFailures(recent, now);
      const failed = recent.find((run) => run.status === 'failed');
      if (failed?.errorCode) lastErrors[source] = `${failed.errorCode}: ${failed.errorMessage ?? ''}`.slice(0, 300);
      const latest = recent.find((run) => run.status === 'complete') ?? (await snapshots.latestCompleteRun(source));
      if (!latest || latest.runId === state.lastSeen[source]) return;
      const seen = state.lastSeen[source];
      await Promise.all([load(snapshots, source, latest.runId, current), seen === undefined ? null : load(snapshots, source, seen, previous)]);
      lastSeen[source] = latest.runId;
    }),
  );
  const result = detectRegressions({ previous, current, findings, consecutiveFailures, lastErrors, thresholds: settings.thresholds, now: now.toISOString() });
  const transitionsByKey = new Map(result.transitions.map((transition) => [transition.finding.key, transition.change]));
  const updated: StoredFinding[] = result.changed.map((finding) => {
    const before = findings.get(finding.key);
    return {
      ...finding,
      // The latest transition is the one to announce; quiet closes keep what was pending.
      pendingChange: transitionsByKey.get(finding.key) ?? before?.pendingChange ?? null,
      announcedIn: before?.announcedIn ?? null,
      announcedChange: before?.announcedChange ?? null,
    };
  });
  for (const finding of updated) findings.set(finding.key, finding);

  const waiting = (await store.unsentMessages()).length > 0;
  const pending = [...findings.values()].filter((finding) => finding.pendingChange !== null);
  const message = waiting ? null : await newMessage(dependencies, state.lastEmailAt, pending.length === 0, findings);
  const toWrite = new Map(updated.map((finding) => [finding.key, finding]));
  if (message) for (const finding of pending) toWrite.set(finding.key, claim(finding, message));
  // Findings first, then the pointer: a crash in between re-detects against the same
  // snapshots, and findings already moved produce no second transition.
  await store.writeFindings([...toWrite.values()]);
  for (const finding of toWrite.values()) findings.set(finding.key, finding);
  await store.writeState({ lastSeen, lastEmailAt: message ? now.toISOString() : state.lastEmailAt });
  if (message) await markReady(dependencies, message, run);
  return { transitions: result.transitions, composedMessageId: message?.messageId ?? null };
}

function claim(finding: StoredFinding, message: OutboxMessage): StoredFinding {
  return { ...finding, announcedIn: message.messageId, announcedChange: finding.pendingChange, pendingChange: null };
}

/** A new message when there is something to say: pending transitions, or a due reminder. */
async function newMessage(dependencies: DetectorDependencies, lastEmailAt: string | null, reminder: boolean, findings: Map<string, StoredFinding>): Promise<OutboxMessage | null> {
  const { store, clock, settings } = dependencies;
  const now = clock.now();
  if (reminder) {
    const open = [...findings.values()].some((finding) => finding.state === 'open' && !finding.event);
    const due = settings.reminderDays > 0 && open && (lastEmailAt === null || now.getTime() - Date.parse(lastEmailAt) >= settings.reminderDays * 86_400_000);
    if (!due) return null;
  }
  return store.createMessage({
    messageId: messageId(now),
    operationId: randomUUID(),
    status: 'composing',
    createdAt: now.toISOString(),
    reminder,
    subject: '',
    attempts: 0,
    refusals: 0,
    firstAttemptAt: null,
    lastError: null,
    sentAt: null,
  });
}

function countFailures(recentNewestFirst: SnapshotRun[], now: Date): number {
  let failures = 0;
  for (const run of recentNewestFirst) {
    if (run.status === 'complete') break;
    if (run.status === 'failed' || now.getTime() - Date.parse(run.startedAt) > abandonedRunMs) failures += 1;
  }
  return failures;
}

async function load(snapshots: SnapshotReader, source: SnapshotSource, runId: string, into: ComplianceSnapshot): Promise<void> {
  if (source === 'partnerSecurity') {
    const [score, requirements, customers] = await Promise.all([snapshots.scoreOfRun(runId), snapshots.requirementsOfRun(runId), snapshots.customersOfRun(runId)]);
    Object.assign(into, { score, requirements, customers });
  } else if (source === 'nonMfaPrincipals') {
    into.principals = await snapshots.principalsOfRun(runId);
  } else {
    into.registration = await snapshots.registrationCountsOfRun(runId);
  }
}

function messageId(now: Date): string {
  // Oldest first in the outbox partition: zero-padded creation time, then a random suffix.
  return `${String(now.getTime()).padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Completes a message a crashed run left `composing`: claims what is pending, then makes it sendable. Safe to repeat. */
async function finishComposing(dependencies: DetectorDependencies, message: OutboxMessage, run: RunContext): Promise<void> {
  const { store, clock } = dependencies;
  const { findings } = run;
  const claimed = [...findings.values()].filter((finding) => finding.pendingChange !== null).map((finding) => claim(finding, message));
  await store.writeFindings(claimed);
  for (const finding of claimed) findings.set(finding.key, finding);
  const state = await store.readState();
  await store.writeState({ ...state, lastEmailAt: clock.now().toISOString() });
  await markReady(dependencies, message, run);
}

async function markReady(dependencies: DetectorDependencies, message: OutboxMessage, run: RunContext): Promise<void> {
  const email = await render(run, message, dependencies.settings);
  const announced = [...run.findings.values()].some((finding) => finding.announcedIn === message.messageId);
  // A message whose run crashed before it claimed anything has nothing to say.
  const status = announced || message.reminder ? 'ready' : 'abandoned';
  const ready = await dependencies.store.updateMessage({ ...message, status, subject: email.subject, lastError: status === 'abandoned' ? 'nothing to announce' : null });
  if (ready === null) throw new Error(`Outbox message ${message.messageId} changed while it was being composed`);
}

/**
 * Renders a message from the findings it claimed. Customer names are the directory's current
 * ones: a message claimed before a rename, and rendered (or re-rendered for a retry) after it,
 * shows the new name — the name is for reading, the tenant id beside it identifies.
 */
async function render(run: RunContext, message: OutboxMessage, settings: DetectorSettings) {
  const all = [...run.findings.values()];
  const announced = all.filter((finding) => finding.announcedIn === message.messageId);
  const opened = announced.filter((finding) => finding.announcedChange === 'opened' || finding.announcedChange === 'reopened');
  const resolved = announced.filter((finding) => finding.announcedChange === 'resolved');
  const inThisEmail = new Set(opened.map((finding) => finding.key));
  const stillOpen = all.filter((finding) => finding.state === 'open' && !finding.event && !inThisEmail.has(finding.key));
  return renderAlert({
    opened,
    resolved,
    stillOpen,
    reminder: message.reminder,
    publicBaseUrl: settings.publicBaseUrl,
    customerNames: await run.customerNames(),
    maxLinesPerSection: settings.alertMaxLines,
  });
}

async function deliver(dependencies: DetectorDependencies, run: RunContext): Promise<string | null> {
  const { store, sender, clock, log, settings } = dependencies;
  const next = (await store.unsentMessages()).find((message) => message.status === 'ready' || message.status === 'sending');
  if (!next) return null;
  const now = clock.now();
  // The claim: a stale ETag means another run moved this message, and it is theirs.
  const claimed = await store.updateMessage({ ...next, status: 'sending', attempts: next.attempts + 1, firstAttemptAt: next.firstAttemptAt ?? now.toISOString() });
  if (claimed === null) return null;
  try {
    if (next.attempts > 0) {
      const known = await sender.status(claimed.operationId);
      if (known === 'Succeeded') return await markSent(store, claimed, clock.now(), log);
      if (known === 'Running') {
        await store.updateMessage({ ...claimed, status: 'ready', lastError: 'ACS still processing the previous attempt' });
        return null;
      }
      if (known === 'Failed' || known === 'Canceled') return await refused(dependencies, claimed, known);
    }
    const email = await render(run, claimed, settings);
    const outcome = await sender.send(email, claimed.operationId);
    if (outcome === 'Succeeded') return await markSent(store, claimed, clock.now(), log);
    if (outcome === 'Failed' || outcome === 'Canceled') return await refused(dependencies, claimed, outcome);
    await store.updateMessage({ ...claimed, status: 'ready', lastError: `ACS reported ${outcome}` });
    return null;
  } catch (thrown) {
    // Left `sending`: the next run looks the operation up before trying again, so whatever
    // happens below, the email goes out exactly once when ACS takes it.
    const error = toError(thrown);
    await store.updateMessage({ ...claimed, lastError: error.message.slice(0, 500) });
    throwIfUndeliverable(thrown, claimed, clock.now(), settings.undeliveredAlertLimitMs);
    log.warn(`detectRegressions: email ${claimed.messageId} not confirmed (${errorCode(thrown)}): ${error.message}; it will be retried`);
    return null;
  }
}

/**
 * An email that cannot go out must fail the invocation, the one signal Azure Monitor alerts on:
 * at once when ACS refuses the credentials (a wrong key, a missing role: retrying changes
 * nothing until someone fixes it), and after the limit for failures that may pass by themselves.
 */
function throwIfUndeliverable(thrown: unknown, message: OutboxMessage, now: Date, limitMs: number): void {
  const refusal = refusedStatus(thrown);
  if (refusal !== null) {
    throw new MonitorError(
      'AlertUndeliverable',
      `ACS refused the monitor's credentials (${refusal}) for email ${message.messageId}: check the key in ACS_CONNECTION_STRING, or the managed identity's role on the Communication Services resource; the email stays in the outbox and goes out once this is fixed`,
      { cause: thrown },
    );
  }
  const waitedMs = now.getTime() - Date.parse(message.createdAt);
  if (waitedMs > limitMs) {
    throw new MonitorError(
      'AlertUndelivered',
      `email ${message.messageId} has waited undelivered for ${Math.floor(waitedMs / 60_000)} min, longer than ALERT_UNDELIVERED_HOURS (${limitMs / 3_600_000} h): ${toError(thrown).message}; it stays in the outbox and is retried`,
      { cause: thrown },
    );
  }
}

/** `status 401` or `status 403` when ACS (or an error it caused) answered so, else null. */
function refusedStatus(thrown: unknown): string | null {
  for (let error = thrown, depth = 0; error !== undefined && error !== null && depth < 5; error = (error as { cause?: unknown }).cause, depth += 1) {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (status === 401 || status === 403) return `status ${status}`;
  }
  return null;
}

async function markSent(store: DetectorStore, message: OutboxMessage, now: Date, log: Logger): Promise<string> {
  await store.updateMessage({ ...message, status: 'sent', sentAt: now.toISOString(), lastError: null });
  // Not the subject: it names customers and partner users, and logs carry no names.
  log.info(`detectRegressions: email ${message.messageId} delivered to ACS`);
  return message.messageId;
}

/** ACS took the message and reported it failed: try again under a new operation id, a bounded number of times. */
async function refused(dependencies: DetectorDependencies, message: OutboxMessage, status: string): Promise<null> {
  const refusals = message.refusals + 1;
  const give = refusals >= maxRefusals;
  dependencies.log.error(`detectRegressions: ACS reported ${status} for email ${message.messageId}${give ? '; giving up on it' : '; it will be retried'}`);
  await dependencies.store.updateMessage({
    ...message,
    status: give ? 'abandoned' : 'ready',
    operationId: give ? message.operationId : randomUUID(),
    firstAttemptAt: null,
    refusals,
    lastError: `ACS reported ${status}`,
  });
  return null;
}
