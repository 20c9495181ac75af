import { randomUUID } from 'node:crypto';
import { renderEmail } from '../core/messageEmail';
import { routedTargets, targetLabel, type ChannelName, type DeliveryTarget } from '../core/alertRoutes';
import { causeChain, errorCode, MonitorError, statusCodeOf, toError } from '../core/errors';
import type { Delivery, OutboxMessage } from '../ports';
import { channelBody, composeAlertFor } from './composeMessage';
import type { RunContext } from './detectorDependencies';

/** A channel refusing the same message this often (ACS reporting it Failed, a 4xx about the payload) ends retries. */
const maxRefusals = 5;

/**
 * Delivers what waits, each target on its own and at once: a target's deliveries go oldest first
 * and stop at its first failure (order is kept per channel), and a target that is down holds back
 * no other. A message is sent once every delivery of it is sent (or given up).
 */
export async function deliverOutbox(run: RunContext): Promise<string | null> {
  const { store, settings } = run;
  const messages = new Map((await store.unsentMessages()).map((message) => [message.messageId, message]));
  const waiting = (await store.unsentDeliveries()).filter((delivery) => messages.get(delivery.messageId)?.status !== 'composing');
  const byTarget = new Map<string, Delivery[]>();
  for (const delivery of waiting.sort((left, right) => left.messageId.localeCompare(right.messageId))) byTarget.set(delivery.target, [...(byTarget.get(delivery.target) ?? []), delivery]);
  const targets = new Map(routedTargets(settings.routes).map((target) => [target.id, target]));
  const rounds = await Promise.all([...byTarget].map(([targetId, deliveries]) => deliverTo(run, messages, targets.get(targetId) ?? null, deliveries)));
  await completeMessages(run, messages);
  throwMostUrgent(rounds.flatMap((round) => round.failure ?? []));
  return rounds.flatMap((round) => round.sentMessageId ?? []).sort().at(-1) ?? null;
}

/**
 * A message whose every delivery is done is sent (abandoned when every channel gave up on it): the
 * status counts messages. A ready message always has deliveries (they are created before it turns
 * ready); one without any was stored before deliveries existed, and only the migration can tell
 * what state its send was in.
 */
async function completeMessages({ store, clock }: RunContext, messages: ReadonlyMap<string, OutboxMessage>): Promise<void> {
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

/**
 * Fails with every failure at once, the most urgent first: refused credentials, then an alert
 * waiting too long, then the deadline (a channel's, or a PSA's tickets'). Anything else (storage
 * failing) is thrown as it is, before them.
 */
export function throwMostUrgent(failures: readonly unknown[]): void {
  const other = failures.find((failure) => !(failure instanceof MonitorError) || urgency(failure) < 0);
  if (other !== undefined) throw other;
  const [first, ...others] = failures.filter((failure) => failure instanceof MonitorError).sort((left, right) => urgency(left) - urgency(right));
  if (first === undefined) return;
  throw others.length === 0 ? first : new MonitorError(first.code, [first, ...others].map((error) => error.message).join('; also: '), { cause: first });
}

const urgency = (error: MonitorError) => ['AlertUndeliverable', 'AlertUndelivered', 'DeadlineExceeded'].indexOf(error.code);

/** A target's deliveries, oldest first until one does not go out: the newest message sent, and why they stopped (to fail the invocation with). */
async function deliverTo(run: RunContext, messages: ReadonlyMap<string, OutboxMessage>, target: DeliveryTarget | null, deliveries: Delivery[]) {
  const { store, clock, log, settings, deadline } = run;
  let sentMessageId: string | null = null;
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
    const outcome = await attempt(run, message, target, delivery, timeoutMs);
    if (outcome instanceof MonitorError) return { sentMessageId, failure: outcome };
    if (outcome !== 'sent') break;
    sentMessageId = delivery.messageId;
  }
  return { sentMessageId, failure: null };
}

/**
 * One attempt at one delivery: claimed with its ETag (a stale one means another run moved it),
 * and, for email, looked up by its operation id before any resend. Returns what became of it,
 * or the error the invocation must fail with.
 */
