import { randomBytes, randomUUID } from 'node:crypto';
import { composeAlert, renderEmail, type AlertMessage } from '../core/alertEmail';
import { isRoutedTo, routedTargets, targetLabel, type AlertRoute, type ChannelName, type DeliveryTarget } from '../core/alertRoutes';
import { slackPayload, teamsPayload, webhookPayload } from '../core/channelPayloads';
import type { CustomerChangesBetween } from '../core/customerChanges';
import { detectRegressions, type ComplianceSnapshot, type Thresholds } from '../core/detectRegressions';
import { causeChain, errorCode, MonitorError, toError } from '../core/errors';
import type { Finding, FindingTransition, StoredFinding } from '../core/findings';
import { snapshotSources, type SnapshotSource } from '../core/model';
import type {
  ChannelPoster, Clock, CustomerDirectory, Delivery, DetectorRun, DetectorStore, EmailSender, Logger, OutboxMessage, SnapshotReader, SnapshotStore, WaiverStore, WebhookChannelName,
} from '../ports';
import type { SnapshotRun } from '../core/snapshotRun';
import { abandonedRunMarginMs, DeadlineExceededError } from '../core/invocationDeadline';
import { decideAnnouncement, waiverIndex } from '../core/waivers';
import { underLease, type HeldLease } from '../leases/underLease';

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
  /** How long one post to Teams, Slack or the signed webhook may take, retries included. */
  channelTimeoutMs: number;
  /** Which findings go to which targets (ALERT_ROUTES). */
  routes: AlertRoute[];
}

interface DetectorOptions {
  /** When the invocation must stop; a send that could outlast it is not started. */
  deadline?: Date;
}

/** The detector compares customers by what changed, never by whole snapshots. */
type DetectorSnapshots = Omit<SnapshotReader, 'customersOfRun'>;

export interface DetectorDependencies {
  snapshots: DetectorSnapshots;
  /** The run ledger, where runs left `running` by a stopped invocation are marked abandoned, and the detector's lease. */
  runs: Pick<SnapshotStore, 'markAbandonedRuns' | 'lease'>;
  store: DetectorStore;
  sender: EmailSender;
  /** Teams, Slack and the signed webhook. */
  poster: ChannelPoster;
  /** Customer names for emails; never read for detection, so a rename is never a regression. */
  directory: CustomerDirectory;
  /** Waivers admins set: read once per run, they decide which transitions are announced. */
  waivers: Pick<WaiverStore, 'listWaivers'>;
  clock: Clock;
  log: Logger;
  settings: DetectorSettings;
}

/** What one run renders emails with: the findings, kept current in memory, and customer names read at most once. */
interface RunContext {
  findings: Map<string, StoredFinding>;
  customerNames(): Promise<ReadonlyMap<string, string>>;
  /** Whether an active waiver covers the finding at the start of this run. */
  waived(finding: Pick<Finding, 'key' | 'subject'>): boolean;
}

export interface DetectorOutcome {
  /** Set when another run held the lease and this one did nothing. */
  skipped: boolean;
  transitions: number;
  composedMessageId: string | null;
  sentMessageId: string | null;
  openFindings: number;
}

/** A run still `running` after this long crashed: it counts as a failure. */
const abandonedRunMs = 2 * 60 * 60_000;
/** A channel refusing the same message this often (ACS reporting it Failed, a 4xx about the payload) ends retries. */
const maxRefusals = 5;

/**
 * One detector run: detect, compose, deliver — in that order, each step idempotent, under a
 * lease so two runs never interleave. Exactly-once delivery rests on three facts:
 * - a transition is first stored on its finding (`pendingChange`), so a crash before anything
 *   else happens loses nothing and a re-run finds nothing new to decide;
 * - a message claims its findings (`announcedIn`) before it becomes sendable, and is rendered
 *   from exactly those findings, so every transition is in exactly one message;
 * - a message has one delivery per target its findings are routed to, each with its own
 *   state, claimed with an ETag: a channel that is down never makes another resend;
 * - a delivery that may have reached its channel is looked up (ACS, by operation id) or posted
 *   again under the same `webhook-id` (the signed webhook's receivers drop repeats).
 * One message per run at most; each channel takes waiting messages oldest first.
 */
