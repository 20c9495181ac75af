import { defaultThresholds, detectRegressions, type DetectionInput } from '../../src/core/detectRegressions';
import type { Finding } from '../../src/core/findings';
import type { CustomerMfaInsight, NonMfaPrincipal, RegistrationCounts, SecurityRequirement } from '../../src/core/model';
import { detectionInput, type SnapshotWithCustomers } from '../support/customerChanges';

const now = '2026-02-01T00:00:00.000Z';

function customer(id: string, overrides: Partial<CustomerMfaInsight> = {}): CustomerMfaInsight {
  return { tenantId: id, compliantAdminsCount: 3, compliantNonAdminsCount: 80, totalUsersCount: 100, securityDefaultsStatus: 'enabled', mfaConditionalAccessPolicyStatus: 'disabled', legacyPerUserMfaStatus: 'disabled', ...overrides };
}

function requirement(overrides: Partial<SecurityRequirement>): SecurityRequirement {
  return {
    requirementType: 'securityContactProvided', kind: 'securityRequirement', odataType: null, id: null, complianceStatus: 'compliant', state: 'active', score: 10, maxScore: 10,
    actionUrl: null, helpUrl: null, updatedDateTime: null, totalTenantCount: null, compliantTenantCount: null, totalAdminsCount: null, adminsRequiredNotUsingMfaCount: null,
    mfaEnabledAdminsCount: null, totalUsersCount: null, usersRequiredNotUsingMfaCount: null, mfaEnabledUsersCount: null, compliantUsersCount: null,
    incompleteRegistrationUsersCount: null, totalCustomersCount: null, customersWithSpendBudgetCount: null, averageResponseTimeInHours: null,
    securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: null, perUserMfaStatus: null, ...overrides,
  };
}

function detect(previous: SnapshotWithCustomers, current: SnapshotWithCustomers, findings: Finding[] = [], extra: Partial<DetectionInput> = {}) {
  return detectRegressions({ ...detectionInput(previous, current), findings: new Map(findings.map((finding) => [finding.key, finding])), consecutiveFailures: {}, thresholds: defaultThresholds, now, ...extra });
}

const opened = (result: ReturnType<typeof detect>) => result.transitions.filter((t) => t.change !== 'resolved').map((t) => t.finding.key).sort();
const resolved = (result: ReturnType<typeof detect>) => result.transitions.filter((t) => t.change === 'resolved').map((t) => t.finding.key).sort();

