import { randomBytes, randomUUID } from 'node:crypto';
import { composeAlert } from '../core/alertMessage';
import { isRoutedTo, routedTargets, type DeliveryTarget } from '../core/alertRoutes';
import { slackPayload, teamsPayload, webhookPayload } from '../core/channelPayloads';
import type { StoredFinding } from '../core/findings';
import type { Message } from '../core/message';
import type { OutboxMessage, WebhookChannelName } from '../ports';
import type { RunContext } from './detectorDependencies';

/*
 * Composing the outbox: a message claims the pending transitions it announces (on their findings),
 * then gets one delivery per target they are routed to, and only then turns `ready`.
 */

/**
 * Writes the findings detection updated and, with a message, every pending transition claimed by
 * it (`announcedIn`), at once; the run's findings are kept current with what was written.
 */
export async function writeFindings(run: RunContext, updated: readonly StoredFinding[], announcedIn: string | null): Promise<void> {
  const toWrite = new Map(updated.map((finding) => [finding.key, finding]));
  const claimed = announcedIn === null ? [] : [...run.findings.values()].filter((finding) => finding.pendingChange !== null);
  for (const finding of claimed) toWrite.set(finding.key, { ...finding, announcedIn, announcedChange: finding.pendingChange, pendingChange: null });
  await run.store.writeFindings([...toWrite.values()]);
  for (const finding of toWrite.values()) run.findings.set(finding.key, finding);
}

/** Open findings an alert or a reminder lists: waived ones are not, that is what the waiver is for. */
function stillOpen(run: RunContext): StoredFinding[] {
  return [...run.findings.values()].filter((finding) => finding.state === 'open' && !finding.event && !run.waived(finding));
}

/** A new message when there is something to say: pending transitions, or a due reminder. */
export async function newMessage(run: RunContext, lastEmailAt: string | null, reminder: boolean): Promise<OutboxMessage | null> {
  const { store, clock, settings } = run;
  const now = clock.now();
  if (reminder) {
    const due = settings.reminderDays > 0 && stillOpen(run).length > 0 && (lastEmailAt === null || now.getTime() - Date.parse(lastEmailAt) >= settings.reminderDays * 86_400_000);
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

function messageId(now: Date): string {
  // Oldest first in the outbox partition: zero-padded creation time, then a random suffix.
  return `${String(now.getTime()).padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Completes a message a crashed run left `composing`: claims what is pending, then makes it sendable. Safe to repeat. */
export async function finishComposing(run: RunContext, message: OutboxMessage): Promise<void> {
  const { store, clock } = run;
  await writeFindings(run, [], message.messageId);
  const state = await store.readState();
  await store.writeState({ ...state, lastEmailAt: clock.now().toISOString() });
  await markReady(run, message);
}

/**
 * Makes a composed message sendable: one delivery per target that receives any of its lines
 * (routes decide), created before the message turns `ready`, so a crash in between re-creates
 * the missing ones only. A message nothing is routed to (digest only) has nothing to send now.
 */
export async function markReady(run: RunContext, message: OutboxMessage): Promise<void> {
  const { subject } = (await composeAlertFor(run, message, null)).alert;
  const { announced, stillOpen } = findingsOf(run, message);
  const routes = run.settings.routes;
  const listed = [...announced, ...(message.reminder ? stillOpen : [])];
  const targets = routedTargets(routes).filter((target) => listed.some((finding) => isRoutedTo(routes, finding, target.id)));
  await run.store.createDeliveries(
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
  const status = targets.length > 0 ? 'ready' : 'abandoned';
  // A message whose run crashed before it claimed anything has nothing to say.
  const says = announced.length > 0 || message.reminder;
  const lastError = status === 'ready' ? null : says ? 'routed to no channel (ALERT_ROUTES sends these findings to the digest only)' : 'nothing to announce';
  const ready = await run.store.updateMessage({ ...message, status, subject, lastError });
  if (ready === null) throw new Error(`Outbox message ${message.messageId} changed while it was being composed`);
}

/** The findings a message claimed, and those still open besides them. */
function findingsOf(run: RunContext, message: OutboxMessage): { announced: StoredFinding[]; stillOpen: StoredFinding[] } {
  const announced = [...run.findings.values()].filter((finding) => finding.announcedIn === message.messageId);
  const inThisMessage = new Set(announced.filter((finding) => finding.announcedChange !== 'resolved').map((finding) => finding.key));
  return { announced, stillOpen: stillOpen(run).filter((finding) => !inThisMessage.has(finding.key)) };
}

/**
 * What a message says to one target (or, with none, to everyone: its subject): rendered from the
 * findings it claimed that the routes send there. Customer names are the directory's current
 * ones: a message claimed before a rename, and rendered (or re-rendered for a retry) after it,
 * shows the new name — the name is for reading, the tenant id beside it identifies. Comes with
 * the findings it announces there.
 */
export async function composeAlertFor(run: RunContext, message: OutboxMessage, target: DeliveryTarget | null): Promise<{ alert: Message; mine: StoredFinding[] }> {
  const routed = (finding: StoredFinding) => target === null || isRoutedTo(run.settings.routes, finding, target.id);
  const { announced, stillOpen } = findingsOf(run, message);
  const mine = announced.filter(routed);
  const alert = composeAlert({
    opened: mine.filter((finding) => finding.announcedChange === 'opened' || finding.announcedChange === 'reopened'),
    resolved: mine.filter((finding) => finding.announcedChange === 'resolved'),
    stillOpen: stillOpen.filter(routed),
    reminder: message.reminder,
    publicBaseUrl: run.settings.publicBaseUrl,
    customerNames: await run.customerNames(),
    maxLinesPerSection: run.settings.alertMaxLines,
  });
  return { alert, mine };
}

/** A delivery's body for a webhook channel: the same alert, in the channel's format. */
export function channelBody(channel: WebhookChannelName, alert: Message, message: OutboxMessage, announced: readonly StoredFinding[]): unknown {
  if (channel === 'teams') return teamsPayload(alert);
  if (channel === 'slack') return slackPayload(alert);
  const findings = announced.map((finding) => ({ key: finding.key, kind: finding.kind, severity: finding.severity, change: finding.announcedChange ?? 'opened', admin: finding.admin ?? null }));
  return webhookPayload(alert, { messageId: message.messageId, composedAt: message.createdAt, event: message.reminder ? 'reminder' : 'alert', findings });
}
