import { customersAt } from '../support/customerChanges';
import { createHash, createHmac } from 'node:crypto';
import type { CustomerMfaInsight } from '../../src/core/model';
import type { StoredFinding } from '../../src/core/findings';
import { findingImpact } from '../../src/core/findingImpact';
import { toTableKey } from '../../src/adapters/tableKey';
import { newRunId, runStartedAt, type SnapshotRun } from '../../src/core/snapshotRun';
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { TableClient } from '@azure/data-tables';
import { TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import { customerHistoryKey, fixedPartitions } from '../../src/adapters/tableLayout';
import { endpoints } from '../../src/api/endpoints';
import { serveEndpoint } from '../../src/api/serveEndpoint';
import { readConfig } from '../../src/config';
import { customerDirectory, queryApi } from '../../src/composition';
import { startApiFixture, type ApiFixture } from './apiFixture';
import { validate } from './jsonSchema';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let api: ApiFixture;
let completeRuns: SnapshotRun[];
let openApi: { paths: Record<string, { get: { parameters?: { name?: string; in?: string; $ref?: string }[] } }>; components: { schemas: Record<string, Record<string, unknown>> } };

beforeAll(async () => {
  api = await startApiFixture();
  completeRuns = await api.reader.listRuns('partnerSecurity', { status: 'complete' });
  openApi = (await (await api.get('openapi.json')).json()) as typeof openApi;
}, 120_000);
afterAll(async () => {
  await api?.close();
});

type Json = Record<string, unknown> & { items: Record<string, unknown>[] };

/** GET as JSON, checking the answer against the OpenAPI schema of its endpoint. */
async function getJson(path: string): Promise<Json> {
  const response = await api.get(path);
  const body = (await response.json()) as Json;
  // The status alone answers 503, with the same body, when the monitor is unhealthy.
  expect({ path, status: response.status, body }).toMatchObject({ status: path.split('?')[0] === 'status' && body.healthy === false ? 503 : 200 });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  const route = path.split('?')[0]!.replace(/^customers\/[^/]+\/(history|admins)$/, 'customers/{tenantId}/$1');
  const endpoint = endpoints.find((candidate) => candidate.route === route)!;
  expect(validate(body, { $ref: `#/components/schemas/${endpoint.responseSchema}` }, openApi.components.schemas)).toEqual([]);
  return body;
}

async function problem(path: string, status = 400): Promise<Record<string, unknown> & { 'invalid-params'?: { name: string }[] }> {
  const response = await api.get(path);
  const body = (await response.json()) as Record<string, unknown> & { 'invalid-params'?: { name: string }[] };
  expect({ path, status: response.status }).toEqual({ path, status });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(validate(body, { $ref: '#/components/schemas/Problem' }, openApi.components.schemas)).toEqual([]);
  return body;
}

async function allPages(path: string, top: number): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page: Json = await getJson(`${path}${separator}top=${top}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`);
    expect(page.items.length).toBeLessThanOrEqual(top);
    items.push(...page.items);
    token = page.continuationToken as string | null;
    pages += 1;
  } while (token !== null && pages < 100);
  return { items, pages };
}

