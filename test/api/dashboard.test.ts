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
  it('when opened from the local host with the key, then the charts show the stored points and the non-compliant customers and open findings are listed', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('console', (message) => {
      // The fixture's monitor is unhealthy (a failed run), so /api/status answers 503 by design.
      if (message.type() === 'error' && !(message.text().includes('status of 503') && message.location().url.includes('/api/status'))) failures.push(message.text());
    });
    const response = await page.goto(`${api.host.url}/api/dashboard?code=${encodeURIComponent(api.host.functionKey)}`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });
    expect({ loaded: await page.getAttribute('body', 'data-loaded'), failures, error: await page.textContent('#error') }).toEqual({ loaded: 'true', failures: [], error: '' });
    expect(await page.textContent('#health')).toMatch(/^Needs attention \(1\) · /);
    expect(await page.$$eval('#problems li', (items) => items.map((item) => item.textContent))).toEqual(['partnerSecurity: the last run failed (ServiceUnavailable)']);
    expect(await page.textContent('#sources')).toContain('failed (ServiceUnavailable)');
    const status = (await (await api.get('status')).json()) as { detector: { schedule: { expectedBy: string } }; sources: { source: string; schedule: { expectedBy: string } }[] };
    const rows = await page.$$eval('#sources tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
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

    const findings = (await (await api.get('findings?state=open')).json()) as Items;
    expect(findings.items.length).toBeGreaterThan(0);
    // Each finding reads as its one line and its next step, with a link where there is one.
    const shown = await page.$$eval('#findings tbody tr', (rows) => rows.map((row) => ({
      key: row.getAttribute('data-key'),
      finding: row.children[1]?.textContent,
      link: row.children[2]?.querySelector('a')?.getAttribute('href') ?? null,
    })));
    expect(shown).toEqual(findings.items.map((item) => ({ key: item.key, finding: item.description, link: item.nextStepUrl })));
    await page.close();
  });
});