describe('detectRegressions: requirements', () => {
  it.each([['noncomplaint'], ['nonCompliant'], ['unknownFutureValue'], ['somethingNew']])('when a requirement goes from compliant to %s, then a critical finding opens', (status) => {
    const result = detect({ requirements: [requirement({})] }, { requirements: [requirement({ complianceStatus: status })] });
    expect(result.transitions).toEqual([expect.objectContaining({ change: 'opened', finding: expect.objectContaining({ key: 'requirement/securityContactProvided/complianceStatus', severity: 'critical', baseline: 'compliant', current: status }) })]);
  });

  it('when a requirement improves to compliant, then nothing opens', () => {
    expect(detect({ requirements: [requirement({ complianceStatus: 'noncomplaint' })] }, { requirements: [requirement({})] }).transitions).toEqual([]);
  });

  it('when compliance status is unknown now, then the open finding neither resolves nor changes', () => {
    const first = detect({ requirements: [requirement({})] }, { requirements: [requirement({ complianceStatus: 'noncomplaint' })] });
    const second = detect({ requirements: [requirement({ complianceStatus: 'noncomplaint' })] }, { requirements: [requirement({ complianceStatus: null })] }, first.changed);
    expect(second.transitions).toEqual([]);
    expect(second.changed).toEqual([]);
  });

  describe('compliant customer tenants: the count and its share are one finding', () => {
    const base = { kind: 'customersMfaEnforcedSecurityRequirement' as const, requirementType: 'mfaEnforcedForAdminsOfCustomers', actionUrl: 'https://aka.ms/partner-center-security-customer-mfa', helpUrl: 'https://aka.ms/partner-center-security-dashboard-require-mfa' };
    const tenants = (compliantTenantCount: number | null, totalTenantCount: number | null) => requirement({ ...base, compliantTenantCount, totalTenantCount });
    const key = 'requirement/mfaEnforcedForAdminsOfCustomers/compliantTenants';

    it('when the count falls with the total unchanged, then one finding opens with count, total and share on both sides, and the requirement links', () => {
      const result = detect({ requirements: [tenants(20, 79)] }, { requirements: [tenants(18, 79)] });
      expect(result.transitions).toEqual([
        expect.objectContaining({
          change: 'opened',
          finding: expect.objectContaining({
            key,
            kind: 'compliantTenantsFell',
            baseline: 20,
            current: 18,
            baselineOfWhole: { total: 79, share: 25.32 },
            currentOfWhole: { total: 79, share: 22.78 },
            actionUrl: base.actionUrl,
            helpUrl: base.helpUrl,
          }),
        }),
      ]);
    });

    it.each([
      ['only the share falls (more tenants, same count)', [20, 79], [20, 100]],
      ['only the count falls (compliant tenants left, share up)', [20, 79], [19, 70]],
    ])('when %s, then the one finding opens', (_case, [beforeCount, beforeTotal], [afterCount, afterTotal]) => {
      expect(opened(detect({ requirements: [tenants(beforeCount!, beforeTotal!)] }, { requirements: [tenants(afterCount!, afterTotal!)] }))).toEqual([key]);
    });

    it('when the count is back but the share is not, then the finding stays open; when both are back, it resolves once', () => {
      const first = detect({ requirements: [tenants(20, 79)] }, { requirements: [tenants(18, 79)] });
      const countBack = detect({ requirements: [tenants(18, 79)] }, { requirements: [tenants(20, 100)] }, first.changed);
      expect(countBack.transitions).toEqual([]);
      expect(countBack.changed).toEqual([expect.objectContaining({ state: 'open', current: 20, currentOfWhole: { total: 100, share: 20 } })]);
      const back = detect({ requirements: [tenants(20, 100)] }, { requirements: [tenants(26, 100)] }, countBack.changed);
      expect(resolved(back)).toEqual([key]);
      expect(back.transitions[0]?.finding).toMatchObject({ state: 'resolved', current: 26, currentOfWhole: { total: 100, share: 26 } });
    });

    it('when the count or the total is unknown now, then nothing opens and an open finding neither resolves nor changes', () => {
      expect(detect({ requirements: [tenants(20, 79)] }, { requirements: [tenants(null, 79)] }).transitions).toEqual([]);
      const first = detect({ requirements: [tenants(20, 79)] }, { requirements: [tenants(18, 79)] });
      expect(detect({ requirements: [tenants(18, 79)] }, { requirements: [tenants(null, null)] }, first.changed)).toEqual({ transitions: [], changed: [] });
    });
  });

  it('when admin MFA counts get worse in every direction (current and legacy shapes), then one finding per measure opens', () => {
    const admins = { kind: 'adminsMfaEnforcedSecurityRequirement' as const, requirementType: 'mfaEnforcedForAdmins' };
    const before = requirement({ ...admins, adminsRequiredNotUsingMfaCount: 0, usersRequiredNotUsingMfaCount: 0, mfaEnabledAdminsCount: 2, mfaEnabledUsersCount: 10, securityDefaultsStatus: 'enabled', mfaConditionalAccessPolicyStatus: 'enabled', perUserMfaStatus: 'enabled' });
    const after = requirement({ ...admins, adminsRequiredNotUsingMfaCount: 1, usersRequiredNotUsingMfaCount: 2, mfaEnabledAdminsCount: 1, mfaEnabledUsersCount: 9, securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: 'unknownFutureValue', perUserMfaStatus: 'disabled' });
    const legacy = { kind: 'mfaEnforcedSecurityRequirement' as const, requirementType: 'mfaEnforcedForAuthenticationOfAdminUsers' };
    const legacyBefore = requirement({ ...legacy, compliantUsersCount: 9, incompleteRegistrationUsersCount: 1 });
    const legacyAfter = requirement({ ...legacy, compliantUsersCount: 8, incompleteRegistrationUsersCount: 3 });
    const result = detect({ requirements: [before, legacyBefore] }, { requirements: [after, legacyAfter] });
    expect(opened(result)).toEqual([
      'requirement/mfaEnforcedForAdmins/adminsRequiredNotUsingMfaCount',
      'requirement/mfaEnforcedForAdmins/mfaEnabledAdminsCount',
      'requirement/mfaEnforcedForAdmins/mfaEnabledUsersCount',
      'requirement/mfaEnforcedForAdmins/perUserMfaStatus',
      'requirement/mfaEnforcedForAdmins/securityDefaultsStatus',
      'requirement/mfaEnforcedForAdmins/usersRequiredNotUsingMfaCount',
      'requirement/mfaEnforcedForAuthenticationOfAdminUsers/compliantUsersCount',
      'requirement/mfaEnforcedForAuthenticationOfAdminUsers/incompleteRegistrationUsersCount',
    ]);
  });

  it('when admin counts improve, then nothing opens', () => {
    const admins = { kind: 'adminsMfaEnforcedSecurityRequirement' as const, requirementType: 'mfaEnforcedForAdmins' };
    expect(detect({ requirements: [requirement({ ...admins, adminsRequiredNotUsingMfaCount: 2, mfaEnabledAdminsCount: 1 })] }, { requirements: [requirement({ ...admins, adminsRequiredNotUsingMfaCount: 0, mfaEnabledAdminsCount: 2 })] }).transitions).toEqual([]);
  });
});

