import { TableCompanyMappingStore } from '../../src/adapters/tableCompanyMappingStore';
import { Tables } from '../../src/adapters/tables';
import { psaCompanyList } from '../../src/api/psaCompanies';
import { queryApi } from '../../src/composition';
import { readConfig } from '../../src/config';
import type { PsaTickets } from '../../src/ports/psa';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { validate } from '../api/jsonSchema';
import { startCloud, type Cloud } from '../support/cloud';
import { savedEnvironment } from '../support/processEnvironment';
import { accessTokenFor } from '../support/signIn';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * The company mappings through the local host, over the registrations Azure loads: writes at the
 * admin level (the master key) or signed in with the role that changes waivers, as the waiver
 * writes; reads with a function key or the reader role. "Azure Functions HTTP trigger", authLevel:
 * `function` takes a function key, `admin` the master key.
 */
const functionKey = 'mapping-test-function-key-0123';
const adminKey = 'mapping-test-admin-key-456789';
const reader = { name: 'Riley Reader', username: 'riley.reader@partner.example', objectId: '0e8a1b2c-3d4e-4f50-8a61-72b3c4d5e6f7', roles: ['Monitor.Read'] };
const waiverAdmin = { name: 'Wren Admin', username: 'wren.admin@partner.example', objectId: '1f9b2c3d-4e5f-4061-9b72-83c4d5e6f708', roles: ['Waivers.Write'] };

let cloud: Cloud;
let host: LocalHost;
let settings: Record<string, string>;
let schemas: Record<string, Record<string, unknown>>;
const restoreEnvironment = savedEnvironment();

beforeAll(async () => {
  cloud = await startCloud({ customers: 20 });
  // ConnectWise PSA is configured (the simulated one); Autotask and HaloPSA are not.
  settings = cloud.settings({ SIGN_IN_CLIENT_ID: cloud.sim.signIn.clientId, ...cloud.sim.psa('connectwise').settings() });
  Object.assign(process.env, settings);
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey, adminKey, scheduleTimers: false, env: settings, log: () => undefined });
  await cloud.run('collectPartnerSecurity', settings);
  schemas = ((await (await call('GET', 'openapi.json', { headers: key(functionKey) })).json()) as { components: { schemas: typeof schemas } }).components.schemas;
}, 120_000);
afterAll(async () => {
  await host?.close();
  await cloud?.close();
  restoreEnvironment();
});

type Json = Record<string, unknown>;
const tenantId = '4fdbff88-9d6b-42e0-9713-45c922ba8001';

