import { customersAt } from '../support/customerChanges';
import { snapshotReader } from '../../src/composition';
import type { TableSnapshotReader } from '../../src/adapters/tableSnapshotStore';
import { isCompliant, type SnapshotSource } from '../../src/core/model';
import type { SnapshotRun } from '../../src/core/snapshotRun';
import type { Fault, RequestLogEntry } from '../../tools/simulator';
import { documentedExample, graphCollection, graphPaths, partnerCenterPaths, verbatim } from '../support/documented';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/**
 * Every documented example payload, served byte for byte by the simulator in place of its own
 * data, collected by the real collector function into Azurite, and read back. A case names
 * the example, the collector, the verbatim answers (in the order they are asked for) and what
 * must have been stored. Requests the case does not answer get the simulator's own data.
 */
interface DocumentedCase {
  example: string;
  collector: string;
  source: SnapshotSource;
  answers: Fault[];
  outcome: string;
  check: (stored: { reader: TableSnapshotReader; run: SnapshotRun; requests: RequestLogEntry[] }) => Promise<void>;
}

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 12 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

const requirementExamples = {
  customersMfa: documentedExample('graph-requirement-customers-mfa.json'),
  adminsMfa: documentedExample('graph-requirement-admins-mfa.json'),
  responseTime: documentedExample('graph-requirement-response-time.json'),
  securityContact: documentedExample('graph-requirement-security-contact.json'),
};

const documentedRequirements = {
  mfaEnforcedForAdminsOfCustomers: {
    kind: 'customersMfaEnforcedSecurityRequirement', id: 'mfaEnforcedForAdminsOfCustomers', complianceStatus: 'compliant', score: 20, maxScore: 20, state: 'active',
    actionUrl: 'https://aka.ms/partner-center-security-customer-mfa', helpUrl: 'https://aka.ms/partner-center-security-dashboard-require-mfa',
    updatedDateTime: '2024-01-27T03:34:43.210Z', totalTenantCount: 79, compliantTenantCount: 20,
  },
  mfaEnforcedForAdmins: {
    kind: 'adminsMfaEnforcedSecurityRequirement', id: 'adc3e54c-0000-0000-0000-000000000000', complianceStatus: 'nonCompliant', score: 20, maxScore: 20, state: 'active',
    actionUrl: null, helpUrl: null, updatedDateTime: '2024-01-31T03:46:17.925Z', totalAdminsCount: 2, adminsRequiredNotUsingMfaCount: 0, mfaEnabledAdminsCount: 2,
    totalUsersCount: 10, usersRequiredNotUsingMfaCount: 0, mfaEnabledUsersCount: 10, securityDefaultsStatus: 'enabled', mfaConditionalAccessPolicyStatus: 'disabled', perUserMfaStatus: 'disabled',
  },
  securityAlertsPromptlyResolved: {
    kind: 'responseTimeSecurityRequirement', id: 'securityAlertsPromptlyResolved', complianceStatus: 'compliant', score: 10, maxScore: 10, state: 'active',
    updatedDateTime: '2023-11-20T12:00:09.139Z', averageResponseTimeInHours: 1.2,
  },
  securityContactProvided: {
    kind: 'securityRequirement', odataType: '#microsoft.graph.partner.security.securityRequirement', id: 'securityContactProvided', complianceStatus: 'compliant',
    score: 10, maxScore: 10, state: 'active', updatedDateTime: '2023-09-26T04:04:01.426Z', totalTenantCount: null, averageResponseTimeInHours: null,
  },
} as const;

function requirementsStored(...types: (keyof typeof documentedRequirements)[]): DocumentedCase['check'] {
  return async ({ reader, run }) => {
    const stored = await reader.requirementsOfRun(run.runId);
    expect(stored.map((requirement) => requirement.requirementType).sort()).toEqual([...types].sort());
    for (const type of types) expect(stored.find((requirement) => requirement.requirementType === type)).toMatchObject(documentedRequirements[type]);
    expect(run.counts.requirements).toBe(types.length);
  };
}

