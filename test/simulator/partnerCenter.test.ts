import { startSimulator, Simulator } from '../../tools/simulator';
import { get, partnerCenterLinkUrl, readPartnerCenterCollection, tokenFor } from './simulatorClient';

let sim: Simulator;
let token: string;
beforeAll(async () => {
  sim = await startSimulator({ nonMfaSignInsPerDay: 40, partnerCenterPageSize: 100 });
  token = await tokenFor(sim, sim.partnerCenterBaseUrl);
});
afterAll(() => sim.close());
afterEach(() => sim.setDay(0));

const url = () => `${sim.partnerCenterBaseUrl}/v1/nonMfaCompliantPartnerPrincipals`;
const timestampOf = (item: Record<string, string>) => item.lastNonMfaCompliantRequestDateTime ?? item.lastNonMfaCompliantLoginDateTime;

describe('Partner Center non-MFA principals', () => {
  it('when read by following links.next, then every record of the 7-day window arrives, most recent first, as expected()', async () => {
    const { items, pages } = await readPartnerCenterCollection(sim, token);
    expect(pages).toBe(3);
    const expected = sim.expected().nonMfaPrincipals;
    expect(items).toHaveLength(280);
    expect(items.map((item) => [item.objectId, item.upn, item.tenantId, timestampOf(item)])).toEqual(
      expected.map((p) => [p.objectId, p.upn, p.tenantId, p.lastNonMfaCompliantRequestDateTime]),
    );
    expect(timestampOf(items[0]!)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
  });

  it('when a page has more after it, then links.next has a uri relative to the version root (as the invoice samples) and an MS-ContinuationToken header', async () => {
    const first = await get(url(), token);
    expect(first.json).toMatchObject({ totalCount: 100, attributes: { objectType: 'Collection' } });
    expect(first.json.links.next).toEqual({
      uri: '/nonMfaCompliantPartnerPrincipals?seekOperation=Next',
      method: 'GET',
      headers: [{ key: 'MS-ContinuationToken', value: expect.any(String) }],
    });
  });

  it('when the last page is served, then it has no links, as the documented example', async () => {
    let page = await get(url(), token);
    for (let index = 1; index < 3; index++) {
      expect(page.json.links.next).toBeDefined();
      page = await get(partnerCenterLinkUrl(sim, page.json.links.next.uri as string), token, { 'MS-ContinuationToken': page.json.links.next.headers[0].value as string });
    }
    expect(Object.keys(page.json)).toEqual(['totalCount', 'items', 'attributes']);
    expect(page.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it.each([
    ['versioned', '/v1/nonMfaCompliantPartnerPrincipals?seekOperation=Next'],
    ['absolute', 'BASE/v1/nonMfaCompliantPartnerPrincipals?seekOperation=Next'],
  ] as const)('when started with partnerCenterNextLink %s, then links.next.uri is %s', async (form, uri) => {
    const other = await startSimulator({ nonMfaSignInsPerDay: 40, partnerCenterPageSize: 100, partnerCenterNextLink: form });
    try {
      const first = await get(`${other.partnerCenterBaseUrl}/v1/nonMfaCompliantPartnerPrincipals`, await tokenFor(other, other.partnerCenterBaseUrl));
      expect(first.json.links.next.uri).toBe(uri.replace('BASE', other.partnerCenterBaseUrl));
    } finally {
      await other.close();
    }
  });

  it('when quirks are on, then some items name the timestamp lastNonMfaCompliantLoginDateTime', async () => {
    const { items } = await readPartnerCenterCollection(sim, token);
    const login = items.filter((item) => 'lastNonMfaCompliantLoginDateTime' in item);
    expect(login.length).toBeGreaterThan(0);
    expect(login.length).toBeLessThan(items.length / 2);
    expect(login.every((item) => !('lastNonMfaCompliantRequestDateTime' in item))).toBe(true);
  });

  it('when a day passes, then new records lead and the oldest day falls out of the window', async () => {
    const today = sim.expected(0).nonMfaPrincipals;
    sim.advanceDays(1);
    const { items } = await readPartnerCenterCollection(sim, token);
    expect(items.slice(40).map((item) => item.objectId)).toEqual(today.slice(0, 240).map((p) => p.objectId));
    expect(timestampOf(items[0]!)! > today[0]!.lastNonMfaCompliantRequestDateTime).toBe(true);
  });

  it('when the continuation token is altered, then 400 in Partner Center style', async () => {
    const first = await get(url(), token);
    const value = first.json.links.next.headers[0].value as string;
    const response = await get(url(), token, { 'MS-ContinuationToken': `${value}x` });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ code: expect.any(Number), description: expect.any(String) });
  });

  it('when a client sends MS-RequestId and MS-CorrelationId, then the log records them and the response echoes them', async () => {
    sim.clearRequestLog();
    const response = await get(url(), token, { 'MS-RequestId': 'c1d6a2d4-0000-4000-8000-000000000001', 'MS-CorrelationId': 'corr-1' });
    expect(response.headers.get('ms-requestid')).toBe('c1d6a2d4-0000-4000-8000-000000000001');
    expect(sim.requestLog()).toEqual([
      expect.objectContaining({
        service: 'partnerCenter',
        path: '/partnercenter/v1/nonMfaCompliantPartnerPrincipals',
        status: 200,
        headers: expect.objectContaining({ 'ms-requestid': 'c1d6a2d4-0000-4000-8000-000000000001', 'ms-correlationid': 'corr-1' }),
      }),
    ]);
  });

  it('when far more sign-ins happen than the window holds, then at most 10,000 are served', async () => {
    const busy = await startSimulator({ nonMfaSignInsPerDay: 1600 });
    try {
      const { items, pages } = await readPartnerCenterCollection(busy, await tokenFor(busy, busy.partnerCenterBaseUrl));
      expect(items).toHaveLength(10_000);
      expect(pages).toBe(20);
    } finally {
      await busy.close();
    }
  });
});
