import { createDataset } from '../../tools/simulator/dataset';
import { customerAggregate, customerName, customerOnDay } from '../../tools/simulator/population';
import { quirksOfDay } from '../../tools/simulator/quirks';

const config = { seed: 7, customers: 200, nonMfaSignInsPerDay: 5, startDate: '2026-01-01', quirks: true };

describe('population model', () => {
  it('when the seed is the same, then every document is the same', () => {
    expect(createDataset(config).expected(12)).toEqual(createDataset(config).expected(12));
  });

  it('when the seed differs, then the customers and their state differ', () => {
    const a = createDataset(config).expected(3);
    const b = createDataset({ ...config, seed: 8 }).expected(3);
    expect(a.customerInsights[0]!.tenantId).not.toBe(b.customerInsights[0]!.tenantId);
    expect(a.customerInsights.map((c) => c.mfa)).not.toEqual(b.customerInsights.map((c) => c.mfa));
  });

  it('when days pass, then customers switch policies off and on, admins lose and regain MFA, non-admin compliance drifts', () => {
    let policyOff = 0;
    let policyOn = 0;
    let adminLost = 0;
    let adminRegained = 0;
    let nonAdminDrift = 0;
    for (let index = 0; index < 200; index++) {
      for (let day = 0; day < 30; day++) {
        const today = customerOnDay(7, index, day);
        const tomorrow = customerOnDay(7, index, day + 1);
        const anyToday = today.securityDefaults || today.conditionalAccess || today.perUserMfa;
        const anyTomorrow = tomorrow.securityDefaults || tomorrow.conditionalAccess || tomorrow.perUserMfa;
        if (anyToday && !anyTomorrow) policyOff++;
        if (!anyToday && anyTomorrow) policyOn++;
        if (tomorrow.compliantAdminsCount < today.compliantAdminsCount) adminLost++;
        if (tomorrow.compliantAdminsCount > today.compliantAdminsCount) adminRegained++;
        if (tomorrow.compliantNonAdminsCount !== today.compliantNonAdminsCount) nonAdminDrift++;
      }
    }
    expect(policyOff).toBeGreaterThan(10);
    expect(policyOn).toBeGreaterThan(10);
    expect(adminLost).toBeGreaterThan(10);
    expect(adminRegained).toBeGreaterThan(10);
    expect(nonAdminDrift).toBeGreaterThan(1000);
  });

  it('when a day passes, then new non-MFA sign-ins appear and the registration counts and score move over time', () => {
    const dataset = createDataset(config);
    expect(dataset.nonMfaPrincipal(5, 0)).not.toEqual(dataset.nonMfaPrincipal(4, 0));
    expect(dataset.nonMfaPrincipal(5, 5)).toEqual(dataset.nonMfaPrincipal(4, 0));
    const counts = new Set(Array.from({ length: 20 }, (_, day) => JSON.stringify(dataset.registrationCounts(day))));
    expect(counts.size).toBeGreaterThan(10);
    const scores = new Set(Array.from({ length: 40 }, (_, day) => dataset.score(day).currentScore));
    expect(scores.size).toBeGreaterThan(3);
  });

  it('when requirements are computed, then each flips between compliant and not over 60 days', () => {
    const dataset = createDataset({ ...config, customers: 2000 });
    const seen = new Map<string, Set<string>>();
    for (let day = 0; day < 60; day++) {
      for (const requirement of dataset.requirements(day)) {
        if (!('requirementType' in requirement)) continue;
        const statuses = seen.get(requirement.requirementType) ?? new Set();
        statuses.add(requirement.complianceStatus === 'compliant' ? 'compliant' : 'not');
        seen.set(requirement.requirementType, statuses);
      }
    }
    for (const type of ['mfaEnforcedForAdminsOfCustomers', 'mfaEnforcedForAdmins', 'securityAlertsPromptlyResolved', 'securityContactProvided']) {
      expect([type, seen.get(type)?.size]).toEqual([type, 2]);
    }
  });

  it('when aggregating, then compliantTenantCount counts customers with an MFA policy on and every admin using MFA', () => {
    const state = createDataset(config).expected(9);
    const byRule = state.customerInsights.filter((insight, index) => {
      const mfa = insight.mfa;
      const policy = [mfa.securityDefaultsStatus, mfa.mfaConditionalAccessPolicyStatus, mfa.legacyPerUserMfaStatus].includes('enabled');
      return policy && mfa.compliantAdminsCount === state.customers[index]!.totalAdminsCount;
    }).length;
    const requirement = state.requirements.find((r) => 'requirementType' in r && r.requirementType === 'mfaEnforcedForAdminsOfCustomers');
    expect(requirement).toMatchObject({ totalTenantCount: 200, compliantTenantCount: byRule });
    expect(customerAggregate(7, 200, 9).compliantTenantCount).toBe(byRule);
    expect(state.customers.filter((c) => c.mfaCompliant)).toHaveLength(byRule);
  });

  it('when security defaults are on, then conditional access is off (Entra forbids both)', () => {
    for (let index = 0; index < 500; index++) {
      const customer = customerOnDay(3, index, index % 40);
      expect(customer.securityDefaults && customer.conditionalAccess).toBe(false);
    }
  });

  it('when names are generated, then they are unique', () => {
    const names = new Set(Array.from({ length: 5000 }, (_, index) => customerName(1, index)));
    expect(names.size).toBe(5000);
  });

  it('when the score is served, then it is the sum of the five current requirements and history matches past days', () => {
    const dataset = createDataset(config);
    const requirements = dataset.requirements(4).filter((r) => 'score' in r);
    expect(requirements).toHaveLength(5);
    expect(dataset.score(4).currentScore).toBe(requirements.reduce((sum, r) => sum + ('score' in r ? r.score : 0), 0));
    const history = dataset.scoreHistory(10);
    expect(history).toHaveLength(30);
    expect(history[0]!.createdDateTime.startsWith('2026-01-11')).toBe(true);
    expect(history[6]!.score).toBe(dataset.score(4).currentScore);
  });

  it('when non-MFA sign-ins are listed, then they are most recent first, within 7 days, capped at 10,000', () => {
    const dataset = createDataset({ ...config, nonMfaSignInsPerDay: 2000 });
    expect(dataset.nonMfaWindowSize()).toBe(10_000);
    const times = Array.from({ length: 10_000 }, (_, position) => Date.parse(`${dataset.nonMfaPrincipal(20, position).lastNonMfaCompliantRequestDateTime}Z`));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]!);
    expect(times[times.length - 1]).toBeGreaterThanOrEqual(Date.parse('2026-01-15T00:00:00Z'));
    expect(times[0]).toBeLessThan(Date.parse('2026-01-22T00:00:00Z'));
    expect(createDataset(config).nonMfaWindowSize()).toBe(35);
  });

  it('when quirks are on, then each variant appears on some days and not on others; when off, never', () => {
    const days = Array.from({ length: 40 }, (_, day) => quirksOfDay(1, day, true));
    for (const key of ['wrapSingleton', 'nonCompliantSpelling', 'singleAsString', 'int64AsString', 'guidRequirementIds', 'misspelledRegistrationCounts'] as const) {
      expect([key, days.some((q) => q[key]), days.some((q) => !q[key])]).toEqual([key, true, true]);
    }
    const off = Array.from({ length: 40 }, (_, day) => quirksOfDay(1, day, false));
    expect(off.every((q) => Object.values(q).every((value) => value === false))).toBe(true);
  });
});
