import { PayloadError } from '../../src/core/errors';
import {
  parseCustomerInsight,
  parsePartnerSecurityScore,
  parseScoreHistoryEntry,
  parseSecurityRequirement,
} from '../../src/core/parsePartnerSecurity';

// Items exactly as the reference documents them (../shared/reference/microsoft-apis.md).
const customersRequirement = {"@odata.type":"#microsoft.graph.partner.security.customersMfaEnforcedSecurityRequirement","id":"mfaEnforcedForAdminsOfCustomers","requirementType":"mfaEnforcedForAdminsOfCustomers","complianceStatus":"compliant","actionUrl":"https://aka.ms/partner-center-security-customer-mfa","helpUrl":"https://aka.ms/partner-center-security-dashboard-require-mfa","score":20,"maxScore":20,"state":"active","updatedDateTime":"2024-01-27T03:34:43.2103657Z","totalTenantCount":79,"compliantTenantCount":20};
const adminsRequirement = {"@odata.type":"#microsoft.graph.partner.security.adminsMfaEnforcedSecurityRequirement","id":"adc3e54c-0000-0000-0000-000000000000","requirementType":"mfaEnforcedForAdmins","complianceStatus":"nonCompliant","score":20,"maxScore":20,"state":"active","updatedDateTime":"2024-01-31T03:46:17.9253909Z","totalAdminsCount":2,"adminsRequiredNotUsingMfaCount":0,"mfaEnabledAdminsCount":2,"totalUsersCount":10,"usersRequiredNotUsingMfaCount":0,"mfaEnabledUsersCount":10,"securityDefaultsStatus":"enabled","mfaConditionalAccessPolicyStatus":"disabled","legacyPerUserMfaStatus":"disabled"};
const responseTimeRequirement = {"@odata.type":"#microsoft.graph.partner.security.responseTimeSecurityRequirement","id":"securityAlertsPromptlyResolved","requirementType":"securityAlertsPromptlyResolved","complianceStatus":"compliant","score":10,"maxScore":10,"state":"active","updatedDateTime":"2023-11-20T12:00:09.1398813Z","averageResponseTimeInHours":"1.2"};
const baseRequirement = {"@odata.type":"#microsoft.graph.partner.security.securityRequirement","id":"securityContactProvided","requirementType":"securityContactProvided","complianceStatus":"compliant","score":10,"maxScore":10,"state":"active","updatedDateTime":"2023-09-26T04:04:01.4261872Z"};
const legacyRequirement = {"@odata.type":"#microsoft.graph.partner.security.mfaEnforcedSecurityRequirement","id":"mfaEnforcedForAuthenticationOfAdminUsers","securityRequirementType":"mfaEnforcedForAuthenticationOfAdminUsers","complianceStatus":"noncomplaint","currentScore":"0","maxScore":"20","state":"active","updatedDateTime":"2024-02-01T00:00:00Z","totalUsersCount":"12","incompleteRegistrationUsersCount":3,"compliantUsersCount":9,"securityDefaultsStatus":"disabled","mfaConditionalAccessPolicyStatus":"enabled","perUserMfaStatus":"disabled"};
const insightPage = {"value":[{"@odata.type":"#microsoft.graph.partner.security.customerInsight","tenantId":"d90cb160-123d-0608-3fd6-c53551dcc20c","mfa":{"@odata.type":"microsoft.graph.partner.security.customerMfaInsight","compliantAdminsCount":1,"compliantNonAdminsCount":2,"totalUsersCount":5,"securityDefaultsStatus":"enabled","mfaConditionalAccessPolicyStatus":"disabled","legacyPerUserMfaStatus":"disabled"}}]};