async function attempt(run: RunContext, message: OutboxMessage, target: DeliveryTarget, delivery: Delivery, timeoutMs: number): Promise<'sent' | 'waiting' | MonitorError> {
  const { store, sender, poster, clock, log, settings } = run;
  const label = targetLabel(target);
  const claimed = await store.updateDelivery({ ...delivery, status: 'sending', attempts: delivery.attempts + 1, firstAttemptAt: delivery.firstAttemptAt ?? clock.now().toISOString() });
  if (claimed === null) return 'waiting';
  try {
    const { alert, mine } = await composeAlertFor(run, message, target);
    if (target.channel === 'email') {
      // An earlier attempt's operation is looked up first: what ACS made of it stands, and it is not sent twice.
      const known = delivery.attempts > 0 ? await sender.status(claimed.operationId) : 'NotFound';
      const outcome = known === 'NotFound' ? await sender.send(renderEmail(alert), claimed.operationId, target.recipients ?? undefined) : known;
      if (outcome === 'Succeeded') return await markSent(run, claimed, label);
      if (outcome === 'Failed' || outcome === 'Canceled') return await refused(run, claimed, label, `ACS reported ${outcome}`, true);
      const lastError = known === 'Running' ? 'ACS still processing the previous attempt' : `ACS reported ${outcome}`;
      await store.updateDelivery({ ...claimed, status: 'ready', lastError, lastErrorCode: 'Running' });
      return 'waiting';
    }
    const channel = target.channel;
    // Still `sending` from an earlier attempt: its post may have arrived. The signed webhook's
    // receiver drops the repeat by its webhook-id; Teams and Slack cannot, so the repeat says so.
    const unconfirmed = delivery.status === 'sending' && channel !== 'webhook';
    const shown = unconfirmed ? { ...alert, footer: [repeatNote, alert.footer].filter((text) => text !== null).join(' ') } : alert;
    await poster.post(channel, channelBody(channel, shown, message, mine), claimed.operationId, timeoutMs);
    return await markSent(run, claimed, label);
  } catch (thrown) {
    if (errorCode(thrown) === 'ChannelRejected') return refused(run, claimed, label, toError(thrown).message, false);
    // An email is left `sending` whatever happened: it is looked up before it is tried again.
    // A post the channel answered (401, 429, 5xx) did not arrive; one that got no answer (a
    // timeout, a dropped connection, a crash) may have: it stays `sending`.
    const error = toError(thrown);
    const answered = target.channel !== 'email' && statusCodeOf(thrown) !== undefined;
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
  const email = target.channel === 'email';
  const refusal = refusedStatus(thrown, email ? [401, 403] : [401, 403, 404, 410]);
  const label = targetLabel(target);
  if (refusal !== null) {
    const [who, what] = email ? ["ACS refused the monitor's credentials", 'email'] : [`${label} refused the alert`, 'message'];
    const fix = `${credentialHints[target.channel]}; the ${what} stays in the outbox and goes out once this is fixed`;
    return new MonitorError('AlertUndeliverable', `${who} (${refusal}) for ${what} ${delivery.messageId}: ${fix}`, { cause: thrown });
  }
  const waitedMs = now.getTime() - Date.parse(delivery.createdAt);
  if (waitedMs > limitMs) {
    const what = email && target.recipients === null ? 'email' : `${label} message`;
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
    .map(statusCodeOf)
    .find((code): code is number => typeof code === 'number' && statuses.includes(code));
  return status === undefined ? null : `status ${status}`;
}

async function markSent({ store, clock, log }: RunContext, delivery: Delivery, label: string): Promise<'sent'> {
  await store.updateDelivery({ ...delivery, status: 'sent', sentAt: clock.now().toISOString(), lastError: null, lastErrorCode: null });
  // Neither the subject nor the URL: the one names customers and partner users, the other is a secret.
  log.info(`detectRegressions: message ${delivery.messageId} delivered to ${label}`);
  return 'sent';
}

/**
 * The channel took the message and refused it (ACS reported it Failed; a webhook answered 4xx
 * about the payload): try again, under a new ACS operation id, a bounded number of times.
 */
async function refused(run: RunContext, delivery: Delivery, label: string, reason: string, newOperation: boolean): Promise<'waiting'> {
  const refusals = delivery.refusals + 1;
  const give = refusals >= maxRefusals;
  run.log.error(`detectRegressions: ${reason} for the ${label} delivery of ${delivery.messageId}${give ? '; giving up on it' : '; it will be retried'}`);
  await run.store.updateDelivery({
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
