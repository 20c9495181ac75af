import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { startApiFixture, type ApiFixture } from './apiFixture';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

const outputDir = resolve(__dirname, '../../test-output');

let api: ApiFixture;
let browser: Browser;

beforeAll(async () => {
  // Playwright gives the browser a fresh profile of its own (it refuses --user-data-dir with launch()).
  ({ browser } = await launchBrowser());
  api = await startApiFixture();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

type Items = { items: Record<string, unknown>[] };

describe('dashboard in a real browser', () => {
  it('when an endpoint never answers, then the page stops waiting after 30 s and names it, instead of loading for ever', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Held open: the request gets no answer at all, as behind a proxy that has lost the app.
    await page.route(`${api.host.url}/api/score`, () => undefined);
    await page.clock.install();
    await page.goto(`${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}`);
    await page.waitForSelector('#monitor:not(:has-text("loading"))', { timeout: 15_000 });
    expect(await page.getAttribute('body', 'data-loaded')).toBeNull();
    await page.clock.runFor(31_000);
    await page.waitForSelector('body[data-loaded="error"]', { timeout: 15_000 });
    expect(await page.textContent('#error')).toBe('score: no answer within 30 s');
  });


  it('when opened from the local host with the key, then the charts show the stored points, the non-compliant customers and the findings that changed in the last 24 hours are listed', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('console', (message) => {
      // The fixture's monitor is unhealthy (a failed run), so /api/status answers 503 by design.
      if (message.type() === 'error' && !(message.text().includes('status of 503') && message.location().url.includes('/api/status'))) failures.push(message.text());
    });
    const response = await page.goto(`${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });
    expect({ loaded: await page.getAttribute('body', 'data-loaded'), failures, error: await page.textContent('#error') }).toEqual({ loaded: 'true', failures: [], error: '' });
    expect(await page.textContent('#monitor')).toBe('Monitor: not working (1 problem)');
    expect(await page.$$eval('#problems li', (items) => items.map((item) => item.textContent))).toEqual(['partnerSecurity: the last run failed (ServiceUnavailable)']);
    expect(await page.textContent('#sources')).toContain('failed (ServiceUnavailable)');
    expect(await page.$$eval('#deliveries tbody tr', (rows) => rows.map((row) => row.textContent))).toEqual(['No delivery waits on any channel.']);
    const status = (await (await api.get('status')).json()) as { detector: { schedule: { expectedBy: string } }; sources: { source: string; schedule: { expectedBy: string } }[] };
    // A time is shown relative to now; its <time> element holds the instant.
    const rows = await page.$$eval('#sources tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.querySelector('time')?.getAttribute('datetime') ?? td.textContent)));
    expect(rows.map((cells) => [cells[0], cells[4]])).toEqual([
      ...status.sources.map((source) => [source.source, source.schedule.expectedBy]),
      ['detectRegressions', status.detector.schedule.expectedBy],
    ]);

    const score = (await (await api.get('score')).json()) as Items;
    expect(score.items.length).toBe(3);
    const plotted = await page.$$eval('#score-chart circle[data-series="score"]', (dots) => dots.map((dot) => [dot.getAttribute('data-at'), Number(dot.getAttribute('data-value'))]));
    expect(plotted).toEqual(score.items.map((item) => [item.collectedAt, item.currentScore]));

    const requirements = (await (await api.get('requirements?type=mfaEnforcedForAdminsOfCustomers')).json()) as Items;
    const tenants = await page.$$eval('#tenants-chart circle[data-series="compliant tenants"]', (dots) => dots.map((dot) => Number(dot.getAttribute('data-value'))));
    expect(tenants).toEqual(requirements.items.map((item) => item.compliantTenantCount));
    const compliantRequirements = await page.$$eval('#requirements-chart circle[data-series="compliant"]', (dots) => dots.length);
    expect(compliantRequirements).toBe(3);

    const nonCompliant = (await (await api.get('customers?status=nonCompliant&top=100')).json()) as Items;
    expect(nonCompliant.items.length).toBeGreaterThan(0);
    const listed = await page.$$eval('#customers tbody tr', (rows) => rows.map((row) => row.getAttribute('data-tenant-id')));
    expect(listed).toEqual(nonCompliant.items.map((item) => item.tenantId));
    // People act on names: the customer's name comes first in its cell, its tenant id after.
    const firstCells = await page.$$eval('#customers tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent ?? ''));
    expect(nonCompliant.items.some((item) => typeof item.customerName === 'string')).toBe(true);
    expect(firstCells).toEqual(nonCompliant.items.map((item) => (typeof item.customerName === 'string' ? `${item.customerName} · ${String(item.tenantId)}` : String(item.tenantId))));

    const principals = (await (await api.get('principals?top=100')).json()) as Items;
    expect(principals.items.length).toBeGreaterThan(0);
    const people = await page.$$eval('#principals tbody tr', (rows) => rows.map((row) => [row.getAttribute('data-object-id'), row.querySelector('td')?.textContent ?? '']));
    expect(people).toEqual(principals.items.map((item) => [item.objectId, `${String(item.upn)} · ${String(item.objectId)}`]));

    // The findings table shows the triage's first page: what changed in the last 24 hours, worst first.
    const since = String(await page.getAttribute('#triage-window time', 'datetime'));
    const findings = (await (await api.get(`findings?state=all&since=${encodeURIComponent(since)}&top=25`)).json()) as Items;
    expect(findings.items.length).toBeGreaterThan(0);
    // Each finding reads as its one line and its next step, with a link where there is one.
    const shown = await page.$$eval('#findings tbody tr', (rows) => rows.map((row) => ({
      key: row.getAttribute('data-key'),
      finding: row.children[2]?.textContent,
      link: row.children[3]?.querySelector('a')?.getAttribute('href') ?? null,
    })));
    // Worst first: what is wrong now before what was put right, then the API's order (critical first, by impact).
    const worstFirst = [...findings.items].sort((left, right) => Number(left.state === 'resolved') - Number(right.state === 'resolved'));
    expect(shown).toEqual(worstFirst.map((item) => ({ key: item.key, finding: item.description, link: item.nextStepUrl })));
    // Left open: the packaged Chromium runs as one process, which exits with its last page.
  });

  it('when Teams refuses the monitor and Slack is down while the email went out, then the delivery panel shows per channel what waits, since when, the attempts, the last error and the refusal', async () => {
    const createdAt = new Date(Date.now() - 40 * 60_000).toISOString();
    const messageId = `m${Date.now()}`;
    const message = await api.detector.createMessage({
      messageId, status: 'ready', createdAt, reminder: false, subject: 'MFA regressions',
      lastError: null, sentAt: null,
    });
    const delivery = { messageId, createdAt, refusals: 0, firstAttemptAt: createdAt, sentAt: null };
    const teamsRefusal = 'Teams refused the alert (status 401): check TEAMS_WEBHOOK_URL; the alert stays in the outbox and goes out once this is fixed';
    await api.detector.createDeliveries([
      { ...delivery, operationId: '00000000-0000-4000-8000-000000000012', target: 'email', status: 'sent', attempts: 1, lastError: null, lastErrorCode: null },
      { ...delivery, operationId: '00000000-0000-4000-8000-000000000013', target: 'teams', status: 'sending', attempts: 3, lastError: teamsRefusal, lastErrorCode: 'AlertUndeliverable' },
      { ...delivery, operationId: '00000000-0000-4000-8000-000000000014', target: 'slack', status: 'sending', attempts: 2, lastError: 'Slack answered 503; retried on the next run', lastErrorCode: 'AlertUndelivered' },
    ]);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const failures: string[] = [];
      page.on('pageerror', (error) => failures.push(error.message));
      await page.goto(`${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}`);
      await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
      mkdirSync(outputDir, { recursive: true });
      await page.screenshot({ path: join(outputDir, 'dashboard-deliveries.png'), fullPage: true });
      expect({ loaded: await page.getAttribute('body', 'data-loaded'), failures, error: await page.textContent('#error') }).toEqual({ loaded: 'true', failures: [], error: '' });

      const shown = await page.$$eval('#deliveries tbody tr', (rows) => rows.map((row) => [row.getAttribute('data-target'), ...[...row.querySelectorAll('td')].map((td) => td.querySelector('time')?.getAttribute('datetime') ?? td.textContent)]));
      expect(shown).toEqual([
        ['teams', 'Teams', '1', createdAt, '3', teamsRefusal, 'yes: check its setting'],
        ['slack', 'Slack', '1', createdAt, '2', 'Slack answered 503; retried on the next run', 'no'],
      ]);
      expect(await page.getAttribute('#deliveries tr[data-target="teams"] td:last-child', 'class')).toBe('bad');
      expect(await page.$$eval('#problems li', (items) => items.map((item) => item.textContent))).toContain(`Teams refuses the monitor's alerts: ${teamsRefusal}`);
      // Left open, as the first page: closing a page of the single-process Chromium ends it.
    } finally {
      for (const waiting of (await api.detector.deliveriesOf(messageId)).filter((row) => row.status !== 'sent')) await api.detector.updateDelivery({ ...waiting, status: 'sent' });
      await api.detector.updateMessage({ ...message, status: 'sent', sentAt: new Date().toISOString() });
    }
  });

  it('when waivers are set, then the waivers panel lists the active ones, those expiring soon and the audit trail, and the findings they cover show as waived', async () => {
    const open = (await (await api.get('findings?state=open')).json()) as Items;
    const customerFinding = open.items.find((item) => (item.subject as { type: string }).type === 'customer')!;
    const tenantId = (customerFinding.subject as { id: string }).id;
    const create = async (body: Record<string, unknown>) => {
      const response = await fetch(`${api.host.url}/api/waivers`, { method: 'POST', headers: { 'x-functions-key': api.host.adminKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(201);
      return (await response.json()) as Record<string, unknown>;
    };
    const offboarding = await create({ scope: 'customer', target: tenantId, reason: 'customer being off-boarded', owner: 'Service desk', expiresAt: new Date(Date.now() + 60 * 86_400_000).toISOString() });
    const breakGlass = await create({ scope: 'partnerUsers', target: 'breakglass*@partner.example', reason: 'break-glass accounts', owner: 'Security team', expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString() });

    const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    await page.goto(`${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}`);
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'dashboard-waivers.png'), fullPage: true });
    expect({ loaded: await page.getAttribute('body', 'data-loaded'), failures, error: await page.textContent('#error') }).toEqual({ loaded: 'true', failures: [], error: '' });
    expect(await page.textContent('#waiver-count')).toBe('2 active waiver(s)');

    const waivers = (await (await api.get('waivers')).json()) as Items;
    const active = await page.$$eval('#waivers tbody tr', (rows) => rows.map((row) => [row.getAttribute('data-waiver-id'), row.children[0]?.textContent, row.children[1]?.textContent, row.children[4]?.textContent]));
    expect(active).toEqual(waivers.items.map((item) => [item.id, item.description, item.reason, String(item.waivedFindings)]));
    expect(active.map(([id]) => id)).toEqual([breakGlass.id, offboarding.id]);
    // People read the customer by name, the tenant id after.
    expect(String(waivers.items[1]!.description)).toMatch(new RegExp(`\\(tenant ${tenantId}\\)$`));
    expect(Number(waivers.items[1]!.waivedFindings)).toBeGreaterThan(0);

    const expiring = await page.$$eval('#waivers-expiring tbody tr', (rows) => rows.map((row) => row.getAttribute('data-waiver-id')));
    expect(expiring).toEqual([breakGlass.id]);
    const audit = await page.$$eval('#waiver-audit tbody tr', (rows) => rows.map((row) => [row.getAttribute('data-waiver-id'), row.children[1]?.textContent, row.children[2]?.textContent]));
    expect(audit).toEqual([[breakGlass.id, 'admin key', 'created'], [offboarding.id, 'admin key', 'created']]);

    // The waivers chip lists what a waiver covers among what changed in the window.
    await page.getByRole('button', { name: 'Waived', exact: true }).click();
    await page.waitForSelector('#triage[aria-busy="false"]');
    const since = String(await page.getAttribute('#triage-window time', 'datetime'));
    const findings = (await (await api.get(`findings?state=all&since=${encodeURIComponent(since)}&waived=true&top=25`)).json()) as Items;
    const coveredNow = (await (await api.get('findings?state=open')).json()) as Items;
    expect(coveredNow.items.filter((item) => item.waiver !== null).length).toBe(Number(waivers.items[1]!.waivedFindings));
    expect(findings.items.length).toBeGreaterThan(0);
    const marked = await page.$$eval('#findings tbody tr.waived', (rows) => rows.map((row) => [row.getAttribute('data-key'), row.getAttribute('data-waiver-id'), row.children[5]?.querySelector('time')?.getAttribute('datetime'), row.children[5]?.textContent?.replace(/^waived until [^:]+/, '')]));
    expect(marked).toEqual(findings.items.map((item) => [item.key, offboarding.id, offboarding.expiresAt, `: customer being off-boarded (waiver ${String(offboarding.id)})`]));
    await page.close();
  });
});
