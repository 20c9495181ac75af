import { createHmac } from 'node:crypto';
import type { ChannelsConfig } from '../config';
import { MonitorError } from '../core/errors';
import type { ChannelPoster, WebhookChannelName } from '../ports';

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
  constructor(
    private readonly config: ChannelsConfig,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async post(channel: WebhookChannelName, body: unknown, deliveryId: string, budgetMs: number): Promise<void> {
    const url = this.config[channel];
    if (url === null) throw new MonitorError('ChannelNotConfigured', `${channelNames[channel]} is routed to, but ${urlSettings[channel]} is not set`);
    const text = JSON.stringify(body);
    const endsAt = Date.now() + budgetMs;
    for (let attempt = 0; ; attempt += 1) {
      const left = endsAt - Date.now();
      let response: Response;
      let answer: string;
      try {
        response = await fetch(url, { method: 'POST', headers: this.headers(channel, text, deliveryId), body: text, signal: AbortSignal.timeout(Math.max(1, left)), redirect: 'error' });
        answer = await response.text().catch(() => '');
      } catch (thrown) {
        const timedOut = (thrown as { name?: string }).name === 'TimeoutError' || Date.now() >= endsAt;
        if (timedOut) throw new MonitorError('ChannelTimeout', `${channelNames[channel]} did not answer within ${Math.round(budgetMs / 1000)} s`, { cause: thrown });
        // A refused or dropped connection: retried like a 503 while the budget lasts.
        const wait = (backoffMs[attempt] ?? 8000) * (0.5 + Math.random() / 2);
        if (attempt < backoffMs.length && Date.now() + wait < endsAt) {
          await this.sleep(wait);
          continue;
        }
        throw new MonitorError('ChannelUnavailable', `${channelNames[channel]} could not be reached (${(thrown as { cause?: { code?: string } }).cause?.code ?? 'network error'})`, { cause: thrown });
      }
      if (response.ok) return;
      const status = response.status;
      const code = answerCode(answer);
      const answered = `(status ${status})${code === null ? '' : ` answering ${code}`}`;
      if (status === 401 || status === 403 || status === 404 || status === 410) {
        throw refusal('ChannelRefused', `${channelNames[channel]} refused the alert ${answered}: check ${urlSettings[channel]}${channel === 'webhook' ? ' and ALERT_WEBHOOK_SECRET' : ''}; the alert stays in the outbox and goes out once this is fixed`, status, code);
      }
      if (status !== 429 && status < 500) throw refusal('ChannelRejected', `${channelNames[channel]} rejected the alert's payload ${answered}`, status, code);
      const asked = retryAfterMs(response.headers.get('retry-after'));
      const wait = asked ?? (backoffMs[attempt] ?? 8000) * (0.5 + Math.random() / 2);
      if (attempt >= backoffMs.length || Date.now() + wait >= endsAt) {
        const why = status === 429 ? `is throttling (429${asked === null ? '' : `, Retry-After ${Math.ceil(asked / 1000)} s`})` : `answered ${status}`;
        throw Object.assign(new MonitorError('ChannelUnavailable', `${channelNames[channel]} ${why}; retried on the next run`), { statusCode: status });
      }
      await this.sleep(wait);
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
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_.]{2,59}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

/** A channel's refusal: its status and code, for the detector's retry decision and the doctor's fix. */
function refusal(code: 'ChannelRefused' | 'ChannelRejected', message: string, statusCode: number, answerCode: string | null): MonitorError {
  return Object.assign(new MonitorError(code, message), { statusCode, ...(answerCode === null ? {} : { errorCode: answerCode }) });
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds; null when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
