import { customersAt } from '../support/customerChanges';
import { snapshotReader } from '../../src/composition';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 250, graphPageSize: 40 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

async function collect(settings: Record<string, string>) {
  const logs = await cloud.run('collectPartnerSecurity', settings);
  const reader = await snapshotReader(settings);
  const run = await reader.latestCompleteRun('partnerSecurity');
  return { logs, reader, run };
}

async function collectFailing(settings: Record<string, string>) {
  const error = (await cloud.run('collectPartnerSecurity', settings).then(
    () => null,
    (thrown: unknown) => thrown,
  )) as (Error & { code?: string; logs?: string[] }) | null;
  expect(error).not.toBeNull();
  const reader = await snapshotReader(settings);
  const runs = await reader.listRuns('partnerSecurity');
  return { error: error as Error & { code?: string; logs?: string[] }, reader, runs };
}

describe('collectPartnerSecurity against the simulator and Azurite', () => {
  it('when every page is served, then each customer, requirement, the score and the history are stored exactly as served', async () => {
    const settings = cloud.settings();
    const { reader, run } = await collect(settings);
    const expected = cloud.sim.expected();
    expect(run).toMatchObject({ status: 'complete', counts: { customers: 250, customerPages: 7, requirements: expected.requirements.length, scoreHistory: expected.scoreHistory.length } });
    const customers = await customersAt(reader, run!.runId);
    expect(customers).toHaveLength(250);
    const byTenant = new Map(customers.map((customer) => [customer.tenantId, customer]));
    for (const served of expected.customerInsights) {
      const { '@odata.type': _type, ...mfa } = served.mfa as unknown as Record<string, unknown>;
      expect(byTenant.get(served.tenantId)).toEqual({ tenantId: served.tenantId, ...mfa });
    }
    const requirements = await reader.requirementsOfRun(run!.runId);
    const types = requirements.map((requirement) => requirement.requirementType).sort();
    expect(types).toEqual(expect.arrayContaining(['mfaEnforcedForAdmins', 'mfaEnforcedForAdminsOfCustomers', 'securityAlertsPromptlyResolved', 'securityContactProvided', 'spendingBudgetSetForCustomerAzureSubscriptions']));
    const legacy = requirements.find((requirement) => requirement.kind === 'mfaEnforcedSecurityRequirement');
    expect(legacy?.requirementType).toMatch(/^mfaEnforcedForAuthenticationOf/);
    const customersRequirement = requirements.find((requirement) => requirement.requirementType === 'mfaEnforcedForAdminsOfCustomers');
    const servedCustomersRequirement = expected.requirements.find((requirement) => 'requirementType' in requirement && requirement.requirementType === 'mfaEnforcedForAdminsOfCustomers') as { compliantTenantCount: number; totalTenantCount: number };
    expect(customersRequirement).toMatchObject({ compliantTenantCount: servedCustomersRequirement.compliantTenantCount, totalTenantCount: 250 });
    expect(await reader.scoreOfRun(run!.runId)).toMatchObject({ currentScore: expected.score.currentScore, maxScore: expected.score.maxScore });
    expect((await reader.scoreHistory()).map((entry) => entry.score).sort()).toEqual(expected.scoreHistory.map((entry) => entry.score).sort());
  });

  it('when the day changes, then the next run stores only the customers that changed, as change points, and each run still reads as it saw them', async () => {
    const settings = cloud.settings();
    const first = await collect(settings);
    cloud.sim.advanceDays(3);
    const second = await collect(settings);
    cloud.sim.setDay(0);
    expect(second.run!.runId).not.toBe(first.run!.runId);
    const before = await customersAt(first.reader, first.run!.runId);
    const after = await customersAt(second.reader, second.run!.runId);
    const changed = after.filter((customer, index) => JSON.stringify(customer) !== JSON.stringify(before.find((old) => old.tenantId === customer.tenantId) ?? before[index]));
    expect(changed.length).toBeGreaterThan(0);
    expect(second.run!.counts).toMatchObject({ customers: 250, customerChanges: changed.length, customersGone: 0 });
    expect(changed.length).toBeLessThan(250);
    const { queryApi } = await import('../../src/composition');
    const history = await (await queryApi(settings)).reader.customers.history(changed[0]!.tenantId, {});
    expect(history.points.map((entry) => entry.runId)).toEqual([second.run!.runId, first.run!.runId]);
    expect(await customersAt(second.reader, first.run!.runId)).toEqual(expect.arrayContaining(before));
  });

  it('when Graph answers 429 with Retry-After and then 503 on a page, then the run retries and completes with every customer', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault({ kind: 'status', status: 429, retryAfter: 1, service: 'graph', path: 'customerInsights', page: 2, times: 1 });
    cloud.sim.injectFault({ kind: 'status', status: 503, service: 'graph', path: 'customerInsights', page: 4, times: 2 });
    cloud.sim.clearRequestLog();
    const { run, reader } = await collect(settings);
    expect(run?.counts.customers).toBe(250);
    expect(await customersAt(reader, run!.runId)).toHaveLength(250);
    const insightRequests = cloud.sim.requestLog().filter((entry) => entry.path.includes('customerInsights'));
    expect(insightRequests.filter((entry) => entry.status === 429)).toHaveLength(1);
    expect(insightRequests.filter((entry) => entry.status === 503)).toHaveLength(2);
  });

  it('when a page keeps failing with 500, then the run is marked failed with the reason and is never the latest complete snapshot', async () => {
    const settings = cloud.settings();
    const good = await collect(settings);
    cloud.sim.injectFault({ kind: 'status', status: 500, service: 'graph', path: 'customerInsights', page: 3 });
    const { error, reader, runs } = await collectFailing(settings);
    expect(error.message).toMatch(/Graph GET \/graph\/beta\/security\/partner\/securityScore\/customerInsights answered 500/);
    expect(runs[0]).toMatchObject({ status: 'failed', errorCode: 'ServiceUnavailable' });
    expect(runs[0]!.counts.customers).toBeLessThan(250);
    expect((await reader.latestCompleteRun('partnerSecurity'))?.runId).toBe(good.run!.runId);
  });

  it('when a 403 answers (a refusal, not a fault), then it is not retried and the run fails naming it', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault({ kind: 'status', status: 403, service: 'graph', path: 'securityScore/requirements' });
    cloud.sim.clearRequestLog();
    const { error, runs } = await collectFailing(settings);
    expect(error).toMatchObject({ code: 'Forbidden' });
    expect(runs[0]?.status).toBe('failed');
    expect(cloud.sim.requestLog().filter((entry) => entry.path.includes('requirements') && entry.status === 403)).toHaveLength(1);
  });

  it('when a page hangs, then each attempt times out, retries are bounded, and the run fails as a timeout', async () => {
    const settings = cloud.settings({ HTTP_TIMEOUT_SECONDS: '1', HTTP_MAX_RETRIES: '1' });
    cloud.sim.injectFault({ kind: 'hang', service: 'graph', path: 'customerInsights', page: 1 });
    const { error, runs } = await collectFailing(settings);
    expect(error).toMatchObject({ code: 'Timeout' });
    expect(runs[0]).toMatchObject({ status: 'failed', errorCode: 'Timeout' });
  });

  it('when a page is slow but within the timeout, then the run completes', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault({ kind: 'delay', ms: 500, service: 'graph', path: 'customerInsights', page: 1 });
    const { run } = await collect(settings);
    expect(run?.counts.customers).toBe(250);
  });

  it('when a page is malformed JSON, then the run fails naming it and nothing is reported complete', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault({ kind: 'malformed', service: 'graph', path: 'customerInsights', page: 2 });
    const { error, reader, runs } = await collectFailing(settings);
    expect(error).toMatchObject({ code: 'MalformedResponse' });
    expect(runs.map((run) => run.status)).toEqual(['failed']);
    expect(await reader.latestCompleteRun('partnerSecurity')).toBeNull();
  });

  it.each([['extraFields'], ['unknownFutureValue']] as const)('when the schema drifts (%s), then the run completes and new enum values are stored as-is', async (mode) => {
    const settings = cloud.settings();
    cloud.sim.injectFault({ kind: 'drift', mode, service: 'graph' });
    const { run, reader } = await collect(settings);
    expect(run?.counts.customers).toBe(250);
    if (mode === 'unknownFutureValue') {
      const requirements = await reader.requirementsOfRun(run!.runId);
      const customers = await customersAt(reader, run!.runId);
      const values = [...requirements.map((requirement) => requirement.complianceStatus), ...customers.flatMap((customer) => [customer.securityDefaultsStatus, customer.mfaConditionalAccessPolicyStatus, customer.legacyPerUserMfaStatus])];
      expect(values.some((value) => value !== null && !['compliant', 'noncomplaint', 'nonCompliant', 'enabled', 'disabled'].includes(value))).toBe(true);
    }
  });

  it('when a field goes missing (schema drift), then it is stored as unknown and the run completes', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault({ kind: 'drift', mode: 'missingField', field: 'compliantAdminsCount', service: 'graph', path: 'customerInsights' });
    const { run, reader } = await collect(settings);
    const customers = await customersAt(reader, run!.runId);
    expect(customers.every((customer) => customer.compliantAdminsCount === null)).toBe(true);
  });

  it('when tokens expire after a second, then the collector fetches fresh ones instead of failing', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault({ kind: 'expireTokens', lifetimeSeconds: 1 });
    cloud.sim.injectFault({ kind: 'delay', ms: 1200, service: 'graph', path: 'customerInsights', page: 3 });
    const { run } = await collect(settings);
    expect(run?.counts.customers).toBe(250);
  });

  it('when tokens are revoked, then the run fails as Unauthorized without retrying the 401', async () => {
    const settings = cloud.settings();
    await collect(settings);
    cloud.sim.injectFault({ kind: 'revokeTokens' });
    cloud.sim.clearRequestLog();
    const { error, runs } = await collectFailing(settings);
    expect(error).toMatchObject({ code: 'Unauthorized' });
    expect(runs[0]?.status).toBe('failed');
  });

  it('when the client secret is wrong, then the run fails with an authentication error that does not contain the secret', async () => {
    const settings = cloud.settings({ AZURE_CLIENT_SECRET: 'wrong-secret-value-123' });
    const { error, runs } = await collectFailing(settings);
    expect(error).toMatchObject({ code: 'AuthenticationFailed' });
    expect(error.message).not.toContain('wrong-secret-value-123');
    expect(JSON.stringify(runs)).not.toContain('wrong-secret-value-123');
  });

  it("when a complete run id is collected again, then it is refused and what it saw stays; a failed run id collected again completes without the failed attempt's records", async () => {
    const settings = cloud.settings();
    const runId = '8000000000000-rerun1';
    await cloud.run('collectPartnerSecurity', settings, { runId });
    await expect(cloud.run('collectPartnerSecurity', settings, { runId })).rejects.toMatchObject({ code: 'RunAlreadyComplete', message: expect.stringContaining('collect a new run instead') });
    const reader = await snapshotReader(settings);
    expect(await reader.listRuns('partnerSecurity')).toHaveLength(1);
    expect(await customersAt(reader, runId)).toHaveLength(250);

    const failing = '7999999999999-rerun2';
    cloud.sim.injectFault({ kind: 'status', status: 400, service: 'graph', path: 'customerInsights', page: 3 });
    await expect(cloud.run('collectPartnerSecurity', settings, { runId: failing })).rejects.toBeDefined();
    cloud.sim.clearFaults();
    await cloud.run('collectPartnerSecurity', settings, { runId: failing });
    expect((await reader.getRun('partnerSecurity', failing))?.status).toBe('complete');
    expect(await customersAt(reader, failing)).toHaveLength(250);
  });

  it('when settings are missing or malformed, then the function fails with one message naming each, before calling anything', async () => {
    const settings = cloud.settings();
    const broken = { ...settings, TABLES_CONNECTION_STRING: '', GRAPH_BASE_URL: 'http://graph.insecure', HTTP_TIMEOUT_SECONDS: 'soon' };
    cloud.sim.clearRequestLog();
    await expect(cloud.run('collectPartnerSecurity', broken)).rejects.toThrow(/TABLES_CONNECTION_STRING or TABLES_ENDPOINT is required[\s\S]*HTTP_TIMEOUT_SECONDS[\s\S]*GRAPH_BASE_URL must be an https:\/\/ URL/);
    expect(cloud.sim.requestLog()).toHaveLength(0);
  });
});