describe('query API endpoints, through the local host, on data the real collectors stored', () => {
  it('when the status is asked, then each source shows its last run, last complete run and open findings', async () => {
    const status = await getJson('status');
    const findings = await api.detector.readFindings();
    expect(status.openFindings).toBe(findings.filter((finding) => finding.state === 'open').length);
    const sources = status.sources as { source: string; lastRun: { runId: string; status: string }; lastCompleteRun: { runId: string }; openFindings: number }[];
    expect(sources.map((source) => source.source)).toEqual(['partnerSecurity', 'nonMfaPrincipals', 'registrationCounts']);
    const partnerSecurity = sources[0]!;
    expect(partnerSecurity.lastRun.status).toBe('failed');
    expect(partnerSecurity.lastCompleteRun.runId).toBe(completeRuns[0]!.runId);
    expect(status.healthy).toBe(false);
    expect(status.problems).toEqual(['partnerSecurity: the last run failed (ServiceUnavailable)']);
    expect(status.undeliveredAlerts).toEqual({ count: 0, oldestCreatedAt: null, lastError: null, channels: [] });
    expect((await api.get('status')).status).toBe(503);
    // The same judgement without a key, and without a word about why.
    const health = await fetch(`${api.host.url}/api/health`);
    expect({ status: health.status, body: await health.text() }).toEqual({ status: 503, body: '' });
    expect(sources.reduce((sum, source) => sum + source.openFindings, 0)).toBe(status.openFindings);
  });

  it('when the score is asked for a range, then every complete run in it is a point, oldest first, as stored', async () => {
    const all = await getJson('score');
    expect(all.items.map((item) => item.runId)).toEqual(completeRuns.map((run) => run.runId).reverse());
    for (const item of all.items) {
      const stored = await api.reader.scoreOfRun(String(item.runId));
      expect(item).toMatchObject({ currentScore: stored!.currentScore, maxScore: stored!.maxScore, collectedAt: runStartedAt(String(item.runId)).toISOString() });
    }
    const second = all.items[1]!;
    const narrowed = await getJson(`score?from=${second.collectedAt}&to=${second.collectedAt}`);
    expect(narrowed.items.map((item) => item.runId)).toEqual([second.runId]);
    expect((await getJson('score?to=2020-01-01')).items).toEqual([]);
  });

  it('when requirements are asked, then each complete run lists its stored requirements, and type narrows them', async () => {
    const all = await getJson('requirements');
    const perRun = await api.reader.requirementsOfRun(completeRuns[0]!.runId);
    expect(all.items).toHaveLength(perRun.length * completeRuns.length);
    const typed = await getJson('requirements?type=mfaEnforcedForAdminsOfCustomers');
    expect(typed.items).toHaveLength(completeRuns.length);
    const latestStored = perRun.find((requirement) => requirement.requirementType === 'mfaEnforcedForAdminsOfCustomers');
    expect(typed.items.at(-1)).toMatchObject({ runId: completeRuns[0]!.runId, compliantTenantCount: latestStored!.compliantTenantCount, totalTenantCount: 60 });
  });

  it('when customers are paged, then every customer of the latest complete run comes exactly once, across partitions', async () => {
    const stored = await customersAt(api.reader, completeRuns[0]!.runId);
    const { items, pages } = await allPages('customers', 7);
    expect(pages).toBeGreaterThanOrEqual(9);
    expect(items.map((item) => item.tenantId).sort()).toEqual(stored.map((customer) => customer.tenantId).sort());
    const first = await getJson('customers?top=5');
    expect(first).toMatchObject({ runId: completeRuns[0]!.runId, status: 'all' });
  });

  it.each(['noMfaPolicy', 'adminsNotCompliant', 'nonCompliant'] as const)('when customers are filtered by status=%s, then exactly the matching customers are listed', async (status) => {
    const stored = await customersAt(api.reader, completeRuns[0]!.runId);
    const noPolicy = (customer: CustomerMfaInsight) => [customer.securityDefaultsStatus, customer.mfaConditionalAccessPolicyStatus, customer.legacyPerUserMfaStatus].every((status) => status === 'disabled');
    const noAdmin = (customer: CustomerMfaInsight) => customer.compliantAdminsCount === 0;
    const oracle = { noMfaPolicy: noPolicy, adminsNotCompliant: noAdmin, nonCompliant: (customer: CustomerMfaInsight) => noPolicy(customer) || noAdmin(customer) }[status];
    const expected = stored.filter(oracle).map((customer) => customer.tenantId).sort();
    const { items } = await allPages(`customers?status=${status}`, 3);
    expect(items.map((item) => item.tenantId).sort()).toEqual(expected);
    if (status !== 'adminsNotCompliant') expect(expected.length).toBeGreaterThan(0);
  });

  it('when customers are listed, then each carries its display name from the directory, null for a customer no source names', async () => {
    const { items } = await allPages('customers', 25);
    const expected = new Map(api.cloud.sim.expected().customers.map((customer) => [customer.tenantId, customer]));
    for (const item of items) {
      const customer = expected.get(String(item.tenantId))!;
      const named = customer.listedIn.delegatedAdminCustomers || customer.listedIn.partnerCenterCustomers;
      expect({ tenantId: item.tenantId, customerName: item.customerName }).toEqual({ tenantId: customer.tenantId, customerName: named ? customer.name : null });
    }
    expect(items.some((item) => item.customerName === null)).toBe(true);
  });

  it('when customers are filtered by name=, then exactly those whose name contains it in any case are listed, across pages, with the filter echoed', async () => {
    const { items: all } = await allPages('customers', 100);
    const word = String(all.find((item) => item.customerName !== null)!.customerName).split(' ')[0]!;
    const filter = word.toUpperCase().slice(1);
    const expected = all.filter((item) => typeof item.customerName === 'string' && item.customerName.toLowerCase().includes(filter.toLowerCase())).map((item) => item.tenantId).sort();
    expect(expected.length).toBeGreaterThan(0);
    const { items } = await allPages(`customers?name=${encodeURIComponent(filter)}`, 2);
    expect(items.map((item) => item.tenantId).sort()).toEqual(expected);
    expect((await getJson(`customers?name=${encodeURIComponent(filter)}&top=1`)).name).toBe(filter);
    expect((await getJson('customers?name=no%20such%20customer%20name')).items).toEqual([]);
    const both = await allPages(`customers?status=nonCompliant&name=${encodeURIComponent(filter)}`, 3);
    expect(both.items.every((item) => item.noMfaPolicy === true || item.adminsNotCompliant === true)).toBe(true);
  });

  it('when customers are asked as CSV, then the customerName column follows the tenant id', async () => {
    const page = await getJson('customers?top=50');
    const named = page.items.find((item) => item.customerName !== null)!;
    const csv = (await (await api.get('customers?top=50&format=csv')).text()).split('\r\n');
    expect(csv[0]!.split(',').slice(0, 2)).toEqual(['tenantId', 'customerName']);
    expect(csv.find((line) => line.startsWith(`${String(named.tenantId)},`))!.split(',')[1]).toBe(String(named.customerName).includes(',') ? `"${String(named.customerName)}"` : named.customerName);
  });

  it("when one customer's history is asked, then its change points are listed oldest first, each with the run that first saw it, up to asOf; an unknown tenant is a 404", async () => {
    const latest = await customersAt(api.reader, completeRuns[0]!.runId);
    const oldest = completeRuns.at(-1)!;
    const atOldest = new Map((await customersAt(api.reader, oldest.runId)).map((customer) => [customer.tenantId, customer]));
    // A customer that changed between the first and the latest run: two change points at least.
    const customer = latest.find((candidate) => JSON.stringify(candidate) !== JSON.stringify(atOldest.get(candidate.tenantId)))!;
    const history = await getJson(`customers/${customer.tenantId.toUpperCase()}/history`);
    const names = await (await customerDirectory(api.settings)).customerNames();
    expect(history.customerName).toBe(names.get(customer.tenantId) ?? null);
    expect(history.asOf).toMatchObject({ runId: completeRuns[0]!.runId });
    expect(history.items.every((item) => item.customerName === history.customerName && item.gone === false)).toBe(true);
    expect(history.items[0]).toMatchObject({ runId: oldest.runId, ...atOldest.get(customer.tenantId) });
    expect(history.items.at(-1)).toMatchObject({ ...customer });
    const runIds = history.items.map((item) => String(item.runId));
    expect(runIds).toEqual([...runIds].sort().reverse());
    expect(runIds.every((runId) => completeRuns.some((run) => run.runId === runId))).toBe(true);
    expect((await getJson(`customers/${customer.tenantId}/history?to=${oldest.startedAt}`)).items).toHaveLength(1);
    expect((await getJson(`customers/${customer.tenantId}/history?to=2020-01-01`)).items).toEqual([]);
    expect(await problem('customers/00000000-0000-0000-0000-000000000000/history', 404)).toMatchObject({ status: 404 });
  });

  it('when principals are paged, then every principal of the latest run comes once, and since filters by sign-in time', async () => {
    const [run] = await api.reader.listRuns('nonMfaPrincipals', { status: 'complete', top: 1 });
    const stored = await api.reader.principalsOfRun(run!.runId);
    expect(stored.length).toBeGreaterThan(3);
    const { items } = await allPages('principals', 2);
    expect(items.map((item) => `${item.objectId}@${item.lastNonMfaRequestDateTime}`).sort()).toEqual(stored.map((item) => `${item.objectId}@${item.lastNonMfaRequestDateTime}`).sort());
    const times = stored.map((item) => item.lastNonMfaRequestDateTime).sort();
    const since = times[Math.floor(times.length / 2)]!;
    const recent = await allPages(`principals?since=${since}`, 100);
    expect(recent.items).toHaveLength(times.filter((time) => time >= since).length);
  });

  it('when registrations are asked, then each complete registration run is a point with its counts', async () => {
    const runs = await api.reader.listRuns('registrationCounts', { status: 'complete' });
    const series = await getJson('registrations');
    expect(series.items.map((item) => item.runId)).toEqual(runs.map((run) => run.runId).reverse());
    const stored = await api.reader.registrationCountsOfRun(runs[0]!.runId);
    expect(series.items.at(-1)).toMatchObject({ totalUserCount: stored!.totalUserCount, mfaRegisteredUserCount: stored!.mfaRegisteredUserCount, countsByStatus: stored!.countsByStatus });
  });

  it.each(['open', 'resolved', 'all'] as const)('when findings are asked with state=%s, then the stored findings in that state are listed, critical first, read in key order, each page by impact, whole or a page at a time', async (state) => {
    const rank = (finding: StoredFinding): number => (finding.severity === 'critical' ? 0 : 1);
    const stored = (await api.detector.readFindings())
      .filter((finding) => state === 'all' || finding.state === state)
      .sort((left, right) => rank(left) - rank(right) || (toTableKey(left.key) < toTableKey(right.key) ? -1 : 1));
    // What the store read, as a page lists it: by severity, then highest impact first (the sort is stable: key order within ties).
    const listed = (read: StoredFinding[]) => [...read].sort((left, right) => rank(left) - rank(right) || findingImpact(right) - findingImpact(left)).map((finding) => finding.key);
    const list = await getJson(`findings?state=${state}`);
    expect(list.items.map((item) => item.key)).toEqual(listed(stored));
    expect(list.items.map((item) => item.impact)).toEqual(listed(stored).map((key) => findingImpact(stored.find((finding) => finding.key === key)!)));
    expect(list.continuationToken).toBeNull();
    const pagesOfTwo = stored.flatMap((_finding, index) => (index % 2 === 0 ? listed(stored.slice(index, index + 2)) : []));
    expect((await allPages(`findings?state=${state}`, 2)).items.map((item) => item.key)).toEqual(pagesOfTwo);
    if (state !== 'resolved') expect(list.items.length).toBeGreaterThan(0);
  });

  it('when findings are listed, then a customer finding carries the customer\'s name and a partner-user finding the UPN of the latest snapshot, and no other finding carries either', async () => {
    const list = await getJson('findings?state=all');
    const names = await (await customerDirectory(api.settings)).customerNames();
    const [run] = await api.reader.listRuns('nonMfaPrincipals', { status: 'complete', top: 1 });
    const upns = new Map((await api.reader.principalsOfRun(run!.runId)).map((principal) => [principal.objectId, principal.upn]));
    const subject = (item: Record<string, unknown>) => item.subject as { type: string; id: string };
    const customers = list.items.filter((item) => subject(item).type === 'customer');
    const principals = list.items.filter((item) => subject(item).type === 'principal');
    expect(customers.length).toBeGreaterThan(0);
    expect(principals.length).toBeGreaterThan(0);
    for (const item of customers) expect(item.customerName).toBe(names.get(subject(item).id) ?? null);
    expect(customers.some((item) => item.customerName !== null)).toBe(true);
    for (const item of principals) expect(item.upn).toBe(upns.get(subject(item).id) ?? null);
    expect(principals.some((item) => typeof item.upn === 'string' && item.upn.includes('@'))).toBe(true);
    for (const item of list.items.filter((one) => !['customer', 'principal'].includes(subject(one).type))) expect([item.customerName, item.upn]).toEqual([null, null]);
  });

  it('when findings are listed, then each says in one line what happened, names first, and what to do next', async () => {
    const list = await getJson('findings?state=all');
    const subject = (item: Record<string, unknown>) => item.subject as { type: string; id: string };
    for (const item of list.items) {
      expect(typeof item.description).toBe('string');
      expect(item.description).not.toContain('\n');
      expect((item.nextStep as string).length).toBeGreaterThan(10);
    }
    const named = list.items.find((item) => subject(item).type === 'customer' && typeof item.customerName === 'string');
    expect(named).toBeDefined();
    const description = named!.description as string;
    // The customer's name comes before its tenant id, and its next step opens that tenant's Entra admin center.
    expect(description.indexOf(named!.customerName as string)).toBeGreaterThanOrEqual(0);
    expect(description.indexOf(named!.customerName as string)).toBeLessThan(description.indexOf(subject(named!).id));
    expect(named!.nextStepUrl).toEqual(expect.stringContaining(subject(named!).id));
    const person = list.items.find((item) => subject(item).type === 'principal' && typeof item.upn === 'string');
    expect(person?.description).toEqual(expect.stringContaining(person!.upn as string));
    const source = list.items.find((item) => subject(item).type === 'source');
    // The monitor's own step opens the dashboard, relative (a browser holds no API key for the JSON API's ledger).
    if (source) expect(source.nextStepUrl).toMatch(/^\/api\/dashboard#finding=source%2F/);
  });

  it('when the status is asked after names were read, then customerNames says ok with both sources, and complete runs carry no warning', async () => {
    const status = await getJson('status');
    expect(status.customerNames).toMatchObject({ status: 'ok', warning: null, sources: ['delegatedAdminCustomers', 'partnerCenterCustomers'] });
    expect((await getJson('runs?source=partnerSecurity')).items.filter((item) => item.status === 'complete').every((item) => (item.warnings as string[]).length === 0)).toBe(true);
  });

  it('when the run ledger is asked, then runs come newest first, failed ones included, per source or all', async () => {
    const ledger = await getJson('runs?source=partnerSecurity');
    expect(ledger.items.map((item) => item.status)).toEqual(['failed', 'complete', 'complete', 'complete']);
    const all = await getJson('runs?top=5');
    expect(all.items).toHaveLength(5);
    const ids = all.items.map((item) => String(item.runId));
    expect(ids).toEqual([...ids].sort());
  });

  it('when CSV is asked by format=csv or Accept: text/csv, then every list answers CSV with one row per item', async () => {
    for (const endpoint of endpoints) {
      const path = endpoint.route.replace('{tenantId}', String((await customersAt(api.reader, completeRuns[0]!.runId))[0]!.tenantId));
      const json = await getJson(path);
      const items = (json.items ?? json.sources) as unknown[];
      for (const response of [await api.get(`${path}?format=csv`), await api.get(path, { accept: 'text/csv' })]) {
        const expected = path === 'status' && json.healthy === false ? 503 : 200;
        expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({ path, status: expected, type: 'text/csv; charset=utf-8' });
        const lines = (await response.text()).split('\r\n').filter((line) => line !== '');
        expect(lines.length).toBe(items.length + 1);
      }
    }
    const csv = await (await api.get('findings?state=all&format=csv')).text();
    expect(csv.split('\r\n')[0]).toBe(
      'key,kind,severity,impact,subject.type,subject.id,subject.name,customerName,upn,admin.userId,admin.userPrincipalName,admin.displayName,measure,state,baseline,current,openedAt,resolvedAt,description,nextStep,nextStepUrl,waiver.id,waiver.reason,waiver.owner,waiver.expiresAt',
    );
  });
});

describe('bad input', () => {
  it.each([
    ['score?from=2026-13-01', 'from'],
    ['score?from=2026-02-30', 'from'],
    ['requirements?to=yesterday', 'to'],
    ['registrations?from=2026-01-05&to=2026-01-04', 'from'],
    ['score?from=2026-01-01T10:00:00', 'from'],
    ['customers?status=sleepy', 'status'],
    ['customers?top=0', 'top'],
    ['customers?top=1001', 'top'],
    ['principals?top=1.5', 'top'],
    ['runs?top=-1', 'top'],
    ['customers/not-a-guid/history', 'tenantId'],
    ['customers?continuationToken=abc', 'continuationToken'],
    ['principals?since=2026-01-01T25:00:00Z', 'since'],
    ['findings?state=closed', 'state'],
    ['runs?source=everything', 'source'],
    ['customers?stauts=all', 'stauts'],
    ['customers?name=', 'name'],
    [`customers?name=${'x'.repeat(101)}`, 'name'],
    ['score?format=xml', 'format'],
    ['score?from=1969-12-31', 'from'],
    ['requirements?to=2286-11-21', 'to'],
    ['registrations?from=0001-01-01T00:00:00Z', 'from'],
  ])('when GET %s, then a 400 problem names "%s"', async (path, parameter) => {
    const body = await problem(path);
    expect(body['invalid-params']?.map((entry) => entry.name)).toEqual([parameter]);
    expect(body.detail).toContain(`"${parameter}"`);
  });

  it('when from or to lies outside the times a run id can hold, then the 400 names that range', async () => {
    const body = await problem('score?from=1969-12-31T23:59:59Z');
    expect(body.detail).toContain('must be from 1970-01-01T00:00:00.000Z to 2286-11-20T17:46:39.999Z');
    await getJson('score?from=1970-01-01&to=2286-11-20T17:46:39.999Z');
  });

  it('when a continuation token is altered, re-signed by guesswork, or used with other filters, then it is a 400', async () => {
    const page = await getJson('customers?top=5');
    const token = String(page.continuationToken);
    const [payload, signature] = token.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...decoded, p: 'f' })).toString('base64url');
    for (const attempt of [`${forged}.${signature}`, `${payload}.${signature.slice(0, -2)}AA`, `${payload}x.${signature}`, payload]) {
      expect((await problem(`customers?continuationToken=${encodeURIComponent(attempt)}`))['invalid-params']).toEqual([{ name: 'continuationToken', reason: expect.any(String) }]);
    }
    await problem(`customers?status=noMfaPolicy&continuationToken=${encodeURIComponent(token)}`);
    expect((await getJson(`customers?top=5&continuationToken=${encodeURIComponent(token)}`)).items).toHaveLength(5);
  });

  it('when a token of the earlier bucket layout comes back, then it is a 400 saying the positions no longer apply and to start again', async () => {
    // Signed as the earlier version signed its tokens, with this deployment's key.
    const key = createHash('sha256').update('mfa-monitor continuation token v1\0').update('test-token-secret').digest();
    const payload = Buffer.from(JSON.stringify({ q: JSON.stringify(['customers', 'all', null]), r: completeRuns[0]!.runId, b: 3, k: 'tenant' })).toString('base64url');
    const earlier = `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
    const answer = await problem(`customers?continuationToken=${encodeURIComponent(earlier)}`);
    expect(answer['invalid-params']).toEqual([{ name: 'continuationToken', reason: expect.stringContaining('earlier version of this API') }]);
  });

  it('when every parameter carries a quote, then nothing is injected: each answers a 400 or an empty/unchanged 200, never a 500', async () => {
    const quote = "x' or 'a' eq 'a";
    const tenantId = (await customersAt(api.reader, completeRuns[0]!.runId))[0]!.tenantId;
    const allRequirements = (await getJson('requirements')).items.length;
    for (const endpoint of endpoints) {
      const route = endpoint.route.replace('{tenantId}', tenantId);
      for (const parameter of [...endpoint.parameters, { name: 'format', in: 'query' }]) {
        const path = parameter.in === 'path' ? endpoint.route.replace('{tenantId}', encodeURIComponent(quote)) : `${route}?${parameter.name}=${encodeURIComponent(quote)}`;
        const response = await api.get(path);
        const freeText = parameter.name === 'type' || parameter.name === 'name';
        expect({ path, status: response.status }).toEqual({ path, status: freeText ? 200 : 400 });
        if (freeText) expect(((await response.json()) as Json).items).toEqual([]);
      }
    }
    expect((await getJson(`requirements?type=${encodeURIComponent("mfaEnforcedForAdminsOfCustomers' or RowKey ne '")}`)).items).toEqual([]);
    expect((await getJson('requirements')).items).toHaveLength(allRequirements);
  });

  it('when storage settings are broken, then the answer is a 503 problem naming the setting, without its value or internals', async () => {
    const saved = process.env.TABLE_PREFIX;
    process.env.TABLE_PREFIX = 'not valid!';
    try {
      const body = await problem('score', 503);
      expect(body).toMatchObject({ status: 503, type: 'urn:mfa-monitor:problem:misconfigured', problems: ['TABLE_PREFIX must be 1-40 letters or digits starting with a letter'] });
      expect(JSON.stringify(body)).not.toMatch(/not valid!|stack|\n\s+at /i);
    } finally {
      process.env.TABLE_PREFIX = saved;
    }
  });

  it('when no function key or a wrong one is given, then every endpoint is a 401 (the dashboard page is static, holds no data, and needs no key)', async () => {
    expect((await fetch(`${api.host.url}/api/dashboard`)).status).toBe(200);
    for (const route of ['status', 'customers', 'openapi.json']) {
      expect((await fetch(`${api.host.url}/api/${route}`)).status).toBe(401);
      expect((await fetch(`${api.host.url}/api/${route}?code=wrong`)).status).toBe(401);
    }
  });
});

describe('OpenAPI document', () => {
  it('when the document is fetched, then it is JSON that must not be sniffed and that a browser may keep for an hour', async () => {
    const response = await api.get('openapi.json');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, max-age=3600');
  });

  it('describes every registered HTTP function under its route, and nothing else', () => {
    const operations = api.host.functions.flatMap(({ trigger }) => (trigger.type === 'http' ? trigger.methods.map((method) => `${method.toLowerCase()} /${trigger.route}`) : [])).sort();
    const documented = Object.entries(openApi.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)).sort();
    expect(documented).toEqual(operations);
    expect(openApi).toMatchObject({ openapi: '3.1.0' });
  });

  it('lists exactly the parameters each handler accepts: documented ones answer 200, any other is a 400 naming it', async () => {
    const tenantId = (await customersAt(api.reader, completeRuns[0]!.runId))[0]!.tenantId;
    const samples: Record<string, string> = { from: '2020-01-01', to: '2099-12-31', type: 'mfaEnforcedForAdmins', status: 'nonCompliant', top: '3', since: '2020-01-01', state: 'all', source: 'nonMfaPrincipals', format: 'json', expiringWithinDays: '14', waiverId: '0123456789ab',
      severity: 'critical', subject: 'customer', waived: 'false', psa: 'connectwise', lookup: 'true', tenantId,
      // A subject id is read only with its subject type.
      subjectId: `${tenantId}&subject=customer` };
    for (const endpoint of endpoints) {
      const documented = openApi.paths[`/${endpoint.route}`]!.get.parameters!.flatMap((parameter) => (parameter.in === 'query' ? [parameter.name!] : parameter.$ref ? ['format'] : []));
      const route = endpoint.route.replace('{tenantId}', tenantId);
      for (const name of documented.filter((candidate) => candidate !== 'continuationToken')) {
        await getJson(`${route}?${name}=${samples[name]}`);
      }
      expect((await problem(`${route}?undocumented=1`))['invalid-params']).toEqual([{ name: 'undocumented', reason: expect.any(String) }]);
    }
  });
});

describe('stored rows that cannot be read', () => {
  const damage = 'not json {"upn":"someone@contoso.example"';
  let tables: Tables;
  const planted: { table: () => TableClient; partitionKey: string; rowKey: string }[] = [];

  beforeAll(async () => {
    tables = new Tables(readConfig(api.settings, ['storage']).storage, () => {
      throw new Error('no token credential in tests');
    });
    const tenantId = (await customersAt(api.reader, completeRuns[0]!.runId))[0]!.tenantId;
    const damagedPoint = customerHistoryKey(tenantId, '0000000000001-damaged');
    const rows = [
      { table: () => tables.clientFor('findings'), entity: { partitionKey: fixedPartitions.findings, rowKey: 'damaged%2Ffinding', kind: 'customerCompliantAdminsFell', severity: 'critical', subjectType: 'customer', subjectId: tenantId, measure: 'm', state: 'open', baseline: damage, current: '1', openedAt: '2026-01-01T00:00:00Z' } },
      { table: () => tables.clientFor('findings'), entity: { partitionKey: fixedPartitions.findings, rowKey: 'stateless', kind: 'sourceUnavailable', severity: 'critical', subjectType: 'source', subjectId: 'x', measure: 'm', baseline: '1', current: '1', openedAt: '2026-01-01T00:00:00Z' } },
      { table: () => tables.clientFor('runs'), entity: { partitionKey: 'registrationCounts', rowKey: '0000000000003-damaged', source: 'registrationCounts', runId: '0000000000003-damaged', status: 'complete', startedAt: '2286-11-20T17:46:39.996Z', counts: damage } },
      { table: () => tables.clientFor('registrations'), entity: { partitionKey: fixedPartitions.registrations, rowKey: '0000000000002-damaged', runId: '0000000000002-damaged', report: 'x', countsByStatus: damage } },
      { table: () => tables.clientFor('customerHistory'), entity: { ...damagedPoint, tenantId, runId: '0000000000001-damaged', point: damage } },
    ];
    for (const { table, entity } of rows) {
      await table().createEntity(entity);
      planted.push({ table, partitionKey: entity.partitionKey, rowKey: entity.rowKey });
    }
    plantedTenant = tenantId;
  });
  let plantedTenant = '';

  afterAll(async () => {
    for (const { table, partitionKey, rowKey } of planted) await table().deleteEntity(partitionKey, rowKey);
  });

  it('when findings hold rows that cannot be read, then status and findings answer 200 without them and count them in skippedRows and x-skipped-rows', async () => {
    const readable = await api.detector.readFindings(() => undefined);
    const status = await getJson('status');
    // The status reads the detector's summary, not the findings: the damaged rows are not its to skip.
    expect(status.skippedRows).toEqual({ count: 1, tables: { runs: 1 } });
    expect(status.openFindings).toBe(readable.filter((finding) => finding.state === 'open').length);
    const findings = await getJson('findings?state=all');
    expect(findings.items.map((item) => item.key)).toEqual(expect.not.arrayContaining(['damaged/finding', 'stateless']));
    expect(findings.items).toHaveLength(readable.length);
    expect(findings.skippedRows).toEqual({ count: 2, tables: { findings: 2 } });
    const csv = await api.get('findings?state=all&format=csv');
    expect({ status: csv.status, skipped: csv.headers.get('x-skipped-rows') }).toEqual({ status: 200, skipped: '2' });
  });

  it('when the detector reads findings without a handler, then a row that cannot be read fails the read with UnreadableRow, never silently', async () => {
    await expect(api.detector.readFindings()).rejects.toMatchObject({ code: 'UnreadableRow', message: expect.stringMatching(/findings table cannot be read: field "(baseline" is not JSON|state" is missing or not text)/) });
  });

  it('when the ledger, the registrations and a customer history hold rows that cannot be read, then each answer skips and counts them', async () => {
    const runs = await getJson('runs?source=registrationCounts');
    expect(runs.skippedRows).toEqual({ count: 1, tables: { runs: 1 } });
    expect(runs.items.map((item) => item.runId)).not.toContain('0000000000003-damaged');
    expect((await getJson('registrations')).skippedRows).toEqual({ count: 2, tables: { runs: 1, registrations: 1 } });
    const history = await getJson(`customers/${plantedTenant}/history`);
    expect(history.skippedRows).toMatchObject({ tables: { customerHistory: 1 } });
    expect(history.items.length).toBeGreaterThan(0);
    expect((await getJson('score')).skippedRows).toBeUndefined();
  });

  it('when rows are skipped, then the log names each table and why, without the stored text', async () => {
    const lines: string[] = [];
    const context = new InvocationContext({ invocationId: 'skip-test', functionName: 'apiFindings', logHandler: (level, ...args) => lines.push(`${level} ${args.join(' ')}`) });
    const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/findings?state=all' });
    const response = await serveEndpoint(endpoints.find((endpoint) => endpoint.name === 'apiFindings')!, request, context, () => queryApi(api.settings));

    expect(response.status).toBe(200);
    expect(lines).toEqual([expect.stringMatching(/^warning Skipped 2 stored row\(s\) that cannot be read \(findings: field "baseline" is not JSON; findings: field "state" is missing or not text\)/)]);
    expect(lines.join()).not.toMatch(/contoso|upn|not json/);
  });
});

describe('health', () => {
  it('when an alert has waited undelivered longer than ALERT_UNDELIVERED_HOURS, then the status is a 503 naming it, with the outbox state', async () => {
    const createdAt = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const message = await api.detector.createMessage({
      messageId: `m${Date.now()}`, status: 'ready', createdAt, reminder: false, subject: 'MFA regressions',
      lastError: 'ACS answered 401 (Denied)', sentAt: null,
    });
    try {
      const status = await getJson('status');
      expect(status.undeliveredAlerts).toEqual({ count: 1, oldestCreatedAt: createdAt, lastError: 'ACS answered 401 (Denied)', channels: [] });
      expect(status.problems).toContain(`an alert has waited undelivered since ${createdAt}, longer than 2 h (last error: ACS answered 401 (Denied))`);
    } finally {
      await api.detector.updateMessage({ ...message, status: 'sent', sentAt: new Date().toISOString() });
    }
    expect((await getJson('status')).undeliveredAlerts).toMatchObject({ count: 0 });
  });

  it('when Teams refuses the monitor while the email went out, then the status shows the deliveries per channel and names the refusal as a problem', async () => {
    const createdAt = new Date().toISOString();
    const messageId = `m${Date.now()}`;
    const message = await api.detector.createMessage({
      messageId, status: 'ready', createdAt, reminder: false, subject: 'MFA regressions',
      lastError: null, sentAt: null,
    });
    const delivery = { messageId, operationId: '00000000-0000-4000-8000-000000000003', createdAt, refusals: 0, firstAttemptAt: createdAt, sentAt: null };
    await api.detector.createDeliveries([
      { ...delivery, target: 'email', status: 'sent', attempts: 1, lastError: null, lastErrorCode: null },
      { ...delivery, target: 'teams', status: 'sending', attempts: 2, lastError: 'Teams refused the alert (status 401): check TEAMS_WEBHOOK_URL', lastErrorCode: 'AlertUndeliverable' },
    ]);
    try {
      const status = await getJson('status');
      expect((status.undeliveredAlerts as Json).channels).toEqual([
        { channel: 'Teams', target: 'teams', waiting: 1, oldestCreatedAt: createdAt, attempts: 2, lastError: 'Teams refused the alert (status 401): check TEAMS_WEBHOOK_URL', refused: true },
      ]);
      expect(status.healthy).toBe(false);
      expect(status.problems).toContain("Teams refuses the monitor's alerts: Teams refused the alert (status 401): check TEAMS_WEBHOOK_URL");
    } finally {
      const [teams] = (await api.detector.deliveriesOf(messageId)).filter((row) => row.target === 'teams');
      await api.detector.updateDelivery({ ...teams!, status: 'sent' });
      await api.detector.updateMessage({ ...message, status: 'sent', sentAt: new Date().toISOString() });
    }
    expect((await getJson('status')).undeliveredAlerts).toMatchObject({ count: 0, channels: [] });
  });

  it('when the last run of a source was abandoned, then the status is unhealthy and says which run and why', async () => {
    const store = new TableSnapshotStore(new Tables(readConfig(api.settings, ['storage']).storage, () => {
      throw new Error('connection string only');
    }));
    // Started after every run of the fixture, so it is the source's last run.
    const startedAt = new Date();
    const runId = newRunId(startedAt, 'abandon1');
    await store.openRun('registrationCounts', runId, startedAt);
    await store.markAbandonedRuns('registrationCounts', new Date(startedAt.getTime() + 1), 'stopped in a test', new Date());
    try {
      const status = await getJson('status');
      expect(status.healthy).toBe(false);
      expect(status.problems).toContain('registrationCounts: the last run failed (Abandoned)');
      const ledger = await getJson('runs?source=registrationCounts&top=1');
      expect(ledger.items[0]).toMatchObject({ runId, status: 'failed', errorCode: 'Abandoned', errorMessage: 'stopped in a test' });
    } finally {
      await (await new Tables(readConfig(api.settings, ['storage']).storage, () => {
        throw new Error('connection string only');
      }).clientFor('runs')).deleteEntity('registrationCounts', runId);
    }
  });
});
