/*
 * The documents the simulated services serve for a day, in canonical form (numbers as
 * numbers), built from the population model. Wire quirks (numeric strings, wrapping,
 * renamed fields) are applied later by wireFormat.ts; the values chosen here already
 * include the per-day variants that are values rather than formats (the spelling of
 * non-compliant, GUID ids, the legacy items).
 *
 * Requirement rules (documented for the app's tests):
 * - customersMfa: score = round(20 * compliant/total); compliant when >= 75% of customers are.
 * - adminsMfa (partner tenant): compliant when an MFA policy is on and no admin lacks MFA;
 *   otherwise score = floor(10 * admins with MFA / admins).
 * - spendingBudget: score = round(10 * with budget/total); compliant when >= 60% have one.
 * - responseTime: compliant (10) when averageResponseTimeInHours <= 24, else 0.
 * - securityContact: 10 when provided, else 0.
 * - The score is the sum of those five (max 70); the legacy items do not count.
 * - History: one entry per day for the 30 days up to the current one, most recent first.
 */
import {
  customerAggregate, customerListing, customerName, customerOnDay, customerTenantId, CustomerAggregate, dayStartMs,
  nonMfaSignInAt, nonMfaWindowSize, partnerOnDay, partnerTenantId,
} from './population';
import { quirksOfDay } from './quirks';
import { guid, hash32 } from './random';
import type {
  ComplianceStatus, CurrentRequirement, ExpectedCustomerInsight, ExpectedNonMfaPrincipal, ExpectedRegistrationCounts,
  ExpectedRequirement, ExpectedScoreHistoryEntry, ExpectedSecurityScore, ExpectedState, LegacyMfaRequirement, PolicyStatus,
} from './types';

interface DatasetConfig {
  seed: number;
  customers: number;
  nonMfaSignInsPerDay: number;
  startDate: string;
  quirks: boolean;
  /** Share of customers whose insight changes from one day to the next; undefined = the daily model (see population.ts). */
  churn?: number;
}

const HISTORY_DAYS = 30;
const MAX_SCORE = 70;
const AGGREGATE_CACHE_DAYS = 128;
enum Salt { RequirementId = 300, HistoryId, Stamp }

const policy = (on: boolean): PolicyStatus => (on ? 'enabled' : 'disabled');

export interface Dataset {
  readonly config: DatasetConfig;
  readonly partnerTenantId: string;
  isoDate(day: number): string;
  score(day: number): ExpectedSecurityScore;
  requirements(day: number): ExpectedRequirement[];
  scoreHistory(day: number): ExpectedScoreHistoryEntry[];
  customerInsight(day: number, index: number): ExpectedCustomerInsight;
  nonMfaWindowSize(): number;
  nonMfaPrincipal(day: number, position: number): ExpectedNonMfaPrincipal;
  registrationCounts(day: number): ExpectedRegistrationCounts;
  expected(day: number): ExpectedState;
}