export async function runDetector(dependencies: DetectorDependencies, options: DetectorOptions = {}): Promise<DetectorOutcome> {
  const { runs, clock, log } = dependencies;
  const outcome = await underLease({ lease: runs.lease('detectRegressions'), clock, log }, 'detectRegressions', randomUUID(), (lease) => detectUnderLease(dependencies, options, lease));
  return outcome ?? { skipped: true, transitions: 0, composedMessageId: null, sentMessageId: null, openFindings: 0 };
}

/** The run itself, as the holder of the detector's lease. */
async function detectUnderLease(dependencies: DetectorDependencies, options: DetectorOptions, lease: HeldLease): Promise<DetectorOutcome> {
  const { store, clock, log } = dependencies;
  const startedAt = clock.now();
  const thisRun: DetectorRun = { startedAt: startedAt.toISOString(), finishedAt: null, status: 'running', errorCode: null };
  try {
    await store.recordRun(thisRun);
    // Findings are read once and kept current in memory: under the lease no one else writes them.
    const findings = new Map((await store.readFindings()).map((finding) => [finding.key, finding]));
    const silencer = waiverIndex(await dependencies.waivers.listWaivers(), startedAt);
    const run: RunContext = { findings, customerNames: once(() => customerNames(dependencies)), waived: (finding) => silencer(finding) !== null };
    for (const message of await store.unsentMessages()) {
      if (message.status === 'composing') await finishComposing(dependencies, message, run);
    }
    await markAbandonedRuns(dependencies, options.deadline === undefined ? abandonedRunMs : options.deadline.getTime() - startedAt.getTime() + abandonedRunMarginMs);
    const { transitions, composedMessageId } = await detectAndCompose(dependencies, run);
    // Every step before is a bounded storage call; a send waits up to its channel's timeout.
    const longest = longestSend(dependencies.settings);
    if (options.deadline !== undefined && clock.now().getTime() + longest.ms > options.deadline.getTime()) {
      throw new DeadlineExceededError(
        options.deadline.getTime() - startedAt.getTime(),
        `before sending: a send may wait ${longest.ms / 1000} s for ${longest.what} and would end after it; the alert waits in the outbox for the next run`,
      );
    }
    await lease.confirm('sending, and that run sends instead');
    const sentMessageId = await deliver(dependencies, run, options.deadline);
    // Only a run that got this far counts for the detector's health: /api/status expects one per scheduled occurrence.
    await store.recordCompletedRun({ startedAt: startedAt.toISOString(), finishedAt: clock.now().toISOString() });
    const open = [...findings.values()].filter((finding) => finding.state === 'open' && !finding.event);
    const openFindings = open.length;
    const waivedFindings = open.filter(run.waived).length;
    log.info(`detectRegressions: ${transitions.length} new transitions, ${openFindings} open findings (${waivedFindings} waived)${sentMessageId ? `, sent ${sentMessageId}` : ''}`);
    await recordEnd(dependencies, { ...thisRun, finishedAt: clock.now().toISOString(), status: 'complete' });
    return { skipped: false, transitions: transitions.length, composedMessageId, sentMessageId, openFindings };
  } catch (thrown) {
    await recordEnd(dependencies, { ...thisRun, finishedAt: clock.now().toISOString(), status: 'failed', errorCode: errorCode(thrown) });
    throw thrown;
  }
}

/** The longest a send to a routed target may wait: what the run must have left before it sends. */
function longestSend(settings: DetectorSettings): { ms: number; what: string } {
  const channels = new Set(routedTargets(settings.routes).map((target) => target.channel));
  const webhooks = [...channels].filter((channel) => channel !== 'email');
  const email = channels.has('email') ? settings.emailTimeoutMs : 0;
  const posts = webhooks.length > 0 ? settings.channelTimeoutMs : 0;
  return email >= posts ? { ms: email, what: 'ACS' } : { ms: posts, what: webhooks.map((channel) => targetLabel({ id: channel, channel, recipients: null })).join(', ') };
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
 * Detects, and when there is something to say (or a reminder is due) composes the next message
 * in the same pass: its findings are written once, already claimed by the message. Messages
 * waiting for a channel that is down do not hold this one back: each channel takes its
 * messages in order once it is back, and the others are not kept waiting.
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
  let customerChanges: CustomerChangesBetween | undefined;
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
      const [, , changes] = await Promise.all([
        load(snapshots, source, latest.runId, current),
        seen === undefined ? null : load(snapshots, source, seen, previous),
        // The customers are compared by what changed, never by two whole snapshots.
        source === 'partnerSecurity' ? snapshots.customerChangesBetween(seen ?? null, latest.runId) : undefined,
      ]);
      if (changes) customerChanges = changes;
      lastSeen[source] = latest.runId;
    }),
  );
  const result = detectRegressions({ previous, current, customerChanges, findings, consecutiveFailures, lastErrors, thresholds: settings.thresholds, now: now.toISOString() });
  const updated = decideAnnouncements(findings, result.changed, result.transitions, run.waived);
  for (const finding of updated) findings.set(finding.key, finding);

  const pending = [...findings.values()].filter((finding) => finding.pendingChange !== null);
  const message = await newMessage(dependencies, state.lastEmailAt, pending.length === 0, findings, run.waived);
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

