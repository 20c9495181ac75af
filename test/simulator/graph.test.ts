import { startSimulator, Simulator } from '../../tools/simulator';
import { quirksOfDay } from '../../tools/simulator/quirks';
import { get, readGraphCollection, tokenFor } from './simulatorClient';

let sim: Simulator;
let token: string;
beforeAll(async () => {
  sim = await startSimulator({ customers: 230, graphPageSize: 50 });
  token = await tokenFor(sim, sim.graphBaseUrl);
});
afterAll(() => sim.close());
afterEach(() => {
  sim.clearFaults();
  sim.setDay(0);
});

const security = (path = '') => `${sim.graphBaseUrl}/beta/security/partner/securityScore${path}`;
const asNumber = (value: unknown) => Number(value);

/** The first day (from 0) on which a quirk is on, and one on which it is off. */
function daysWith(key: keyof ReturnType<typeof quirksOfDay>): { on: number; off: number } {
  const days = Array.from({ length: 60 }, (_, day) => day);
  return { on: days.find((day) => quirksOfDay(1, day, true)[key])!, off: days.find((day) => !quirksOfDay(1, day, true)[key])! };
}

describe('Graph partner security score', () => {
  it('when customerInsights are read page by page, then every customer of expected() arrives once, over absolute nextLinks', async () => {
    const { items, pages } = await readGraphCollection(security('/customerInsights'), token);
    expect(pages).toBe(5);
    const expected = sim.expected();
    expect(items).toHaveLength(230);
    const served = items as { tenantId: string; mfa: Record<string, unknown> }[];
    expect(served.map((item) => item.tenantId)).toEqual(expected.customerInsights.map((insight) => insight.tenantId));
    expect(asNumber(served[17]!.mfa.compliantAdminsCount)).toBe(expected.customerInsights[17]!.mfa.compliantAdminsCount);
    expect(served[0]!.mfa['@odata.type']).toBe('microsoft.graph.partner.security.customerMfaInsight');
    const first = await get(security('/customerInsights'), token);
    expect(first.json['@odata.context']).toContain('$metadata#');
    expect(first.json['@odata.nextLink']).toMatch(new RegExp(`^${sim.graphBaseUrl.replace(/[.]/g, '\\.')}/beta/.*\\$skiptoken=`));
  });

  it('when the day changes in the middle of a paged read, then the read stays on the day it started', async () => {
    const first = await get(security('/customerInsights'), token);
    sim.advanceDays(3);
    const rest = await readGraphCollection(first.json['@odata.nextLink'], token);
    const served = [...first.json.value, ...rest.items] as { mfa: Record<string, unknown> }[];
    const day0 = sim.expected(0).customerInsights.map((insight) => insight.mfa.compliantNonAdminsCount);
    expect(served.map((item) => asNumber(item.mfa.compliantNonAdminsCount))).toEqual(day0);
    expect(sim.expected(3).customerInsights.map((insight) => insight.mfa.compliantNonAdminsCount)).not.toEqual(day0);
  });

  it('when $top or $skip is sent to customerInsights, then 400 as documented', async () => {
    expect((await get(`${security('/customerInsights')}?$top=10`, token)).status).toBe(400);
    expect((await get(`${security('/customerInsights')}?$skip=10`, token)).status).toBe(400);
  });

  it('when a $skiptoken is altered or made up, then 400', async () => {
    const link = (await get(security('/customerInsights'), token)).json['@odata.nextLink'] as string;
    const tampered = link.replace(/\$skiptoken=(.)/, (_, c: string) => `$skiptoken=${c === 'A' ? 'B' : 'A'}`);
    expect((await get(tampered, token)).status).toBe(400);
    expect((await get(`${security('/history')}?$skiptoken=abc.def`, token)).status).toBe(400);
    expect((await get(link, token)).status).toBe(200);
  });

  it('when the singleton is read, then it comes wrapped in value on some days and bare on others, with the expected score', async () => {
    const { on, off } = daysWith('wrapSingleton');
    sim.setDay(on);
    const wrapped = await get(security(), token);
    expect(asNumber(wrapped.json.value.currentScore)).toBe(sim.expected(on).score.currentScore);
    sim.setDay(off);
    const bare = await get(security(), token);
    expect(bare.json.value).toBeUndefined();
    expect(asNumber(bare.json.currentScore)).toBe(sim.expected(off).score.currentScore);
  });

  it('when requirements are read, then the five current subtypes and the legacy shape arrive with the day\'s quirks', async () => {
    const { on } = daysWith('nonCompliantSpelling');
    sim.setDay(on);
    const served = (await readGraphCollection(security('/requirements'), token)).items as Record<string, unknown>[];
    const expected = sim.expected(on).requirements;
    expect(served.map((r) => r.requirementType ?? r.securityRequirementType)).toEqual(
      expected.map((r) => ('requirementType' in r ? r.requirementType : r.securityRequirementType)),
    );
    expect(served.filter((r) => r['@odata.type'] === '#microsoft.graph.partner.security.mfaEnforcedSecurityRequirement')).toHaveLength(2);
    expect(served.some((r) => r.currentScore !== undefined && r.score === undefined)).toBe(true);
    const statuses = new Set(served.map((r) => r.complianceStatus));
    expect(statuses.has('noncomplaint')).toBe(false);
    const admins = served.find((r) => r.requirementType === 'mfaEnforcedForAdmins')!;
    expect(admins.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when numbers are served as strings on some days, then Single fields are strings there and numbers elsewhere', async () => {
    const { on, off } = daysWith('singleAsString');
    sim.setDay(on);
    const stringy = (await get(security('/requirements'), token)).json.value as Record<string, unknown>[];
    expect(typeof stringy[0]!.score).toBe('string');
    sim.setDay(off);
    const numeric = (await get(security('/requirements'), token)).json.value as Record<string, unknown>[];
    expect(typeof numeric[0]!.score).toBe('number');
  });

  it('when history is read, then it matches expected() most recent first', async () => {
    sim.setDay(12);
    const served = (await readGraphCollection(security('/history'), token)).items as Record<string, unknown>[];
    const expected = sim.expected(12).scoreHistory;
    expect(served.map((entry) => entry.createdDateTime)).toEqual(expected.map((entry) => entry.createdDateTime));
    expect(served.map((entry) => asNumber(entry.score))).toEqual(expected.map((entry) => entry.score));
  });
});

describe('Graph registration reports', () => {
  it('when the legacy report is read, then value[0] carries the counts, misspelled on some days', async () => {
    const { on, off } = daysWith('misspelledRegistrationCounts');
    for (const path of ['getCredentialUserRegistrationCount', 'getCredentialUserRegistrationCount()']) {
      sim.setDay(on);
      const misspelled = (await get(`${sim.graphBaseUrl}/beta/reports/${path}`, token)).json.value[0];
      expect(misspelled.userRegistrationCounts[0]).toEqual({
        userRegistrationStatus: 'registered',
        userRegistationCount: expect.anything(),
      });
      sim.setDay(off);
      const proper = (await get(`${sim.graphBaseUrl}/beta/reports/${path}`, token)).json.value[0];
      const expected = sim.expected(off).registrationCounts.credentialUserRegistrationCount;
      expect(proper.userRegistrationCounts.map((c: { registrationStatus: string; registrationCount: unknown }) => [c.registrationStatus, asNumber(c.registrationCount)]))
        .toEqual(expected.userRegistrationCounts.map((c) => [c.registrationStatus, c.registrationCount]));
    }
  });

  it('when the v1.0 feature report is read for all users and for admins, then each matches expected()', async () => {
    const base = `${sim.graphBaseUrl}/v1.0/reports/authenticationMethods/usersRegisteredByFeature`;
    const all = await get(`${base}(includedUserTypes='all',includedUserRoles='all')`, token);
    const admin = await get(`${base}(includedUserTypes='all',includedUserRoles='admin')`, token);
    const expected = sim.expected().registrationCounts.usersRegisteredByFeature;
    expect(all.json).toMatchObject(expected.all);
    expect(admin.json).toMatchObject(expected.admin);
    expect(all.json.totalUserCount).toBeGreaterThan(admin.json.totalUserCount);
  });

  it('when the legacy report is made to fail or come back empty, then the fallback conditions are served', async () => {
    const legacy = `${sim.graphBaseUrl}/beta/reports/getCredentialUserRegistrationCount`;
    for (const status of [400, 403, 404, 410] as const) {
      sim.injectFault({ kind: 'status', status, service: 'graph', path: 'getCredentialUserRegistrationCount', times: 1 });
      const failed = await get(legacy, token);
      expect([failed.status, typeof failed.json.error.code]).toEqual([status, 'string']);
    }
    sim.injectFault({ kind: 'emptyCollection', service: 'graph', path: 'getCredentialUserRegistrationCount', times: 1 });
    expect((await get(legacy, token)).json.value).toEqual([]);
    expect((await get(legacy, token)).json.value).toHaveLength(1);
  });
});

describe('quirks off', () => {
  it('when quirks are off, then shapes are plain: unwrapped singleton, numbers, # types, no legacy items', async () => {
    const plain = await startSimulator({ quirks: false, customers: 5 });
    try {
      const plainToken = await tokenFor(plain, plain.graphBaseUrl);
      for (let day = 0; day < 8; day++) {
        plain.setDay(day);
        const score = (await get(`${plain.graphBaseUrl}/beta/security/partner/securityScore`, plainToken)).json;
        expect(typeof score.currentScore).toBe('number');
        const requirements = (await get(`${plain.graphBaseUrl}/beta/security/partner/securityScore/requirements`, plainToken)).json.value;
        expect(requirements).toHaveLength(5);
        expect(requirements.every((r: Record<string, unknown>) => r.id === r.requirementType && typeof r.score === 'number')).toBe(true);
        const insight = (await get(`${plain.graphBaseUrl}/beta/security/partner/securityScore/customerInsights`, plainToken)).json.value[0];
        expect(insight.mfa['@odata.type']).toBe('#microsoft.graph.partner.security.customerMfaInsight');
      }
    } finally {
      await plain.close();
    }
  });
});