describe('detectRegressions: score', () => {
  const score = (currentScore: number | null) => ({ id: 's', currentScore, maxScore: 100, lastRefreshDateTime: null, updatedDateTime: null });

  it('when the score falls, then a finding opens with the old score as baseline; a partial recovery keeps it open; full recovery resolves it', () => {
    const first = detect({ score: score(80) }, { score: score(70) });
    expect(first.transitions[0]?.finding).toMatchObject({ key: 'score/currentScore', baseline: 80, current: 70 });
    const partial = detect({ score: score(70) }, { score: score(75) }, first.changed);
    expect(partial.transitions).toEqual([]);
    expect(partial.changed[0]).toMatchObject({ state: 'open', current: 75 });
    const full = detect({ score: score(75) }, { score: score(80) }, partial.changed);
    expect(full.transitions).toEqual([expect.objectContaining({ change: 'resolved' })]);
  });

  it('when the score was unknown (INF) before, then a low score now is not a regression', () => {
    expect(detect({ score: score(null) }, { score: score(10) }).transitions).toEqual([]);
  });

  it('when a resolved finding regresses again, then it reopens', () => {
    const first = detect({ score: score(80) }, { score: score(70) });
    const back = detect({ score: score(70) }, { score: score(80) }, first.changed);
    const again = detect({ score: score(80) }, { score: score(60) }, back.changed);
    expect(again.transitions).toEqual([expect.objectContaining({ change: 'reopened', finding: expect.objectContaining({ state: 'open', baseline: 80, current: 60 }) })]);
  });

  it('when the score is still low and unchanged, then the open finding is not announced again', () => {
    const first = detect({ score: score(80) }, { score: score(70) });
    expect(detect({ score: score(70) }, { score: score(70) }, first.changed)).toEqual({ transitions: [], changed: [] });
  });
});