/** The documented principal, as stored: its timestamp has no offset and is read as UTC. */
const documentedPrincipal = {
  objectId: 'adc77aa5-7968-4c57-9f48-361018265c1a', tenantId: '6e6aef4a-4ca9-40a8-b5bf-b53a1923c540',
  upn: 'portalnonmfa@yourdomain.onmicrosoft.com', lastNonMfaRequestDateTime: '2020-04-21T22:09:53.051Z',
};
/** The item of the composed first pages, named with the other documented timestamp field. */
const firstPagePrincipal = {
  objectId: '5f1e2d3c-0000-4000-8000-00000000a001', tenantId: '6e6aef4a-4ca9-40a8-b5bf-b53a1923c540',
  upn: 'apinonmfa@yourdomain.onmicrosoft.com', lastNonMfaRequestDateTime: '2020-04-22T08:15:00.500Z',
};

/** A two-page read: a composed first page with a documented link form, then the documented example (no links). */
function pagedPrincipals(firstPage: string, nextPathAndQuery: string, token: string): Pick<DocumentedCase, 'answers' | 'check'> {
  return {
    answers: [
      verbatim('partnerCenter', partnerCenterPaths.nonMfaCompliantPartnerPrincipals, documentedExample(firstPage)),
      verbatim('partnerCenter', partnerCenterPaths.nonMfaCompliantPartnerPrincipals, documentedExample('partner-center-principals.json')),
    ],
    check: async ({ reader, run, requests }) => {
      expect(requests.map((request) => [request.path, request.status, request.headers['ms-continuationtoken']])).toEqual([
        ['/partnercenter/v1/nonMfaCompliantPartnerPrincipals', 200, undefined],
        [`/partnercenter${nextPathAndQuery}`, 200, token],
      ]);
      expect(run.counts).toMatchObject({ principals: 2, pages: 2 });
      expect(await reader.principalsOfRun(run.runId)).toEqual(expect.arrayContaining([documentedPrincipal, firstPagePrincipal]));
    },
  };
}

