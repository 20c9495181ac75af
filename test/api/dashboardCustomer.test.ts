import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { startApiFixture, type ApiFixture } from './apiFixture';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * The admin tasks of issue 19 done by clicking, at a desktop and a phone width:
 * - the page per customer is deep-linkable by its URL fragment, which the page reads and the
 *   browser never sends to the server (RFC 3986 section 3.5, "Fragment": it is "dereferenced
 *   solely by the user agent"), so Back and a kept link both work;
 * - waivers are changed with the ETag the listing gave as If-Match, and a stale one is a 412
 *   (RFC 9110 sections 13.1.1 "If-Match" and 15.5.13 "412 Precondition Failed");
 * - the waiver form is a modal <dialog>: focus moves into it and Escape closes it (WAI-ARIA
 *   Authoring Practices, "Dialog (Modal) Pattern", https://www.w3.org/WAI/ARIA/apg/patterns/dialog-modal/;
 *   WCAG technique H102, "Creating modal dialogs with the HTML dialog element");
 * - break-glass accounts are the emergency-access accounts Microsoft asks every tenant to keep
 *   (Microsoft Learn, "Manage emergency access accounts in Microsoft Entra ID",
 *   https://learn.microsoft.com/entra/identity/role-based-access-control/security-emergency-access):
 *   their sign-ins are expected, so one waiver pattern covers them.
 */

const outputDir = resolve(__dirname, '../../test-output');
const widths = [1440, 390] as const;

let api: ApiFixture;
let browser: Browser;
let page: Page;
let breakGlassUpn: string;
const pageErrors: string[] = [];
const tasks: Record<string, { clicks: number; seconds: number }> = {};

type Items = { items: Record<string, unknown>[]; continuationToken?: string | null };

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  api = await startApiFixture();
  // Partner Center lists a break-glass account among the partner users who signed in without MFA
  // (its documented answer shape, test/fixtures/documented/partner-center-principals.json).
  const principals = (await (await api.get('principals?top=100')).json()) as Items;
  const known = principals.items[0]!;
  breakGlassUpn = `breakglass01@${String(known.upn).split('@')[1]}`;
  const items = [
    { objectId: randomUUID(), tenantId: known.tenantId, upn: breakGlassUpn, lastNonMfaCompliantRequestDateTime: String(known.lastNonMfaRequestDateTime).replace(/Z$/, '') },
    ...principals.items.map((item) => ({ objectId: item.objectId, tenantId: item.tenantId, upn: item.upn, lastNonMfaCompliantRequestDateTime: String(item.lastNonMfaRequestDateTime).replace(/Z$/, '') })),
  ];
  api.cloud.sim.injectFault({ kind: 'verbatim', status: 200, body: JSON.stringify({ totalCount: items.length, items, attributes: { objectType: 'Collection' } }), service: 'partnerCenter', path: '/v1/nonMfaCompliantPartnerPrincipals', times: 1 });
  await api.cloud.run('collectNonMfaPrincipals', api.settings);
  await api.cloud.run('detectRegressions', api.settings);
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  mkdirSync(outputDir, { recursive: true });
}, 180_000);
afterAll(async () => {
  writeFileSync(join(outputDir, 'dashboard-customer-tasks.json'), `${JSON.stringify(tasks, null, 2)}\n`);
  await browser?.close();
  await api?.close();
});