describe('detectRegressions: customers', () => {
  const id = '11111111-1111-1111-1111-111111111111';

  it('when compliant admins fall, then a warning opens; when they come back it resolves', () => {
    const first = detect({ customers: [customer(id)] }, { customers: [customer(id, { compliantAdminsCount: 1 })] });
    expect(opened(first)).toEqual([`customer/${id}/compliantAdminsCount`]);
    expect(first.transitions[0]?.finding.severity).toBe('warning');
    expect(resolved(detect({ customers: [customer(id, { compliantAdminsCount: 1 })] }, { customers: [customer(id)] }, first.changed))).toEqual([`customer/${id}/compliantAdminsCount`]);
  });

  it('when the only enabled policy is turned off, then the finding is critical; when another stays on, it is a warning', () => {
    const critical = detect({ customers: [customer(id)] }, { customers: [customer(id, { securityDefaultsStatus: 'disabled' })] });
    expect(critical.transitions.map((t) => [t.finding.key, t.finding.severity])).toEqual([[`customer/${id}/securityDefaultsStatus`, 'critical']]);
    const warning = detect(
      { customers: [customer(id, { mfaConditionalAccessPolicyStatus: 'enabled' })] },
      { customers: [customer(id, { securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: 'enabled' })] },
    );
    expect(warning.transitions.map((t) => t.finding.severity)).toEqual(['warning']);
  });

  it('when the only enabled policy is turned off and another policy is unknown, then the finding is a warning (no policy left is not known)', () => {
    const result = detect(
      { customers: [customer(id, { legacyPerUserMfaStatus: 'unknownFutureValue' })] },
      { customers: [customer(id, { securityDefaultsStatus: 'disabled', legacyPerUserMfaStatus: 'unknownFutureValue' })] },
    );
    expect(result.transitions.map((t) => [t.finding.key, t.finding.severity])).toEqual([[`customer/${id}/securityDefaultsStatus`, 'warning']]);
  });

  it('when the share of compliant non-admins falls by exactly the threshold, then nothing opens; by more, it opens', () => {
    expect(detect({ customers: [customer(id)] }, { customers: [customer(id, { compliantNonAdminsCount: 75 })] }).transitions).toEqual([]);
    const result = detect({ customers: [customer(id)] }, { customers: [customer(id, { compliantNonAdminsCount: 74 })] });
    expect(result.transitions[0]?.finding).toMatchObject({ key: `customer/${id}/compliantNonAdminShare`, baseline: 80, current: 74 });
  });

  it('when the threshold setting is higher, then the same fall is not a finding', () => {
    expect(detect({ customers: [customer(id)] }, { customers: [customer(id, { compliantNonAdminsCount: 74 })] }, [], { thresholds: { ...defaultThresholds, nonAdminShareDropPoints: 10 } }).transitions).toEqual([]);
  });

  it('when a new customer appears with every policy disabled, then a critical finding opens; one with a policy on, or with unknown policies, does not', () => {
    const newId = '22222222-2222-2222-2222-222222222222';
    const noMfa = customer(newId, { securityDefaultsStatus: 'disabled' });
    expect(opened(detect({ customers: [customer(id)] }, { customers: [customer(id), noMfa] }))).toEqual([`customer/${newId}/newWithoutMfa`]);
    expect(detect({ customers: [customer(id)] }, { customers: [customer(id), customer(newId)] }).transitions).toEqual([]);
    expect(detect({ customers: [customer(id)] }, { customers: [customer(id), customer(newId, { securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: 'disabled' })] }).transitions).toEqual([]);
  });

  it('when the detector looks for the first time, then nothing opens (that look is the baseline)', () => {
    expect(detect({}, { customers: [customer(id, { securityDefaultsStatus: 'disabled' })] }).transitions).toEqual([]);
  });

  it('when a customer with an open finding disappears from a complete snapshot, then the finding resolves', () => {
    const first = detect({ customers: [customer(id)] }, { customers: [customer(id, { compliantAdminsCount: 0 })] });
    expect(resolved(detect({ customers: [customer(id, { compliantAdminsCount: 0 })] }, { customers: [] }, first.changed))).toEqual([`customer/${id}/compliantAdminsCount`]);
  });

  it('when a measure is missing now (schema drift), then an open finding stays open', () => {
    const first = detect({ customers: [customer(id)] }, { customers: [customer(id, { compliantAdminsCount: 0 })] });
    expect(detect({ customers: [customer(id, { compliantAdminsCount: 0 })] }, { customers: [customer(id, { compliantAdminsCount: null })] }, first.changed).transitions).toEqual([]);
  });
});

