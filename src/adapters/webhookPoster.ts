import { createHmac } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { ChannelsConfig } from '../config';
import { MonitorError } from '../core/errors';
import type { ChannelPoster, WebhookChannelName } from '../ports';
import { jsonErrorCode, retryAfterMs } from './apiClient';

const channelNames: Record<WebhookChannelName, string> = { teams: 'Teams', slack: 'Slack', webhook: 'the signed webhook' };
const urlSettings: Record<WebhookChannelName, string> = { teams: 'TEAMS_WEBHOOK_URL', slack: 'SLACK_WEBHOOK_URL', webhook: 'ALERT_WEBHOOK_URL' };
/** Waits between attempts when the channel names none (exponential, with jitter below). */
const backoffMs = [1000, 2000, 4000, 8000];

/**
 * Posts alerts to the webhook channels over HTTPS. Every attempt has a timeout, the whole post a
 * budget; 429 and 5xx are retried after `Retry-After` when it fits the budget. Errors name the
 * channel and its setting, never the URL (it is the channel's credential) nor the answer's body.
 * The generic webhook is signed as the Standard Webhooks specification says: HMAC-SHA256 with the
 * secret over `<webhook-id>.<webhook-timestamp>.<body>`, in `webhook-signature: v1,<base64>`.
 */
export class WebhookPoster implements ChannelPoster {
  constructor(private readonly config: ChannelsConfig) {}

  async post(channel: WebhookChannelName, body: unknown, deliveryId: string, budgetMs: number): Promise<void> {
    const url = this.config[channel];
    const name = channelNames[channel];
    if (url === null) throw new MonitorError('ChannelNotConfigured', `${name} is routed to, but ${urlSettings[channel]} is not set`);
    const text = JSON.stringify(body);
    const endsAt = Date.now() + budgetMs;
    for (let attempt = 0; ; attempt += 1) {
      const signal = AbortSignal.timeout(Math.max(1, endsAt - Date.now()));
      let failure: { error: MonitorError; retryAfterMs: number | null };
      try {
        const response = await fetch(url, { method: 'POST', headers: this.headers(channel, text, deliveryId), body: text, signal, redirect: 'error' });
        if (response.ok) return;
        failure = answerFailure(channel, response, await response.text().catch(() => ''));
      } catch (thrown) {
        if (thrown instanceof MonitorError) throw thrown;
        if (signal.aborted || Date.now() >= endsAt) {
          throw new MonitorError('ChannelTimeout', `${name} did not answer within ${Math.round(budgetMs / 1000)} s`, { cause: thrown });
        }
        // A refused or dropped connection: retried like a 503 while the budget lasts.
        const code = thrown instanceof Error && thrown.cause instanceof Error && 'code' in thrown.cause ? String(thrown.cause.code) : 'network error';
        const error = new MonitorError('ChannelUnavailable', `${name} could not be reached (${code})`, { cause: thrown });
        failure = { error, retryAfterMs: null };
      }
      const wait = failure.retryAfterMs ?? (backoffMs[attempt] ?? 8000) * (0.5 + Math.random() / 2);
      if (attempt >= backoffMs.length || Date.now() + wait >= endsAt) throw failure.error;
      await setTimeout(wait);
    }
  }

  private headers(channel: WebhookChannelName, body: string, deliveryId: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (channel !== 'webhook' || this.config.webhookSecret === null) return headers;
    const timestamp = String(Math.floor(Date.now() / 1000));
    return {
      ...headers,
      'webhook-id': deliveryId,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signWebhook(this.config.webhookSecret, deliveryId, timestamp, body)}`,
    };
  }
}

/**
 * What a channel's answer other than 2xx means: a refusal (the setting is wrong) or a rejection
 * (the payload is) are thrown; 429 and 5xx come back as the error to throw once retries run out,
 * with the `Retry-After` the channel asked for.
 */
function answerFailure(channel: WebhookChannelName, response: Response, answer: string): { error: MonitorError; retryAfterMs: number | null } {
  const { status } = response;
  const code = answerCode(answer);
  const answered = `(status ${status})${code === null ? '' : ` answering ${code}`}`;
  if (status === 401 || status === 403 || status === 404 || status === 410) {
    const check = `${urlSettings[channel]}${channel === 'webhook' ? ' and ALERT_WEBHOOK_SECRET' : ''}`;
    throw refusal('ChannelRefused', `${channelNames[channel]} refused the alert ${answered}: check ${check}; the alert stays in the outbox and goes out once this is fixed`, status, code);
  }
  if (status !== 429 && status < 500) throw refusal('ChannelRejected', `${channelNames[channel]} rejected the alert's payload ${answered}`, status, code);
  const asked = retryAfterMs(response.headers.get('retry-after'));
  const why = status === 429 ? `is throttling (429${asked === null ? '' : `, Retry-After ${Math.ceil(asked / 1000)} s`})` : `answered ${status}`;
  return { error: Object.assign(new MonitorError('ChannelUnavailable', `${channelNames[channel]} ${why}; retried on the next run`), { statusCode: status }), retryAfterMs: asked };
}

/** The Standard Webhooks signature: the secret is `whsec_` and base64; the key is what the base64 decodes to. */
function signWebhook(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/**
 * The error code a channel answers with, and nothing else of its answer (which may echo what was
 * sent): Slack's plain-text code (`no_service`, `channel_is_archived`, `invalid_payload`) or the
 * `error.code` of a JSON answer (a Teams workflow's `DirectApiAuthorizationRequired`).
 */
function answerCode(answer: string): string | null {
  const text = answer.trim();
  if (/^[a-z][a-z0-9_]{2,59}$/.test(text)) return text;
  const code = jsonErrorCode(text);
  return code !== undefined && /^[A-Za-z][A-Za-z0-9_.]{2,59}$/.test(code) ? code : null;
}

/** A channel's refusal: its status and code, for the detector's retry decision and the doctor's fix. */
function refusal(code: 'ChannelRefused' | 'ChannelRejected', message: string, statusCode: number, answerCode: string | null): MonitorError {
  return Object.assign(new MonitorError(code, message), { statusCode, ...(answerCode === null ? {} : { errorCode: answerCode }) });
}