describe('parseSecurityRequirement', () => {
  it('when the customers MFA requirement arrives, then its tenant counts are read', () => {
    const requirement = parseSecurityRequirement(customersRequirement, 'requirements: value[0]');
    expect(requirement).toMatchObject({
      kind: 'customersMfaEnforcedSecurityRequirement',
      requirementType: 'mfaEnforcedForAdminsOfCustomers',
      complianceStatus: 'compliant',
      score: 20,
      maxScore: 20,
      totalTenantCount: 79,
      compliantTenantCount: 20,
      updatedDateTime: '2024-01-27T03:34:43.210Z',
    });
  });

  it('when the admins requirement has a GUID id and nonCompliant, then it is keyed on requirementType and the status is kept as-is', () => {
    const requirement = parseSecurityRequirement(adminsRequirement, 'r');
    expect(requirement.requirementType).toBe('mfaEnforcedForAdmins');
    expect(requirement.id).toBe('adc3e54c-0000-0000-0000-000000000000');
    expect(requirement.complianceStatus).toBe('nonCompliant');
    expect(requirement).toMatchObject({ totalAdminsCount: 2, mfaEnabledUsersCount: 10, securityDefaultsStatus: 'enabled', perUserMfaStatus: 'disabled' });
  });

  it('when a Single arrives as a numeric string, then it is a number', () => {
    expect(parseSecurityRequirement(responseTimeRequirement, 'r').averageResponseTimeInHours).toBe(1.2);
  });

  it.each(['INF', '-INF', 'NaN'])('when a Single is %s, then it is unknown rather than an error', (value) => {
    expect(parseSecurityRequirement({ ...responseTimeRequirement, averageResponseTimeInHours: value }, 'r').averageResponseTimeInHours).toBeNull();
  });

  it('when the base type arrives, then the base fields are read and the subtype fields are unknown', () => {
    const requirement = parseSecurityRequirement(baseRequirement, 'r');
    expect(requirement.kind).toBe('securityRequirement');
    expect(requirement.requirementType).toBe('securityContactProvided');
    expect(requirement.totalTenantCount).toBeNull();
  });

  it('when the legacy mfaEnforcedSecurityRequirement arrives, then securityRequirementType, currentScore and perUserMfaStatus are read (numbers as strings too)', () => {
    const requirement = parseSecurityRequirement(legacyRequirement, 'r');
    expect(requirement).toMatchObject({
      kind: 'mfaEnforcedSecurityRequirement',
      requirementType: 'mfaEnforcedForAuthenticationOfAdminUsers',
      complianceStatus: 'noncomplaint',
      score: 0,
      maxScore: 20,
      totalUsersCount: 12,
      compliantUsersCount: 9,
      incompleteRegistrationUsersCount: 3,
      perUserMfaStatus: 'disabled',
    });
  });

  it('when @odata.type lacks its #, then the subtype is still recognised', () => {
    const requirement = parseSecurityRequirement({ ...customersRequirement, '@odata.type': 'microsoft.graph.partner.security.customersMfaEnforcedSecurityRequirement' }, 'r');
    expect(requirement.kind).toBe('customersMfaEnforcedSecurityRequirement');
    expect(requirement.odataType).toBe('#microsoft.graph.partner.security.customersMfaEnforcedSecurityRequirement');
  });

  it('when an unknown future type arrives, then it falls back to the base requirement and keeps its type and enum values', () => {
    const requirement = parseSecurityRequirement(
      { '@odata.type': '#microsoft.graph.partner.security.passkeyEnforcedSecurityRequirement', id: 'x', requirementType: 'passkeysForAdmins', complianceStatus: 'unknownFutureValue', state: 'preview', futureCount: 4 },
      'r',
    );
    expect(requirement).toMatchObject({ kind: 'securityRequirement', requirementType: 'passkeysForAdmins', complianceStatus: 'unknownFutureValue', odataType: '#microsoft.graph.partner.security.passkeyEnforcedSecurityRequirement' });
  });

  it('when a count has the wrong type, then the error names the exact field without echoing the value', () => {
    expect(() => parseSecurityRequirement({ ...customersRequirement, compliantTenantCount: 'twenty' }, 'requirements page 1: value[3]')).toThrow(
      new PayloadError('requirements page 1: value[3].compliantTenantCount: expected an integer, got a string'),
    );
  });

  it('when no key field exists at all, then it is a payload error', () => {
    expect(() => parseSecurityRequirement({ complianceStatus: 'compliant' }, 'r')).toThrow(PayloadError);
  });
});

describe('parseCustomerInsight', () => {
  it('when the documented page item arrives (nested type without #), then every measure is read and the tenant id is lower-cased', () => {
    expect(parseCustomerInsight({ ...insightPage.value[0], tenantId: 'D90CB160-123D-0608-3FD6-C53551DCC20C' }, 'i')).toEqual({
      tenantId: 'd90cb160-123d-0608-3fd6-c53551dcc20c',
      compliantAdminsCount: 1,
      compliantNonAdminsCount: 2,
      totalUsersCount: 5,
      securityDefaultsStatus: 'enabled',
      mfaConditionalAccessPolicyStatus: 'disabled',
      legacyPerUserMfaStatus: 'disabled',
    });
  });

  it('when a field is missing (schema drift), then it is unknown, not zero', () => {
    const { mfa } = insightPage.value[0]!;
    const insight = parseCustomerInsight({ tenantId: 't', mfa: { ...mfa, compliantAdminsCount: undefined, extraField: true } }, 'i');
    expect(insight.compliantAdminsCount).toBeNull();
    expect(insight.totalUsersCount).toBe(5);
  });

  it('when the tenant id is missing, then the error names it', () => {
    expect(() => parseCustomerInsight({ mfa: {} }, 'customerInsights page 2: value[7]')).toThrow('customerInsights page 2: value[7].tenantId: expected a non-empty string, got nothing');
  });
});

describe('parsePartnerSecurityScore', () => {
  const score = { id: 'score', currentScore: '55.5', maxScore: 100, lastRefreshDateTime: '2024-02-01T01:00:00Z', updatedDateTime: '2024-02-01T01:00:00Z' };

  it.each([
    ['wrapped in value', { value: score }],
    ['unwrapped', score],
  ])('when the singleton is %s, then it is read the same', (_label, body) => {
    expect(parsePartnerSecurityScore(body)).toEqual({ id: 'score', currentScore: 55.5, maxScore: 100, lastRefreshDateTime: '2024-02-01T01:00:00.000Z', updatedDateTime: '2024-02-01T01:00:00.000Z' });
  });

  it('when the body is not an object, then it is a payload error', () => {
    expect(() => parsePartnerSecurityScore('<html>')).toThrow('securityScore: expected an object, got a string');
  });
});

describe('parseScoreHistoryEntry', () => {
  it('when a history entry arrives with string numbers, then they are numbers', () => {
    expect(parseScoreHistoryEntry({ id: 'h1', createdDateTime: '2024-01-01T00:00:00Z', score: '20', compliantRequirementsCount: 3, totalRequirementsCount: '5' }, 'h')).toEqual({
      id: 'h1', createdDateTime: '2024-01-01T00:00:00.000Z', score: 20, compliantRequirementsCount: 3, totalRequirementsCount: 5,
    });
  });

  it('when createdDateTime is not a date, then the error names it', () => {
    expect(() => parseScoreHistoryEntry({ createdDateTime: 'yesterday' }, 'history page 1: value[0]')).toThrow('history page 1: value[0].createdDateTime: expected an ISO 8601 date-time');
  });
});
