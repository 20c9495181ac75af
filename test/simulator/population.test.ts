import { createHash } from 'node:crypto';
import { createDataset } from '../../tools/simulator/dataset';
import { parseOptions } from '../../tools/simulator/main';
import { customerAggregate, customerName, customerOnDay } from '../../tools/simulator/population';
import { quirksOfDay } from '../../tools/simulator/quirks';
import { startSimulator } from '../../tools/simulator/startSimulator';

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

/*
 * The churn option: real partners see a few percent of their customers change from one day to
 * the next, the daily model about 69 %. The bench compares the collectors and the detector at both,
 * so the share observed in what the simulator serves must be the one asked for.
 */
describe('customer churn', () => {
  const large = { ...config, customers: 10_000 };

  /** Share of customers whose served insight differs between `day` and the next day. */
  function changedShare(dataset: ReturnType<typeof createDataset>, day: number): number {
    let changed = 0;
    for (let index = 0; index < dataset.config.customers; index++) {
      if (JSON.stringify(dataset.customerInsight(day, index)) !== JSON.stringify(dataset.customerInsight(day + 1, index))) changed++;
    }
    return changed / dataset.config.customers;
  }

  it.each([0.02, 0.69, 0])('when churn is %p at 10,000 customers, then that share of insights changes from one day to the next', (churn) => {
    const dataset = createDataset({ ...large, churn });
    // Binomial spread at 10,000 customers: 0.0014 at 2 %, 0.0046 at 69 %.
    for (const day of [0, 17, 180]) expect(Math.abs(changedShare(dataset, day) - churn)).toBeLessThan(0.015);
  });

  it('when churn is set, then the customers list and the customersMfa requirement follow the held state', () => {
    const dataset = createDataset({ ...config, churn: 0.02 });
    const [today, tomorrow] = [dataset.expected(30), dataset.expected(31)];
    const moved = today.customers.filter((customer, index) => JSON.stringify(customer) !== JSON.stringify(tomorrow.customers[index])).length;
    expect(moved).toBeLessThan(15);
    const compliant = today.customers.filter((customer) => customer.mfaCompliant).length;
    expect(today.requirements[0]).toMatchObject({ totalTenantCount: 200, compliantTenantCount: compliant });
  });

  it('when the seed and churn are the same, then every document is the same', () => {
    expect(createDataset({ ...config, churn: 0.02 }).expected(12)).toEqual(createDataset({ ...config, churn: 0.02 }).expected(12));
  });

  it('when churn is not set, then the daily model serves what it served before the option existed', () => {
    const dataset = createDataset(large);
    // Digests of what the simulator served before churn was an option (seed 7, 2,000 customers).
    const small = createDataset({ ...config, customers: 2000 });
    const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
    expect([digest(small.expected(3).customerInsights), digest(small.expected(4).customers), digest(small.requirements(4))]).toEqual(['128155b21b171129', '77fa56225a7333ac', '875377af2dfe9e9a']);
    expect(changedShare(dataset, 5)).toBeGreaterThan(0.6);
  });

  it('when churn is outside 0 to 1, then the simulator refuses to start, naming the option', async () => {
    const started = startSimulator({ churn: 1.5 });
    await expect(started).rejects.toThrow(/churn must be a number from 0 to 1/);
    await started.then((sim) => sim.close(), () => undefined);
    expect(parseOptions(['--churn', '0.02'], {})).toMatchObject({ churn: 0.02 });
    expect(() => parseOptions(['--churn', '2%'], {})).toThrow(/--churn must be a number from 0 to 1/);
  });
});