const cases: DocumentedCase[] = [
  {
    example: 'the customerInsights collection example',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.customerInsights, documentedExample('graph-customer-insights.json'))],
    outcome: 'its one customer is stored with every measure, the hashless nested @odata.type accepted',
    check: async ({ reader, run }) => {
      expect(run.counts).toMatchObject({ customers: 1, customerPages: 1 });
      expect(await customersAt(reader, run.runId)).toEqual([{
        tenantId: 'd90cb160-123d-0608-3fd6-c53551dcc20c', compliantAdminsCount: 1, compliantNonAdminsCount: 2, totalUsersCount: 5,
        securityDefaultsStatus: 'enabled', mfaConditionalAccessPolicyStatus: 'disabled', legacyPerUserMfaStatus: 'disabled',
      }]);
    },
  },
  {
    example: 'the four requirement examples as one requirements collection',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.requirements, graphCollection(...Object.values(requirementExamples)))],
    outcome: 'each is stored under its requirementType with its documented values, "nonCompliant" kept as served and not compliant',
    check: async (stored) => {
      await requirementsStored('mfaEnforcedForAdminsOfCustomers', 'mfaEnforcedForAdmins', 'securityAlertsPromptlyResolved', 'securityContactProvided')(stored);
      const admins = (await stored.reader.requirementsOfRun(stored.run.runId)).find((requirement) => requirement.requirementType === 'mfaEnforcedForAdmins');
      expect(isCompliant(admins!.complianceStatus)).toBe(false);
    },
  },
  {
    example: 'the customersMfaEnforcedSecurityRequirement example alone',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.requirements, graphCollection(requirementExamples.customersMfa))],
    outcome: 'its tenant counts and links are stored',
    check: requirementsStored('mfaEnforcedForAdminsOfCustomers'),
  },
  {
    example: 'the adminsMfaEnforcedSecurityRequirement example alone',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.requirements, graphCollection(requirementExamples.adminsMfa))],
    outcome: 'its GUID id is kept and the row is keyed on requirementType',
    check: requirementsStored('mfaEnforcedForAdmins'),
  },
  {
    example: 'the responseTimeSecurityRequirement example alone',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.requirements, graphCollection(requirementExamples.responseTime))],
    outcome: 'averageResponseTimeInHours "1.2" is stored as the number 1.2',
    check: requirementsStored('securityAlertsPromptlyResolved'),
  },
  {
    example: 'the base securityRequirement example alone',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.requirements, graphCollection(requirementExamples.securityContact))],
    outcome: 'it is stored with its base fields and no measures',
    check: requirementsStored('securityContactProvided'),
  },
  {
    example: 'the score singleton wrapped in "value"',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.score, documentedExample('graph-security-score-wrapped.json'))],
    outcome: 'the score inside is stored, the Single "65.5" as 65.5',
    check: async ({ reader, run }) => {
      expect(await reader.scoreOfRun(run.runId)).toEqual({
        id: '7d5b3e0f-0000-0000-0000-000000000000', currentScore: 65.5, maxScore: 100, lastRefreshDateTime: '2024-01-31T03:46:17.925Z', updatedDateTime: '2024-01-31T03:46:17.925Z',
      });
    },
  },
  {
    example: 'the score singleton bare, with its @odata.context',
    collector: 'collectPartnerSecurity',
    source: 'partnerSecurity',
    answers: [verbatim('graph', graphPaths.score, documentedExample('graph-security-score-bare.json'))],
    outcome: 'the same score is stored',
    check: async ({ reader, run }) => {
      expect(await reader.scoreOfRun(run.runId)).toMatchObject({ id: '7d5b3e0f-0000-0000-0000-000000000000', currentScore: 65.5, maxScore: 100 });
    },
  },
  {
    example: 'the nonMfaCompliantPartnerPrincipals example (one page, no links)',
    collector: 'collectNonMfaPrincipals',
    source: 'nonMfaPrincipals',
    answers: [verbatim('partnerCenter', partnerCenterPaths.nonMfaCompliantPartnerPrincipals, documentedExample('partner-center-principals.json'))],
    outcome: 'its principal is stored, the timestamp without offset read as UTC, and nothing more is asked',
    check: async ({ reader, run, requests }) => {
      expect(requests).toHaveLength(1);
      expect(run.counts).toMatchObject({ principals: 1, pages: 1 });
      expect(await reader.principalsOfRun(run.runId)).toEqual([documentedPrincipal]);
    },
  },
  {
    example: 'an invoice-style page (version-less links.next.uri with MS-ContinuationToken)',
    collector: 'collectNonMfaPrincipals',
    source: 'nonMfaPrincipals',
    ...pagedPrincipals('partner-center-principals-paged-versionless.json', '/v1/nonMfaCompliantPartnerPrincipals?size=1&seekOperation=Next', 'g:AQAAAA-invoice-style-token'),
    outcome: 'the next page is asked for under /v1 with the token as given, and both pages are stored',
  },
  {
    example: 'a customers-sample-style page (links.next.uri starting with /v1)',
    collector: 'collectNonMfaPrincipals',
    source: 'nonMfaPrincipals',
    ...pagedPrincipals('partner-center-principals-paged-versioned.json', '/v1/nonMfaCompliantPartnerPrincipals?size=40', 'g:AQAAAA-customers-style-token'),
    outcome: 'the link is followed as is and both pages are stored',
  },
  {
    example: 'a page whose links.next.uri has a second "?" (the malformed documented sample)',
    collector: 'collectNonMfaPrincipals',
    source: 'nonMfaPrincipals',
    ...pagedPrincipals('partner-center-principals-paged-malformed.json', '/v1/nonMfaCompliantPartnerPrincipals?size=2&seekOperation=Next', 'g:AQAAAA-malformed-sample-token'),
    outcome: 'the second "?" is read as "&" and both pages are stored',
  },
  {
    example: 'the getCredentialUserRegistrationCount example (seed 004)',
    collector: 'collectRegistrationCounts',
    source: 'registrationCounts',
    answers: [verbatim('graph', graphPaths.credentialUserRegistrationCount, documentedExample('graph-credential-user-registration-count.json'))],
    outcome: 'the misspelled userRegistrationStatus/userRegistationCount are read, "registered" alone stored, MFA-registered unknown, and no fallback',
    check: async ({ reader, run, requests }) => {
      expect(await reader.registrationCountsOfRun(run.runId)).toEqual({
        report: 'credentialUserRegistrationCount', totalUserCount: 23123, mfaRegisteredUserCount: null, countsByStatus: { registered: 23423 }, fallbackReason: null,
      });
      expect(requests.map((request) => request.path)).toEqual(['/graph/beta/reports/getCredentialUserRegistrationCount']);
    },
  },
];