export function createDataset(config: DatasetConfig): Dataset {
  const { seed, customers, startDate } = config;
  const tenantId = partnerTenantId(seed);
  const aggregates = new Map<number, CustomerAggregate>();

  const aggregate = (day: number): CustomerAggregate => {
    let value = aggregates.get(day);
    if (!value) {
      value = customerAggregate(seed, customers, day, config.churn);
      if (aggregates.size >= AGGREGATE_CACHE_DAYS) aggregates.delete(aggregates.keys().next().value as number);
      aggregates.set(day, value);
    }
    return value;
  };

  const isoDate = (day: number) => new Date(dayStartMs(startDate, day)).toISOString().slice(0, 10);

  /** A Graph-style timestamp with 7 fractional digits, early in the day's refresh. */
  const stamp = (day: number, salt: number) => {
    const h = hash32(seed, Salt.Stamp, day, salt);
    const mm = String(h % 60).padStart(2, '0');
    const ss = String((h >>> 8) % 60).padStart(2, '0');
    const fraction = String((h >>> 14) % 10_000_000).padStart(7, '0');
    return `${isoDate(day)}T03:${mm}:${ss}.${fraction}Z`;
  };

  const currentRequirements = (day: number): CurrentRequirement[] => {
    const q = quirksOfDay(seed, day, config.quirks);
    const status = (ok: boolean): ComplianceStatus => (ok ? 'compliant' : q.nonCompliantSpelling ? 'nonCompliant' : 'noncomplaint');
    const idOf = (requirementType: string, index: number, alwaysGuid = false) =>
      q.guidRequirementIds || (config.quirks && alwaysGuid) ? guid(seed, Salt.RequirementId, index) : requirementType;
    const customersNow = aggregate(day);
    const partner = partnerOnDay(seed, day);
    const total = customersNow.totalTenantCount;
    const compliantShare = total === 0 ? 1 : customersNow.compliantTenantCount / total;
    const budgetShare = total === 0 ? 1 : customersNow.customersWithSpendBudgetCount / total;
    const partnerPolicy = partner.securityDefaults || partner.conditionalAccess || partner.perUserMfa;
    const adminsOk = partnerPolicy && partner.adminsWithoutMfa === 0;
    const adminsWithMfa = partner.totalAdminsCount - partner.adminsWithoutMfa;
    const responseOk = partner.averageResponseTimeInHours <= 24;
    return [
      {
        '@odata.type': '#microsoft.graph.partner.security.customersMfaEnforcedSecurityRequirement',
        id: idOf('mfaEnforcedForAdminsOfCustomers', 0),
        requirementType: 'mfaEnforcedForAdminsOfCustomers',
        complianceStatus: status(compliantShare >= 0.75),
        actionUrl: 'https://aka.ms/partner-center-security-customer-mfa',
        helpUrl: 'https://aka.ms/partner-center-security-dashboard-require-mfa',
        score: Math.round(20 * compliantShare),
        maxScore: 20,
        state: 'active',
        updatedDateTime: stamp(day, 0),
        totalTenantCount: total,
        compliantTenantCount: customersNow.compliantTenantCount,
      },
      {
        '@odata.type': '#microsoft.graph.partner.security.adminsMfaEnforcedSecurityRequirement',
        id: idOf('mfaEnforcedForAdmins', 1, true),
        requirementType: 'mfaEnforcedForAdmins',
        complianceStatus: status(adminsOk),
        actionUrl: 'https://aka.ms/partner-center-security-admin-mfa',
        helpUrl: 'https://aka.ms/partner-center-security-dashboard-require-mfa',
        score: adminsOk ? 20 : Math.floor((10 * adminsWithMfa) / partner.totalAdminsCount),
        maxScore: 20,
        state: 'active',
        updatedDateTime: stamp(day, 1),
        totalAdminsCount: partner.totalAdminsCount,
        adminsRequiredNotUsingMfaCount: partner.adminsWithoutMfa,
        mfaEnabledAdminsCount: adminsWithMfa,
        totalUsersCount: partner.totalUsersCount,
        usersRequiredNotUsingMfaCount: partner.usersWithoutMfa,
        mfaEnabledUsersCount: partner.totalUsersCount - partner.usersWithoutMfa,
        securityDefaultsStatus: policy(partner.securityDefaults),
        mfaConditionalAccessPolicyStatus: policy(partner.conditionalAccess),
        legacyPerUserMfaStatus: policy(partner.perUserMfa),
      },
      {
        '@odata.type': '#microsoft.graph.partner.security.customersSpendingBudgetSecurityRequirement',
        id: idOf('spendingBudgetSetForCustomerAzureSubscriptions', 2),
        requirementType: 'spendingBudgetSetForCustomerAzureSubscriptions',
        complianceStatus: status(budgetShare >= 0.6),
        actionUrl: 'https://aka.ms/partner-center-security-spending-budget',
        helpUrl: 'https://aka.ms/partner-center-security-dashboard-spending-budget',
        score: Math.round(10 * budgetShare),
        maxScore: 10,
        state: 'preview',
        updatedDateTime: stamp(day, 2),
        totalCustomersCount: total,
        customersWithSpendBudgetCount: customersNow.customersWithSpendBudgetCount,
      },
      {
        '@odata.type': '#microsoft.graph.partner.security.responseTimeSecurityRequirement',
        id: idOf('securityAlertsPromptlyResolved', 3),
        requirementType: 'securityAlertsPromptlyResolved',
        complianceStatus: status(responseOk),
        actionUrl: 'https://aka.ms/partner-center-security-alerts',
        helpUrl: 'https://aka.ms/partner-center-security-dashboard-alerts',
        score: responseOk ? 10 : 0,
        maxScore: 10,
        state: 'active',
        updatedDateTime: stamp(day, 3),
        averageResponseTimeInHours: partner.averageResponseTimeInHours,
      },
      {
        '@odata.type': '#microsoft.graph.partner.security.securityRequirement',
        id: idOf('securityContactProvided', 4),
        requirementType: 'securityContactProvided',
        complianceStatus: status(partner.securityContactProvided),
        actionUrl: 'https://aka.ms/partner-center-security-contact',
        helpUrl: 'https://aka.ms/partner-center-security-dashboard-contact',
        score: partner.securityContactProvided ? 10 : 0,
        maxScore: 10,
        state: 'active',
        updatedDateTime: stamp(day, 4),
      },
    ];
  };

  const legacyRequirements = (day: number): LegacyMfaRequirement[] => {
    const q = quirksOfDay(seed, day, config.quirks);
    if (!q.legacyRequirements) return [];
    const partner = partnerOnDay(seed, day);
    const status = (ok: boolean): ComplianceStatus => (ok ? 'compliant' : q.nonCompliantSpelling ? 'nonCompliant' : 'noncomplaint');
    const partnerPolicy = partner.securityDefaults || partner.conditionalAccess || partner.perUserMfa;
    const shared = {
      '@odata.type': '#microsoft.graph.partner.security.mfaEnforcedSecurityRequirement' as const,
      maxScore: 20,
      state: 'active' as const,
      updatedDateTime: stamp(day, 5),
      securityDefaultsStatus: policy(partner.securityDefaults),
      mfaConditionalAccessPolicyStatus: policy(partner.conditionalAccess),
      perUserMfaStatus: policy(partner.perUserMfa),
    };
    const legacy = (index: number, type: LegacyMfaRequirement['securityRequirementType'], total: number, without: number, incomplete: number): LegacyMfaRequirement => {
      const ok = partnerPolicy && without === 0;
      return {
        ...shared,
        id: guid(seed, Salt.RequirementId, index),
        securityRequirementType: type,
        complianceStatus: status(ok),
        currentScore: ok ? 20 : Math.floor((20 * (total - without)) / total),
        totalUsersCount: total,
        compliantUsersCount: total - without,
        incompleteRegistrationUsersCount: incomplete,
      };
    };
    return [
      legacy(5, 'mfaEnforcedForAuthenticationOfAdminUsers', partner.totalAdminsCount, partner.adminsWithoutMfa,
        Math.min(partner.adminsWithoutMfa, partner.incompleteRegistrationUsersCount)),
      legacy(6, 'mfaEnforcedForAuthenticationOfAllUsers', partner.totalUsersCount, partner.usersWithoutMfa, partner.incompleteRegistrationUsersCount),
    ];
  };

  const totals = (day: number) => {
    const requirements = currentRequirements(day);
    return {
      score: requirements.reduce((sum, requirement) => sum + requirement.score, 0),
      compliant: requirements.filter((requirement) => requirement.complianceStatus === 'compliant').length,
      total: requirements.length,
    };
  };

  const dataset: Dataset = {
    config,
    partnerTenantId: tenantId,
    isoDate,
    score: (day) => ({
      id: tenantId,
      currentScore: totals(day).score,
      maxScore: MAX_SCORE,
      lastRefreshDateTime: stamp(day, 10),
      updatedDateTime: stamp(day, 11),
    }),
    requirements: (day) => [...currentRequirements(day), ...legacyRequirements(day)],
    scoreHistory: (day) =>
      Array.from({ length: HISTORY_DAYS }, (_, age) => {
        const entryDay = day - age;
        const { score, compliant, total } = totals(entryDay);
        return {
          id: guid(seed, Salt.HistoryId, entryDay),
          createdDateTime: `${isoDate(entryDay)}T04:00:00Z`,
          score,
          compliantRequirementsCount: compliant,
          totalRequirementsCount: total,
        };
      }),
    customerInsight: (day, index) => {
      const customer = customerOnDay(seed, index, day, config.churn);
      return {
        tenantId: customerTenantId(seed, index),
        mfa: {
          compliantAdminsCount: customer.compliantAdminsCount,
          compliantNonAdminsCount: customer.compliantNonAdminsCount,
          totalUsersCount: customer.totalUsersCount,
          securityDefaultsStatus: policy(customer.securityDefaults),
          mfaConditionalAccessPolicyStatus: policy(customer.conditionalAccess),
          legacyPerUserMfaStatus: policy(customer.perUserMfa),
        },
      };
    },
    nonMfaWindowSize: () => nonMfaWindowSize(config.nonMfaSignInsPerDay),
    nonMfaPrincipal: (day, position) => {
      const signIn = nonMfaSignInAt(seed, startDate, config.nonMfaSignInsPerDay, day, position);
      return {
        objectId: signIn.objectId,
        tenantId,
        upn: signIn.upn,
        lastNonMfaCompliantRequestDateTime: new Date(signIn.at).toISOString().slice(0, -1),
      };
    },
    registrationCounts: (day) => {
      const partner = partnerOnDay(seed, day);
      const adminsWithMfa = partner.totalAdminsCount - partner.adminsWithoutMfa;
      return {
        credentialUserRegistrationCount: {
          id: guid(seed, Salt.HistoryId, day, 1),
          totalUserCount: partner.totalUsersCount,
          userRegistrationCounts: [
            { registrationStatus: 'registered', registrationCount: partner.ssprRegistered },
            { registrationStatus: 'enabled', registrationCount: partner.ssprEnabled },
            { registrationStatus: 'capable', registrationCount: partner.ssprCapable },
            { registrationStatus: 'mfaRegistered', registrationCount: partner.mfaRegistered },
          ],
        },
        usersRegisteredByFeature: {
          all: {
            totalUserCount: partner.totalUsersCount,
            userRegistrationFeatureCounts: [
              { feature: 'ssprRegistered', userCount: partner.ssprRegistered },
              { feature: 'ssprEnabled', userCount: partner.ssprEnabled },
              { feature: 'ssprCapable', userCount: partner.ssprCapable },
              { feature: 'passwordlessCapable', userCount: partner.passwordlessCapable },
              { feature: 'mfaCapable', userCount: partner.mfaRegistered },
            ],
          },
          admin: {
            totalUserCount: partner.totalAdminsCount,
            userRegistrationFeatureCounts: [
              { feature: 'ssprRegistered', userCount: partner.totalAdminsCount },
              { feature: 'ssprEnabled', userCount: partner.totalAdminsCount },
              { feature: 'ssprCapable', userCount: partner.totalAdminsCount },
              { feature: 'passwordlessCapable', userCount: Math.floor(adminsWithMfa / 2) },
              { feature: 'mfaCapable', userCount: adminsWithMfa },
            ],
          },
        },
      };
    },
    expected: (day) => ({
      day,
      date: isoDate(day),
      score: dataset.score(day),
      requirements: dataset.requirements(day),
      customerInsights: Array.from({ length: customers }, (_, index) => dataset.customerInsight(day, index)),
      scoreHistory: dataset.scoreHistory(day),
      nonMfaPrincipals: Array.from({ length: dataset.nonMfaWindowSize() }, (_, position) => dataset.nonMfaPrincipal(day, position)),
      registrationCounts: dataset.registrationCounts(day),
      customers: Array.from({ length: customers }, (_, index) => {
        const customer = customerOnDay(seed, index, day, config.churn);
        return {
          tenantId: customerTenantId(seed, index),
          name: customerName(seed, index),
          totalAdminsCount: customer.totalAdminsCount,
          mfaCompliant: customer.mfaCompliant,
          spendingBudgetSet: customer.spendingBudgetSet,
          listedIn: customerListing(seed, index),
        };
      }),
    }),
  };
  return dataset;
}
