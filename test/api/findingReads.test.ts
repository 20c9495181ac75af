import { TableClient } from '@azure/data-tables';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { TableDetectorStore } from '../../src/adapters/tableDetectorStore';
import { toTableKey } from '../../src/adapters/tableKey';
import { fixedPartitions } from '../../src/adapters/tableLayout';
import { Tables } from '../../src/adapters/tables';
import { TableSnapshotReader, TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { newRunId } from '../../src/core/snapshotRun';
import { endpoints } from '../../src/api/endpoints';
import { serveEndpoint } from '../../src/api/serveEndpoint';
import { queryApi } from '../../src/composition';
import { readConfig } from '../../src/config';
import type { StoredFinding } from '../../src/core/findings';
import { countStorageTraffic } from '../../tools/bench/storageTraffic';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/**
 * What a status call and a findings page read, counted in rows the client receives from Table
 * Storage, with many more findings stored than either shows. From Microsoft's documents:
 * - "Guidelines for table design" (https://learn.microsoft.com/azure/storage/tables/table-storage-design-guidelines):
 *   "consider denormalizing your data ... store summary entities so that queries for aggregate
 *   data only need to access a single entity". The status's open-finding counts are such a summary.
 * - "Querying tables and entities" (https://learn.microsoft.com/rest/api/storageservices/querying-tables-and-entities):
 *   `$filter` compares properties (here `state` and `severity`) in the service, which returns only
 *   the entities that match; `$top` returns the first n of them.
 * - "Query timeout and pagination" (https://learn.microsoft.com/rest/api/storageservices/query-timeout-and-pagination):
 *   "$top ... specifies the maximum number of results per page", at most 1,000; a query resumes
 *   from a continuation. So a page of n findings needs no more than n rows from the service.
 */
let cloud: Cloud;
let settings: Record<string, string>;
let store: TableDetectorStore;
const traffic = countStorageTraffic(undefined);
const resolvedCount = 1200;
const openCritical = 130;
const openWarning = 45;

function planted(index: number, state: StoredFinding['state'], severity: StoredFinding['severity']): StoredFinding {
  const tenantId = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  return {
    key: `customer/${tenantId}/securityDefaultsStatus`, kind: 'customerPolicyDisabled', severity, subject: { type: 'customer', id: tenantId }, measure: 'securityDefaultsStatus',
    state, baseline: 'enabled', current: 'disabled', openedAt: '2026-01-01T00:00:00.000Z', resolvedAt: state === 'resolved' ? '2026-01-02T00:00:00.000Z' : null,
    event: false, pendingChange: null, announcedIn: 'planted', announcedChange: state === 'open' ? 'opened' : 'resolved',
  };
}

/** One GET through the function's own handler, with the rows it read from the Findings table. */
async function get(name: string, query: string): Promise<{ status: number; body: Record<string, unknown>; findingRows: number }> {
  const request = new HttpRequest({ method: 'GET', url: `http://localhost/api/x${query}` });
  traffic.mark();
  const response = await serveEndpoint(endpoints.find((endpoint) => endpoint.name === name)!, request, new InvocationContext({ functionName: name }), () => queryApi(settings));
  const findingRows = traffic.sinceMark().rowsReadFrom[`${settings.TABLE_PREFIX}Findings`] ?? 0;
  return { status: response.status ?? 200, body: JSON.parse(String(response.body)) as Record<string, unknown>, findingRows };
}

/** The Detector table's state row, read and written with the account key. */
function detectorTable(): TableClient {
  return TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Detector`, { allowInsecureConnection: true });
}

beforeAll(async () => {
  cloud = await startCloud({ customers: 30 }, 1);
  settings = cloud.settings();
  store = new TableDetectorStore(new Tables(readConfig(settings, ['storage']).storage, () => {
    throw new Error('connection string only');
  }));
  await cloud.collectAll(settings);
  await store.writeFindings([
    ...Array.from({ length: resolvedCount }, (_, index) => planted(index, 'resolved', 'critical')),
    ...Array.from({ length: openCritical }, (_, index) => planted(resolvedCount + index, 'open', 'critical')),
    ...Array.from({ length: openWarning }, (_, index) => planted(resolvedCount + openCritical + index, 'open', 'warning')),
  ]);
  // The detector holds these with its own and writes the summary after them.
  await cloud.run('detectRegressions', settings);
}, 240_000);
afterAll(async () => {
  await cloud?.close();
});

describe('what a status call and a findings page read', () => {
  it('when many findings are stored, then the status reads no finding row: the detector summary holds what it shows', async () => {
    const stored = await store.readFindings();
    const open = stored.filter((finding) => finding.state === 'open');
    expect(stored.length).toBeGreaterThan(resolvedCount + openCritical + openWarning - 1);

    const { body, findingRows } = await get('apiStatus', '');
    expect(body.openFindings).toBe(open.length);
    expect((body.sources as { openFindings: number }[]).reduce((sum, source) => sum + source.openFindings, 0)).toBe(open.length);
    expect(findingRows).toBe(0);
  });

  it('when the detector has not written a summary yet (a monitor upgraded before its next run), then the status counts the open findings, reading those and no resolved one', async () => {
    const state = await detectorTable().getEntity<Record<string, unknown>>(fixedPartitions.detector, 'state');
    const { openFindings: summary, ...withoutSummary } = state;
    expect(typeof summary).toBe('string');
    await detectorTable().upsertEntity({ ...withoutSummary, partitionKey: fixedPartitions.detector, rowKey: 'state' }, 'Replace');
    try {
      const open = (await store.readFindings()).filter((finding) => finding.state === 'open');
      const { body, findingRows } = await get('apiStatus', '');
      expect(body.openFindings).toBe(open.length);
      expect(findingRows).toBe(open.length);
    } finally {
      await detectorTable().upsertEntity({ ...state, partitionKey: fixedPartitions.detector, rowKey: 'state' }, 'Replace');
    }
  });

  it('when open findings are paged with top, then each page reads at most its own size, the pages list every open finding once, critical first, each page by impact within a severity', async () => {
    const rank = (finding: { severity: string }): number => (finding.severity === 'critical' ? 0 : 1);
    const inKeyOrder = (left: { severity: string; key: string }, right: { severity: string; key: string }) => rank(left) - rank(right) || (toTableKey(left.key) < toTableKey(right.key) ? -1 : 1);
    const expected = (await store.readFindings())
      .filter((finding) => finding.state === 'open')
      .sort(inKeyOrder)
      .map((finding) => finding.key);
    const top = 40;
    const keys: string[] = [];
    let token: string | null = null;
    for (let pages = 0; pages === 0 || (token !== null && pages < 20); pages += 1) {
      const { status, body, findingRows }: Awaited<ReturnType<typeof get>> = await get('apiFindings', `?state=open&top=${top}${token === null ? '' : `&continuationToken=${encodeURIComponent(token)}`}`);
      expect(status).toBe(200);
      const items = body.items as { key: string; severity: string; impact: number }[];
      expect(items.length).toBeLessThanOrEqual(top);
      expect(findingRows).toBeLessThanOrEqual(top);
      // The store reads each severity in key order; the page lists what it read by impact, highest first.
      const byImpact = [...items].sort((left, right) => rank(left) - rank(right) || right.impact - left.impact);
      expect(items.map((item) => item.impact)).toEqual(byImpact.map((item) => item.impact));
      keys.push(...[...items].sort(inKeyOrder).map((item) => item.key));
      token = body.continuationToken as string | null;
    }
    expect(token).toBeNull();
    expect(keys).toEqual(expected);
  });

  it('when a findings token is handed back with another state, then the answer is a 400 naming continuationToken', async () => {
    const first = await get('apiFindings', '?state=open&top=5');
    const replayed = await get('apiFindings', `?state=all&top=5&continuationToken=${encodeURIComponent(String(first.body.continuationToken))}`);
    expect(replayed.status).toBe(400);
    expect(JSON.stringify(replayed.body)).toContain('continuationToken');
  });

  it('when findings are filtered by severity, subject, one customer and time of change, then the store answers the filter: only matching rows are read and listed', async () => {
    const stored = await store.readFindings();
    const tenantId = stored.find((finding) => finding.subject.type === 'customer')!.subject.id;
    const byCustomer = await get('apiFindings', `?state=all&subject=customer&subjectId=${tenantId.toUpperCase()}`);
    expect((byCustomer.body.items as { key: string }[]).map((item) => item.key)).toEqual(stored.filter((finding) => finding.subject.id === tenantId).map((finding) => finding.key));
    expect(byCustomer.findingRows).toBe((byCustomer.body.items as unknown[]).length);

    const warnings = await get('apiFindings', '?state=all&severity=warning');
    const openWarnings = stored.filter((finding) => finding.severity === 'warning');
    expect(openWarnings.length).toBeGreaterThan(0);
    expect((warnings.body.items as { key: string; severity: string }[]).map((item) => [item.key, item.severity])).toEqual(openWarnings.map((finding) => [finding.key, 'warning']));
    expect(warnings.findingRows).toBe((warnings.body.items as unknown[]).length);

    // The planted findings opened on 2026-01-01 and the resolved ones closed on 2026-01-02; the detector's own changes are newer.
    const since = '2026-01-03T00:00:00Z';
    const changed = await get('apiFindings', `?state=all&since=${since}`);
    const expected = stored.filter((finding) => finding.openedAt >= '2026-01-03T00:00:00.000Z' || (finding.resolvedAt ?? '') >= '2026-01-03T00:00:00.000Z');
    expect((changed.body.items as unknown[]).length).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(stored.length);
    expect(changed.findingRows).toBe(expected.length);
  });

  it('when a finding filter is malformed, then the answer is a 400 naming the parameter', async () => {
    expect((await get('apiFindings', '?subjectId=x')).body).toMatchObject({ 'invalid-params': [{ name: 'subjectId' }] });
    expect((await get('apiFindings', '?subject=customer&subjectId=not-a-guid')).body).toMatchObject({ 'invalid-params': [{ name: 'subjectId' }] });
    expect((await get('apiFindings', '?severity=urgent')).status).toBe(400);
    expect((await get('apiFindings', '?waived=yes')).status).toBe(400);
  });

  it('when the last ten runs of a source failed, then the status still finds its last complete run, beyond the recent runs it reads first', async () => {
    const tables = new Tables(readConfig(settings, ['storage']).storage, () => {
      throw new Error('connection string only');
    });
    const runs = new TableSnapshotStore(tables);
    const [complete] = await new TableSnapshotReader(tables).listRuns('registrationCounts', { status: 'complete', top: 1 });
    const started = Date.now();
    for (let index = 0; index < 11; index += 1) await runs.openRun('registrationCounts', newRunId(new Date(started + index), `failed${index}`), new Date(started + index));
    await runs.markAbandonedRuns('registrationCounts', new Date(started + 1000), 'stopped in a test', new Date());

    const { body } = await get('apiStatus', '');
    const source = (body.sources as { source: string; lastRun: { status: string }; lastCompleteRun: { runId: string } | null }[]).find((one) => one.source === 'registrationCounts');
    expect(source?.lastRun.status).toBe('failed');
    expect(source?.lastCompleteRun?.runId).toBe(complete!.runId);
    expect(body.problems).not.toContain('registrationCounts: no complete run yet');
  });
});