function call(method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Response> {
  return fetch(`${host.url}/api/${path}`, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
}
const key = (value: string) => ({ 'x-functions-key': value });

async function problem(response: Response, status: number): Promise<{ title: string; detail: string; params: { name: string; reason: string }[] }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Json;
  expect({ status: response.status, body }).toMatchObject({ status });
  expect(validate(body, { $ref: '#/components/schemas/Problem' }, schemas)).toEqual([]);
  return { title: String(body.title), detail: String(body.detail), params: (body['invalid-params'] ?? []) as { name: string; reason: string }[] };
}

describe('PSA company mappings over HTTP', () => {
  it('when a function key writes, then PUT and DELETE are 401 while it reads the list and the audit trail', async () => {
    expect((await call('PUT', `psa/mappings/connectwise/${tenantId}`, { headers: key(functionKey), body: { companyId: '250' } })).status).toBe(401);
    expect((await call('DELETE', `psa/mappings/connectwise/${tenantId}`, { headers: { ...key(functionKey), 'if-match': '*' } })).status).toBe(401);
    const list = await call('GET', 'psa/companies', { headers: key(functionKey) });
    expect(list.status).toBe(200);
    const body = (await list.json()) as Json;
    expect(validate(body, { $ref: '#/components/schemas/PsaCompanyList' }, schemas)).toEqual([]);
    // Without lookup=true the PSA is not asked: every customer is listed as not looked up.
    expect(body).toMatchObject({ lookedUp: false, psas: [{ psa: 'connectwise', lookupError: null }] });
    expect((body.items as Json[]).every((item) => item.status === 'notLookedUp')).toBe(true);
    expect(cloud.sim.requestLog().filter((entry) => entry.service === 'connectwise')).toEqual([]);
    const audit = await call('GET', 'psa/mappings/audit?format=csv', { headers: key(functionKey) });
    expect(audit.status).toBe(200);
    // One header row and no entries; the mappings before and after as `before.*` and `after.*` columns.
    expect(await audit.text()).toMatch(/^at,actor,action,psa,tenantId,before\.psa,.*,after\.companyId,after\.companyName,.*,customerName\r\n$/);
  });

  it('when the route or the body is wrong, then the admin key gets a 400 problem naming each field', async () => {
    const admin = key(adminKey);
    expect((await problem(await call('PUT', `psa/mappings/itglue/${tenantId}`, { headers: admin, body: { companyId: '250' } }), 400)).params).toEqual([{ name: 'psa', reason: 'must be one of connectwise, autotask, halopsa' }]);
    expect((await problem(await call('PUT', 'psa/mappings/connectwise/not-a-tenant', { headers: admin, body: { companyId: '250' } }), 400)).params.map((param) => param.name)).toEqual(['tenantId']);
    const fields = await problem(await call('PUT', `psa/mappings/connectwise/${tenantId}`, { headers: admin, body: { companyId: 'Contoso', note: 'a\u0007b', board: 'x' } }), 400);
    expect(fields.params.map((param) => param.name)).toEqual(['board', 'companyId', 'note']);
    expect((await problem(await call('PUT', `psa/mappings/connectwise/${tenantId}`, { headers: admin, body: {} }), 400)).params).toEqual([{ name: 'companyId', reason: 'is required' }]);
    expect((await problem(await call('PUT', `psa/mappings/connectwise/${tenantId}`, { headers: admin, body: 'not json' }), 400)).params.map((param) => param.name)).toEqual(['body']);
    expect((await problem(await call('PUT', `psa/mappings/connectwise/${tenantId}?force=true`, { headers: admin, body: { companyId: '250' } }), 400)).params.map((param) => param.name)).toEqual(['force']);
  });

  it('when the PSA a mapping names is not configured, then the PUT is a 400 naming psa and nothing is stored', async () => {
    const refused = await problem(await call('PUT', `psa/mappings/halopsa/${tenantId}`, { headers: key(adminKey), body: { companyId: 12, note: 'billing client' } }), 400);
    expect(refused.params).toEqual([{ name: 'psa', reason: expect.stringContaining('HaloPSA has no settings') }]);
    expect(((await (await call('GET', 'psa/mappings/audit', { headers: key(functionKey) })).json()) as Json).items).toEqual([]);
  });

  it('when a mapping is cleared without If-Match, then 428; with If-Match but no mapping, then 404', async () => {
    expect((await problem(await call('DELETE', `psa/mappings/connectwise/${tenantId}`, { headers: key(adminKey) }), 428)).params.map((param) => param.name)).toEqual(['If-Match']);
    expect((await problem(await call('DELETE', `psa/mappings/connectwise/${tenantId}`, { headers: { ...key(adminKey), 'if-match': '*' } }), 404)).detail).toMatch(/No mapping of this customer in ConnectWise PSA/);
  });

  it('when people sign in, then a reader reads the list but may not write (403 naming the role); the waiver admin role may', async () => {
    const readerToken = await accessTokenFor(cloud.sim, reader);
    expect((await call('GET', 'signed-in/psa/companies', { headers: { authorization: `Bearer ${readerToken}` } })).status).toBe(200);
    const forbidden = await problem(await call('PUT', `signed-in/psa/mappings/connectwise/${tenantId}`, { headers: { authorization: `Bearer ${readerToken}` }, body: { companyId: '250' } }), 403);
    expect(forbidden.detail).toContain('Waivers.Write');
    expect((await call('PUT', `signed-in/psa/mappings/connectwise/${tenantId}`, { body: { companyId: '250' } })).status).toBe(401);
    const adminToken = await accessTokenFor(cloud.sim, waiverAdmin);
    // Past sign-in and role: refused only for the PSA that is not configured here.
    expect((await problem(await call('PUT', `signed-in/psa/mappings/autotask/${tenantId}`, { headers: { authorization: `Bearer ${adminToken}` }, body: { companyId: '250' } }), 400)).params.map((param) => param.name)).toEqual(['psa']);
  });

  it('when a mapping is set, changed and cleared against the simulated ConnectWise PSA, then the company is checked there, its name stored, each change audited, and a stale etag refused', async () => {
    const admin = key(adminKey);
    const [customer] = [...(await (await queryApi(settings)).directory.customerProfiles()).keys()];
    const path = `psa/mappings/connectwise/${customer}`;
    const companies = cloud.sim.psa('connectwise').companies();
    const [first, second] = companies.slice(1);
    const missing = await problem(await call('PUT', path, { headers: admin, body: { companyId: '999999' } }), 404);
    expect(missing.params).toEqual([{ name: 'companyId', reason: expect.stringContaining('names no company in ConnectWise PSA') }]);
    const set = await call('PUT', path, { headers: admin, body: { companyId: Number(first!.id), note: 'billing company' } });
    const stored = (await set.json()) as Json;
    expect({ status: set.status, stored }).toMatchObject({ status: 201, stored: { psa: 'connectwise', tenantId: customer, companyId: first!.id, companyName: first!.name, note: 'billing company', changedBy: 'admin key' } });
    expect(validate(stored, { $ref: '#/components/schemas/StoredCompanyMapping' }, schemas)).toEqual([]);
    expect(set.headers.get('etag')).toBe(stored.etag);
    expect((await problem(await call('PUT', path, { headers: admin, body: { companyId: second!.id } }), 428)).params.map((param) => param.name)).toEqual(['If-Match']);
    const changed = await call('PUT', path, { headers: { ...admin, 'if-match': String(stored.etag) }, body: { companyId: second!.id } });
    expect(changed.status).toBe(200);
    expect(await problem(await call('DELETE', path, { headers: { ...admin, 'if-match': String(stored.etag) } }), 412)).toMatchObject({ params: [{ name: 'If-Match', reason: expect.stringContaining('changed since it was read') }] });
    const listed = ((await (await call('GET', `psa/companies?tenantId=${customer}`, { headers: key(functionKey) })).json()) as Json).items as Json[];
    expect(listed).toEqual([expect.objectContaining({ status: 'mapping', companyId: second!.id, companyName: second!.name, note: '', etag: changed.headers.get('etag') })]);
    expect((await call('DELETE', path, { headers: { ...admin, 'if-match': String(changed.headers.get('etag')) } })).status).toBe(204);
    const audit = ((await (await call('GET', 'psa/mappings/audit', { headers: key(functionKey) })).json()) as Json);
    expect(validate(audit, { $ref: '#/components/schemas/PsaMappingAudit' }, schemas)).toEqual([]);
    expect((audit.items as Json[]).map((entry) => [entry.action, (entry.before as Json | null)?.companyId ?? null, (entry.after as Json | null)?.companyId ?? null])).toEqual([
      ['cleared', second!.id, null],
      ['changed', first!.id, second!.id],
      ['set', null, first!.id],
    ]);
  });

  it('when unmapped customers are looked up in the simulated ConnectWise PSA, then each is found by its domain, else its name, else is a gap, as the PSA lists its companies', async () => {
    const profiles = await (await queryApi(settings)).directory.customerProfiles();
    const companies = cloud.sim.psa('connectwise').companies();
    const answer = await call('GET', 'psa/companies?lookup=true&psa=connectwise', { headers: key(functionKey) });
    const body = (await answer.json()) as Json;
    expect(validate(body, { $ref: '#/components/schemas/PsaCompanyList' }, schemas)).toEqual([]);
    const expected = (tenant: string) => {
      const profile = profiles.get(tenant)!;
      const byDomain = companies.find((company) => company.domain !== null && profile.domains.includes(company.domain));
      if (byDomain) return { status: 'domain', companyId: byDomain.id };
      const byName = companies.find((company) => company.name.toLowerCase() === profile.name.toLowerCase());
      return byName ? { status: 'name', companyId: byName.id } : { status: 'gap', companyId: null };
    };
    const items = body.items as Json[];
    expect(items.length).toBe(profiles.size);
    for (const item of items) expect(item).toMatchObject(expected(String(item.tenantId)));
    // The simulated PSA lists most customers with their domain as website, and leaves some out (gaps).
    expect(items.some((item) => item.status === 'domain') && items.some((item) => item.status === 'gap')).toBe(true);
    expect(body.psas).toEqual([expect.objectContaining({ psa: 'connectwise', fallbackCompanyId: companies[0]!.id, lookupError: null })]);
  });

  it('when a PSA is configured, then every named customer is listed with its mapping, or, looked up, the company found by domain or name, or a gap', async () => {
    const config = readConfig(settings, ['storage']);
    const tables = new Tables(config.storage, () => {
      throw new Error('connection string only');
    });
    const dependencies = await queryApi(settings);
    const customers = [...(await dependencies.directory.customerProfiles())];
    const [mapped, byDomain, byName] = customers.filter(([, profile]) => profile.domains.length > 0);
    const at = new Date().toISOString();
    const mapping = { psa: 'autotask' as const, tenantId: mapped![0], companyId: '7', companyName: 'Mapped Co', note: '', changedBy: 'admin key', changedAt: at };
    await new TableCompanyMappingStore(tables).put(mapping, null, { at, actor: 'admin key', action: 'set', psa: 'autotask', tenantId: mapping.tenantId, before: null, after: mapping });
    // The Autotask adapter is tested against its simulated PSA; this stands in for its company look-up.
    const autotask = {
      psa: 'autotask',
      findCompany: async ({ name, domains }: { name: string | null; domains: readonly string[] }) =>
        domains.includes(byDomain![1].domains[0]!) ? { id: '8', name: 'By Domain', matchedBy: 'domain' as const } : name === byName![1].name ? { id: '9', name: 'By Name', matchedBy: 'name' as const } : null,
    } as unknown as PsaTickets; // Only the look-up is asked of it.
    const answer = await psaCompanyList({ ...dependencies, psaTickets: async () => ({ clients: [autotask], fallbackCompanyIds: { autotask: '0' } }) }, {}, true);
    expect(validate(answer.body, { $ref: '#/components/schemas/PsaCompanyList' }, schemas)).toEqual([]);
    const byTenant = new Map((answer.body.items as Json[]).map((item) => [item.tenantId, item]));
    expect(byTenant.get(mapped![0])).toMatchObject({ status: 'mapping', companyId: '7', companyName: 'Mapped Co', etag: expect.stringMatching(/^"/) });
    expect(byTenant.get(byDomain![0])).toMatchObject({ status: 'domain', companyId: '8', etag: null });
    expect(byTenant.get(byName![0])).toMatchObject({ status: 'name', companyId: '9' });
    const summary = (answer.body.psas as Json[])[0]!;
    expect(summary).toMatchObject({ psa: 'autotask', fallbackCompanyId: '0', lookupError: null });
    expect((summary.counts as Record<string, number>).gap).toBe(Math.min(customers.length, 21) - 3);
    const notAsked = await psaCompanyList({ ...dependencies, psaTickets: async () => ({ clients: [autotask], fallbackCompanyIds: { autotask: '0' } }) }, { tenantId: byDomain![0] }, false);
    expect(notAsked.body.items).toEqual([expect.objectContaining({ tenantId: byDomain![0], status: 'notLookedUp' })]);
  });
});
