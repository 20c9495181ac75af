import { monitorStatus } from '../../src/api/monitorStatus';
import { customerDirectory, queryApi, snapshotReader } from '../../src/composition';
import { TableCustomerDirectory } from '../../src/adapters/tableCustomerDirectory';
import { Tables } from '../../src/adapters/tables';
import { readConfig } from '../../src/config';
import { appSettingsFor, startSimulator } from '../../tools/simulator';
import { documentedExample, graphPaths, partnerCenterPaths, verbatim } from '../support/documented';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 60, graphPageSize: 25, partnerCenterPageSize: 20 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
  cloud.sim.clearRequestLog();
});

/** The directory's own rows, read through the adapter the app uses. */
function directoryOf(settings: Record<string, string>): TableCustomerDirectory {
  const config = readConfig(settings, ['storage']);
  return new TableCustomerDirectory(new Tables(config.storage, () => { throw new Error('connection string only'); }));
}

async function collect(settings: Record<string, string>) {
  const logs = await cloud.run('collectPartnerSecurity', settings);
  const run = (await (await snapshotReader(settings)).listRuns('partnerSecurity', { top: 1 }))[0]!;
  return { logs, run, entries: await directoryOf(settings).entries(), state: await directoryOf(settings).readState() };
}

/** Pretends the last refresh was a day and a minute ago, so the next run refreshes again. */
async function dayPasses(settings: Record<string, string>): Promise<void> {
  const directory = directoryOf(settings);
  const state = await directory.readState();
  await directory.writeState({ ...state, attemptedAt: new Date(Date.now() - 86_460_000).toISOString() });
}

const requestsTo = (path: string) => cloud.sim.requestLog().filter((entry) => entry.path.includes(path));

