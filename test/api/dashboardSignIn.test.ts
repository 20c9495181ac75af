import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { dashboardHtml } from '../../src/api/dashboard/page';
import { launchBrowser } from '../support/browser';
import { startApiFixture, type ApiFixture } from './apiFixture';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * The dashboard as people open it, in a real browser:
 * - Signed in with Entra ID through the authorization code flow with PKCE that the Microsoft
 *   identity platform documents for single-page apps ("Microsoft identity platform and OAuth 2.0
 *   authorization code flow", entra-docs v2-oauth2-auth-code-flow.md: `code_challenge` required
 *   for SPAs, the code redeemed at `/token` cross-origin), the simulator playing Entra.
 * - With a key (no sign-in): the key travels only in the fragment, which "is not sent to the
 *   server" (RFC 3986 section 3.5 / the URL Standard: the fragment is not part of the request),
 *   and leaves the address at once: "A key in a URL ends up in browser history and proxy logs" (issue 19).
 */

const outputDir = resolve(__dirname, '../../test-output');
const person = { name: 'Dana Admin', username: 'dana.admin@partner.example', roles: ['Monitor.Read', 'Waivers.Write'] };

let api: ApiFixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every address the page's frame showed and every URL it requested. */
const addresses: string[] = [];
const requested: string[] = [];

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  api = await startApiFixture({ signIn: true });
  // The simulated Entra serves a self-signed certificate the browser does not know.
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 1000 } });
  page = await context.newPage();
  page.on('framenavigated', (frame) => addresses.push(frame.url()));
  page.on('request', (request) => requested.push(request.url()));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('dashboard sign-in in a real browser', () => {
  it('when a partner admin opens the dashboard and signs in through Entra, then their name shows, the data loads from the people routes, and no token is ever in an address', async () => {
    api.cloud.sim.signIn.signInAs(person);
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    const response = await page.goto(`${api.host.url}/api/dashboard#customer=00000000-0000-0000-0000-00000000c0de`);
    expect(response?.status()).toBe(200);
    await page.click('#sign-in');
    await page.waitForSelector('#signed-in');
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'dashboard-signed-in.png') });

    expect({ loaded: await page.getAttribute('body', 'data-loaded'), failures, error: await page.textContent('#error') }).toEqual({ loaded: 'true', failures: [], error: '' });
    expect(await page.textContent('#signed-in')).toBe('Dana Admin Sign out');
    // Back where they were, the code gone from the address and from its history entry.
    expect(page.url()).toBe(`${api.host.url}/api/dashboard#customer=00000000-0000-0000-0000-00000000c0de`);
    const apiCalls = requested.filter((url) => url.startsWith(`${api.host.url}/api/`) && !url.includes('/api/dashboard'));
    expect(apiCalls.length).toBeGreaterThan(5);
    expect(apiCalls.filter((url) => !url.startsWith(`${api.host.url}/api/signed-in/`))).toEqual([]);

    const session = JSON.parse((await page.evaluate<string | null>("sessionStorage.getItem('mfa-monitor.session')")) ?? 'null') as { accessToken: string } | null;
    expect(session?.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const token = session!.accessToken;
    expect([...addresses, ...requested].filter((url) => url.includes(token) || url.includes(token.split('.')[1]!))).toEqual([]);
    // The code was in the redirect's fragment only, never sent to the app.
    expect(requested.filter((url) => url.startsWith(api.host.url) && /[?&#]code=/.test(url))).toEqual([]);
  });

  it('when the access token has expired, then the page renews it with its refresh token, without a new sign-in; when Entra refuses the renewal, it offers Sign in', async () => {
    // "Refresh tokens in the Microsoft identity platform": a single-page app that asks for offline_access
    // gets a refresh token valid 24 hours, redeemed cross-origin at the token endpoint; each answer brings the next.
    const expire = `(() => { const session = JSON.parse(sessionStorage.getItem('mfa-monitor.session')); session.expiresAt = 0; sessionStorage.setItem('mfa-monitor.session', JSON.stringify(session)); return session.accessToken; })()`;
    const expired = await page.evaluate<string>(expire);
    const tokenRequests = requested.length;
    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    const renewed = JSON.parse((await page.evaluate<string | null>("sessionStorage.getItem('mfa-monitor.session')")) ?? 'null') as { accessToken: string; refreshToken: string; expiresAt: number };
    expect(renewed.accessToken).not.toBe(expired);
    expect(renewed.expiresAt).toBeGreaterThan(Date.now());
    expect(await page.textContent('#signed-in')).toBe('Dana Admin Sign out');
    expect(await page.$('#sign-in')).toBeNull();
    // One renewal at the token endpoint, however many requests waited on it, and no visit to /authorize.
    const since = requested.slice(tokenRequests);
    expect(since.filter((url) => url.endsWith('/oauth2/v2.0/token'))).toHaveLength(1);
    expect(since.filter((url) => url.includes('/oauth2/v2.0/authorize'))).toEqual([]);

    // Revoked (or past its 24 hours): Entra refuses it, and the page says so with a Sign in button.
    api.cloud.sim.signIn.revokeSessions();
    await page.evaluate<string>(expire);
    await page.reload();
    await page.waitForSelector('#sign-in', { timeout: 15_000 });
    expect(await page.$('#signed-in')).toBeNull();
  });

  it('when the page is opened with a key in the fragment instead (no sign-in), then it reads with the key, keeps the other parameters, and takes the key out of the address', async () => {
    // The page as served without SIGN_IN_CLIENT_ID, from the same origin, so it calls the keyed routes of this host.
    const nonce = randomBytes(16).toString('base64');
    await page.route(`${api.host.url}/api/dashboard-with-key`, (route) => route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'` },
      body: dashboardHtml(nonce, { signIn: null }),
    }));
    await page.evaluate('sessionStorage.clear()');
    requested.length = 0;
    const key = api.host.functionKey;
    await page.goto(`${api.host.url}/api/dashboard-with-key#customer=abc&code=${encodeURIComponent(key)}`);
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    expect({ loaded: await page.getAttribute('body', 'data-loaded'), error: await page.textContent('#error') }).toEqual({ loaded: 'true', error: '' });
    expect(page.url()).toBe(`${api.host.url}/api/dashboard-with-key#customer=abc`);
    expect(requested.filter((url) => url.includes(key) || url.includes(encodeURIComponent(key)))).toEqual([]);
    expect(requested.filter((url) => url.startsWith(`${api.host.url}/api/signed-in/`))).toEqual([]);
  });

  it('when the page has no key, then it asks for one in a small form and reads with it', async () => {
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${api.host.url}/api/dashboard-with-key`);
    await page.fill('form[data-key="mfa-monitor.function-key"] input', api.host.functionKey);
    await page.click('form[data-key="mfa-monitor.function-key"] button');
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    expect({ loaded: await page.getAttribute('body', 'data-loaded'), error: await page.textContent('#error'), address: page.url() }).toEqual({ loaded: 'true', error: '', address: `${api.host.url}/api/dashboard-with-key` });
  });
});
