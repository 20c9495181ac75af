import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { Webhook } from 'standardwebhooks';
import { WebhookPoster } from '../../src/adapters/webhookPoster';
import { composeAlert } from '../../src/core/alertMessage';
import { channelTestMessage, webhookPayload } from '../../src/core/channelPayloads';
import { digestChannelPayload } from '../../src/core/digestMessage';
import { adminWithoutMethod } from '../support/customerAdminFindings';

type Verify = (secret: string, headers: Record<string, string | undefined>, body: string, now?: number) => boolean;

/** The verification function exactly as docs/alerts.md shows it: the test runs what receivers copy. */
function documentedVerifier(): Verify {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'alerts.md'), 'utf8');
  const section = page.split('## Signed webhooks')[1] ?? '';
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error('docs/alerts.md: no js block under "Signed webhooks"');
  return runInNewContext(`${code}\nverifyWebhook`, { require, Buffer }) as Verify;
}

const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let url: string;
let received: Received[] = [];
let answers: (number | { status: number; body: string })[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers.shift() ?? 204;
      const { status, body } = typeof answer === 'number' ? { status: answer, body: '' } : answer;
      res.writeHead(status, status === 503 ? { 'retry-after': '1' } : {}).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  answers = [];
});

function poster(): WebhookPoster {
  return new WebhookPoster({ teams: null, slack: null, webhook: url, webhookSecret: secret, timeoutMs: 5000, routes: [] });
}

function headersOf(request: Received): Record<string, string | undefined> {
  return { 'webhook-id': String(request.headers['webhook-id']), 'webhook-timestamp': String(request.headers['webhook-timestamp']), 'webhook-signature': String(request.headers['webhook-signature']) };
}

describe('the signed webhook', () => {
  it("when the monitor posts an alert, a digest and the doctor's test message, then the official Standard Webhooks library verifies each and reads back the body sent", async () => {
    // standardwebhooks is the specification's reference library (github.com/standard-webhooks/standard-webhooks, libraries/javascript).
    // An alert naming a customer's admin (display name, UPN) in its line and in its findings.
    const admin = adminWithoutMethod();
    const alert = composeAlert({ opened: [admin], resolved: [], stillOpen: [], reminder: false, publicBaseUrl: 'https://monitor.example', customerNames: new Map(), maxLinesPerSection: 5 });
    const bodies = [
      webhookPayload(alert, { messageId: 'm-1', composedAt: '2026-12-07T07:00:00.000Z', event: 'alert', findings: [{ key: admin.key, kind: admin.kind, severity: admin.severity, change: 'opened', admin: admin.admin }] }),
      digestChannelPayload('webhook', { week: '2026-W50', generatedAt: new Date('2026-12-07T07:00:00Z'), score: { week: { first: null, last: null, daily: [] }, quarter: { first: null, last: null, daily: [] }, maxScore: null }, requirements: [], customers: null, findingsByAge: [], oldestOpen: [], openCount: 0, waivedCount: 0, principals: null, customerAdmins: [], expiringWaivers: [], mappingGaps: [] }, { publicBaseUrl: null, deliveryId: 'digest-1' }),
      webhookPayload(channelTestMessage, { messageId: 'test-1', composedAt: '2026-12-07T07:00:00.000Z', event: 'test', findings: [] }),
    ];
    for (const [index, body] of bodies.entries()) await poster().post('webhook', body, `delivery-sw-${index}`, 5000);
    expect(received).toHaveLength(bodies.length);
    received.forEach((request, index) => expect(new Webhook(secret).verify(request.body, headersOf(request) as Record<string, string>)).toEqual(JSON.parse(JSON.stringify(bodies[index]))));
    expect(() => new Webhook(secret).verify(received[0]!.body.replace('m-1', 'm-2'), headersOf(received[0]!) as Record<string, string>)).toThrow();
  });

  it('when the monitor posts an alert, then the documented snippet verifies it, and refuses it once the body or the timestamp changes or it is replayed late', async () => {
    const verify = documentedVerifier();
    await poster().post('webhook', { type: 'mfaMonitor.alert', data: { subject: 'Contoso Ltd: security defaults was turned off' } }, 'delivery-1', 5000);

    const [request] = received;
    const headers = headersOf(request!);
    expect(headers['webhook-id']).toBe('delivery-1');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(secret, headers, request!.body)).toBe(true);
    expect(verify(secret, headers, request!.body.replace('Contoso', 'Fabrikam'))).toBe(false);
    expect(verify(secret, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }, request!.body)).toBe(false);
    expect(verify(secret, headers, request!.body, Date.now() + 6 * 60_000)).toBe(false);
    expect(verify(`whsec_${Buffer.from('another key of thirty-two bytes!').toString('base64')}`, headers, request!.body)).toBe(false);
  });

  it('when the receiver answers 503 with Retry-After and then takes it, then both attempts carry the same webhook-id, each signed for its own timestamp', async () => {
    const verify = documentedVerifier();
    answers = [503];

    await poster().post('webhook', { type: 'mfaMonitor.alert' }, 'delivery-2', 5000);

    expect(received).toHaveLength(2);
    expect(received.map((request) => request.headers['webhook-id'])).toEqual(['delivery-2', 'delivery-2']);
    for (const request of received) expect(verify(secret, headersOf(request), request.body)).toBe(true);
  });

  it('when the receiver answers 410 (deleted), then the post fails as ChannelRefused naming the settings, not the URL', async () => {
    answers = [410];
    const thrown = await poster().post('webhook', {}, 'delivery-3', 5000).catch((error: unknown) => error as Error & { code?: string });
    expect(thrown).toMatchObject({ code: 'ChannelRefused', message: expect.stringContaining('check ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET') });
    expect((thrown as Error).message).not.toContain(url);
  });

  it("when the receiver answers with an error code (Slack's plain text, a workflow's JSON error.code), then the error carries the code and nothing else of the answer", async () => {
    answers = [{ status: 404, body: 'no_service' }, { status: 401, body: JSON.stringify({ error: { code: 'DirectApiAuthorizationRequired', message: `echo ${url}` } }) }, { status: 400, body: `<html>${'x'.repeat(100)}</html>` }];
    const thrown = [];
    for (let index = 0; index < 3; index++) thrown.push(await poster().post('webhook', {}, `delivery-code-${index}`, 5000).catch((error: unknown) => error as Error & { errorCode?: string; statusCode?: number }));
    expect(thrown[0]).toMatchObject({ code: 'ChannelRefused', statusCode: 404, errorCode: 'no_service', message: expect.stringContaining('(status 404) answering no_service') });
    expect(thrown[1]).toMatchObject({ code: 'ChannelRefused', statusCode: 401, errorCode: 'DirectApiAuthorizationRequired' });
    expect(thrown[1]!.message).not.toContain('echo');
    expect(thrown[2]).toMatchObject({ code: 'ChannelRejected', statusCode: 400 });
    expect(thrown[2]!.errorCode).toBeUndefined();
    expect(thrown[2]!.message).not.toContain('html');
  });

  it('when the receiver keeps answering 503 past the budget, then the post fails as ChannelUnavailable within it', async () => {
    answers = [503, 503, 503, 503, 503];
    const started = Date.now();
    const thrown = await poster().post('webhook', {}, 'delivery-4', 1500).catch((error: unknown) => error as Error & { code?: string });
    expect(thrown).toMatchObject({ code: 'ChannelUnavailable' });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
