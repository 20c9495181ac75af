import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { Browser, Page } from 'playwright-core';
import { TableAdminScanStore } from '../../src/adapters/tableAdminScanStore';
import { spreadOf } from '../../src/adapters/tableLayout';
import { TableRunLedger } from '../../src/adapters/tableRunLedger';
import { Tables } from '../../src/adapters/tables';
import { endpoints } from '../../src/api/endpoints';
import { serveEndpoint } from '../../src/api/serveEndpoint';
import { queryApi } from '../../src/composition';
import { readConfig } from '../../src/config';
import { cannotSeeReasons, type TenantAdmin, type TenantAdminScan } from '../../src/core/adminScan';
import { entraUserUrl } from '../../src/core/entraLinks';
import { newRunId, type SnapshotRun } from '../../src/core/snapshotRun';
import { countStorageTraffic } from '../../tools/bench/storageTraffic';
import { launchBrowser } from '../support/browser';
import { startApiFixture, type ApiFixture } from './apiFixture';
import { validate } from './jsonSchema';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * A customer's admins through the query API and the dashboard, from scans written by the real
 * store and a run completed in the real ledger. The admins are the documented example answer of
 * Microsoft Graph's "List userRegistrationDetails" (v1.0,
 * https://learn.microsoft.com/graph/api/authenticationmethodsroot-list-userregistrationdetails):
 * Alex Wilber and Bianca Pisani have registered methods (microsoftAuthenticatorPush,
 * softwareOneTimePasscode; mobilePhone too), Allan Deyoung none (`isMfaRegistered: false`,
 * `methodsRegistered: []`). A tenant the monitor cannot see into answers Graph's documented
 * `Authorization_RequestDenied` ("Microsoft Graph error responses and resource types").
 * Reading a page of customers' summaries follows Table Storage's documents:
 * - "Querying tables and entities" (https://learn.microsoft.com/rest/api/storageservices/querying-tables-and-entities):
 *   "no more than 15 discrete comparisons are permitted within a $filter string", and `$select`
 *   returns only the properties named;
 * - "Guidelines for table design" (https://learn.microsoft.com/azure/storage/tables/table-storage-design-guidelines):
 *   store summary entities so that queries for aggregate data need not read the detail.
 * So a page reads one query per spread partition its customers fall in (14 row keys to a query)
 * and only its own customers' rows. A tenant no snapshot listed is a 404 problem (RFC 9457); the
 * CSV is RFC 4180. The page is read at 390 px (WCAG 2.2, 1.4.10 Reflow: no scrolling in two
 * dimensions at 320 CSS px; a data table may scroll inside its own region) and checked with axe-core.
 */

const outputDir = resolve(__dirname, '../../test-output');
let api: ApiFixture;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let openApi: { components: { schemas: Record<string, Record<string, unknown>> } };
let customers: string[];
let seen: string;
let unseen: string;
let listedLater: string;
let runId: string;
const traffic = countStorageTraffic(undefined);
let adminScanRequests = 0;

const policy = { id: '6b5b6a7d-0e3c-4a54-9e1b-2f4d0c3e5a11', name: 'Require MFA for admins' };
const admin = (userId: string, userPrincipalName: string, displayName: string, rest: Partial<TenantAdmin>): TenantAdmin => ({
  userId, userPrincipalName, displayName, roleTemplateIds: [], roleNames: [], isMfaRegistered: true, isMfaCapable: true, methodsRegistered: [], mfaRequired: true, requiredBy: [], requirementNote: null, ...rest,
});
const alex = admin('86462606-fde0-4fc4-9e0c-a20eb73e54c6', 'AlexW@Contoso.com', 'Alex Wilber', {
  roleTemplateIds: ['62e90394-69f5-4237-9190-012177145e10'], roleNames: ['Global Administrator'], methodsRegistered: ['microsoftAuthenticatorPush', 'softwareOneTimePasscode'], requiredBy: [{ kind: 'conditionalAccess', ...policy }],
});
const allan = admin('c6ad1942-4afa-47f8-8d48-afb5d8d69d2f', 'AllanD@Contoso.com', 'Allan Deyoung', {
  roleTemplateIds: ['fe930be7-5e62-47db-91af-98c3a49a38b1'], roleNames: ['User Administrator'], isMfaRegistered: false, isMfaCapable: false, mfaRequired: false,
});
const bianca = admin('c8096958-797c-44fa-8fde-a6fb62567cf0', 'BiancaP@Contoso.com', 'Bianca Pisani', {
  roleTemplateIds: ['5d6b6bb7-de71-4623-b4af-96380a352509'], roleNames: ['Security Reader'], methodsRegistered: ['mobilePhone', 'microsoftAuthenticatorPush', 'softwareOneTimePasscode'], mfaRequired: null,
  requirementNote: `"${policy.name}" includes a group, whose members the scan does not read`,
});

/** What each customer's scan in the run holds: three for the tenant seen, none for one listed after the run began. */
function scanOf(tenantId: string, index: number): TenantAdminScan | null {
  const common = { runId, tenantId, scannedAt: new Date().toISOString(), requests: 4 };
  if (tenantId === listedLater) return null;
  if (tenantId === unseen) return { ...common, outcome: 'cannotSee', reason: 'roleLacksPermission', detail: 'Authorization_RequestDenied: Insufficient privileges to complete the operation.' };
  const admins = tenantId === seen ? [bianca, allan, alex] : [{ ...alex, userId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`, requiredBy: [{ kind: 'securityDefaults' as const, id: null, name: null }] }];
  return { ...common, outcome: 'scanned', source: 'registrationDetails', securityDefaultsEnabled: tenantId !== seen, mfaPolicies: tenantId === seen ? [policy] : [], admins };
}

async function json(path: string, schema: string): Promise<Record<string, unknown> & { items: Record<string, unknown>[] }> {
  const response = await api.get(path);
  const body = (await response.json()) as Record<string, unknown> & { items: Record<string, unknown>[] };
  expect({ path, status: response.status }).toEqual({ path, status: 200 });
  expect(validate(body, { $ref: `#/components/schemas/${schema}` }, openApi.components.schemas)).toEqual([]);
  return body;
}

/** One page of customers through the function's own handler, with what it asked of the AdminScans table. */
async function customersPage(query: string): Promise<{ body: { items: { tenantId: string; adminScan: unknown }[]; continuationToken: string | null }; requests: number; rows: number }> {
  const request = new HttpRequest({ method: 'GET', url: `http://localhost/api/customers${query}` });
  traffic.mark();
  adminScanRequests = 0;
  const response = await serveEndpoint(endpoints.find((endpoint) => endpoint.name === 'apiCustomers')!, request, new InvocationContext({ functionName: 'apiCustomers' }), () => queryApi(api.settings));
  expect(response.status ?? 200).toBe(200);
  return { body: JSON.parse(String(response.body)) as never, requests: adminScanRequests, rows: traffic.sinceMark().rowsReadFrom[`${api.settings.TABLE_PREFIX}AdminScans`] ?? 0 };
}

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  api = await startApiFixture();
  subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    if (request.path.includes(`/${api.settings.TABLE_PREFIX}AdminScans`)) adminScanRequests += 1;
  });
  openApi = (await (await api.get('openapi.json')).json()) as typeof openApi;
  const listed: string[] = [];
  for (let token: string | null = null, first = true; first || token !== null; first = false) {
    const answer = (await (await api.get(`customers?top=100${token === null ? '' : `&continuationToken=${encodeURIComponent(token)}`}`)).json()) as { items: { tenantId: string }[]; continuationToken: string | null };
    listed.push(...answer.items.map((item) => item.tenantId));
    token = answer.continuationToken;
  }
  customers = listed;
  const nonCompliant = ((await (await api.get('customers?status=nonCompliant&top=100')).json()) as { items: { tenantId: string }[] }).items.map((item) => item.tenantId);
  [seen, unseen] = nonCompliant as [string, string];
  listedLater = customers.find((tenantId) => !nonCompliant.includes(tenantId))!;
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  mkdirSync(outputDir, { recursive: true });
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

/** A complete customer-admin run, as the scan's close writes it: its row in the ledger, then every tenant's result, then complete. */
async function recordRun(): Promise<void> {
  const tables = new Tables(readConfig(api.settings, ['storage']).storage, () => {
    throw new Error('connection string only');
  });
  const startedAt = new Date();
  runId = newRunId(startedAt, 'a1b2c3d4');
  const ledger = new TableRunLedger(tables);
  const run: SnapshotRun = { source: 'customerAdmins', runId, status: 'running', startedAt: startedAt.toISOString(), finishedAt: null, counts: { tenants: customers.length }, errorCode: null, errorMessage: null, warnings: [] };
  const etag = await ledger.open(run);
  const store = new TableAdminScanStore(tables);
  for (const [index, tenantId] of customers.entries()) {
    const scan = scanOf(tenantId, index);
    if (scan !== null) expect(await store.recordScan(scan)).toBe(true);
  }
  expect(await ledger.replaceIfUnchanged({ ...run, status: 'complete', finishedAt: new Date().toISOString() }, etag)).not.toBeNull();
  await api.cloud.run('detectRegressions', api.settings);
}

describe('a customer\'s admins in the query API', () => {
  it('when no customer-admin run has completed, then a customer\'s admins answer says so (200, no admins) and whether the scan is off, its CSV is the header alone, and customers carry no summary', async () => {
    const answer = async (settings: Record<string, string>) => {
      const response = await serveEndpoint(endpoints.find((endpoint) => endpoint.name === 'apiCustomerAdmins')!, new HttpRequest({ method: 'GET', url: `http://localhost/api/customers/${seen}/admins`, params: { tenantId: seen } }), new InvocationContext(), () => queryApi(settings));
      expect(response.status ?? 200).toBe(200);
      return JSON.parse(String(response.body)) as Record<string, unknown>;
    };
    const off = await answer({ ...api.settings, CUSTOMER_TENANT_AUTH: 'off' });
    expect(off).toMatchObject({ tenantId: seen, scanOn: false, run: null, outcome: null, items: [] });
    expect(String(off.note)).toMatch(/scan is off \(CUSTOMER_TENANT_AUTH=off\)/);
    const on = await answer({ ...api.settings, CUSTOMER_TENANT_AUTH: 'appUser', ADMIN_SCAN_QUEUE: 'UseDevelopmentStorage=true' });
    expect(on).toMatchObject({ scanOn: true, run: null, outcome: null, items: [] });
    expect(String(on.note)).toMatch(/^No customer-admin run has completed yet/);
    const body = await json(`customers/${seen}/admins`, 'CustomerAdmins');
    expect(body).toMatchObject({ tenantId: seen, run: null, outcome: null, items: [] });
    const csv = await (await api.get(`customers/${seen}/admins?format=csv`)).text();
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(1);
    expect((await json('customers?top=5', 'CustomerPage')).items.map((item) => item.adminScan)).toEqual([null, null, null, null, null]);
  });

  it('when a tenant no snapshot listed is asked for, then the answer is a 404 problem', async () => {
    const response = await api.get('customers/0b7e2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b/admins');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 404, type: 'urn:mfa-monitor:problem:not-found' });
  });

  it('when a run has completed, then the tenant seen lists each admin worst first with methods, roles, what requires MFA, the Entra link and the open findings about them', async () => {
    await recordRun();
    const body = await json(`customers/${seen.toUpperCase()}/admins`, 'CustomerAdmins');
    expect(body).toMatchObject({ tenantId: seen, run: { runId }, outcome: 'scanned', source: 'registrationDetails', securityDefaultsEnabled: false, mfaPolicies: [policy], reason: null, note: null });
    expect(body.items.map((item) => item.displayName)).toEqual(['Allan Deyoung', 'Alex Wilber', 'Bianca Pisani']);
    const [first, second, third] = body.items;
    expect(first).toMatchObject({ userPrincipalName: 'AllanD@Contoso.com', roleNames: ['User Administrator'], roleTemplateIds: allan.roleTemplateIds, isMfaRegistered: false, methodsRegistered: [], mfaRequired: false, requiredBy: [], entraUrl: entraUserUrl(seen, allan.userId) });
    expect([...(first!.openFindingKeys as string[])].sort()).toEqual([`admins/${seen}/${allan.userId}/mfaMethod`, `admins/${seen}/${allan.userId}/mfaRequired`]);
    expect(second).toMatchObject({ requiredBy: [{ kind: 'conditionalAccess', ...policy }], mfaRequired: true, openFindingKeys: [] });
    expect(third).toMatchObject({ mfaRequired: null, requirementNote: bianca.requirementNote, openFindingKeys: [] });
  });

  it('when the monitor cannot see into a tenant, then the answer names the reason with its description, next step and what the service said', async () => {
    const body = await json(`customers/${unseen}/admins`, 'CustomerAdmins');
    expect(body).toMatchObject({
      outcome: 'cannotSee', reason: 'roleLacksPermission', description: cannotSeeReasons.roleLacksPermission.description, nextStep: cannotSeeReasons.roleLacksPermission.nextStep,
      detail: 'Authorization_RequestDenied: Insufficient privileges to complete the operation.', items: [],
    });
  });

  it('when a customer was listed after the newest run started, then its answer says the next run scans it', async () => {
    const body = await json(`customers/${listedLater}/admins`, 'CustomerAdmins');
    expect(body).toMatchObject({ outcome: null, run: { runId }, items: [] });
    expect(String(body.note)).toMatch(/next run scans it/);
  });

  it('when the admins are asked as CSV, then there is one row per admin with nested fields as columns', async () => {
    const response = await api.get(`customers/${seen}/admins?format=csv`);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await response.text()).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('tenantId,userId,displayName,userPrincipalName,roleNames,roleTemplateIds,isMfaRegistered,isMfaCapable,methodsRegistered,mfaRequired,requiredBy,requirementNote,entraUrl,openFindingKeys');
    expect(lines.slice(1).map((line) => line.split(',')[2])).toEqual(['Allan Deyoung', 'Alex Wilber', 'Bianca Pisani']);
  });

  it('when findings name an admin, then each carries the admin in JSON and as CSV columns', async () => {
    const findings = await json(`findings?subject=customer&subjectId=${seen}&state=open`, 'FindingList');
    const about = findings.items.filter((item) => String(item.key).startsWith(`admins/${seen}/`));
    expect(about.map((item) => item.kind).sort()).toEqual(['adminMfaNotRequired', 'adminWithoutMfaMethod']);
    for (const item of about) expect(item.admin).toEqual({ userId: allan.userId, userPrincipalName: 'AllanD@Contoso.com', displayName: 'Allan Deyoung' });
    const csv = (await (await api.get(`findings?subject=customer&subjectId=${seen}&state=open&format=csv`)).text()).split('\r\n');
    const columns = csv[0]!.split(',');
    expect(columns).toEqual(expect.arrayContaining(['admin.userId', 'admin.userPrincipalName', 'admin.displayName']));
    expect(columns.slice(columns.indexOf('upn') + 1, columns.indexOf('upn') + 4)).toEqual(['admin.userId', 'admin.userPrincipalName', 'admin.displayName']);
    expect(csv.find((line) => line.startsWith(`admins/${seen}/${allan.userId}/mfaMethod,`))).toContain(`,${allan.userId},AllanD@Contoso.com,Allan Deyoung,`);
  });

  it('when customers are paged, then each row carries its newest admin scan summarised, read one query per spread partition of its customers and only their rows', async () => {
    const expected = new Map(customers.map((tenantId, index) => [tenantId, scanOf(tenantId, index)]));
    const summaryOf = (scan: TenantAdminScan | null) =>
      scan === null ? null
        : scan.outcome === 'cannotSee' ? { outcome: 'cannotSee', reason: scan.reason, admins: null, withoutMfaMethod: null, notRequiredMfa: null }
          : { outcome: 'scanned', reason: null, admins: scan.admins.length, withoutMfaMethod: scan.admins.filter((one) => one.isMfaRegistered === false).length, notRequiredMfa: scan.admins.filter((one) => one.mfaRequired === false).length };
    let token: string | null = null;
    const paged: string[] = [];
    do {
      const { body, requests, rows }: Awaited<ReturnType<typeof customersPage>> = await customersPage(`?top=10${token === null ? '' : `&continuationToken=${encodeURIComponent(token)}`}`);
      const ids = body.items.map((item) => item.tenantId);
      expect(body.items.map((item) => item.adminScan)).toEqual(ids.map((tenantId) => summaryOf(expected.get(tenantId)!)));
      expect(requests).toBe(new Set(ids.map((tenantId) => spreadOf(tenantId))).size);
      expect(rows).toBe(ids.filter((tenantId) => expected.get(tenantId) !== null).length);
      token = body.continuationToken;
      paged.push(...ids);
    } while (token !== null);
    expect(paged).toEqual(customers);
    // All of them on one page: at most 16 partitions, 14 keys a query, far fewer requests than customers.
    const whole = await customersPage('?top=1000');
    const perPartition = new Map<string, number>();
    for (const tenantId of customers) perPartition.set(spreadOf(tenantId), (perPartition.get(spreadOf(tenantId)) ?? 0) + 1);
    expect(whole.requests).toBe([...perPartition.values()].reduce((sum, count) => sum + Math.ceil(count / 14), 0));
    expect(whole.requests).toBeLessThan(customers.length);
    const csv = (await (await api.get('customers?top=1000&format=csv')).text()).split('\r\n');
    expect(csv[0]).toMatch(/,adminScan\.outcome,adminScan\.reason,adminScan\.admins,adminScan\.withoutMfaMethod,adminScan\.notRequiredMfa$/);
    expect(csv.find((line) => line.startsWith(seen))).toMatch(/,scanned,,3,1,1$/);
  });
});

