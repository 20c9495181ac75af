import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { queryApi, waiverAdministration } from '../../src/composition';
import { monitorStatus } from '../../src/api/monitorStatus';
import { channelSettingsFor } from '../../tools/simulator';
import { launchBrowser } from '../support/browser';
import { blockKitProblems } from '../support/blockKit';
import { startCloud, type Cloud } from '../support/cloud';
import { cardTexts, teamsMessageProblems } from '../support/teamsMessage';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

const outputDir = resolve(__dirname, '../../test-output');

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

async function collectDays(settings: Record<string, string>, days: number[]): Promise<void> {
  for (const day of days) {
    cloud.sim.setDay(day);
    await cloud.collectAll(settings);
    await cloud.run('detectRegressions', settings);
  }
}

function digest(settings: Record<string, string>): Promise<Error & { code?: string }> {
  return cloud.run('sendWeeklyDigest', settings).then(
    () => Object.assign(new Error('succeeded'), { code: 'Succeeded' }),
    (thrown: Error & { code?: string }) => thrown,
  );
}

function digests(): ReturnType<Cloud['sim']['inbox']> {
  return cloud.sim.inbox().filter((email) => email.subject.includes('Weekly digest'));
}

async function digestRows(settings: Record<string, string>): Promise<Record<string, unknown>[]> {
  const table = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Detector`, { allowInsecureConnection: true });
  const rows: Record<string, unknown>[] = [];
  for await (const row of table.listEntities({ queryOptions: { filter: "PartitionKey eq 'digest'" } })) rows.push(row);
  return rows;
}

describe('the weekly digest', () => {
  it('when the digest runs twice in a week, then the admins get it once, naming customers, and it reads well in a browser', async () => {
    const settings = cloud.settings();
    await collectDays(settings, [10, 14]);
    const before = digests().length;
    // A break-glass waiver ending in five days: the digest lists it for its owner to renew.
    const now = new Date();
    const waiver = { id: 'w1', scope: 'partnerUsers' as const, target: 'breakglass*@partner.example', reason: 'break-glass accounts', owner: 'Security team', expiresAt: new Date(now.getTime() + 5 * 86_400_000).toISOString(), createdAt: now.toISOString(), createdBy: 'admin key', updatedAt: now.toISOString(), updatedBy: 'admin key' };
    const { waivers } = await waiverAdministration(settings);
    await waivers.createWaiver(waiver, { at: now.toISOString(), actor: 'admin key', action: 'created', waiverId: 'w1', before: null, after: waiver });

    expect((await digest(settings)).code).toBe('Succeeded');
    expect((await digest(settings)).code).toBe('Succeeded');

    const sent = digests().slice(before);
    expect(sent).toHaveLength(1);
    const [email] = sent;
    expect(email?.to).toEqual(['admins@partner.example']);
    expect(email?.subject).toMatch(/^\[MFA monitor\] Weekly digest \d{4}-W\d{2}: score [\d.]+/);
    expect(email?.plainText).toContain('Partner security score');
    expect(email?.plainText).toMatch(/No MFA policy enabled: \d+ of 60/);
    expect(email?.plainText).toMatch(/Waivers expiring soon\n- .*breakglass\*@partner\.example.*, owned by Security team, expires \d{4}-\d{2}-\d{2}/);
    // Customers are named as the directory knows them: every named customer the digest mentions comes with its name.
    const named = cloud.sim.expected().customers.filter((customer) => customer.listedIn.delegatedAdminCustomers || customer.listedIn.partnerCenterCustomers);
    const mentioned = named.filter((customer) => email?.plainText.includes(customer.tenantId));
    expect(mentioned.length).toBeGreaterThan(0);
    for (const customer of mentioned) expect(email?.plainText).toContain(`${customer.name} (tenant ${customer.tenantId})`);
    expect(await digestRows(settings)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
    // The oldest open problems come under their customer, linked to its page; each links to itself on the dashboard.
    expect(email?.html).toMatch(/<a href="https:\/\/monitor\.example\/api\/dashboard#customer=[0-9a-f-]{36}">[^<]+\(tenant [0-9a-f-]{36}\)<\/a>/);
    expect(email?.html).toMatch(/>Open since \d{4}-\d{2}-\d{2}: [^<]+<\/span> <span style="font-size:13px"><a href="https:\/\/monitor\.example\/api\/dashboard#finding=customer%2F[0-9a-f-]{36}%2F\w+">Details<\/a>/);

    const { browser } = await launchBrowser();
    try {
      // A phone's width: the digest must still fit, its bars drawn by table cells.
      const page = await browser.newPage({ viewport: { width: 390, height: 800 }, javaScriptEnabled: false });
      await page.setContent(email?.html ?? '');
      mkdirSync(outputDir, { recursive: true });
      await page.screenshot({ path: join(outputDir, 'weekly-digest.png'), fullPage: true });
      const layout = {
        overflow: await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
        bars: await page.$$eval('td[bgcolor]', (cells) => cells.filter((cell) => cell.getBoundingClientRect().width > 0 && cell.getBoundingClientRect().height > 0).length),
        headings: await page.$$eval('h2', (headings) => headings.map((heading) => heading.textContent)),
      };
      expect(layout.overflow).toBeLessThanOrEqual(0);
      expect(layout.bars).toBeGreaterThan(5);
      expect(layout.headings).toEqual(expect.arrayContaining(['Partner security score', 'Customers', 'Partner users without MFA']));
    } finally {
      await browser.close();
    }
  });

  it('when no snapshot or no detector run has completed yet (a demo started just before an even minute, a new deployment), then the digest sends nothing, says why, and the first run after the first detection sends the week\'s', async () => {
    const settings = cloud.settings();
    const before = digests().length;
    cloud.sim.setDay(70);

    expect(await cloud.run('sendWeeklyDigest', settings)).toEqual([expect.stringMatching(/^warning: sendWeeklyDigest: the digest of \d{4}-W\d{2} is not sent yet: no partnerSecurity snapshot has completed.*the week is not used/)]);
    await cloud.collectAll(settings);
    expect(await cloud.run('sendWeeklyDigest', settings)).toEqual([expect.stringMatching(/not sent yet: no detectRegressions run has completed, so it would report no findings; the week is not used/)]);
    expect(digests().length).toBe(before);
    expect(await digestRows(settings)).toEqual([]);

    await cloud.run('detectRegressions', settings);
    expect((await digest(settings)).code).toBe('Succeeded');
    const sent = digests().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toMatch(/Weekly digest \d{4}-W\d{2}: score [\d.]+/);
  });

  it('when ACS refuses the credentials, then the invocation fails saying so, and once fixed the digest goes out exactly once', async () => {
    const settings = cloud.settings();
    await collectDays(settings, [30]);
    const before = digests().length;
    cloud.sim.injectFault({ kind: 'status', status: 401, service: 'acs' });

    const failure = await digest(settings);
    expect(failure).toMatchObject({ code: 'DigestUndelivered', message: expect.stringMatching(/the digest of \d{4}-W\d{2} did not reach email: .*the others are retried/) });
    expect(await digestRows(settings)).toEqual([expect.objectContaining({ status: 'sending', lastError: expect.any(String) })]);

    cloud.sim.clearFaults();
    expect((await digest(settings)).code).toBe('Succeeded');
    expect((await digest(settings)).code).toBe('Succeeded');
    expect(digests().slice(before)).toHaveLength(1);
    expect(await digestRows(settings)).toEqual([expect.objectContaining({ status: 'sent', attempts: 2, lastError: '' })]);
  });

  it('when a run stopped after ACS took the digest but before recording it, then the next run finds it sent and sends nothing', async () => {
    const settings = cloud.settings();
    await collectDays(settings, [50]);
    expect((await digest(settings)).code).toBe('Succeeded');
    const before = digests().length;
    // What a crash between the send and the ledger update leaves: the week claimed, not marked sent, claim long expired.
    const table = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Detector`, { allowInsecureConnection: true });
    const [row] = await digestRows(settings);
    await table.updateEntity(
      { partitionKey: 'digest', rowKey: String(row?.rowKey), status: 'sending', sentAt: '', claimedAt: '2000-01-01T00:00:00.000Z', deliveries: JSON.stringify({ email: { sentAt: null, lastError: null } }) },
      'Merge',
    );

    expect((await digest(settings)).code).toBe('Succeeded');
    expect(digests().length).toBe(before);
    expect(await digestRows(settings)).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
  });

  describe('to the routed channels', () => {
    const channels = ['teams', 'slack', 'webhook'] as const;
    const received = () => ({ teams: cloud.sim.received('teams').length, slack: cloud.sim.received('slack').length, webhook: cloud.sim.received('webhook').length });
    const channelSettings = () => cloud.settings({ ...channelSettingsFor(cloud.sim), WEBHOOK_TIMEOUT_SECONDS: '3' });

    it('when the digest runs twice in a week, then the email, Teams, Slack and the signed webhook each get it once, in the shape each receiver accepts', async () => {
      const settings = channelSettings();
      await collectDays(settings, [60]);
      const before = { email: digests().length, ...received() };

      expect((await digest(settings)).code).toBe('Succeeded');
      expect((await digest(settings)).code).toBe('Succeeded');

      expect(digests().length - before.email).toBe(1);
      const after = received();
      for (const channel of channels) expect(after[channel] - before[channel]).toBe(1);
      // The receivers answer 400 to a card, blocks or signature they would refuse: 2xx means each was valid.
      const teams = cloud.sim.received('teams').at(-1)!.body;
      expect(teamsMessageProblems(teams)).toEqual([]);
      expect(cardTexts(teams).join('\n')).toMatch(/Partner security score: [\d.]+/);
      const slack = cloud.sim.received('slack').at(-1)!.body as { text: string };
      expect(blockKitProblems(slack)).toEqual([]);
      expect(slack.text).toMatch(/^\[MFA monitor\] Weekly digest \d{4}-W\d{2}/);
      const webhook = cloud.sim.received('webhook').at(-1)!.body as { type: string; data: { week: string; customers: { total: number } } };
      expect(webhook).toMatchObject({ type: 'mfaMonitor.weeklyDigest', data: { week: expect.stringMatching(/^\d{4}-W\d{2}$/), customers: { total: 60 } } });
      const [row] = await digestRows(settings);
      expect(row).toMatchObject({ status: 'sent' });
      expect(Object.keys(JSON.parse(String(row?.deliveries)))).toEqual(['email', 'teams', 'slack', 'webhook']);

      // Every link to the monitor opens the dashboard (issue 19: the card's "All open findings" opened the keyed JSON API, 401 in a browser).
      const email = digests().at(-1)!;
      const open = (await (await queryApi(settings)).reader.findingsPage('open', null, Infinity)).items;
      const dashboard = `${settings.PUBLIC_BASE_URL}/api/dashboard#`;
      const bodies = { email: email.html.replace(/&amp;/g, '&'), teams: JSON.stringify(teams), slack: JSON.stringify(slack).replace(/&amp;/g, '&'), webhook: JSON.stringify(webhook) };
      for (const [channel, text] of Object.entries(bodies)) {
        const ours = (text.match(/https?:\/\/[^\s"'<>|()\\\]]+/g) ?? []).filter((url) => url.startsWith(settings.PUBLIC_BASE_URL!));
        expect({ channel, elsewhere: ours.filter((url) => !url.startsWith(dashboard)) }).toEqual({ channel, elsewhere: [] });
        expect({ channel, since: ours.some((url) => /#findings=open&since=\d{4}-\d{2}-\d{2}T/.test(decodeURIComponent(url))) }).toEqual({ channel, since: true });
        expect(text).not.toMatch(/\/api\/(findings|customers)/);
        // A finding or customer linked is one that is open.
        for (const place of ours.map((url) => new URLSearchParams(url.slice(dashboard.length)))) {
          for (const key of place.getAll('finding')) expect(open.map((finding) => finding.key)).toContain(key);
          for (const tenantId of place.getAll('customer')) expect(open.some((finding) => finding.subject.id === tenantId)).toBe(true);
        }
      }
    });

    it('when Teams is down, then the others get the digest, the invocation fails and the status names Teams; once back, Teams gets it once and the email is not resent', async () => {
      const settings = channelSettings();
      await collectDays(settings, [70]);
      const before = { email: digests().length, ...received() };
      cloud.sim.injectFault({ kind: 'status', status: 503, service: 'teams' });

      const failure = await digest(settings);
      expect(failure).toMatchObject({ code: 'DigestUndelivered', message: expect.stringContaining('did not reach Teams: ') });
      expect(failure.message).not.toContain(cloud.sim.channelUrls.teams);
      expect(digests().length - before.email).toBe(1);
      expect(received()).toMatchObject({ teams: before.teams, slack: before.slack + 1, webhook: before.webhook + 1 });
      const status = await monitorStatus(await queryApi(settings));
      expect(status.body.problems).toEqual(expect.arrayContaining([expect.stringMatching(/weekly digest of \d{4}-W\d{2} is undelivered .*Teams/)]));
      expect((status.body.digest as { targets: { target: string; sentAt: string | null }[] }).targets).toEqual(
        expect.arrayContaining([expect.objectContaining({ target: 'Teams', sentAt: null }), expect.objectContaining({ target: 'email', sentAt: expect.any(String) })]),
      );

      cloud.sim.clearFaults();
      expect((await digest(settings)).code).toBe('Succeeded');
      expect((await digest(settings)).code).toBe('Succeeded');
      expect(digests().length - before.email).toBe(1);
      expect(received()).toEqual({ teams: before.teams + 1, slack: before.slack + 1, webhook: before.webhook + 1 });
    });

    it('when Slack refuses the webhook URL, then the invocation fails as undeliverable naming Slack, and the other targets are not held back', async () => {
      const settings = channelSettings();
      await collectDays(settings, [80]);
      const before = { email: digests().length, ...received() };
      cloud.sim.injectFault({ kind: 'status', status: 404, service: 'slack' });

      const failure = await digest(settings);
      expect(failure).toMatchObject({ code: 'DigestUndeliverable', message: expect.stringContaining('did not reach Slack: ') });
      expect(digests().length - before.email).toBe(1);
      expect(received()).toMatchObject({ teams: before.teams + 1, slack: before.slack, webhook: before.webhook + 1 });
    });
  });
});