describe('detectRegressions: principals, registrations, sources', () => {
  const principal = (objectId: string, time: string): NonMfaPrincipal => ({ objectId, tenantId: 't', upn: `${objectId}@partner.example`, lastNonMfaRequestDateTime: time });

  it('when a principal appears with a request time not seen before, then a critical finding opens; the same record again does nothing', () => {
    const seen = principal('a', '2026-01-01T00:00:00.000Z');
    const fresh = principal('a', '2026-01-02T00:00:00.000Z');
    const first = detect({ principals: [seen] }, { principals: [seen, fresh] });
    expect(opened(first)).toEqual(['principal/a/2026-01-02T00:00:00.000Z']);
    expect(first.transitions[0]?.finding.severity).toBe('critical');
    expect(detect({ principals: [seen, fresh] }, { principals: [seen, fresh] }, first.changed).transitions).toEqual([]);
  });

  it("when a principal sighting opens, then it names the user by UPN beside the object id (never in the key) and links the partner tenant's sign-in logs", () => {
    const fresh = { ...principal('a', '2026-01-02T00:00:00.000Z'), tenantId: '6e6aef4a-4ca9-40a8-b5bf-b53a1923c540' };
    const finding = detect({ principals: [] }, { principals: [fresh] }).transitions[0]?.finding;
    expect(finding).toMatchObject({ key: 'principal/a/2026-01-02T00:00:00.000Z', subject: { type: 'principal', id: 'a', name: 'a@partner.example' } });
    expect(finding?.actionUrl).toBe('https://entra.microsoft.com/#@6e6aef4a-4ca9-40a8-b5bf-b53a1923c540/blade/Microsoft_AAD_IAM/SignInEventsV3Blade');
  });

  it('when a sighting leaves the 7-day window, then its finding closes without an announcement', () => {
    const fresh = principal('a', '2026-01-02T00:00:00.000Z');
    const first = detect({ principals: [] }, { principals: [fresh] });
    const later = detect({ principals: [fresh] }, { principals: [] }, first.changed);
    expect(later.transitions).toEqual([]);
    expect(later.changed).toEqual([expect.objectContaining({ state: 'resolved' })]);
  });

  const counts = (mfa: number | null, total: number, report: RegistrationCounts['report'] = 'credentialUserRegistrationCount'): RegistrationCounts => ({ report, totalUserCount: total, mfaRegisteredUserCount: mfa, countsByStatus: {} });

  it('when MFA-registered users fall, or only their share does, then one finding opens, carrying the count and the share', () => {
    const fell = detect({ registration: counts(50, 100) }, { registration: counts(45, 100) });
    expect(fell.transitions).toEqual([
      expect.objectContaining({ finding: expect.objectContaining({ key: 'registration/mfaRegisteredUsers', kind: 'mfaRegisteredUsersFell', baseline: 50, current: 45, baselineOfWhole: { total: 100, share: 50 }, currentOfWhole: { total: 100, share: 45 } }) }),
    ]);
    expect(opened(detect({ registration: counts(50, 100) }, { registration: counts(50, 120) }))).toEqual(['registration/mfaRegisteredUsers']);
  });

  it('when the report changes between legacy and replacement, then counts are not compared', () => {
    expect(detect({ registration: counts(50, 100) }, { registration: counts(10, 100, 'usersRegisteredByFeature') }).transitions).toEqual([]);
  });

  it('when a source fails the threshold number of times, then "cannot see" opens once; fewer failures change nothing; a complete run resolves it', () => {
    expect(detect({}, {}, [], { consecutiveFailures: { nonMfaPrincipals: 2 } }).transitions).toEqual([]);
    const blind = detect({}, {}, [], { consecutiveFailures: { nonMfaPrincipals: 3 } });
    expect(blind.transitions).toEqual([expect.objectContaining({ change: 'opened', finding: expect.objectContaining({ key: 'source/nonMfaPrincipals/unavailable', severity: 'critical' }) })]);
    expect(detect({}, {}, blind.changed, { consecutiveFailures: { nonMfaPrincipals: 4 } }).transitions).toEqual([]);
    expect(resolved(detect({}, {}, blind.changed, { consecutiveFailures: { nonMfaPrincipals: 0 } }))).toEqual(['source/nonMfaPrincipals/unavailable']);
  });

  it('when the failing source has a last error, then the finding carries it so the alert can say what to do', () => {
    const blind = detect({}, {}, [], { consecutiveFailures: { nonMfaPrincipals: 3 }, lastErrors: { nonMfaPrincipals: 'ConsentRequired: run npm run consent' } });
    expect(blind.transitions[0]?.finding.detail).toBe('ConsentRequired: run npm run consent');
  });
});
