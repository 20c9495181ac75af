import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { startApiFixture, type ApiFixture } from './apiFixture';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/**
 * Every link an alert email carries to the monitor is opened in a real browser, at a desktop's and
 * a phone's width, and lands where it says: a finding highlighted in the table, a customer's page,
 * the list of open findings. The links are the ones the detector really sent to the simulator's
 * inbox, with PUBLIC_BASE_URL's origin swapped for the local host's. The fragment (RFC 3986 §3.5)
 * is the page's own: the browser never sends it, so the same link works whatever the key or sign-in.
 */
const outputDir = resolve(__dirname, '../../test-output');
let api: ApiFixture;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  api = await startApiFixture();
  ({ browser } = await launchBrowser());
  // One page for every test: the packaged Chromium runs as one process, which exits with its last page.
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // The key once, as npm start prints it; the tab keeps it, and every alert link after needs none.
  await page.goto(`${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

/** The distinct dashboard links of every email the simulated inbox received, as fragments. */
function emailedPlaces(): string[] {
  const dashboard = `${api.settings.PUBLIC_BASE_URL}/api/dashboard#`;
  const hrefs = api.cloud.sim.inbox().flatMap((email) => [...email.html.replace(/&amp;/g, '&').matchAll(/href="([^"]+)"/g)].map((match) => match[1]!));
  return [...new Set(hrefs.filter((href) => href.startsWith(dashboard)).map((href) => href.slice(dashboard.length)))];
}

/**
 * One link of each kind of place: a finding of each subject type and measure (its key's first and
 * last parts), every list, and a few customers. Opening each of hundreds of links, a page load each,
 * would prove no more; the integration test checks every link's fragment.
 */
function oneOfEachKind(places: readonly string[]): string[] {
  const chosen = new Map<string, string>();
  const customers = places.filter((place) => new URLSearchParams(place).has('customer')).slice(0, 3);
  for (const place of places) {
    const key = new URLSearchParams(place).get('finding');
    const kind = key !== null ? `finding:${key.split('/')[0]}/${key.split('/').at(-1)}` : customers.includes(place) || !place.startsWith('customer=') ? place : null;
    if (kind !== null && !chosen.has(kind)) chosen.set(kind, place);
  }
  return [...chosen.values()];
}

describe.each([1440, 390])('alert links at %i px', (width) => {
  it('when a dashboard link of each kind the emails carry is opened, then the page shows the finding, customer or list it names, with no sideways scroll', async () => {
    const places = oneOfEachKind(emailedPlaces());
    const kinds = new Set(places.map((place) => [...new URLSearchParams(place).keys()].join('&')));
    // The emails link findings, customers and the open list; a test of fewer would prove less.
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['customer', 'finding', 'findings']));
    await page.setViewportSize({ width, height: 900 });
    const opened: string[] = [];
    for (const place of places) {
      const link = new URLSearchParams(place);
      // A fresh load, as a click in a mail client would open it.
      await page.goto('about:blank');
      await page.goto(`${api.host.url}/api/dashboard#${place}`);
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
      const finding = link.get('finding');
      const customer = link.get('customer');
      if (finding !== null) {
        await page.waitForSelector(`#findings tbody tr.highlight[data-key="${finding.replace(/["\\]/g, '\\$&')}"]`, { timeout: 10_000 });
      } else if (customer !== null) {
        await page.waitForSelector(`#customer-view[data-tenant-id="${customer}"][data-loaded="true"]`, { timeout: 10_000 });
        expect(await page.isVisible('#customer-title')).toBe(true);
      } else {
        expect(link.get('findings')).toMatch(/^(open|resolved)$/);
        await page.waitForSelector(`#triage button[data-filter="state"][data-value="${link.get('findings')}"][aria-pressed="true"]`, { timeout: 10_000 });
      }
      expect(await page.textContent('#error')).toBe('');
      expect({ place, overflow: await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth') }).toEqual({ place, overflow: 0 });
      opened.push(place);
    }
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, `alert-link-${width}.png`) });
    expect(opened).toEqual(places);
  }, 180_000);
});
