import { createHmac } from 'node:crypto';
import {
  createDefaultHttpClient,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  isRestError,
  retryPolicy,
  type PipelinePolicy,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { ChannelsConfig } from '../config';
import { MonitorError } from '../core/errors';
import type { ChannelPoster, WebhookChannelName } from '../ports';
import { jsonErrorCode, retryAfterMs, retryStrategy } from './apiClient';

const channelNames: Record<WebhookChannelName, string> = { teams: 'Teams', slack: 'Slack', webhook: 'the signed webhook' };
const urlSettings: Record<WebhookChannelName, string> = { teams: 'TEAMS_WEBHOOK_URL', slack: 'SLACK_WEBHOOK_URL', webhook: 'ALERT_WEBHOOK_URL' };

/**
 * Posts alerts to the webhook channels over HTTPS, through the Azure SDK's pipeline and the
 * retry strategy of the Microsoft APIs: the whole post has a budget, and 429 and 5xx are retried
 * after `Retry-After` (or a jittered backoff) when the wait fits it. Errors name the channel and
 * its setting, never the URL (it is the channel's credential) nor the answer's body.
 * The generic webhook is signed as the Standard Webhooks specification says: HMAC-SHA256 with the
 * secret over `<webhook-id>.<webhook-timestamp>.<body>`, in `webhook-signature: v1,<base64>`.
 */
export class WebhookPoster implements ChannelPoster {
  private readonly httpClient = createDefaultHttpClient();

  constructor(private readonly config: ChannelsConfig) {}

  async post(channel: WebhookChannelName, body: unknown, deliveryId: string, budgetMs: number): Promise<void> {
    const url = this.config[channel];
    const name = channelNames[channel];
    if (url === null) throw new MonitorError('ChannelNotConfigured', `${name} is routed to, but ${urlSettings[channel]} is not set`);
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(retryPolicy([retryStrategy({ maxRetryAfterMs: budgetMs, endsAt: Date.now() + budgetMs })], { maxRetries: 4 }));
    pipeline.addPolicy(this.signingPolicy(channel, deliveryId));
    const abortSignal = AbortSignal.timeout(Math.max(1, budgetMs));
    const headers = createHttpHeaders({ 'content-type': 'application/json' });
    // The settings accept only https URLs; the doctor's and the tests' local receivers speak http.
    const request = createPipelineRequest({ url, method: 'POST', headers, body: JSON.stringify(body), abortSignal, allowInsecureConnection: true });
    const response = await pipeline.sendRequest(this.httpClient, request).catch((thrown: unknown) => {
      if (abortSignal.aborted) throw new MonitorError('ChannelTimeout', `${name} did not answer within ${Math.round(budgetMs / 1000)} s`, { cause: thrown });
      // A refused or dropped connection, retried like a 503 while the budget lasted.
      const code = isRestError(thrown) ? thrown.code : undefined;
      throw new MonitorError('ChannelUnavailable', `${name} could not be reached (${code ?? 'network error'})`, { cause: thrown });
    });
    if (response.status < 200 || response.status >= 300) throw answerFailure(channel, response);
  }

  /** Signs each attempt for its own time (the Standard Webhooks timestamp), under the one delivery id. */
  private signingPolicy(channel: WebhookChannelName, deliveryId: string): PipelinePolicy {
    const secret = channel === 'webhook' ? this.config.webhookSecret : null;
    return {
      name: 'standardWebhookSignature',
      sendRequest(request, next) {
        if (secret !== null && typeof request.body === 'string') {
          const timestamp = String(Math.floor(Date.now() / 1000));
          request.headers.set('webhook-id', deliveryId);
          request.headers.set('webhook-timestamp', timestamp);
          request.headers.set('webhook-signature', `v1,${signWebhook(secret, deliveryId, timestamp, request.body)}`);
        }
        return next(request);
      },
    };
  }
}

/**
 * The error for a channel's answer other than 2xx: a refusal (the setting is wrong: a redirect
 * or an auth or not-found answer) or a rejection (the payload is), else unavailable, with the
 * throttling it asked for.
 */
function answerFailure(channel: WebhookChannelName, response: PipelineResponse): MonitorError {
  const { status } = response;
  const code = answerCode(response.bodyAsText ?? '');
  const answered = `(status ${status})${code === null ? '' : ` answering ${code}`}`;
  if (status < 400 || status === 401 || status === 403 || status === 404 || status === 410) {
    const check = `${urlSettings[channel]}${channel === 'webhook' ? ' and ALERT_WEBHOOK_SECRET' : ''}`;
    return refusal('ChannelRefused', `${channelNames[channel]} refused the alert ${answered}: check ${check}; the alert stays in the outbox and goes out once this is fixed`, status, code);
  }
  if (status !== 429 && status < 500) return refusal('ChannelRejected', `${channelNames[channel]} rejected the alert's payload ${answered}`, status, code);
  const asked = retryAfterMs(response.headers.get('retry-after'));
  const why = status === 429 ? `is throttling (429${asked === null ? '' : `, Retry-After ${Math.ceil(asked / 1000)} s`})` : `answered ${status}`;
  return Object.assign(new MonitorError('ChannelUnavailable', `${channelNames[channel]} ${why}; retried on the next run`), { statusCode: status });
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
