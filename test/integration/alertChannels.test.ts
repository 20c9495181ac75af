import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { odata, TableClient } from '@azure/data-tables';
import { regressionDetector } from '../../src/composition';
import type { ChannelPoster } from '../../src/ports';
import { runDetector } from '../../src/detector/runDetector';
import { channelSettingsFor, type AlertChannel } from '../../tools/simulator';
import { blockKitProblems } from '../support/blockKit';
import { launchBrowser } from '../support/browser';
import { startCloud, type Cloud } from '../support/cloud';
import { cardTexts as teamsTexts, teamsMessageProblems } from '../support/teamsMessage';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 60, nonMfaSignInsPerDay: 2 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

const outputDir = resolve(__dirname, '../../test-output');
const channels: AlertChannel[] = ['teams', 'slack', 'webhook'];
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function channelSettings(overrides: Record<string, string> = {}): Record<string, string> {
  return cloud.settings({ ...channelSettingsFor(cloud.sim), WEBHOOK_TIMEOUT_SECONDS: '5', ...overrides });
}

function detect(settings: Record<string, string>): Promise<string[]> {
  return cloud.run('detectRegressions', settings);
}

function failure(settings: Record<string, string>): Promise<Error & { code?: string; logs?: string[] }> {
  return detect(settings).then(
    () => Object.assign(new Error('succeeded'), { code: 'Succeeded' }),
    (thrown: Error & { code?: string }) => thrown,
  );
}

/** How many messages each place holds now, to count what a test adds. */
function counts(): Record<AlertChannel | 'email', number> {
  return { email: cloud.sim.inbox().length, teams: cloud.sim.received('teams').length, slack: cloud.sim.received('slack').length, webhook: cloud.sim.received('webhook').length };
}

function added(before: Record<AlertChannel | 'email', number>): Record<AlertChannel | 'email', number> {
  const now = counts();
  return { email: now.email - before.email, teams: now.teams - before.teams, slack: now.slack - before.slack, webhook: now.webhook - before.webhook };
}

/** A first look, then four simulated days later a second collection: the next detection has regressions to announce. */
async function regressionsWaiting(settings: Record<string, string>, firstDay: number): Promise<Record<AlertChannel | 'email', number>> {
  cloud.sim.setDay(firstDay);
  await cloud.collectAll(settings);
  await detect(settings);
  cloud.sim.setDay(firstDay + 4);
  await cloud.collectAll(settings);
  return counts();
}

async function deliveries(settings: Record<string, string>): Promise<Record<string, unknown>[]> {
  const table = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Outbox`, { allowInsecureConnection: true });
  const rows: Record<string, unknown>[] = [];
  for await (const row of table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${'delivery'}` } })) rows.push(row);
  return rows;
}

/** The alert's lines as the email has them ("- ..."), without the list marker. */
function emailLines(plainText: string): string[] {
  return plainText.split('\n').filter((line) => line.startsWith('- ')).map((line) => line.slice(2));
}

type Card = { type: string; version: string; body: { type: string; text?: string; inlines?: { text: string; selectAction?: { url: string } }[] }[] };

/** The card's lines about a finding, as written: the text runs that open a finding on the dashboard. */
function cardFindingLines(message: unknown): string[] {
  const [attachment] = (message as { attachments: { content: Card }[] }).attachments;
  return attachment!.content.body.flatMap((element) => element.inlines?.filter((run) => run.selectAction?.url.includes('#finding=')).map((run) => run.text) ?? []);
}

