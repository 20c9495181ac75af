import { startSimulator, Simulator } from '../../tools/simulator';
import { get, partnerCenterLinkUrl, readGraphCollection, tokenFor } from './simulatorClient';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 120, graphPageSize: 40, partnerCenterPageSize: 500 });
});
afterAll(() => sim.close());

const gdapUrl = () => `${sim.graphBaseUrl}/v1.0/tenantRelationships/delegatedAdminCustomers`;
const customersUrl = (size: number | string) => `${sim.partnerCenterBaseUrl}/v1/customers?size=${size}`;

/** Reads Partner Center customers through links.next, resolving each uri at the version root. */
async function readCustomers(size: number, token: string): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let pages = 0;
  let url: string | undefined = customersUrl(size);
  let headers: Record<string, string> = {};
  while (url) {
    const page = await get(url, token, headers);
    expect(page.status).toBe(200);
    items.push(...page.json.items);
    pages++;
    const next = page.json.links.next as { uri: string; headers: { key: string; value: string }[] } | undefined;
    url = next === undefined ? undefined : partnerCenterLinkUrl(sim, next.uri);
    headers = Object.fromEntries((next?.headers ?? []).map((header) => [header.key, header.value]));
  }
  return { items, pages };
}

describe('customer names: GDAP delegatedAdminCustomers and Partner Center customers', () => {
  it('when GDAP customers are read through @odata.nextLink, then exactly the customers with a GDAP relationship arrive, in the documented item shape', async () => {
    const { items, pages } = await readGraphCollection(gdapUrl(), await tokenFor(sim, sim.graphBaseUrl));
    const expected = sim.expected().customers.filter((customer) => customer.listedIn.delegatedAdminCustomers);
    expect(pages).toBe(Math.ceil(expected.length / 40));
    expect(items).toEqual(expected.map((customer) => ({
      '@odata.type': '#microsoft.graph.delegatedAdminCustomer', '@odata.etag': expect.stringMatching(/^W\/"/),
      id: customer.tenantId, tenantId: customer.tenantId, displayName: customer.name,
    })));
  });

  it('when Partner Center customers are read through links.next, then the CSP customers arrive with their company profile, in pages of `size`', async () => {
    const { items, pages } = await readCustomers(25, await tokenFor(sim, sim.partnerCenterBaseUrl));
    const expected = sim.expected().customers.filter((customer) => customer.listedIn.partnerCenterCustomers);
    expect(pages).toBe(Math.ceil(expected.length / 25));
    expect(items).toEqual(expected.map((customer) => ({
      id: customer.tenantId,
      companyProfile: { tenantId: customer.tenantId, domain: expect.stringMatching(/\.onmicrosoft\.com$/), companyName: customer.name, attributes: { objectType: 'CustomerCompanyProfile' } },
      relationshipToPartner: 'reseller',
      attributes: { objectType: 'Customer' },
    })));
  });

  it('when a Partner Center page has more after it, then links.next is version-less with an MS-ContinuationToken, and self names the page size', async () => {
    const first = await get(customersUrl(25), await tokenFor(sim, sim.partnerCenterBaseUrl));
    expect(first.json).toMatchObject({ totalCount: 25, attributes: { objectType: 'Collection' } });
    expect(first.json.links).toEqual({
      self: { uri: '/customers?size=25', method: 'GET', headers: [] },
      next: { uri: '/customers?size=25&seekOperation=Next', method: 'GET', headers: [{ key: 'MS-ContinuationToken', value: expect.any(String) }] },
    });
  });

  it('when the lists are compared, then some customers are only in Partner Center, some only in GDAP, and a few in neither', () => {
    const listings = sim.expected().customers.map((customer) => customer.listedIn);
    expect(listings.filter((l) => l.delegatedAdminCustomers && l.partnerCenterCustomers).length).toBeGreaterThan(60);
    expect(listings.filter((l) => !l.delegatedAdminCustomers && l.partnerCenterCustomers).length).toBeGreaterThan(0);
    expect(listings.filter((l) => l.delegatedAdminCustomers && !l.partnerCenterCustomers).length).toBeGreaterThan(0);
    expect(listings.filter((l) => !l.delegatedAdminCustomers && !l.partnerCenterCustomers).length).toBeGreaterThan(0);
  });

  it.each([['$top=301'], ['$top=0'], ['$top=x']])('when GDAP customers are asked with %s, then Graph answers 400', async (query) => {
    const answer = await get(`${gdapUrl()}?${query}`, await tokenFor(sim, sim.graphBaseUrl));
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('BadRequest');
  });

  it.each([['501'], ['0'], ['']])('when Partner Center customers are asked with size=%s, then Partner Center answers 400', async (size) => {
    expect((await get(customersUrl(size), await tokenFor(sim, sim.partnerCenterBaseUrl))).status).toBe(400);
  });

  it('when GDAP customers are asked with $top=7, then the first page has 7 and the nextLink carries on', async () => {
    const page = await get(`${gdapUrl()}?$top=7`, await tokenFor(sim, sim.graphBaseUrl));
    expect(page.json.value).toHaveLength(7);
    expect(page.json['@odata.nextLink']).toMatch(/\$skiptoken=/);
  });

  it('when the app is not consented DelegatedAdminRelationship.Read.All, then a token issued afterwards gets 403 Authorization_RequestDenied, and the other Graph routes still answer', async () => {
    const other = await startSimulator({ customers: 5 });
    try {
      other.withholdPermission('DelegatedAdminRelationship.Read.All');
      const token = await tokenFor(other, other.graphBaseUrl);
      const refused = await get(`${other.graphBaseUrl}/v1.0/tenantRelationships/delegatedAdminCustomers`, token);
      expect(refused.status).toBe(403);
      expect(refused.json.error).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
      expect((await get(`${other.graphBaseUrl}/beta/security/partner/securityScore`, token)).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('when the Partner Center token is missing, then customers answer 401 like every other route', async () => {
    expect((await get(customersUrl(10))).status).toBe(401);
  });
});
