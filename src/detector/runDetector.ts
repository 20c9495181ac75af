import { randomBytes, randomUUID } from 'node:crypto';
import { renderAlert } from '../core/alertEmail';
import { detectRegressions, type ComplianceSnapshot, type Thresholds } from '../core/detectRegressions';
import { errorCode, toError } from '../core/errors';
import type { FindingTransition } from '../core/findings';
import { snapshotSources, type SnapshotSource } from '../core/model';
import type { Clock, DetectorStore, EmailSender, Logger, OutboxMessage, SnapshotReader, StoredFinding } from '../core/ports';
import type { SnapshotRun } from '../core/snapshotRun';

export interface DetectorSettings {
  thresholds: Thresholds;
  reminderDays: number;
  publicBaseUrl: string | null;
}

export interface DetectorDependencies {
  snapshots: SnapshotReader;
  store: DetectorStore;
  sender: EmailSender;
  clock: Clock;
  log: Logger;
  settings: DetectorSettings;
}

export interface DetectorOutcome {
  /** Set when another run held the lease and this one did nothing. */
  skipped: boolean;
  transitions: number;
  composedMessageId: string | null;
  sentMessageId: string | null;
  openFindings: number;
}

const leaseMs = 10 * 60_000;
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
export async function runDetector(dependencies: DetectorDependencies): Promise<DetectorOutcome> {
  const { store, clock, log } = dependencies;
  const owner = randomUUID();
  const startedAt = clock.now();
  if (!(await store.acquireLease(owner, startedAt, new Date(startedAt.getTime() + leaseMs)))) {
    log.warn('detectRegressions: another run holds the lease; this one does nothing');
    return { skipped: true, transitions: 0, composedMessageId: null, sentMessageId: null, openFindings: 0 };
  }
  try {
    // Findings are read once and kept current in memory: under the lease no one else writes them.
    const findings = new Map((await store.readFindings()).map((finding) => [finding.key, finding]));
    for (const message of await store.unsentMessages()) {
      if (message.status === 'composing') await finishComposing(dependencies, message, findings);
    }
    const { transitions, composedMessageId } = await detectAndCompose(dependencies, findings);
    const sentMessageId = await deliver(dependencies, findings);
    const openFindings = [...findings.values()].filter((finding) => finding.state === 'open' && !finding.event).length;
    log.info(`detectRegressions: ${transitions.length} new transitions, ${openFindings} open findings${sentMessageId ? `, sent ${sentMessageId}` : ''}`);
    return { skipped: false, transitions: transitions.length, composedMessageId, sentMessageId, openFindings };
  } finally {
    await store.releaseLease(owner);
  }
}

/**
 * Detects, and when no earlier email is waiting (or a reminder is due) composes the next one
 * in the same pass: its findings are written once, already claimed by the message. While an
 * email waits, transitions are stored as pending and go into the next message.
 */
async function detectAndCompose(dependencies: DetectorDependencies, findings: Map<string, StoredFinding>): Promise<{ transitions: FindingTransition[]; composedMessageId: string | null }> {
  const { snapshots, store, clock, settings } = dependencies;
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
  if (message) await markReady(dependencies, message, findings);
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
async function finishComposing(dependencies: DetectorDependencies, message: OutboxMessage, findings: Map<string, StoredFinding>): Promise<void> {
  const { store, clock } = dependencies;
  const claimed = [...findings.values()].filter((finding) => finding.pendingChange !== null).map((finding) => claim(finding, message));
  await store.writeFindings(claimed);
  for (const finding of claimed) findings.set(finding.key, finding);
  const state = await store.readState();
  await store.writeState({ ...state, lastEmailAt: clock.now().toISOString() });
  await markReady(dependencies, message, findings);
}

async function markReady(dependencies: DetectorDependencies, message: OutboxMessage, findings: Map<string, StoredFinding>): Promise<void> {
  const email = render(findings, message, dependencies.settings.publicBaseUrl);
  const announced = [...findings.values()].some((finding) => finding.announcedIn === message.messageId);
  // A message whose run crashed before it claimed anything has nothing to say.
  const status = announced || message.reminder ? 'ready' : 'abandoned';
  const ready = await dependencies.store.updateMessage({ ...message, status, subject: email.subject, lastError: status === 'abandoned' ? 'nothing to announce' : null });
  if (ready === null) throw new Error(`Outbox message ${message.messageId} changed while it was being composed`);
}

function render(findings: Map<string, StoredFinding>, message: OutboxMessage, publicBaseUrl: string | null) {
  const all = [...findings.values()];
  const announced = all.filter((finding) => finding.announcedIn === message.messageId);
  const opened = announced.filter((finding) => finding.announcedChange === 'opened' || finding.announcedChange === 'reopened');
  const resolved = announced.filter((finding) => finding.announcedChange === 'resolved');
  const inThisEmail = new Set(opened.map((finding) => finding.key));
  const stillOpen = all.filter((finding) => finding.state === 'open' && !finding.event && !inThisEmail.has(finding.key));
  return renderAlert({ opened, resolved, stillOpen, reminder: message.reminder, publicBaseUrl });
}

async function deliver(dependencies: DetectorDependencies, findings: Map<string, StoredFinding>): Promise<string | null> {
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
    const email = render(findings, claimed, settings.publicBaseUrl);
    const outcome = await sender.send(email, claimed.operationId);
    if (outcome === 'Succeeded') return await markSent(store, claimed, clock.now(), log);
    if (outcome === 'Failed' || outcome === 'Canceled') return await refused(dependencies, claimed, outcome);
    await store.updateMessage({ ...claimed, status: 'ready', lastError: `ACS reported ${outcome}` });
    return null;
  } catch (thrown) {
    // Left `sending`: the next run looks the operation up before trying again.
    const error = toError(thrown);
    log.warn(`detectRegressions: email ${claimed.messageId} not confirmed (${errorCode(thrown)}): ${error.message}; it will be retried`);
    await store.updateMessage({ ...claimed, lastError: error.message.slice(0, 500) });
    return null;
  }
}

async function markSent(store: DetectorStore, message: OutboxMessage, now: Date, log: Logger): Promise<string> {
  await store.updateMessage({ ...message, status: 'sent', sentAt: now.toISOString(), lastError: null });
  log.info(`detectRegressions: email ${message.messageId} delivered to ACS: ${message.subject}`);
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
