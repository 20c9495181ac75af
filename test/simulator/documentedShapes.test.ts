import { startSimulator, Simulator } from '../../tools/simulator';
import { documentedExample } from '../support/documented';
import { get, partnerCenterLinkUrl, readGraphCollection, tokenFor } from './simulatorClient';

/**
 * The simulator's own answers (no fault injected) against the documented examples and
 * representations in test/fixtures/documented: the same envelopes, property names and
 * timestamp styles. Where they differ, the documents are right.
 */
let sim: Simulator;
let graphToken: string;
let partnerCenterToken: string;
beforeAll(async () => {
  sim = await startSimulator({ customers: 12, nonMfaSignInsPerDay: 6, partnerCenterPageSize: 20 });
  graphToken = await tokenFor(sim, sim.graphBaseUrl);
  partnerCenterToken = await tokenFor(sim, sim.partnerCenterBaseUrl);
});
afterAll(() => sim.close());

type Json = Record<string, unknown>;
const documented = (name: string) => JSON.parse(documentedExample(name)) as Json;
const keys = (value: unknown) => Object.keys(value as Json).sort();
const scoreRoot = () => `${sim.graphBaseUrl}/beta/security/partner/securityScore`;

describe('the simulator answers in the documented shapes', () => {
  it('when customerInsights is read, then each item has exactly the documented properties, its mfa too', async () => {
    const example = (documented('graph-customer-insights.json').value as Json[])[0]!;
    const { items } = await readGraphCollection(`${scoreRoot()}/customerInsights`, graphToken);
    expect(items.length).toBe(12);
    for (const item of items as Json[]) {
      expect(keys(item)).toEqual(keys(example));
      expect(keys(item.mfa)).toEqual(keys(example.mfa));
      expect((item.mfa as Json)['@odata.type']).toBe((example.mfa as Json)['@odata.type']);
    }
  });

  it.each([
    'graph-requirement-customers-mfa.json', 'graph-requirement-admins-mfa.json', 'graph-requirement-response-time.json', 'graph-requirement-security-contact.json',
  ])('when requirements are read, then the item of the same type as %s has every property it documents, timestamps with 7 fractional digits and Z', async (fixture) => {
    const example = documented(fixture);
    const { items } = await readGraphCollection(`${scoreRoot()}/requirements`, graphToken);
    const served = (items as Json[]).find((item) => item['@odata.type'] === example['@odata.type']);
    expect(keys(served)).toEqual(expect.arrayContaining(keys(example)));
    expect(served!.updatedDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  });

  it.each([
    ['seed-customers-mfa-requirement.representation.json'],
    ['seed-mfa-enforced-requirement.representation.json'],
  ])('when requirements are read, then an item of the type of %s has exactly the properties it represents', async (fixture) => {
    const representation = documented(fixture);
    const { items } = await readGraphCollection(`${scoreRoot()}/requirements`, graphToken);
    const served = (items as Json[]).filter((item) => item['@odata.type'] === representation['@odata.type']);
    expect(served.length).toBeGreaterThan(0);
    for (const item of served) expect(keys(item)).toEqual(keys(representation));
  });

  it('when a customer insight is read, then its mfa has exactly the properties of the customerMfaInsight representation', async () => {
    const representation = documented('seed-customer-mfa-insight.representation.json');
    const { items } = await readGraphCollection(`${scoreRoot()}/customerInsights`, graphToken);
    for (const item of items as Json[]) expect(keys(item.mfa)).toEqual(keys(representation));
  });

  it('when getCredentialUserRegistrationCount is read, then its @odata.context and properties are the documented ones', async () => {
    const example = documented('graph-credential-user-registration-count.json');
    const served = (await get(`${sim.graphBaseUrl}/beta/reports/getCredentialUserRegistrationCount`, graphToken)).json as Json;
    expect(served['@odata.context']).toBe((example['@odata.context'] as string).replace('https://graph.microsoft.com', sim.graphBaseUrl));
    expect(keys(served)).toEqual(keys(example));
    const [first] = served.value as Json[];
    expect(keys(first)).toEqual(keys((example.value as Json[])[0]));
  });

  it('when nonMfaCompliantPartnerPrincipals is read to the end, then the last page has exactly the documented envelope, and items the documented properties with timestamps without offset', async () => {
    const example = documented('partner-center-principals.json');
    const exampleItem = (example.items as Json[])[0]!;
    let page = (await get(`${sim.partnerCenterBaseUrl}/v1/nonMfaCompliantPartnerPrincipals`, partnerCenterToken)).json as Json;
    const pages: Json[] = [page];
    while ((page.links as Json | undefined)?.next) {
      const next = (page.links as Json).next as { uri: string; headers: { key: string; value: string }[] };
      page = (await get(partnerCenterLinkUrl(sim, next.uri), partnerCenterToken, Object.fromEntries(next.headers.map((header) => [header.key, header.value])))).json as Json;
      pages.push(page);
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(Object.keys(pages.at(-1)!)).toEqual(Object.keys(example));
    expect(pages.at(-1)!.attributes).toEqual(example.attributes);
    const items = pages.flatMap((served) => served.items as Json[]);
    const requestTimed = items.filter((item) => 'lastNonMfaCompliantRequestDateTime' in item);
    expect(requestTimed.length).toBeGreaterThan(items.length / 2);
    for (const item of requestTimed) {
      expect(Object.keys(item)).toEqual(Object.keys(exampleItem));
      expect(item.lastNonMfaCompliantRequestDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    }
  });

  it('when the score is read, then it has the documented properties, bare or wrapped in value', async () => {
    const served = (await get(scoreRoot(), graphToken)).json as Json;
    const score = 'value' in served ? (served.value as Json) : served;
    expect(keys(score)).toEqual(expect.arrayContaining(['currentScore', 'id', 'lastRefreshDateTime', 'maxScore', 'updatedDateTime']));
  });
});