/**
 * What every finding now has to announce: the latest transition, unless a waiver covers the
 * finding; an opening a waiver kept quiet once no waiver does (see decideAnnouncement). Returns
 * the findings whose stored state changes: those detection changed, and those a waiver created,
 * ended or deleted since the last run silences or wakes.
 */
function decideAnnouncements(
  findings: ReadonlyMap<string, StoredFinding>,
  changed: readonly Finding[],
  transitions: readonly FindingTransition[],
  waived: (finding: Pick<Finding, 'key' | 'subject'>) => boolean,
): StoredFinding[] {
  const transitionsByKey = new Map(transitions.map((transition) => [transition.finding.key, transition.change]));
  const changedByKey = new Map(changed.map((finding) => [finding.key, finding]));
  const updated: StoredFinding[] = [];
  for (const key of new Set([...findings.keys(), ...changedByKey.keys()])) {
    const before = findings.get(key);
    const detected = changedByKey.get(key);
    const finding = (detected ?? before) as Finding;
    const pendingChange = before?.pendingChange ?? null;
    const silencedChange = before?.silencedChange ?? null;
    const decided = decideAnnouncement({ state: finding.state, transition: transitionsByKey.get(key) ?? null, waived: waived(finding), pendingChange, silencedChange });
    if (detected === undefined && decided.pendingChange === pendingChange && decided.silencedChange === silencedChange) continue;
    // A detected finding replaces the stored one whole (a field it no longer has is gone); what was announced stays.
    const stored = detected === undefined ? (before as StoredFinding) : { ...detected, announcedIn: before?.announcedIn ?? null, announcedChange: before?.announcedChange ?? null };
    updated.push({ ...stored, ...decided });
  }
  return updated;
}

function claim(finding: StoredFinding, message: OutboxMessage): StoredFinding {
  return { ...finding, announcedIn: message.messageId, announcedChange: finding.pendingChange, pendingChange: null };
}