const dashboardUrl = (fragment = '') => `${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}${fragment ? `&${fragment.replace(/^#/, '')}` : ''}`;

async function openDashboard(width: number, fragment = ''): Promise<void> {
  await page.setViewportSize({ width, height: 1000 });
  await page.goto('about:blank');
  await page.goto(dashboardUrl(fragment));
  await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
  expect({ error: await page.textContent('#error'), pageErrors }).toEqual({ error: '', pageErrors: [] });
}

/** A task by clicking: how many clicks, and how long from the first click to the answer on screen. */
function timed(name: string): { click: (selector: string) => Promise<void>; done: () => void } {
  const started = Date.now();
  let clicks = 0;
  return {
    click: async (selector) => {
      clicks += 1;
      await page.click(selector);
    },
    done: () => {
      tasks[name] = { clicks, seconds: Math.round((Date.now() - started) / 100) / 10 };
    },
  };
}

async function noSidewaysScroll(width: number): Promise<void> {
  if (width === 390) expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
}

/** axe-core's violations within one part of the page (the rest is other parts' tests). */
async function accessibilityViolations(selector: string): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (an injected <script> it would block).
  await page.evaluate(readFileSync(require.resolve('axe-core'), 'utf8'));
  return page.evaluate<string[]>(`axe.run({ include: [${JSON.stringify(selector)}] }).then((result) => result.violations.map((violation) => violation.id + ': ' + JSON.stringify(violation.nodes.map((node) => node.target))))`);
}

async function json(path: string): Promise<Record<string, unknown> & Items> {
  const response = await api.get(path);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown> & Items;
}

describe.each(widths)('dashboard at %i px', (width) => {
  it("when an admin clicks a customer's name, then its page shows the name, tenant id, timeline, findings, waivers and Entra links; Back returns and the link opens it directly", async () => {
    // A customer the overview lists that has findings, so every part of its page has something to show.
    const listed = await json('customers?status=nonCompliant&top=100');
    const withFindings = new Set((await json('findings?subject=customer&state=all')).items.map((item) => (item.subject as { id: string }).id));
    const customer = listed.items.find((item) => withFindings.has(String(item.tenantId)))!;
    const tenantId = String(customer.tenantId);

    await openDashboard(width);
    await page.evaluate('window.scrollTo(0, 200)');
    await page.locator(`#customers a[data-customer-link="${tenantId}"]`).scrollIntoViewIfNeeded();
    const readerAt = await page.evaluate<number>('window.scrollY');
    expect(readerAt).toBeGreaterThan(0);
    const task = timed(`this customer's history (${width} px)`);
    await task.click(`#customers a[data-customer-link="${tenantId}"]`);
    await page.waitForSelector(`#customer-view[data-tenant-id="${tenantId}"][data-loaded="true"]`, { timeout: 15_000 });
    task.done();
    // The address is the customer's link, with no key in it: the page took the key out of the fragment.
    expect(page.url()).toBe(`${api.host.url}/api/dashboard#customer=${tenantId}`);
    await page.screenshot({ path: join(outputDir, `dashboard-customer-${width}.png`), fullPage: true });
    await noSidewaysScroll(width);
    expect(await page.isVisible('#customers')).toBe(false);
    expect(await accessibilityViolations('#customer-view')).toEqual([]);

    const history = await json(`customers/${tenantId}/history`);
    expect(await page.textContent('#customer-title')).toBe(customer.customerName ?? tenantId);
    expect(await page.textContent('#customer-tenant')).toBe(`Tenant id ${tenantId}`);
    const plotted = await page.$$eval('#customer-chart circle[data-series="compliant admins"]', (dots) => dots.map((dot) => [dot.getAttribute('data-at'), Number(dot.getAttribute('data-value'))]));
    expect(plotted).toEqual(history.items.filter((item) => item.compliantAdminsCount !== null).map((item) => [item.collectedAt, item.compliantAdminsCount]));
    // Every change point is a line in words: policies as on/off, never Graph's raw value.
    const changes = await page.$$eval('#customer-changes li[data-at]', (items) => items.map((item) => [item.getAttribute('data-at'), item.textContent]));
    expect(changes[0]).toEqual([history.items[0]!.collectedAt, expect.stringContaining('First seen: compliant admins')]);
    expect(changes.map(([at]) => at)).toEqual(expect.arrayContaining([history.items[0]!.collectedAt]));
    expect(changes.join(' ')).not.toMatch(/\benabled\b|\bdisabled\b/);
    // Times as on the overview: relative words, the exact local time on hover (HTML's <time> with its instant in datetime).
    const times = await page.$$eval('#customer-changes time', (elements) => elements.map((element) => [element.getAttribute('datetime'), element.textContent, element.getAttribute('title')]));
    expect(times.length).toBeGreaterThanOrEqual(changes.length);
    for (const [datetime, text, title] of times) expect({ datetime, text, title }).toEqual({ datetime: expect.stringMatching(/^\d{4}-/), text: expect.stringMatching(/ago$|^just now$/), title: expect.any(String) });
    const links = await page.$$eval('#customer-entra-links a', (anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
    expect(links).toEqual(Object.values(history.entraLinks as Record<string, string>));
    expect(links.every((link) => link?.startsWith(`https://entra.microsoft.com/#@${tenantId}/`))).toBe(true);

    for (const state of ['open', 'resolved'] as const) {
      const findings = await json(`findings?subject=customer&subjectId=${tenantId}&state=${state}&top=20`);
      const shown = await page.$$eval(`#customer-${state} tbody tr[data-key]`, (rows) => rows.map((row) => [row.getAttribute('data-key'), row.children[1]?.textContent]));
      expect(shown).toEqual(findings.items.map((item) => [item.key, item.description]));
      expect(await page.isVisible(`#customer-${state}-more`)).toBe(findings.continuationToken !== null);
    }
    expect(withFindings.has(tenantId)).toBe(true);

    // Back is the browser's own: the overview again, where the reader left it.
    await page.goBack();
    await page.waitForSelector('#customer-view', { state: 'hidden' });
    expect(await page.isVisible('#customers')).toBe(true);
    expect(await page.evaluate<number>('window.scrollY')).toBe(readerAt);

    // The link kept or sent opens the customer directly.
    await openDashboard(width, `#customer=${tenantId}`);
    await page.waitForSelector(`#customer-view[data-tenant-id="${tenantId}"][data-loaded="true"]`, { timeout: 15_000 });
    expect(await page.textContent('#customer-title')).toBe(customer.customerName ?? tenantId);
    await noSidewaysScroll(width);
  });

  it('when an admin waives a break-glass account from its row, then the waiver, its audit trail and the waived findings show; it is changed and deleted with its ETag', async () => {
    await openDashboard(width);
    const row = `#principals tbody tr:has-text("${breakGlassUpn}")`;
    const task = timed(`waive a break-glass account (${width} px)`);
    await task.click(`${row} button[data-waive-scope]`);
    await page.waitForSelector('#waiver-dialog[open]');
    // Focus moves into the dialog; the fields come prefilled from the row.
    expect(await page.evaluate<boolean>("document.getElementById('waiver-dialog').contains(document.activeElement)")).toBe(true);
    expect(await page.inputValue('#waiver-scope')).toBe('partnerUsers');
    expect(await page.inputValue('#waiver-target')).toBe(breakGlassUpn);
    const pattern = `breakglass*@${breakGlassUpn.split('@')[1]}`;
    await task.click(`#waiver-suggestions button[data-suggested-target="${pattern}"]`);
    expect(await page.inputValue('#waiver-target')).toBe(pattern);
    // The expiry defaults to the furthest WAIVER_MAX_DAYS allows, and no further.
    const maxDays = (await json('waivers')).maxDays as number;
    expect(maxDays).toBe(180);
    const lastDate = new Date(Date.now() + (maxDays - 1) * 86_400_000 + 1).toISOString().slice(0, 10);
    expect([await page.inputValue('#waiver-expires'), await page.getAttribute('#waiver-expires', 'max')]).toEqual([lastDate, lastDate]);
    // What the browser lets through and the API refuses comes back beside the field it names.
    await page.fill('#waiver-reason', '\u200B');
    await page.fill('#waiver-owner', 'Security team');
    if (await page.isVisible('#waiver-admin-key')) await page.fill('#waiver-admin-key', api.host.adminKey);
    // Not counted: a check of the form, not a step of the task.
    await page.click('#waiver-form button[type="submit"]');
    await page.waitForSelector('#waiver-reason[aria-invalid="true"]');
    expect(await page.textContent('#waiver-problem')).toMatch(/^Reason \(reason\): /);
    await page.fill('#waiver-reason', 'break-glass accounts sign in without MFA by design');
    await task.click('#waiver-form button[type="submit"]');
    await page.waitForSelector('#waiver-history li[data-action="created"]');
    const created = (await json('waivers')).items.find((item) => item.target === pattern)!;
    await page.waitForSelector(`#waivers tbody tr[data-waiver-id="${String(created.id)}"]`);
    task.done();
    await page.screenshot({ path: join(outputDir, `dashboard-waiver-create-${width}.png`), fullPage: false });
    expect(created).toMatchObject({ scope: 'partnerUsers', reason: 'break-glass accounts sign in without MFA by design', owner: 'Security team', createdBy: 'admin key' });
    expect(Date.parse(String(created.expiresAt))).toBeLessThanOrEqual(Date.now() + maxDays * 86_400_000);
    if (width === 390) expect(await page.evaluate<number>("document.getElementById('waiver-dialog').getBoundingClientRect().right")).toBeLessThanOrEqual(390);
    expect(await accessibilityViolations('#waiver-dialog')).toEqual([]);

    // The audit trail lists it, and the break-glass finding shows as waived by it.
    expect(await page.$$eval('#waiver-audit tbody tr', (rows) => rows.map((tr) => [tr.getAttribute('data-waiver-id'), tr.children[1]?.textContent, tr.children[2]?.textContent])))
      .toContainEqual([created.id, 'admin key', 'created']);
    const waived = (await json('findings?state=open&subject=principal&waived=true')).items;
    expect(waived.map((item) => item.upn)).toEqual([breakGlassUpn]);
    expect(await page.getAttribute(`#findings tbody tr[data-key="${String(waived[0]!.key)}"]`, 'data-waiver-id')).toBe(created.id);

    // A change goes with the ETag the page holds; one made meanwhile by someone else is a 412, then reloaded.
    await page.fill('#waiver-owner', 'Identity team');
    const other = await fetch(`${api.host.url}/api/waivers/${String(created.id)}`, {
      method: 'PATCH', headers: { 'x-functions-key': api.host.adminKey, 'content-type': 'application/json', 'if-match': String(created.etag) }, body: JSON.stringify({ reason: 'changed elsewhere' }),
    });
    expect(other.status).toBe(200);
    await page.click('#waiver-form button[type="submit"]');
    await page.waitForSelector('#waiver-reload');
    expect(await page.textContent('#waiver-problem')).toMatch(/^Changed by someone else/);
    await page.click('#waiver-reload');
    // Polled from here: a string evaluated in the page (waitForFunction) is what the page's CSP refuses.
    for (const deadline = Date.now() + 5000; (await page.inputValue('#waiver-reason')) !== 'changed elsewhere' && Date.now() < deadline;) await page.waitForTimeout(50);
    expect(await page.inputValue('#waiver-reason')).toBe('changed elsewhere');
    await page.fill('#waiver-owner', 'Identity team');
    await page.click('#waiver-form button[type="submit"]');
    await page.waitForSelector('#waiver-history li:nth-child(3)');
    expect(await page.$$eval('#waiver-history li', (items) => items.map((item) => item.getAttribute('data-action')))).toEqual(['changed', 'changed', 'created']);
    expect((await json('waivers')).items.find((item) => item.id === created.id)).toMatchObject({ owner: 'Identity team', reason: 'changed elsewhere' });
    await page.screenshot({ path: join(outputDir, `dashboard-waiver-edit-${width}.png`), fullPage: false });

    await page.click('#waiver-delete');
    await page.waitForSelector('#waiver-dialog', { state: 'hidden' });
    await page.waitForSelector(`#waivers tbody tr[data-waiver-id="${String(created.id)}"]`, { state: 'detached' });
    expect((await json('waivers')).items.map((item) => item.id)).not.toContain(created.id);
    expect((await json(`waiver-audit?waiverId=${String(created.id)}`)).items.map((item) => item.action)).toEqual(['deleted', 'changed', 'changed', 'created']);

    // The keyboard alone: Escape closes the dialog.
    await page.click(`${row} button[data-waive-scope]`);
    await page.waitForSelector('#waiver-dialog[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#waiver-dialog', { state: 'hidden' });
    await page.screenshot({ path: join(outputDir, `dashboard-waiver-${width}.png`), fullPage: false });
  });
});

describe("a customer's admin waived from the findings table", () => {
  // Issue 20, item 4: "waivers (for example a break-glass account: waive by customer and UPN)"; Microsoft asks every
  // tenant to keep emergency access accounts excluded from Conditional Access ("Manage emergency access accounts in
  // Microsoft Entra ID", https://learn.microsoft.com/entra/identity/role-based-access-control/security-emergency-access),
  // so a customer's break-glass admin that no policy requires MFA of is waived in that customer only.
  it("when an admin presses Waive… on a finding about a customer's admin, then the dialog offers that admin in that customer, and the break-glass pattern in one click", async () => {
    const customerFinding = (await json('findings?subject=customer&state=all')).items[0]!;
    const tenantId = String((customerFinding.subject as { id: string }).id);
    const userId = randomUUID();
    const key = `admins/${tenantId}/${userId}/mfaRequired`;
    const adminFinding = {
      ...customerFinding, key, kind: 'adminMfaNotRequired', severity: 'critical', impact: 9, state: 'open', measure: 'mfaRequired', baseline: 0, current: 1, resolvedAt: null, waiver: null,
      admin: { userId, userPrincipalName: 'BreakGlass01@contoso.example', displayName: 'Emergency access 1' },
      description: 'No policy requires MFA of Emergency access 1 (BreakGlass01@contoso.example)',
    };
    // The detector's admin findings come from the customer-admin scan (issue 20, items 1-3): here the table's answer carries one.
    await page.route(/\/api\/findings\?/, async (route) => {
      const url = route.request().url();
      const response = await route.fetch();
      if (url.includes('subject=') || url.includes('continuationToken=')) return route.fulfill({ response });
      const answer = (await response.json()) as Items;
      return route.fulfill({ response, json: { ...answer, items: [adminFinding, ...answer.items] } });
    });
    try {
      await openDashboard(1440);
      await page.click(`#findings tbody tr[data-key="${key}"] button[data-waive-scope]`);
      await page.waitForSelector('#waiver-dialog[open]');
      expect(await page.inputValue('#waiver-scope')).toBe('customerAdmins');
      expect(await page.inputValue('#waiver-target')).toBe(`${tenantId}/BreakGlass01@contoso.example`);
      const pattern = `${tenantId}/breakglass*@contoso.example`;
      await page.click(`#waiver-suggestions button[data-suggested-target="${pattern}"]`);
      expect(await page.inputValue('#waiver-target')).toBe(pattern);
      await page.fill('#waiver-reason', 'emergency access accounts are excluded from Conditional Access by design');
      await page.fill('#waiver-owner', 'Contoso IT');
      if (await page.isVisible('#waiver-admin-key')) await page.fill('#waiver-admin-key', api.host.adminKey);
      await page.click('#waiver-form button[type="submit"]');
      await page.waitForSelector('#waiver-history li[data-action="created"]');
      const created = (await json('waivers')).items.find((item) => item.target === pattern.toLowerCase())!;
      expect(created).toMatchObject({ scope: 'customerAdmins', description: expect.stringMatching(/^admins of .* matching breakglass\*@contoso\.example$/) });
      await page.screenshot({ path: join(outputDir, 'dashboard-waiver-customer-admins-1440.png'), fullPage: false });
      const deleted = await fetch(`${api.host.url}/api/waivers/${String(created.id)}`, { method: 'DELETE', headers: { 'x-functions-key': api.host.adminKey, 'if-match': '*' } });
      expect(deleted.status).toBe(204);
      await page.keyboard.press('Escape');
    } finally {
      await page.unroute(/\/api\/findings\?/);
    }
  });
});

describe("the simulator's inbox, as npm start links it", () => {
  it('when a browser opens it, then it refuses the self-signed certificate with the error npm start names (Chromium net_error_list.h: CERT_AUTHORITY_INVALID)', async () => {
    await expect(page.goto(`${api.cloud.sim.url}/_sim/inbox`)).rejects.toThrow(/net::ERR_CERT_AUTHORITY_INVALID/);
  });
});