describe('documented examples served verbatim through the collectors', () => {
  it.each(cases)('when $example is served to $collector, then $outcome', async ({ collector, source, answers, check }) => {
    const settings = cloud.settings();
    for (const answer of answers) cloud.sim.injectFault(answer);
    cloud.sim.clearRequestLog();
    await cloud.run(collector, settings);
    // Every verbatim answer was asked for: none is left waiting.
    const state = (await (await fetch(`${cloud.sim.url}/_sim/state`)).json()) as { faults: Fault[] };
    expect(state.faults).toEqual([]);
    const reader = await snapshotReader(settings);
    const run = await reader.latestCompleteRun(source);
    expect(run?.status).toBe('complete');
    const service = answers[0]?.service;
    const paths = new Set(answers.map((answer) => answer.path));
    const prefix = service === 'graph' ? '/graph' : '/partnercenter';
    const requests = cloud.sim.requestLog().filter((entry) => entry.service === service && paths.has(entry.path.slice(prefix.length).split('?')[0]!));
    await check({ reader, run: run!, requests });
  });
});

/**
 * Seeds 000-002 document resource representations, not payloads: every value is a type
 * placeholder ("Integer", "String (timestamp)"). Served as they stand they are rightly refused
 * (a string where an integer belongs). What they do specify is which properties exist, so each
 * is served with its placeholders replaced by typed values (its layout and names untouched),
 * and every property it names must come back stored.
 */
interface RepresentationCase {
  seed: string;
  fixture: string;
  values: Record<string, string | number>;
  /** The served payload around the concrete representation. */
  serve: (concrete: string) => Fault;
  /** The stored object of the one item, and the stored name of each documented property. */
  stored: (reader: TableSnapshotReader, run: SnapshotRun) => Promise<Record<string, unknown> | undefined>;
  storedNames: Record<string, string>;
}

const tenantId = '0c2a6f1e-5b8d-4e7a-9c3b-1d2e3f4a5b6c';

/** Replaces each placeholder by the value given for its property; a property left without one is an error. */
function concreteRepresentation(representation: string, values: Record<string, string | number>): string {
  const concrete = representation.replace(/"([^"]+)": "(?:Integer|String[^"]*)"/g, (_whole, name: string) => {
    if (!(name in values)) throw new Error(`no value for the documented property ${name}`);
    return `"${name}": ${JSON.stringify(values[name])}`;
  });
  const unused = Object.keys(values).filter((name) => !representation.includes(`"${name}"`));
  if (unused.length > 0) throw new Error(`values for properties the representation does not name: ${unused.join(', ')}`);
  return concrete;
}

const requirementNames = { '@odata.type': 'odataType', securityRequirementType: 'requirementType', currentScore: 'score' };
const timestamp = { served: '2024-08-31T10:00:00Z', stored: '2024-08-31T10:00:00.000Z' };