describe('customer names: refreshed by collectPartnerSecurity into the CustomerNames table', () => {
  it('when GDAP and Partner Center answer, then GDAP customers are named from GDAP, the rest from Partner Center, and customers in neither have no name', async () => {
    const settings = cloud.settings();
    const { run, entries, state } = await collect(settings);
    const customers = cloud.sim.expected().customers;
    expect(run).toMatchObject({ status: 'complete', warnings: [] });
    const byTenant = new Map(entries.map((entry) => [entry.tenantId, entry]));
    for (const customer of customers) {
      const entry = byTenant.get(customer.tenantId);
      if (customer.listedIn.delegatedAdminCustomers) expect(entry).toMatchObject({ name: customer.name, source: 'delegatedAdminCustomers' });
      else if (customer.listedIn.partnerCenterCustomers) expect(entry).toMatchObject({ name: customer.name, source: 'partnerCenterCustomers' });
      else expect(entry).toBeUndefined();
    }
    expect(run.counts.customerNames).toBe(entries.length);
    expect(state).toMatchObject({ sources: ['delegatedAdminCustomers', 'partnerCenterCustomers'], lastError: null });
    expect(await (await customerDirectory(settings)).customerNames()).toEqual(new Map(entries.map((entry) => [entry.tenantId, entry.name])));
    // GDAP pages of $top=300 cut to the simulator's 25, Partner Center pages of size=500 cut to 20, followed to the end.
    expect(requestsTo('delegatedAdminCustomers')[0]?.path).toContain('$top=300');
    expect(requestsTo('/partnercenter/v1/customers').length).toBe(Math.ceil(customers.filter((c) => c.listedIn.partnerCenterCustomers).length / 20));
  });

  // Partner Center, "Customer resources" (learn.microsoft.com/partner-center/developer/customer-resources): a
  // Customer's companyProfile (CustomerCompanyProfile) carries `domain`, the customer's domain name; GDAP's
  // delegatedAdminCustomer (Graph v1.0) has only tenantId and displayName.
  it('when Partner Center lists a customer, then its domain is kept beside the name (a GDAP name too), and the profiles read gives tenant -> name and domains', async () => {
    const settings = cloud.settings();
    const { entries } = await collect(settings);
    const byTenant = new Map(entries.map((entry) => [entry.tenantId, entry]));
    const customers = cloud.sim.expected().customers.filter((customer) => byTenant.has(customer.tenantId));
    for (const customer of customers) {
      if (customer.listedIn.partnerCenterCustomers) expect(byTenant.get(customer.tenantId)?.domain).toMatch(/^[a-z0-9]+\.onmicrosoft\.com$/);
      else expect(byTenant.get(customer.tenantId)?.domain).toBeUndefined();
    }
    expect(customers.some((customer) => customer.listedIn.partnerCenterCustomers && customer.listedIn.delegatedAdminCustomers)).toBe(true);
    const profiles = await directoryOf(settings).customerProfiles();
    expect(profiles).toEqual(new Map(entries.map((entry) => [entry.tenantId, { name: entry.name, domains: entry.domain === undefined ? [] : [entry.domain] }])));
  });

  it('when a run follows within a day, then the names are not read again', async () => {
    const settings = cloud.settings();
    await collect(settings);
    cloud.sim.clearRequestLog();
    const { run } = await collect(settings);
    expect(run.status).toBe('complete');
    expect(run.counts.customerNames).toBeUndefined();
    expect(requestsTo('delegatedAdminCustomers')).toHaveLength(0);
    expect(requestsTo('/v1/customers')).toHaveLength(0);
  });

  it('when a later refresh fails on both sources, then every name is kept, the run is complete and warns why, and the directory records the error', async () => {
    const settings = cloud.settings({ HTTP_MAX_RETRIES: '0' });
    const first = await collect(settings);
    await dayPasses(settings);
    cloud.sim.injectFault({ kind: 'status', status: 503, service: 'graph', path: 'delegatedAdminCustomers' });
    cloud.sim.injectFault({ kind: 'status', status: 400, service: 'partnerCenter', path: '/v1/customers' });
    const later = await collect(settings);
    expect(later.run.status).toBe('complete');
    expect(later.run.warnings).toEqual([expect.stringMatching(/^customer names: delegatedAdminCustomers failed \(ServiceUnavailable\).*partnerCenterCustomers failed \(BadRequest\).*names read earlier are kept/)]);
    expect(later.entries).toEqual(first.entries);
    expect(later.state).toMatchObject({ sources: first.state.sources, refreshedAt: first.state.refreshedAt, lastError: { code: 'ServiceUnavailable' } });
  });

  it('when only GDAP fails on a later refresh, then GDAP names stay from GDAP rather than be replaced by Partner Center names', async () => {
    const settings = cloud.settings({ HTTP_MAX_RETRIES: '0' });
    const first = await collect(settings);
    await dayPasses(settings);
    cloud.sim.injectFault({ kind: 'status', status: 503, service: 'graph', path: 'delegatedAdminCustomers' });
    const later = await collect(settings);
    expect(later.run.warnings).toEqual([expect.stringContaining('delegatedAdminCustomers failed (ServiceUnavailable)')]);
    const sources = (entries: typeof first.entries) => new Map(entries.map((entry) => [entry.tenantId, `${entry.source}:${entry.name}`]));
    expect(sources(later.entries)).toEqual(sources(first.entries));
    expect(later.state).toMatchObject({ sources: ['partnerCenterCustomers'], lastError: { code: 'ServiceUnavailable' } });
  });

  it('when a customer is missing from a later read, then its stored name is kept', async () => {
    const settings = cloud.settings();
    const first = await collect(settings);
    await dayPasses(settings);
    cloud.sim.injectFault({ kind: 'emptyCollection', service: 'graph', path: 'delegatedAdminCustomers' });
    const later = await collect(settings);
    expect(later.run.warnings).toEqual([]);
    const names = new Map(later.entries.map((entry) => [entry.tenantId, entry.name]));
    for (const entry of first.entries) expect(names.get(entry.tenantId)).toBe(entry.name);
  });

  it('when the app lacks DelegatedAdminRelationship.Read.All, then the run is complete with a warning naming the permission, Partner Center names what it lists, and insights are stored by tenant id', async () => {
    const sim = await startSimulator({ customers: 30 });
    try {
      sim.withholdPermission('DelegatedAdminRelationship.Read.All');
      const settings = { ...cloud.settings(), ...appSettingsFor(sim) };
      const logs = await cloud.run('collectPartnerSecurity', settings);
      const run = (await (await snapshotReader(settings)).listRuns('partnerSecurity', { top: 1 }))[0]!;
      expect(run).toMatchObject({ status: 'complete', counts: { customers: 30 } });
      expect(run.warnings).toEqual([expect.stringContaining('delegatedAdminCustomers failed (Forbidden)')]);
      expect(run.warnings[0]).toContain('DelegatedAdminRelationship.Read.All');
      expect(logs.join('\n')).toMatch(/warning: partnerSecurity run .*customer names/);
      const entries = await directoryOf(settings).entries();
      const customers = sim.expected().customers;
      expect(entries.map((entry) => entry.tenantId).sort()).toEqual(customers.filter((c) => c.listedIn.partnerCenterCustomers).map((c) => c.tenantId).sort());
      expect(entries.every((entry) => entry.source === 'partnerCenterCustomers')).toBe(true);
      expect(await directoryOf(settings).readState()).toMatchObject({ lastError: { code: 'Forbidden' }, sources: ['partnerCenterCustomers'] });
      const status = (await monitorStatus(await queryApi(settings))).body as { customerNames: { status: string; warning: string }; sources: { source: string; lastRun: { status: string; warnings: string[] } }[] };
      expect(status.customerNames.status).toBe('warning');
      expect(status.customerNames.warning).toContain('DelegatedAdminRelationship.Read.All');
      expect(status.sources[0]!.lastRun).toMatchObject({ status: 'complete', warnings: run.warnings });
    } finally {
      await sim.close();
    }
  });

  it('when Partner Center settings are broken, then names come from GDAP alone and the insight run still completes', async () => {
    const settings = cloud.settings({ PARTNER_CENTER_AUTH: 'appUser' });
    delete settings.KEY_VAULT_URL;
    const { run, entries } = await collect(settings);
    expect(run.status).toBe('complete');
    expect(run.warnings).toEqual([expect.stringContaining('partnerCenterCustomers failed (InvalidConfiguration)')]);
    expect(entries.length).toBe(cloud.sim.expected().customers.filter((c) => c.listedIn.delegatedAdminCustomers).length);
  });

  it('when GDAP and Partner Center answer with their documented examples, then the GDAP display names and the Partner Center company names (under each customer id) are stored', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault(verbatim('graph', graphPaths.delegatedAdminCustomers, documentedExample('graph-delegated-admin-customers.json')));
    cloud.sim.injectFault(verbatim('partnerCenter', partnerCenterPaths.customers, documentedExample('partner-center-customers.json')));
    const { run, entries } = await collect(settings);
    expect(run).toMatchObject({ status: 'complete', warnings: [], counts: { customerNames: 4 } });
    expect(entries.map(({ tenantId, name, source }) => ({ tenantId, name, source })).sort((a, b) => a.tenantId.localeCompare(b.tenantId))).toEqual([
      { tenantId: '1c0fa218-5dec-49db-8247-cfa457af8116', name: 'Contoso subsidiary Inc', source: 'delegatedAdminCustomers' },
      { tenantId: '45c44870-ef77-4fdd-b6fe-3dacb075cff2', name: 'companyName', source: 'partnerCenterCustomers' },
      { tenantId: '4fdbff88-9d6b-42e0-9713-45c922ba8001', name: 'Contoso Inc', source: 'delegatedAdminCustomers' },
      { tenantId: 'b44bb1fb-c595-45b0-9e09-d657365580bf', name: 'companyName', source: 'partnerCenterCustomers' },
    ]);
  });
});