describe('alerts in Teams, Slack and a signed webhook', () => {
  it('when a regression is detected with every channel configured, then it arrives once in the inbox, Teams, Slack and the webhook receiver, each saying what the email says', async () => {
    const settings = channelSettings();
    const before = await regressionsWaiting(settings, 100);

    const logs = (await Promise.all([detect(settings), detect(settings)])).flat();
    await detect(settings);

    expect(added(before)).toEqual({ email: 1, teams: 1, slack: 1, webhook: 1 });
    const email = cloud.sim.inbox().at(-1)!;
    const lines = emailLines(email.plainText);
    expect(lines.length).toBeGreaterThan(0);
    const teams = cloud.sim.received('teams').at(-1)!.body as { type: string; attachments: { contentType: string; content: Card }[] };
    expect(teams).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4' } }] });
    expect(teamsMessageProblems(teams)).toEqual([]);
    const cardTexts = teamsTexts(teams);
    expect(cardTexts[0]).toBe(email.subject);
    // The card keeps the email's lines in order as far as Teams' size limit allows, and counts the rest.
    const cardLines = cardFindingLines(teams);
    expect(cardLines.length).toBeGreaterThan(10);
    expect(cardLines).toEqual(lines.slice(0, cardLines.length));
    if (cardLines.length < lines.length) expect(cardTexts.join('\n')).toMatch(/and \d+ more/);
    const slack = cloud.sim.received('slack').at(-1)!.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(slack.text).toBe(email.subject.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(blockKitProblems(slack)).toEqual([]);
    const slackText = slack.blocks.map((block) => block.text?.text ?? '').join('\n');
    for (const line of lines) expect(slackText).toContain(line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    const webhook = cloud.sim.received('webhook').at(-1)!;
    const body = webhook.body as { type: string; data: { subject: string; sections: { groups: { lines: { text: string }[] }[] }[]; findings: { key: string; change: string }[] } };
    expect(body.type).toBe('mfaMonitor.alert');
    expect(body.data.subject).toBe(email.subject);
    const webhookLines = body.data.sections.flatMap((section) => section.groups.flatMap((group) => group.lines.map((line) => line.text)));
    expect(webhookLines).toEqual(lines.slice(0, webhookLines.length));
    expect(body.data.findings.length).toBeGreaterThan(0);
    // The URLs and the secret are credentials: never in a log line.
    const secrets = Object.values(channelSettingsFor(cloud.sim));
    expect(logs.filter((line) => secrets.some((secret) => line.includes(secret)))).toEqual([]);
    expect(logs.filter((line) => / delivered to (email|Teams|Slack|signed webhook)$/.test(line))).toHaveLength(4);
    expect((await deliveries(settings)).map((row) => `${String(row.target)} ${String(row.status)}`).sort()).toEqual(
      expect.arrayContaining(['email sent', 'slack sent', 'teams sent', 'webhook sent']),
    );
  });

  it("when an alert reaches the email, Teams, Slack and the signed webhook, then every link to the monitor opens the dashboard at the announced finding or its customer, and none the keyed JSON API", async () => {
    // Issue 19: the "All open findings" link opened /api/findings, which answers 401 to a browser without the key.
    // The dashboard's fragment (#finding=<key>, #customer=<tenantId>, #findings=open) never reaches the server.
    const settings = channelSettings();
    const before = await regressionsWaiting(settings, 400);
    await detect(settings);
    expect(added(before)).toEqual({ email: 1, teams: 1, slack: 1, webhook: 1 });
    const email = cloud.sim.inbox().at(-1)!;
    const bodies: Record<string, string> = {
      'email HTML': email.html.replace(/&amp;/g, '&'),
      'email text': email.plainText,
      Teams: JSON.stringify(cloud.sim.received('teams').at(-1)!.body),
      Slack: JSON.stringify(cloud.sim.received('slack').at(-1)!.body).replace(/&amp;/g, '&'),
      'signed webhook': JSON.stringify(cloud.sim.received('webhook').at(-1)!.body),
    };
    const announced = (cloud.sim.received('webhook').at(-1)!.body as { data: { findings: { key: string }[] } }).data.findings.map((finding) => finding.key);
    const dashboard = `${settings.PUBLIC_BASE_URL}/api/dashboard#`;
    for (const [channel, text] of Object.entries(bodies)) {
      // Every URL in the body: an HTML attribute, a Markdown or mrkdwn link, a JSON string or a line of text ends at one of these.
      const urls = text.match(/https?:\/\/[^\s"'<>|()\\\]]+/g) ?? [];
      const ours = urls.filter((url) => url.startsWith(settings.PUBLIC_BASE_URL!));
      expect({ channel, elsewhere: ours.filter((url) => !url.startsWith(dashboard)) }).toEqual({ channel, elsewhere: [] });
      expect({ channel, theirs: urls.filter((url) => !url.startsWith(settings.PUBLIC_BASE_URL!) && !/^https:\/\/(entra\.microsoft\.com|aka\.ms)\/|^http:\/\/adaptivecards\.io\/schemas\//.test(url)) }).toEqual({ channel, theirs: [] });
      expect(text).not.toContain('/api/findings');
      const places = ours.map((url) => new URLSearchParams(url.slice(dashboard.length)));
      const findings = places.flatMap((place) => place.getAll('finding'));
      const customers = places.flatMap((place) => place.getAll('customer'));
      // Each finding linked is one this message announces, and each customer linked is the subject of one of them.
      expect({ channel, findings: findings.length > 0 && findings.every((key) => announced.includes(key)) }).toEqual({ channel, findings: true });
      expect({ channel, customers: customers.length > 0 && customers.every((tenantId) => announced.some((key) => key.startsWith(`customer/${tenantId}/`))) }).toEqual({ channel, customers: true });
      expect(places.some((place) => place.get('findings') === 'open')).toBe(true);
    }

    // On a phone's width the email fits: the customers' headings, the lines and their links wrap.
    const { browser } = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 800 }, javaScriptEnabled: false });
      await page.setContent(email.html);
      mkdirSync(outputDir, { recursive: true });
      await page.screenshot({ path: join(outputDir, 'alert-email-390.png'), fullPage: true });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    } finally {
      await browser.close();
    }
  });

  it('when Teams refuses the webhook (401), then each invocation fails naming Teams, the email goes out once and is never resent, and Teams gets the message once it is fixed', async () => {
    const settings = channelSettings();
    const before = await regressionsWaiting(settings, 110);
    cloud.sim.injectFault({ kind: 'status', status: 401, service: 'teams' });

    const first = await failure(settings);
    const second = await failure(settings);

    for (const thrown of [first, second]) {
      expect(thrown).toMatchObject({ code: 'AlertUndeliverable', message: expect.stringContaining('Teams refused the alert (status 401)') });
      expect(thrown.message).toContain('check TEAMS_WEBHOOK_URL');
      expect(thrown.message).not.toContain(cloud.sim.channelUrls.teams);
    }
    expect(added(before)).toEqual({ email: 1, teams: 0, slack: 1, webhook: 1 });
    // Teams answered, so the post did not arrive: it waits `ready`, and goes out without a repeat note.
    expect((await deliveries(settings)).find((row) => row.target === 'teams')).toMatchObject({ status: 'ready', lastError: expect.stringContaining('401'), lastErrorCode: 'AlertUndeliverable' });

    cloud.sim.clearFaults();
    await detect(settings);
    await detect(settings);
    expect(added(before)).toEqual({ email: 1, teams: 1, slack: 1, webhook: 1 });
    expect(JSON.stringify(cloud.sim.received('teams').at(-1)!.body)).not.toContain('Posted again');
  });

  it('when Slack throttles with Retry-After, then the post waits that long and goes through in the same run, once', async () => {
    const settings = channelSettings();
    const before = await regressionsWaiting(settings, 120);
    cloud.sim.clearRequestLog();
    cloud.sim.injectFault({ kind: 'status', status: 429, retryAfter: 2, service: 'slack', times: 1 });

    const started = Date.now();
    await detect(settings);

    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(cloud.sim.requestLog().filter((entry) => entry.service === 'slack').map((entry) => entry.status)).toEqual([429, 200]);
    expect(added(before)).toMatchObject({ slack: 1, email: 1 });
  });

  it('when the webhook receiver is down (503, then hung past the timeout), then the other channels are not held back, and it receives the message once when it is back', async () => {
    const settings = channelSettings();
    const before = await regressionsWaiting(settings, 130);
    cloud.sim.injectFault({ kind: 'status', status: 503, service: 'webhook' });
    const logs = await detect(settings);
    expect(logs.some((line) => line.includes('signed webhook delivery') && line.includes('answered 503') && line.includes('will be retried'))).toBe(true);
    cloud.sim.clearFaults();
    cloud.sim.injectFault({ kind: 'hang', service: 'webhook' });
    await detect(settings);
    expect(added(before)).toEqual({ email: 1, teams: 1, slack: 1, webhook: 0 });

    cloud.sim.clearFaults();
    await detect(settings);
    await detect(settings);
    expect(added(before)).toEqual({ email: 1, teams: 1, slack: 1, webhook: 1 });
  });

  it.each(channels)('when the detector crashes after %s took the message but before it was recorded, then the next run does not make it arrive twice where the channel can tell', async (channel) => {
    const settings = channelSettings();
    const before = await regressionsWaiting(settings, 140 + channels.indexOf(channel) * 10);
    const dependencies = await regressionDetector(quiet, settings);
    const real = dependencies.poster;
    const crashing: ChannelPoster = {
      post: async (target, body, deliveryId, budgetMs) => {
        await real.post(target, body, deliveryId, budgetMs);
        if (target === channel) throw new Error('process killed');
      },
    };
    await runDetector({ ...dependencies, poster: crashing });
    expect(added(before)[channel]).toBe(1);

    await detect(settings);
    await detect(settings);

    // The signed webhook is posted again under the same webhook-id, which its receiver drops;
    // Teams and Slack take no idempotency key, so an unconfirmed post is made again.
    expect(added(before)).toEqual({ email: 1, teams: 1, slack: 1, webhook: 1, [channel]: channel === 'webhook' ? 1 : 2 });
    if (channel !== 'webhook') {
      // The repeat says why it may show twice; the first post does not.
      const [first, repeat] = cloud.sim.received(channel).slice(-2).map((post) => JSON.stringify(post.body));
      expect(first).not.toContain('Posted again');
      expect(repeat).toContain('Posted again: an earlier post of this message could not be confirmed and may already be in this channel.');
    }
    expect((await deliveries(settings)).filter((row) => row.target === channel).map((row) => row.status)).toEqual(['sent']);
  });

  it.each(channels)('when the detector crashes after claiming the %s delivery but before posting, then the next run posts it exactly once', async (channel) => {
    const settings = channelSettings();
    const before = await regressionsWaiting(settings, 200 + channels.indexOf(channel) * 10);
    const dependencies = await regressionDetector(quiet, settings);
    const real = dependencies.poster;
    const crashing: ChannelPoster = {
      post: async (target, body, deliveryId, budgetMs) => {
        if (target === channel) throw new Error('process killed');
        await real.post(target, body, deliveryId, budgetMs);
      },
    };
    await runDetector({ ...dependencies, poster: crashing });
    expect(added(before)[channel]).toBe(0);

    await detect(settings);
    await detect(settings);

    expect(added(before)).toEqual({ email: 1, teams: 1, slack: 1, webhook: 1 });
  });

  it('when ALERT_ROUTES sends critical findings to Teams and the rest to the digest, then Teams gets only critical lines and nothing else is sent', async () => {
    const settings = channelSettings({ ALERT_ROUTES: 'critical -> teams; * -> digest' });
    const before = await regressionsWaiting(settings, 300);
    await detect(settings);
    expect(added(before)).toEqual({ email: 0, teams: 1, slack: 0, webhook: 0 });
    const texts = teamsTexts(cloud.sim.received('teams').at(-1)!.body);
    expect(texts.findIndex((text) => /^New regressions \(\d+\)$/.test(text))).toBeGreaterThan(0);
    expect(texts.some((text) => /^Resolved \(\d+\)$/.test(text))).toBe(false);
    const regressions = cardFindingLines(cloud.sim.received('teams').at(-1)!.body);
    expect(regressions.length).toBeGreaterThan(0);
    expect(regressions.filter((text) => !text.startsWith('CRITICAL: '))).toEqual([]);
  });

  it('when ALERT_ROUTES sends partner sign-ins without MFA to other recipients, then they get an email of those lines alone, and ALERT_TO the rest, each once', async () => {
    const settings = cloud.settings({ ALERT_ROUTES: 'nonMfaSignIn -> email(secops@partner.example); * -> email' });
    const before = await regressionsWaiting(settings, 310);
    await detect(settings);
    await detect(settings);
    const emails = cloud.sim.inbox().slice(before.email);
    expect(emails.map((email) => email.to.join()).sort()).toEqual(['admins@partner.example', 'secops@partner.example']);
    const secops = emailLines(emails.find((email) => email.to.join() === 'secops@partner.example')!.plainText);
    const admins = emailLines(emails.find((email) => email.to.join() === 'admins@partner.example')!.plainText);
    expect(secops.length).toBeGreaterThan(0);
    expect(secops.every((line) => line.includes('made a request without MFA'))).toBe(true);
    expect(admins.some((line) => line.includes('made a request without MFA'))).toBe(false);
    expect(new Set(emails.map((email) => email.operationId)).size).toBe(2);
  });

  it('when ALERT_ROUTES names a channel that is not configured, then the first run fails naming the route', async () => {
    const settings = cloud.settings({ ALERT_ROUTES: 'critical -> email, teams; * -> email' });
    await expect(detect(settings)).rejects.toThrow('ALERT_ROUTES route 1 (critical): teams is routed to, but TEAMS_WEBHOOK_URL is not set');
  });
});