/** A new message when there is something to say: pending transitions, or a due reminder. */
async function newMessage(
  dependencies: DetectorDependencies,
  lastEmailAt: string | null,
  reminder: boolean,
  findings: Map<string, StoredFinding>,
  waived: (finding: Pick<Finding, 'key' | 'subject'>) => boolean,
): Promise<OutboxMessage | null> {
  const { store, clock, settings } = dependencies;
  const now = clock.now();
  if (reminder) {
    // Waived findings are not reminded of: that is what the waiver is for.
    const open = [...findings.values()].some((finding) => finding.state === 'open' && !finding.event && !waived(finding));
    const due = settings.reminderDays > 0 && open && (lastEmailAt === null || now.getTime() - Date.parse(lastEmailAt) >= settings.reminderDays * 86_400_000);
    if (!due) return null;
  }
  return store.createMessage({
    messageId: messageId(now),
    status: 'composing',
    createdAt: now.toISOString(),
    reminder,
    subject: '',
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

async function load(snapshots: DetectorSnapshots, source: SnapshotSource, runId: string, into: ComplianceSnapshot): Promise<void> {
  if (source === 'partnerSecurity') {
    const [score, requirements] = await Promise.all([snapshots.scoreOfRun(runId), snapshots.requirementsOfRun(runId)]);
    Object.assign(into, { score, requirements });
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

/**
 * Makes a composed message sendable: one delivery per target that receives any of its lines
 * (routes decide), created before the message turns `ready`, so a crash in between re-creates
 * the missing ones only. A message nothing is routed to (digest only) has nothing to send now.
 */
async function markReady(dependencies: DetectorDependencies, message: OutboxMessage, run: RunContext): Promise<void> {
  const { subject } = await compose(run, message, dependencies.settings, null);
  const announced = [...run.findings.values()].some((finding) => finding.announcedIn === message.messageId);
  // A message whose run crashed before it claimed anything has nothing to say.
  const deliveries = announced || message.reminder ? await createDeliveries(dependencies, message, run) : 0;
  const status = deliveries > 0 ? 'ready' : 'abandoned';
  const lastError = status === 'ready' ? null : announced || message.reminder ? 'routed to no channel (ALERT_ROUTES sends these findings to the digest only)' : 'nothing to announce';
  const ready = await dependencies.store.updateMessage({ ...message, status, subject, lastError });
  if (ready === null) throw new Error(`Outbox message ${message.messageId} changed while it was being composed`);
}

/** Creates a message's deliveries, one per target its findings are routed to; returns how many it has. */
async function createDeliveries({ store, settings }: DetectorDependencies, message: OutboxMessage, run: RunContext): Promise<number> {
  const { announced, stillOpen } = findingsOf(run, message);
  const targets = routedTargets(settings.routes).filter((target) => [...announced, ...(message.reminder ? stillOpen : [])].some((finding) => isRoutedTo(settings.routes, finding, target.id)));
  await store.createDeliveries(
    targets.map((target) => ({
      messageId: message.messageId,
      target: target.id,
      status: 'ready',
      operationId: randomUUID(),
      createdAt: message.createdAt,
      attempts: 0,
      refusals: 0,
      firstAttemptAt: null,
      lastError: null,
      lastErrorCode: null,
      sentAt: null,
    })),
  );
  return targets.length;
}

function findingsOf(run: RunContext, message: OutboxMessage): { announced: StoredFinding[]; stillOpen: StoredFinding[] } {
  const all = [...run.findings.values()];
  const announced = all.filter((finding) => finding.announcedIn === message.messageId);
  const inThisMessage = new Set(announced.filter((finding) => finding.announcedChange !== 'resolved').map((finding) => finding.key));
  // Waived findings are not listed as still open: that is what the waiver is for.
  const stillOpen = all.filter((finding) => finding.state === 'open' && !finding.event && !inThisMessage.has(finding.key) && !run.waived(finding));
  return { announced, stillOpen };
}

/**
 * What a message says to one target (or, with none, to everyone: its subject): rendered from the
 * findings it claimed that the routes send there. Customer names are the directory's current
 * ones: a message claimed before a rename, and rendered (or re-rendered for a retry) after it,
 * shows the new name — the name is for reading, the tenant id beside it identifies.
 */
async function compose(run: RunContext, message: OutboxMessage, settings: DetectorSettings, target: DeliveryTarget | null): Promise<AlertMessage> {
  const routed = (finding: StoredFinding) => target === null || isRoutedTo(settings.routes, finding, target.id);
  const { announced, stillOpen } = findingsOf(run, message);
  const mine = announced.filter(routed);
  return composeAlert({
    opened: mine.filter((finding) => finding.announcedChange === 'opened' || finding.announcedChange === 'reopened'),
    resolved: mine.filter((finding) => finding.announcedChange === 'resolved'),
    stillOpen: stillOpen.filter(routed),
    reminder: message.reminder,
    publicBaseUrl: settings.publicBaseUrl,
    customerNames: await run.customerNames(),
    maxLinesPerSection: settings.alertMaxLines,
  });
}

/** A delivery's body for a webhook channel: the same alert, in the channel's format. */
function channelBody(channel: WebhookChannelName, alert: AlertMessage, message: OutboxMessage, run: RunContext, target: DeliveryTarget, routes: DetectorSettings['routes']): unknown {
  if (channel === 'teams') return teamsPayload(alert);
  if (channel === 'slack') return slackPayload(alert);
  const findings = findingsOf(run, message)
    .announced.filter((finding) => isRoutedTo(routes, finding, target.id))
    .map((finding) => ({ key: finding.key, kind: finding.kind, severity: finding.severity, change: finding.announcedChange ?? 'opened' }));
  return webhookPayload(alert, { messageId: message.messageId, composedAt: message.createdAt, event: message.reminder ? 'reminder' : 'alert', findings });
}

/** What one run's deliveries came to. */
interface DeliveryRound {
  /** The newest message a delivery of which was sent in this run. */
  sentMessageId: string | null;
  /** Why deliveries could not go out, one per target, to fail the invocation with. */
  failures: MonitorError[];
}

/**
 * Delivers what waits, each target on its own and at once: a target's deliveries go oldest first
 * and stop at its first failure (order is kept per channel), and a target that is down holds back
 * no other. A message is sent once every delivery of it is sent (or given up).
 */
async function deliver(dependencies: DetectorDependencies, run: RunContext, deadline: Date | undefined): Promise<string | null> {
  const { store, settings } = dependencies;
  const messages = new Map((await store.unsentMessages()).map((message) => [message.messageId, message]));
  const waiting = (await store.unsentDeliveries()).filter((delivery) => messages.get(delivery.messageId)?.status !== 'composing');
  const byTarget = new Map<string, Delivery[]>();
  for (const delivery of waiting.sort((left, right) => left.messageId.localeCompare(right.messageId))) byTarget.set(delivery.target, [...(byTarget.get(delivery.target) ?? []), delivery]);
  const targets = new Map(routedTargets(settings.routes).map((target) => [target.id, target]));
  const rounds = await Promise.all([...byTarget].map(([targetId, deliveries]) => deliverTo(dependencies, run, messages, targets.get(targetId) ?? null, deliveries, deadline)));
  await completeMessages(dependencies, messages);
  const failures = rounds.flatMap((round) => round.failures);
  if (failures.length > 0) throw combined(failures);
  return rounds.map((round) => round.sentMessageId).reduce<string | null>((newest, id) => (id !== null && (newest === null || id > newest) ? id : newest), null);
}

/**
 * A message whose every delivery is done is sent (abandoned when every channel gave up on it): the
 * status counts messages. A ready message always has deliveries (they are created before it turns
 * ready); one without any was stored before deliveries existed, and only the migration can tell
 * what state its send was in.
 */
async function completeMessages({ store, clock }: DetectorDependencies, messages: ReadonlyMap<string, OutboxMessage>): Promise<void> {
  const open = new Set((await store.unsentDeliveries()).map((delivery) => delivery.messageId));
  for (const message of messages.values()) {
    if (message.status !== 'ready' || open.has(message.messageId)) continue;
    const deliveries = await store.deliveriesOf(message.messageId);
    if (deliveries.length === 0) {
      throw new MonitorError('MigrationNeeded', `Outbox message ${message.messageId} was stored by an earlier version, before messages had deliveries: run \`npm run migrate\` to give it one; until then it is not sent`);
    }
    const delivered = deliveries.some((delivery) => delivery.status === 'sent');
    await store.updateMessage(
      delivered ? { ...message, status: 'sent', sentAt: clock.now().toISOString(), lastError: null } : { ...message, status: 'abandoned', lastError: 'every channel gave up on it' },
    );
  }
}

/** The most urgent failure first: refused credentials, then an alert waiting too long, then the deadline. */
function combined(failures: MonitorError[]): MonitorError {
  const rank = (error: MonitorError) => ['AlertUndeliverable', 'AlertUndelivered', 'DeadlineExceeded'].indexOf(error.code);
  const sorted = [...failures].sort((left, right) => rank(left) - rank(right));
  const first = sorted[0] as MonitorError;
  return sorted.length === 1 ? first : new MonitorError(first.code, sorted.map((error) => error.message).join('; also: '), { cause: first });
}

async function deliverTo(
  dependencies: DetectorDependencies,
  run: RunContext,
  messages: ReadonlyMap<string, OutboxMessage>,
  target: DeliveryTarget | null,
  deliveries: Delivery[],
  deadline: Date | undefined,
): Promise<DeliveryRound> {
  const { store, clock, log, settings } = dependencies;
  const round: DeliveryRound = { sentMessageId: null, failures: [] };
  for (const delivery of deliveries) {
    const message = messages.get(delivery.messageId);
    if (message === undefined) continue;
    if (target === null) {
      // ALERT_ROUTES no longer names this target: nothing can deliver it any more.
      log.warn(`detectRegressions: ${delivery.target} delivery of ${delivery.messageId} is no longer routed (ALERT_ROUTES changed); giving up on it`);
      await store.updateDelivery({ ...delivery, status: 'abandoned', lastError: 'no longer routed: ALERT_ROUTES changed', lastErrorCode: 'NotRouted' });
      continue;
    }
    const timeoutMs = target.channel === 'email' ? settings.emailTimeoutMs : settings.channelTimeoutMs;
    if (deadline !== undefined && clock.now().getTime() + timeoutMs > deadline.getTime()) {
      log.warn(`detectRegressions: no time left before the deadline for ${targetLabel(target)}; ${deliveries.length - deliveries.indexOf(delivery)} deliveries wait for the next run`);
      break;
    }
    const outcome = await attempt(dependencies, run, message, target, delivery, timeoutMs);
    if (outcome instanceof MonitorError) {
      round.failures.push(outcome);
      break;
    }
    if (outcome !== 'sent') break;
    round.sentMessageId = delivery.messageId;
  }
  return round;
}

/**
 * One attempt at one delivery: claimed with its ETag (a stale one means another run moved it),
 * and, for email, looked up by its operation id before any resend. Returns what became of it,
 * or the error the invocation must fail with.
 */
async function attempt(
  dependencies: DetectorDependencies,
  run: RunContext,
  message: OutboxMessage,
  target: DeliveryTarget,
  delivery: Delivery,
  timeoutMs: number,
): Promise<'sent' | 'waiting' | MonitorError> {
  const { store, sender, poster, clock, log, settings } = dependencies;
  const label = targetLabel(target);
  const now = clock.now();
  const claimed = await store.updateDelivery({ ...delivery, status: 'sending', attempts: delivery.attempts + 1, firstAttemptAt: delivery.firstAttemptAt ?? now.toISOString() });
  if (claimed === null) return 'waiting';
  try {
    const alert = await compose(run, message, settings, target);
    if (target.channel === 'email') {
      if (delivery.attempts > 0) {
        const known = await sender.status(claimed.operationId);
        if (known === 'Succeeded') return await markSent(dependencies, claimed, label);
        if (known === 'Running') {
          await store.updateDelivery({ ...claimed, status: 'ready', lastError: 'ACS still processing the previous attempt', lastErrorCode: 'Running' });
          return 'waiting';
        }
        if (known === 'Failed' || known === 'Canceled') return await refused(dependencies, claimed, label, `ACS reported ${known}`, true);
      }
      const outcome = await sender.send(renderEmail(alert), claimed.operationId, target.recipients ?? undefined);
      if (outcome === 'Succeeded') return await markSent(dependencies, claimed, label);
      if (outcome === 'Failed' || outcome === 'Canceled') return await refused(dependencies, claimed, label, `ACS reported ${outcome}`, true);
      await store.updateDelivery({ ...claimed, status: 'ready', lastError: `ACS reported ${outcome}`, lastErrorCode: 'Running' });
      return 'waiting';
    }
    const channel = target.channel;
    // Still `sending` from an earlier attempt: its post may have arrived. The signed webhook's
    // receiver drops the repeat by its webhook-id; Teams and Slack cannot, so the repeat says so.
    const unconfirmed = delivery.status === 'sending' && channel !== 'webhook';
    const shown = unconfirmed ? { ...alert, footer: [repeatNote, alert.footer].filter((text) => text !== null).join(' ') } : alert;
    await poster.post(channel, channelBody(channel, shown, message, run, target, settings.routes), claimed.operationId, timeoutMs);
    return await markSent(dependencies, claimed, label);
  } catch (thrown) {
    if (errorCode(thrown) === 'ChannelRejected') return refused(dependencies, claimed, label, toError(thrown).message, false);
    // An email is left `sending` whatever happened: it is looked up before it is tried again.
    // A post the channel answered (401, 429, 5xx) did not arrive; one that got no answer (a
    // timeout, a dropped connection, a crash) may have: it stays `sending`.
    const error = toError(thrown);
    const answered = target.channel !== 'email' && typeof (thrown as { statusCode?: unknown }).statusCode === 'number';
    const undeliverable = undeliverableError(thrown, target, claimed, clock.now(), settings.undeliveredAlertLimitMs);
    await store.updateDelivery({ ...claimed, status: answered ? 'ready' : 'sending', lastError: error.message.slice(0, 500), lastErrorCode: undeliverable?.code ?? errorCode(thrown) });
    if (undeliverable !== null) return undeliverable;
    log.warn(`detectRegressions: ${label} delivery of ${claimed.messageId} not confirmed (${errorCode(thrown)}): ${error.message}; it will be retried`);
    return 'waiting';
  }
}

/** Said by a Teams or Slack post made again after one whose answer never came: the channel may show both. */
const repeatNote = 'Posted again: an earlier post of this message could not be confirmed and may already be in this channel.';

const credentialHints: Record<ChannelName, string> = {
  email: "check the key in ACS_CONNECTION_STRING, or the managed identity's role on the Communication Services resource",
  teams: 'check TEAMS_WEBHOOK_URL (the workflow may have been turned off or deleted)',
  slack: 'check SLACK_WEBHOOK_URL (the app may have been removed from the channel)',
  webhook: 'check ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET',
};

/**
 * A delivery that cannot go out must fail the invocation, the one signal Azure Monitor alerts on:
 * at once when the channel refuses the monitor (a wrong key or URL, a missing role: retrying
 * changes nothing until someone fixes it), and after the limit for failures that may pass by themselves.
 */
function undeliverableError(thrown: unknown, target: DeliveryTarget, delivery: Delivery, now: Date, limitMs: number): MonitorError | null {
  const refusal = refusedStatus(thrown, target.channel === 'email' ? [401, 403] : [401, 403, 404, 410]);
  const label = targetLabel(target);
  if (refusal !== null) {
    const who = target.channel === 'email' ? "ACS refused the monitor's credentials" : `${label} refused the alert`;
    return new MonitorError(
      'AlertUndeliverable',
      `${who} (${refusal}) for ${target.channel === 'email' ? 'email' : 'message'} ${delivery.messageId}: ${credentialHints[target.channel]}; the ${target.channel === 'email' ? 'email' : 'message'} stays in the outbox and goes out once this is fixed`,
      { cause: thrown },
    );
  }
  const waitedMs = now.getTime() - Date.parse(delivery.createdAt);
  if (waitedMs > limitMs) {
    const what = target.channel === 'email' && target.recipients === null ? 'email' : `${label} message`;
    return new MonitorError(
      'AlertUndelivered',
      `${what} ${delivery.messageId} has waited undelivered for ${Math.floor(waitedMs / 60_000)} min, longer than ALERT_UNDELIVERED_HOURS (${limitMs / 3_600_000} h): ${toError(thrown).message}; it stays in the outbox and is retried`,
      { cause: thrown },
    );
  }
  return null;
}

/** `status 401` (or another of `statuses`) when the channel, or an error it caused, answered so; else null. */
function refusedStatus(thrown: unknown, statuses: readonly number[]): string | null {
  const status = causeChain(thrown)
    .map((error) => (error as { statusCode?: unknown }).statusCode)
    .find((code): code is number => typeof code === 'number' && statuses.includes(code));
  return status === undefined ? null : `status ${status}`;
}

async function markSent({ store, clock, log }: DetectorDependencies, delivery: Delivery, label: string): Promise<'sent'> {
  await store.updateDelivery({ ...delivery, status: 'sent', sentAt: clock.now().toISOString(), lastError: null, lastErrorCode: null });
  // Neither the subject nor the URL: the one names customers and partner users, the other is a secret.
  log.info(`detectRegressions: message ${delivery.messageId} delivered to ${label}`);
  return 'sent';
}

/**
 * The channel took the message and refused it (ACS reported it Failed; a webhook answered 4xx
 * about the payload): try again, under a new ACS operation id, a bounded number of times.
 */
async function refused(dependencies: DetectorDependencies, delivery: Delivery, label: string, reason: string, newOperation: boolean): Promise<'waiting'> {
  const refusals = delivery.refusals + 1;
  const give = refusals >= maxRefusals;
  dependencies.log.error(`detectRegressions: ${reason} for the ${label} delivery of ${delivery.messageId}${give ? '; giving up on it' : '; it will be retried'}`);
  await dependencies.store.updateDelivery({
    ...delivery,
    status: give ? 'abandoned' : 'ready',
    operationId: give || !newOperation ? delivery.operationId : randomUUID(),
    firstAttemptAt: null,
    refusals,
    lastError: reason.slice(0, 500),
    lastErrorCode: 'Refused',
  });
  return 'waiting';
}
