import { createHmac } from 'node:crypto';
import { startSimulator, type Simulator } from '../../tools/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 1 });
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { status: response.status, text: await response.text() };
}

const card = (content: Record<string, unknown>) => ({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content }] });
const validCard = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'MFA regressions', wrap: true }] };

function signed(body: string, options: { id?: string; timestamp?: number; secret?: string } = {}): Record<string, string> {
  const id = options.id ?? `msg-${Math.random()}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from((options.secret ?? sim.channelUrls.webhookSecret).slice('whsec_'.length), 'base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}` };
}

describe("the simulator's Teams Workflows receiver", () => {
  it('when an Adaptive Card 1.4 arrives in a message envelope, then it is accepted (202) and kept', async () => {
    const before = sim.received('teams').length;
    expect((await post(sim.channelUrls.teams, card(validCard))).status).toBe(202);
    expect(sim.received('teams').slice(before).map((received) => received.body)).toEqual([card(validCard)]);
  });

  it.each([
    ['a retired connector MessageCard', { '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: 'x', sections: [] }, 'MessageCards are not supported'],
    ['a card of version 1.2', card({ ...validCard, version: '1.2' }), 'version must be 1.4 or 1.5'],
    ['a card without $schema', card({ type: 'AdaptiveCard', version: '1.4', body: validCard.body }), '$schema is missing'],
    ['an unknown element type', card({ ...validCard, body: [{ type: 'Marquee', text: 'x' }] }), 'is not an Adaptive Card element'],
    ['another content type', { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.hero', content: validCard }] }, 'contentType must be application/vnd.microsoft.card.adaptive'],
  ])('when %s arrives, then it is refused with 400 saying why, and not kept', async (_what, body, why) => {
    const before = sim.received('teams').length;
    const answer = await post(sim.channelUrls.teams, body);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain(why);
    expect(sim.received('teams')).toHaveLength(before);
  });

  it('when the sig is wrong, then it answers 401, and the request log hides the sig', async () => {
    const url = sim.channelUrls.teams.replace(/sig=[^&]+/, 'sig=wrong');
    expect((await post(url, card(validCard))).status).toBe(401);
    const logged = sim.requestLog().filter((entry) => entry.service === 'teams').map((entry) => entry.path);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((path) => path.includes('sig=[redacted]'))).toBe(true);
  });

  it('when a fault makes it throttle, then it answers 429 with the Retry-After it was given', async () => {
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 7, service: 'teams', times: 1 });
    const response = await fetch(sim.channelUrls.teams, { method: 'POST', body: JSON.stringify(card(validCard)) });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
  });
});

describe("the simulator's Slack receiver", () => {
  it('when Block Kit within limits arrives, then it answers ok and keeps it', async () => {
    const body = { text: 'MFA regressions', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'MFA regressions' } }, { type: 'section', text: { type: 'mrkdwn', text: '• one' } }] };
    expect(await post(sim.channelUrls.slack, body)).toEqual({ status: 200, text: 'ok' });
    expect(sim.received('slack').at(-1)?.body).toEqual(body);
  });

  it.each([
    ['51 blocks', { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, 'invalid_blocks'],
    ['a section of 3001 characters', { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }] }, 'invalid_blocks'],
    ['a header of 151 characters', { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'a'.repeat(151) } }] }, 'invalid_blocks'],
    ['neither text nor blocks', {}, 'no_text'],
  ])('when %s arrives, then it answers 400 as Slack does', async (_what, body, why) => {
    const answer = await post(sim.channelUrls.slack, body);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain(why);
  });

  it('when the webhook URL is not one it issued, then it answers 404 no_service', async () => {
    expect(await post(sim.channelUrls.slack.replace(/[^/]+$/, 'unknown'), { text: 'x' })).toEqual({ status: 404, text: 'no_service' });
  });
});

describe("the simulator's signed-webhook receiver", () => {
  it('when a request is signed with the secret, then it is accepted once per webhook-id', async () => {
    const before = sim.received('webhook').length;
    const body = JSON.stringify({ type: 'mfaMonitor.alert' });
    const headers = signed(body, { id: 'msg-once' });
    expect((await post(sim.channelUrls.webhook, body, headers)).status).toBe(204);
    expect((await post(sim.channelUrls.webhook, body, signed(body, { id: 'msg-once' }))).status).toBe(204);
    expect(sim.received('webhook').slice(before)).toEqual([expect.objectContaining({ body: { type: 'mfaMonitor.alert' }, headers: expect.objectContaining({ 'webhook-id': 'msg-once' }) })]);
  });

  it.each([
    ['the body changed after signing', (body: string) => ({ body: `${body} `, headers: signed(body) })],
    ['another secret', (body: string) => ({ body, headers: signed(body, { secret: `whsec_${Buffer.from('x'.repeat(32)).toString('base64')}` }) })],
    ['a timestamp 6 minutes old', (body: string) => ({ body, headers: signed(body, { timestamp: Math.floor(Date.now() / 1000) - 360 }) })],
  ])('when %s, then it answers 401 and keeps nothing', async (_what, make) => {
    const before = sim.received('webhook').length;
    const { body, headers } = make(JSON.stringify({ type: 'mfaMonitor.alert' }));
    expect((await post(sim.channelUrls.webhook, body, headers)).status).toBe(401);
    expect(sim.received('webhook')).toHaveLength(before);
  });
});