describe.each([1440, 390] as const)('the customer page\'s admins at %i px', (width) => {
  it('when an admin opens a customer from the overview, then its admins, what requires MFA and the open findings show, each name links to Entra, and "Waive…" opens the dialog with that finding', async () => {
    await page.setViewportSize({ width, height: 1000 });
    await page.goto('about:blank');
    await page.goto(`${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}`);
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    const summary = await page.textContent(`#customers tr[data-tenant-id="${seen}"] td:last-child`);
    expect(summary).toBe('1 of 3 admins without MFA, 1 not required to use it');
    expect(await page.textContent(`#customers tr[data-tenant-id="${unseen}"] td:last-child`)).toBe('cannot see inside');
    await page.locator(`#customers a[data-customer-link="${seen}"]`).scrollIntoViewIfNeeded();
    await page.click(`#customers a[data-customer-link="${seen}"]`);
    await page.waitForSelector('#customer-view[data-loaded="true"]', { timeout: 15_000 });
    expect({ error: await page.textContent('#error'), problem: await page.textContent('#customer-problem'), pageErrors }).toEqual({ error: '', problem: '', pageErrors: [] });

    const rows = await page.$$eval('#customer-admins tbody tr', (trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent)));
    expect(rows.map((cells) => cells.slice(0, 7))).toEqual([
      ['Allan Deyoung', 'AllanD@Contoso.com', 'User Administrator', 'no', 'none', 'nothing', '—'],
      ['Alex Wilber', 'AlexW@Contoso.com', 'Global Administrator', 'yes', 'Microsoft Authenticator (push), authenticator app code', `Conditional Access: ${policy.name}`, '—'],
      ['Bianca Pisani', 'BiancaP@Contoso.com', 'Security Reader', 'yes', 'mobile phone, Microsoft Authenticator (push), authenticator app code', 'cannot tell', bianca.requirementNote],
    ]);
    expect(await page.getAttribute(`#customer-admins tr[data-user-id="${allan.userId}"] a`, 'href')).toBe(entraUserUrl(seen, allan.userId));
    expect(await page.$$eval('#customer-admins-policies li', (items) => items.map((item) => item.textContent))).toEqual(['Security defaults: off', `Conditional Access: ${policy.name}`]);
    expect(await page.textContent(`#customer-admins tr[data-user-id="${allan.userId}"] td:last-child`)).toMatch(/critical no MFA method registered.*warning MFA not required/);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    expect(await accessibilityViolations('#customer-view')).toEqual([]);
    await page.screenshot({ path: join(outputDir, `dashboard-customer-admins-${width}.png`), fullPage: true });

    const key = `admins/${seen}/${allan.userId}/mfaMethod`;
    await page.click(`#customer-admins [data-admin-finding="${key}"] button`);
    await page.waitForSelector('#waiver-dialog[open]');
    expect(await page.getAttribute(`#customer-admins [data-admin-finding="${key}"] button`, 'data-waive-finding')).toBe(key);
    await page.click('#waiver-cancel');

    await page.goto('about:blank');
    await page.goto(`${api.host.url}/api/dashboard#code=${encodeURIComponent(api.host.functionKey)}&customer=${unseen}`);
    await page.waitForSelector('#customer-view[data-loaded="true"]', { timeout: 15_000 });
    // The fixture runs with the scan off, so its last run is said to be the last.
    const scanOn = ((await (await api.get(`customers/${unseen}/admins`)).json()) as { scanOn: boolean | null }).scanOn;
    expect(await page.textContent('#customer-admins-note')).toBe(
      `The monitor cannot see into this tenant: ${cannotSeeReasons.roleLacksPermission.description} (Authorization_RequestDenied: Insufficient privileges to complete the operation.).${scanOn === false ? ' The scan is off now (CUSTOMER_TENANT_AUTH=off): this is its last run.' : ''}`,
    );
    expect(await page.textContent('#customer-admins-step')).toBe(`Next step: ${cannotSeeReasons.roleLacksPermission.nextStep}`);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
  });
});

/** axe-core's violations within one part of the page, evaluated through the DevTools protocol (the page's CSP blocks an injected script). */
async function accessibilityViolations(selector: string): Promise<string[]> {
  await page.evaluate(readFileSync(require.resolve('axe-core'), 'utf8'));
  return page.evaluate<string[]>(`axe.run({ include: [${JSON.stringify(selector)}] }).then((result) => result.violations.map((violation) => violation.id + ': ' + JSON.stringify(violation.nodes.map((node) => node.target))))`);
}
