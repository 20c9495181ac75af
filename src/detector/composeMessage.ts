import { randomBytes, randomUUID } from 'node:crypto';
import { isRoutedTo, routedTargets } from '../core/alertRoutes';
import type { Finding, StoredFinding } from '../core/findings';
import type { OutboxMessage } from '../ports';
import { composeAlertFor, findingsOf } from './alertContent';
import type { DetectorDependencies, RunContext } from './detectorDependencies';

/*
 * Composing the outbox: a message claims the pending transitions it announces (on their findings),
 * then gets one delivery per target they are routed to, and only then turns `ready`.
 */

/** The finding, its pending transition announced by `message`. */
export function claim(finding: StoredFinding, message: OutboxMessage): StoredFinding {
  return { ...finding, announcedIn: message.messageId, announcedChange: finding.pendingChange, pendingChange: null };
}

/** A new message when there is something to say: pending transitions, or a due reminder. */
export async function newMessage(
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

function messageId(now: Date): string {
  // Oldest first in the outbox partition: zero-padded creation time, then a random suffix.
  return `${String(now.getTime()).padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Completes a message a crashed run left `composing`: claims what is pending, then makes it sendable. Safe to repeat. */
export async function finishComposing(dependencies: DetectorDependencies, message: OutboxMessage, run: RunContext): Promise<void> {
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
export async function markReady(dependencies: DetectorDependencies, message: OutboxMessage, run: RunContext): Promise<void> {
  const { subject } = await composeAlertFor(run, message, dependencies.settings, null);
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
