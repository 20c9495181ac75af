import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { startApiFixture, type ApiFixture } from './apiFixture';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * The dashboard as an MSP admin uses it, by clicking, on a desktop (1440 px) and a phone (390 px).
 * What it is held to, from the documents:
 * - WCAG 2.1 success criterion 1.4.10 Reflow (https://www.w3.org/WAI/WCAG21/Understanding/reflow.html):
 *   content can be presented "without loss of information or functionality, and without requiring
 *   scrolling in two dimensions" at 320 CSS px; data tables are the named exception, so a table
 *   scrolls inside its card and the page itself never scrolls sideways.
 * - axe-core's rules tagged wcag2a and wcag2aa (https://github.com/dequelabs/axe-core/blob/develop/doc/API.md#options-parameter,
 *   `runOnly: { type: 'tag', values: [...] }`), among them color-contrast (WCAG 1.4.3, 4.5:1),
 *   button-name, link-name, aria-allowed-attr and scrollable-region-focusable.
 * - WAI-ARIA Authoring Practices, Button pattern (https://www.w3.org/WAI/ARIA/apg/patterns/button/):
 *   a toggle button is a button with `aria-pressed`; the Sortable Table example puts the sort in
 *   a button inside the column header, whose `aria-sort` says the order.
 * - HTML's <time> element (https://html.spec.whatwg.org/multipage/text-level-semantics.html#the-time-element):
 *   its `datetime` attribute gives the machine-readable time the human text stands for.
 */

const outputDir = resolve(__dirname, '../../test-output');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let api: ApiFixture;
let browser: Browser;
let page: Page;
const failures: string[] = [];

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  api = await startApiFixture();
  // One page for the whole file: the packaged Chromium runs single-process and ends with its last page.
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (error) => failures.push(error.message));
  mkdirSync(outputDir, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

type Finding = { key: string; severity: string; state: string; impact: number; subject: { type: string; id: string }; customerName: string | null; description: string };
type FindingList = { items: Finding[]; continuationToken: string | null };

// The key travels in the fragment, beside the page's own parameters; the page takes it out of the address.
const dashboard = (hash = '') => `${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}${hash ? `&${hash.replace(/^#/, '')}` : ''}`;
const findings = async (query: string) => (await (await api.get(`findings?${query}`)).json()) as FindingList;

async function open(hash = ''): Promise<void> {
  await page.goto('about:blank');
  await page.goto(dashboard(hash));
  await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
  expect({ loaded: await page.getAttribute('body', 'data-loaded'), error: await page.textContent('#error') }).toEqual({ loaded: 'true', error: '' });
}

async function click(name: string, within = '#triage'): Promise<void> {
  await page.locator(within).getByRole('button', { name, exact: true }).click();
  await page.waitForSelector('#triage[aria-busy="false"]');
}

/** The start of the window the triage shows, as its <time> element says it. */
const windowStart = async () => String(await page.getAttribute('#triage-window time', 'datetime'));

/** axe-core in the page, its WCAG 2 A and AA rules; its source is evaluated, as the page's CSP lets no other script in. */
async function accessibility(): Promise<{ violations: { id: string; nodes: string[] }[]; passed: string[] }> {
  await page.evaluate(axeSource);
  // Evaluated as text: the tests are typed without the DOM, and `axe` is the global its source defines.
  return page.evaluate<{ violations: { id: string; nodes: string[] }[]; passed: string[] }>(`axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((results) => ({
    violations: results.violations.map((violation) => ({ id: violation.id, nodes: violation.nodes.map((node) => node.target.join(' ')) })),
    passed: results.passes.map((pass) => pass.id),
  }))`);
}

describe('triage in a real browser', () => {
  const timings: Record<string, { clicks: number; seconds: number }> = {};
  afterAll(() => writeFileSync(join(outputDir, 'dashboard-triage-timings.json'), `${JSON.stringify(timings, null, 2)}\n`));

  it.each([1440, 390])('when an admin at %i px asks which customers got worse in the last 24 hours, then three clicks show the customers with their count and worst severity, and a group opens on its findings', async (width) => {
    await page.setViewportSize({ width, height: 900 });
    const started = Date.now();
    await open();
    await click('Last 24 h');
    await click('Customers');
    const since = await windowStart();
    expect(Date.now() - Date.parse(since)).toBeGreaterThanOrEqual(86_400_000);
    expect(Date.now() - Date.parse(since)).toBeLessThan(86_400_000 + 120_000);

    // What the API says changed for customers in that window, grouped by customer.
    const changed = await findings(`state=all&since=${encodeURIComponent(since)}&subject=customer&top=500`);
    expect(changed.items.length).toBeGreaterThan(0);
    // A group's worst: what is wrong now before what was put right, critical before warning.
    const badges = ['critical', 'warning', 'critical, resolved', 'warning, resolved'];
    const badge = (finding: Finding) => (finding.state === 'resolved' ? `${finding.severity}, resolved` : finding.severity);
    const expected = new Map<string, { opened: number; resolved: number; worst: string; name: string }>();
    for (const finding of changed.items) {
      const group = expected.get(finding.subject.id) ?? { opened: 0, resolved: 0, worst: 'warning, resolved', name: finding.customerName ?? finding.subject.id };
      const worst = badges.indexOf(badge(finding)) < badges.indexOf(group.worst) ? badge(finding) : group.worst;
      expected.set(finding.subject.id, { ...group, worst, opened: group.opened + (finding.state === 'open' ? 1 : 0), resolved: group.resolved + (finding.state === 'open' ? 0 : 1) });
    }
    const shown = await page.$$eval('#triage-groups > li', (items) => items.map((item) => ({
      group: item.getAttribute('data-group'),
      name: item.querySelector('a')?.textContent,
      link: item.querySelector('a')?.getAttribute('href'),
      worst: item.querySelector('.badge')?.textContent,
      opened: Number(/(\d+) opened/.exec(item.querySelector('.group-count')?.textContent ?? '')?.[1] ?? 0),
      resolved: Number(/(\d+) resolved/.exec(item.querySelector('.group-count')?.textContent ?? '')?.[1] ?? 0),
    })));
    expect([...shown].sort((a, b) => String(a.group).localeCompare(String(b.group)))).toEqual([...expected.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([tenantId, group]) => ({
      group: `customer:${tenantId}`, name: group.name, link: `#customer=${tenantId}`, worst: group.worst, opened: group.opened, resolved: group.resolved,
    })));
    // Worst first: no group before one whose worst finding is worse.
    const worst = shown.map((group) => badges.indexOf(String(group.worst)));
    expect(worst).toEqual([...worst].sort((left, right) => left - right));
    expect(await page.getAttribute('#triage button[data-value="customer"]', 'aria-pressed')).toBe('true');

    const first = page.locator('#triage-groups > li').first();
    await first.getByRole('button', { name: /^Show / }).click();
    await first.locator('ul.group-findings').waitFor({ state: 'visible' });
    const seconds = (Date.now() - started) / 1000;
    timings[`${width}px`] = { clicks: 3, seconds };
    const lines = await first.locator('ul.group-findings li[data-key]').evaluateAll((items) => items.map((item) => item.getAttribute('data-key')));
    const tenantId = String(shown[0]!.group).slice('customer:'.length);
    expect(lines.sort()).toEqual(changed.items.filter((finding) => finding.subject.id === tenantId).map((finding) => finding.key).sort());
    expect(await first.getByRole('button', { name: /^Hide / }).getAttribute('aria-expanded')).toBe('true');

    await page.screenshot({ path: join(outputDir, `dashboard-${width}.png`), fullPage: true });
    // Reflow: the page never scrolls sideways; a wide table scrolls inside its own card.
    if (width === 390) expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const { violations, passed } = await accessibility();
    expect(violations).toEqual([]);
    expect(passed).toEqual(expect.arrayContaining(['color-contrast', 'button-name', 'link-name', 'scrollable-region-focusable', 'aria-allowed-attr']));
    expect(failures).toEqual([]);
  });

  it('when a customer\'s group is listed in the table, then the table pages through that customer\'s findings only (subject and subjectId), until its chip is pressed', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await open();
    const first = page.locator('#triage-groups > li[data-group^="customer:"]').first();
    const tenantId = String(await first.getAttribute('data-group')).slice('customer:'.length);
    await first.getByRole('button', { name: /^Show / }).click();
    await first.getByRole('button', { name: /^List .* in the table$/ }).click();
    await page.waitForSelector('#triage[aria-busy="false"]');
    const since = await windowStart();
    const expected = await findings(`state=all&since=${encodeURIComponent(since)}&subject=customer&subjectId=${tenantId}&top=25`);
    expect((await page.$$eval('#findings tbody tr', (rows) => rows.map((row) => row.getAttribute('data-key')))).sort()).toEqual(expected.items.map((item) => item.key).sort());
    expect(await page.$$eval('#findings tbody tr td:nth-child(2) a', (links) => [...new Set(links.map((link) => link.getAttribute('href')))])).toEqual([`#customer=${tenantId}`]);
    expect(await page.getAttribute('#triage button[data-value="customer"]', 'aria-pressed')).toBe('true');
    await page.locator('#triage-scope').click();
    await page.waitForSelector('#triage[aria-busy="false"] #triage-scope[hidden]', { state: 'attached' });
  });

  it('when times are shown, then each is a <time> with its instant in datetime, relative words in its text and the exact local time in its title', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await open();
    const times = await page.$$eval('time', (elements) => elements.map((element) => ({
      datetime: element.getAttribute('datetime') ?? '',
      text: element.textContent ?? '',
      title: element.getAttribute('title') ?? '',
      exact: new Date(element.getAttribute('datetime') ?? '').toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' }),
    })));
    expect(times.length).toBeGreaterThan(20);
    for (const time of times) {
      expect(Number.isNaN(Date.parse(time.datetime))).toBe(false);
      expect(time.text).toMatch(/^(\d+ \w+ ago|in \d+ \w+|just now|in under a minute)$/);
      expect(time.title).toBe(time.exact);
    }
    // No raw ISO time left in the tables' time columns or the header.
    expect(await page.textContent('header')).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(await page.$$eval('#sources td, #principals td, #waiver-audit td, #findings td:nth-child(5)', (cells) => cells.map((cell) => cell.textContent).join(' '))).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });

  it('when the header is read, then the monitor\'s own health stands apart from the customers\' compliance, each in words, as are Microsoft\'s enumeration values', async () => {
    await open();
    const openFindings = await findings('state=open');
    const critical = openFindings.items.filter((finding) => finding.severity === 'critical').length;
    expect(await page.textContent('#monitor')).toBe('Monitor: not working (1 problem)');
    expect(await page.textContent('#compliance')).toBe(`Compliance: ${critical} critical · ${openFindings.items.length - critical} warning open`);
    // Microsoft's policy values in words.
    // Columns 7-9 are the three policies (the admin scan's summary follows them).
    const policies = await page.$$eval('#customers tbody tr td:nth-child(n+7):nth-child(-n+9)', (cells) => [...new Set(cells.map((cell) => cell.textContent))].sort());
    expect(policies.length).toBeGreaterThan(0);
    expect(policies.every((value) => ['on', 'off', 'unknown'].includes(String(value)))).toBe(true);
    // And the requirements' types, statuses and states (Graph's securityRequirement: complianceStatus, state, requirementType).
    const requirements = await page.$$eval('#requirements tbody tr', (rows) => rows.map((row) => [row.getAttribute('data-requirement-type'), ...[...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')]));
    expect(requirements.length).toBeGreaterThan(0);
    for (const [type, words, status, state] of requirements) {
      expect(words).not.toBe(type);
      expect(['compliant', 'not compliant', 'unknown']).toContain(status);
      expect(['in force', 'in preview', 'unknown']).toContain(state);
    }
  });

  it('when a #finding= link names a finding that is not on the page shown, then it is fetched by its subject, shown first, highlighted, focused and scrolled to', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    // The table's first page under the default view; the last finding of all is far from it.
    const all = await findings('state=all');
    const target = all.items.at(-1)!;
    await open(`#finding=${encodeURIComponent(target.key)}`);
    const linked = page.locator(`#findings tbody tr.highlight`);
    expect(await linked.getAttribute('data-key')).toBe(target.key);
    expect(await page.locator(':focus').getAttribute('data-key')).toBe(target.key);
    expect(await linked.isVisible()).toBe(true);
    const box = await linked.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(800);
    // The alerts' other links set the view: every open finding, whenever it opened.
    await page.evaluate("location.hash = 'findings=open'");
    await page.waitForSelector('#triage[aria-busy="false"] button[data-value="open"][aria-pressed="true"]');
    expect(await page.getAttribute('#triage button[data-value="any"]', 'aria-pressed')).toBe('true');
    // Leaving the link (to a customer's page) ends the highlight and keeps the view.
    await page.evaluate(`location.hash = 'customer=${target.subject.id}'`);
    await page.waitForSelector('#findings tbody tr.highlight', { state: 'detached' });
    const since = '2026-01-01T00:00:00.000Z';
    await page.evaluate(`location.hash = ${JSON.stringify(`since=${encodeURIComponent(since)}`)}`);
    await page.waitForSelector(`#triage-window time[datetime="${since}"]`);
  });

  it('when the minute\'s refresh comes while the admin reads page 2, scrolled down, with a filter on, then the data is drawn again in place: same page, same scroll, same filter, same focus; not while the admin types or a dialog is open', async () => {
    await page.setViewportSize({ width: 1440, height: 700 });
    await page.clock.install();
    await open();
    await click('Any time');
    await click('Not waived');
    expect(await page.isDisabled('#findings-next')).toBe(false);
    await click('Next');
    const pageTwo = await page.$$eval('#findings tbody tr', (rows) => rows.map((row) => row.getAttribute('data-key')));
    await page.evaluate('window.scrollTo(0, 600)');
    await page.focus('#findings-previous');
    const scrolled = await page.evaluate<number>('window.scrollY');
    expect(scrolled).toBeGreaterThan(0);

    // Marked, to tell the rows drawn again from those left alone.
    await page.$$eval('#findings tbody tr', (rows) => rows.forEach((row) => row.setAttribute('data-before-refresh', '')));
    await page.clock.runFor(60_000);
    await page.waitForSelector('body[data-refreshed]');
    expect(await page.$$eval('#findings tbody tr[data-before-refresh]', (rows) => rows.length)).toBe(0);
    expect(await page.textContent('#findings-page')).toBe('Page 2');
    expect(await page.$$eval('#findings tbody tr', (rows) => rows.map((row) => row.getAttribute('data-key')))).toEqual(pageTwo);
    expect(await page.evaluate<number>('window.scrollY')).toBe(scrolled);
    expect(await page.getAttribute('#triage button[data-value="false"]', 'aria-pressed')).toBe('true');
    expect(await page.locator(':focus').getAttribute('id')).toBe('findings-previous');

    // Typing in a field: the minute passes without a redraw, which comes once the reader is done.
    const refreshed = await page.getAttribute('body', 'data-refreshed');
    await page.locator('#customer-name').pressSequentially('Contoso');
    await page.clock.runFor(61_000);
    expect(await page.getAttribute('body', 'data-refreshed')).toBe(refreshed);
    expect(await page.inputValue('#customer-name')).toBe('Contoso');
    // A dialog open (the waiver form): no redraw either.
    await page.locator('#findings-previous').focus();
    await page.$eval('body', (body) => body.appendChild(body.ownerDocument.createElement('dialog')).setAttribute('open', ''));
    await page.clock.runFor(61_000);
    expect(await page.getAttribute('body', 'data-refreshed')).toBe(refreshed);
    await page.$eval('dialog[open]', (dialog) => dialog.remove());
    await page.clock.runFor(60_000);
    await page.waitForSelector(`body:not([data-refreshed="${String(refreshed)}"])`);
    expect(failures).toEqual([]);
  });

  it('when the admin uses the keyboard, then a chip is reached with Tab, shows its focus, and toggles with Space; the sort is a button in the column header whose aria-sort says the order', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await open();
    await page.focus('#triage button[data-value="24h"]');
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').getAttribute('data-value')).toBe('7d');
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.press('Space');
    await page.waitForSelector('#triage[aria-busy="false"] button[data-value="7d"][aria-pressed="true"]');
    expect(await page.getAttribute('#triage button[data-value="24h"]', 'aria-pressed')).toBe('false');

    const rowTimes = () => page.$$eval('#findings tbody tr td:nth-child(5) time', (times) => times.map((time) => time.getAttribute('datetime') ?? ''));
    await page.locator('#findings thead').getByRole('button', { name: 'Changed' }).click();
    expect(await page.getAttribute('#findings th[data-sort="newest"]', 'aria-sort')).toBe('descending');
    expect(await page.getAttribute('#findings th[data-sort="worst"]', 'aria-sort')).toBe('none');
    const times = await rowTimes();
    expect(times.length).toBeGreaterThan(1);
    expect(times).toEqual([...times].sort().reverse());
    await page.locator('#findings thead').getByRole('button', { name: 'About' }).click();
    expect(await page.getAttribute('#findings th[data-sort="customer"]', 'aria-sort')).toBe('ascending');
    const about = await page.$$eval('#findings tbody tr td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent ?? ''));
    expect(about).toEqual([...about].sort((left, right) => left.localeCompare(right)));
  });
});