const representations: RepresentationCase[] = [
  {
    seed: 'seed 000 (customerMfaInsight)',
    fixture: 'seed-customer-mfa-insight.representation.json',
    values: { compliantAdminsCount: 3, compliantNonAdminsCount: 40, totalUsersCount: 57, securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: 'enabled', legacyPerUserMfaStatus: 'unknownFutureValue' },
    serve: (concrete) => verbatim('graph', graphPaths.customerInsights, `{"value":[{"tenantId":"${tenantId}","mfa":${concrete}}]}`),
    stored: async (reader, run) => (await customersAt(reader, run.runId)).find((customer) => customer.tenantId === tenantId) as Record<string, unknown> | undefined,
    // The nested @odata.type names the one type an insight has: an annotation, not a measure.
    storedNames: { '@odata.type': '' },
  },
  {
    seed: 'seed 001 (customersMfaEnforcedSecurityRequirement)',
    fixture: 'seed-customers-mfa-requirement.representation.json',
    values: {
      id: 'mfaEnforcedForAdminsOfCustomers', requirementType: 'mfaEnforcedForAdminsOfCustomers', complianceStatus: 'noncomplaint',
      actionUrl: 'https://aka.ms/partner-center-security-customer-mfa', helpUrl: 'https://aka.ms/partner-center-security-dashboard-require-mfa',
      score: 15, maxScore: 20, state: 'preview', updatedDateTime: timestamp.served, totalTenantCount: 79, compliantTenantCount: 61,
    },
    serve: (concrete) => verbatim('graph', graphPaths.requirements, graphCollection(concrete)),
    stored: async (reader, run) => (await reader.requirementsOfRun(run.runId))[0] as Record<string, unknown> | undefined,
    storedNames: requirementNames,
  },
  {
    seed: 'seed 002 (mfaEnforcedSecurityRequirement)',
    fixture: 'seed-mfa-enforced-requirement.representation.json',
    values: {
      id: '6f0c1b2a-0000-0000-0000-000000000002', securityRequirementType: 'mfaEnforcedForAuthenticationOfAllUsers', complianceStatus: 'unknownFutureValue',
      currentScore: 12, maxScore: 20, state: 'active', updatedDateTime: timestamp.served, totalUsersCount: 48, incompleteRegistrationUsersCount: 5,
      compliantUsersCount: 41, securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: 'enabled', perUserMfaStatus: 'disabled',
    },
    serve: (concrete) => verbatim('graph', graphPaths.requirements, graphCollection(concrete)),
    stored: async (reader, run) => (await reader.requirementsOfRun(run.runId))[0] as Record<string, unknown> | undefined,
    storedNames: requirementNames,
  },
];

describe('documented representations (seeds 000-002)', () => {
  it.each(representations)('when $seed is served with typed values in place of its placeholders, then every property it names is stored', async ({ fixture, values, serve, stored, storedNames }) => {
    const representation = documentedExample(fixture);
    const settings = cloud.settings();
    cloud.sim.injectFault(serve(concreteRepresentation(representation, values)));
    await cloud.run('collectPartnerSecurity', settings);
    const reader = await snapshotReader(settings);
    const item = await stored(reader, (await reader.latestCompleteRun('partnerSecurity'))!);
    expect(item).toBeDefined();
    const documented = JSON.parse(representation) as Record<string, unknown>;
    const expected: Record<string, unknown> = {};
    for (const [name, placeholder] of Object.entries(documented)) {
      const storedName = storedNames[name] ?? name;
      if (storedName === '') continue;
      const value = name in values ? values[name] : placeholder;
      expected[storedName] = value === timestamp.served ? timestamp.stored : value;
    }
    expect(item).toMatchObject(expected);
  });

  it('when a representation is served as it stands, then the run fails naming the first placeholder field, never its value', async () => {
    const settings = cloud.settings();
    cloud.sim.injectFault(verbatim('graph', graphPaths.customerInsights, `{"value":[{"tenantId":"${tenantId}","mfa":${documentedExample('seed-customer-mfa-insight.representation.json')}}]}`));
    const error = await cloud.run('collectPartnerSecurity', settings).then(() => null, (thrown: Error & { code?: string }) => thrown);
    expect(error).toMatchObject({ code: 'UnexpectedPayload', message: expect.stringContaining('customerInsights page 1: value[0].mfa.compliantAdminsCount: expected an integer, got a string') });
    expect(error?.message).not.toContain('Integer');
    const reader = await snapshotReader(settings);
    expect(await reader.latestCompleteRun('partnerSecurity')).toBeNull();
  });
});
