/*
 * The simulated partner and its customers, as pure functions of (seed, index, day).
 *
 * Every attribute is piecewise constant over "epochs" whose length and phase differ per
 * customer and per attribute, so a customer changes now and then (policies switched off
 * and on, admins losing and regaining MFA) rather than every day, while non-admin
 * compliance drifts daily. Nothing is replayed: day N costs the same as day 0.
 *
 * Rules the aggregates follow (documented for the app's tests):
 * - A customer is MFA-compliant when at least one MFA policy (security defaults,
 *   a conditional-access MFA policy or legacy per-user MFA) is enabled AND none of its
 *   admins lacks MFA. compliantTenantCount counts those customers.
 * - Security defaults and conditional access never coexist (Entra forbids it).
 * - How often customers switch their policy off follows a partner-wide "regime" that
 *   changes every 6 days, so the share of compliant customers (and with it the
 *   customersMfa requirement) moves visibly even with 10,000 customers.
 * - With a `churn` share (0 to 1), a customer holds its state between change days of its
 *   own instead: its model day advances one step every 1/churn days at a seeded phase, so
 *   from any day to the next exactly a `churn` share of customers (in expectation) roll
 *   over, and each of those changes (its compliant non-admin count takes the parity of the
 *   step). Without it, non-admin compliance drifts daily and about 69 % of customers change
 *   a day; real partners see a few percent.
 */
import { between, epochOf, guid, hash32, unit } from './random';

/** Salts that keep each attribute's random stream independent of the others. */
enum Salt {
  Tenant = 1, Name, Users, UsersDrift, Admins, Profile, PolicyPeriod, Policy, AdminPeriod, AdminMfa,
  AdminMfaCount, NonAdminBase, NonAdminDrift, Budget, BudgetPhase, Regime, Listing,
  PartnerTenant = 100, PartnerUsers, PartnerAdmins, PartnerProfile, PartnerPolicy, PartnerAdminMfa,
  PartnerUsersMfa, PartnerRegistration, PartnerSspr, ResponseTime, SecurityContact, PartnerUser,
  NonMfaTime, NonMfaUser,
  ChurnPhase = 200,
}

const DAY_MS = 86_400_000;
/** Bound once: global lookups are slow inside jest's VM context (see random.ts). */
const { floor, round, min, max, pow } = Math;

interface CustomerDay {
  totalUsersCount: number;
  totalAdminsCount: number;
  compliantAdminsCount: number;
  compliantNonAdminsCount: number;
  securityDefaults: boolean;
  conditionalAccess: boolean;
  perUserMfa: boolean;
  mfaCompliant: boolean;
  spendingBudgetSet: boolean;
}

type PolicyProfile = 'securityDefaults' | 'conditionalAccess' | 'perUserMfa' | 'none';

function profileOf(seed: number, index: number): PolicyProfile {
  const u = unit(seed, Salt.Profile, index);
  if (u < 0.45) return 'securityDefaults';
  if (u < 0.8) return 'conditionalAccess';
  if (u < 0.9) return 'perUserMfa';
  return 'none';
}

/** Share of customers that switch their MFA policy off in an epoch starting on `day`. */
function switchOffRate(seed: number, day: number): number {
  return unit(seed, Salt.Regime, floor(day / 6)) < 0.5 ? 0.05 : 0.35;
}

/** The customer on `day`: its daily model, or with `churn` its model held between change days (see above). */
export function customerOnDay(seed: number, index: number, day: number, churn?: number): CustomerDay {
  if (churn === undefined) return modelledDay(seed, index, day);
  // floor(day * churn + phase) steps up between two days for a `churn` share of the phases in [0, 1).
  const step = floor(day * churn + unit(seed, Salt.ChurnPhase, index));
  const customer = modelledDay(seed, index, step);
  // Consecutive steps have opposite parities, so a step always changes the insight, by one user at most.
  const nonAdmins = customer.totalUsersCount - customer.totalAdminsCount;
  const count = customer.compliantNonAdminsCount;
  const compliantNonAdminsCount = (count & 1) === (step & 1) ? count : count < nonAdmins ? count + 1 : count - 1;
  return { ...customer, compliantNonAdminsCount };
}

function modelledDay(seed: number, index: number, day: number): CustomerDay {
  const baseUsers = round(3 * pow(700, unit(seed, Salt.Users, index)));
  const drift = 1 + 0.1 * (unit(seed, Salt.UsersDrift, index, floor(day / 7)) - 0.5);
  const totalAdminsCount = between(1, max(1, min(6, floor(baseUsers / 3))), seed, Salt.Admins, index);
  const totalUsersCount = max(totalAdminsCount + 1, round(baseUsers * drift));

  const policyPeriod = between(4, 21, seed, Salt.PolicyPeriod, index);
  const policyPhase = hash32(seed, Salt.PolicyPeriod, index, 1) % policyPeriod;
  const policyEpoch = epochOf(day, policyPeriod, policyPhase);
  const epochStart = policyEpoch * policyPeriod - policyPhase;
  const r = unit(seed, Salt.Policy, index, policyEpoch);
  const profile = profileOf(seed, index);
  let securityDefaults = false;
  let conditionalAccess = false;
  let perUserMfa = false;
  if (profile === 'none') {
    conditionalAccess = r < 0.25;
  } else if (r >= switchOffRate(seed, epochStart)) {
    securityDefaults = profile === 'securityDefaults';
    conditionalAccess = profile === 'conditionalAccess';
    // Some tenants keep legacy per-user MFA on beside their main policy.
    perUserMfa = profile === 'perUserMfa' || r > 0.9;
  }

  const adminPeriod = between(3, 14, seed, Salt.AdminPeriod, index);
  const adminPhase = hash32(seed, Salt.AdminPeriod, index, 1) % adminPeriod;
  const adminEpoch = epochOf(day, adminPeriod, adminPhase);
  const adminsWithoutMfa =
    unit(seed, Salt.AdminMfa, index, adminEpoch) < 0.1 ? between(1, totalAdminsCount, seed, Salt.AdminMfaCount, index, adminEpoch) : 0;

  const anyPolicy = securityDefaults || conditionalAccess || perUserMfa;
  const nonAdmins = totalUsersCount - totalAdminsCount;
  const base = anyPolicy ? 0.8 + 0.2 * unit(seed, Salt.NonAdminBase, index) : 0.15 + 0.45 * unit(seed, Salt.NonAdminBase, index);
  const ratio = base + 0.08 * (unit(seed, Salt.NonAdminDrift, index, day) - 0.5);
  const compliantNonAdminsCount = min(nonAdmins, max(0, round(nonAdmins * ratio)));

  const budgetPhase = hash32(seed, Salt.BudgetPhase, index) % 30;
  const spendingBudgetSet = unit(seed, Salt.Budget, index, epochOf(day, 30, budgetPhase)) < 0.62;

  return {
    totalUsersCount,
    totalAdminsCount,
    compliantAdminsCount: totalAdminsCount - adminsWithoutMfa,
    compliantNonAdminsCount,
    securityDefaults,
    conditionalAccess,
    perUserMfa,
    mfaCompliant: anyPolicy && adminsWithoutMfa === 0,
    spendingBudgetSet,
  };
}

export function customerTenantId(seed: number, index: number): string {
  return guid(seed, Salt.Tenant, index);
}

const BRANDS = [
  'Contoso', 'Fabrikam', 'Northwind', 'Adventure Works', 'Tailspin', 'Wingtip', 'Litware', 'Proseware',
  'Woodgrove', 'Alpine Ski House', 'Coho Winery', 'Lamna', 'Relecloud', 'Trey Research', 'Wide World Importers',
  'Fourth Coffee', 'Humongous Insurance', 'Lucerne Publishing', 'Blue Yonder Airlines', 'City Power & Light',
  'Consolidated Messenger', 'VanArsdel', 'Southridge Video', 'Tasmanian Traders', 'Munson\'s Pickles',
];
const REGIONS = ['North', 'South', 'East', 'West', 'Central', 'Coastal', 'Metro', 'Highland', 'Lakeside', 'Harbour'];
const SUFFIXES = ['Ltd', 'GmbH', 'Inc.', 'B.V.', 'S.A.', 'LLC', 'Pty Ltd', 'AB'];
const NAME_COMBINATIONS = BRANDS.length * REGIONS.length * SUFFIXES.length;

/** Unique per index: a seeded walk through the name combinations, numbered once they run out. */
export function customerName(seed: number, index: number): string {
  // 7919 is prime and does not divide NAME_COMBINATIONS, so the walk visits every combination once.
  const k = (index * 7919 + hash32(seed, Salt.Name)) % NAME_COMBINATIONS;
  const brand = BRANDS[k % BRANDS.length];
  const region = REGIONS[floor(k / BRANDS.length) % REGIONS.length];
  const suffix = SUFFIXES[floor(k / (BRANDS.length * REGIONS.length))];
  const round = floor(index / NAME_COMBINATIONS);
  return `${brand} ${region} ${suffix}${round > 0 ? ` ${round + 1}` : ''}`;
}

/**
 * Where a customer's name can be read: most have a GDAP relationship and a reseller
 * relationship (both lists); some are only in Partner Center (no GDAP relationship yet),
 * some only in GDAP (no CSP reseller relationship), and a few in neither (a relationship
 * ended, the insight lingers), so every fallback of the name lookup is exercised.
 */
export function customerListing(seed: number, index: number): { delegatedAdminCustomers: boolean; partnerCenterCustomers: boolean } {
  const u = unit(seed, Salt.Listing, index);
  return { delegatedAdminCustomers: u < 0.75 || (u >= 0.88 && u < 0.94), partnerCenterCustomers: u < 0.88 };
}

/** A customer's initial domain, as Partner Center's company profile shows it. */
export function customerDomain(seed: number, index: number): string {
  return `${customerName(seed, index).toLowerCase().replace(/[^a-z0-9]/g, '')}.onmicrosoft.com`;
}

export interface CustomerAggregate {
  totalTenantCount: number;
  compliantTenantCount: number;
  customersWithSpendBudgetCount: number;
}

/** One pass over every customer: O(customers), so callers cache it per day. */
export function customerAggregate(seed: number, customers: number, day: number, churn?: number): CustomerAggregate {
  let compliantTenantCount = 0;
  let customersWithSpendBudgetCount = 0;
  for (let index = 0; index < customers; index++) {
    const customer = customerOnDay(seed, index, day, churn);
    if (customer.mfaCompliant) compliantTenantCount++;
    if (customer.spendingBudgetSet) customersWithSpendBudgetCount++;
  }
  return { totalTenantCount: customers, compliantTenantCount, customersWithSpendBudgetCount };
}

/** The partner's own tenant: its admins and users, its registration figures, its alert handling. */
interface PartnerDay {
  totalUsersCount: number;
  totalAdminsCount: number;
  adminsWithoutMfa: number;
  usersWithoutMfa: number;
  incompleteRegistrationUsersCount: number;
  securityDefaults: boolean;
  conditionalAccess: boolean;
  perUserMfa: boolean;
  ssprEnabled: number;
  ssprRegistered: number;
  ssprCapable: number;
  mfaRegistered: number;
  passwordlessCapable: number;
  averageResponseTimeInHours: number;
  securityContactProvided: boolean;
}

export function partnerTenantId(seed: number): string {
  return guid(seed, Salt.PartnerTenant);
}

function partnerDomain(seed: number): string {
  return `${BRANDS[hash32(seed, Salt.PartnerTenant) % BRANDS.length]!.toLowerCase().replace(/[^a-z]/g, '')}partner.onmicrosoft.com`;
}

export function partnerOnDay(seed: number, day: number): PartnerDay {
  const week = floor(day / 7);
  const totalAdminsCount = between(2, 6, seed, Salt.PartnerAdmins);
  const totalUsersCount = between(20, 220, seed, Salt.PartnerUsers) + between(0, 6, seed, Salt.PartnerUsers, week);
  const policyOn = unit(seed, Salt.PartnerPolicy, epochOf(day, 9, 0)) >= 0.15;
  const usesConditionalAccess = unit(seed, Salt.PartnerProfile) < 0.5;
  const adminsWithoutMfa =
    unit(seed, Salt.PartnerAdminMfa, epochOf(day, 5, 2)) < 0.25 ? between(1, totalAdminsCount, seed, Salt.PartnerAdminMfa, day) : 0;
  const nonAdminsWithoutMfa = unit(seed, Salt.PartnerUsersMfa, day) < 0.4 ? between(1, 4, seed, Salt.PartnerUsersMfa, day, 1) : 0;
  const usersWithoutMfa = adminsWithoutMfa + nonAdminsWithoutMfa;
  const incompleteRegistrationUsersCount = between(0, usersWithoutMfa, seed, Salt.PartnerRegistration, day);
  const mfaRegistered = totalUsersCount - incompleteRegistrationUsersCount - between(0, 3, seed, Salt.PartnerRegistration, day, 1);
  const ssprEnabled = totalUsersCount - between(0, 5, seed, Salt.PartnerSspr, week);
  const ssprRegistered = totalUsersCount - between(2, 10, seed, Salt.PartnerSspr, day);
  return {
    totalUsersCount,
    totalAdminsCount,
    adminsWithoutMfa,
    usersWithoutMfa,
    incompleteRegistrationUsersCount,
    securityDefaults: policyOn && !usesConditionalAccess,
    conditionalAccess: policyOn && usesConditionalAccess,
    perUserMfa: false,
    ssprEnabled,
    ssprRegistered,
    ssprCapable: min(ssprEnabled, ssprRegistered) - between(0, 2, seed, Salt.PartnerSspr, day, 1),
    mfaRegistered,
    passwordlessCapable: floor(mfaRegistered * (0.2 + 0.1 * unit(seed, Salt.PartnerRegistration, week, 2))),
    averageResponseTimeInHours: round((0.5 + 35 * unit(seed, Salt.ResponseTime, epochOf(day, 3, 1))) * 10) / 10,
    securityContactProvided: unit(seed, Salt.SecurityContact, epochOf(day, 10, 4)) < 0.85,
  };
}

interface NonMfaSignIn {
  objectId: string;
  upn: string;
  /** Epoch milliseconds. */
  at: number;
}

/** Partner Center keeps 7 days and at most 10,000 records. */
const NON_MFA_WINDOW_DAYS = 7;
const NON_MFA_MAX_RECORDS = 10_000;

export function nonMfaWindowSize(signInsPerDay: number): number {
  return min(NON_MFA_MAX_RECORDS, NON_MFA_WINDOW_DAYS * signInsPerDay);
}

export function dayStartMs(startDate: string, day: number): number {
  return Date.parse(`${startDate}T00:00:00Z`) + day * DAY_MS;
}

/**
 * The record at `position` (0 = most recent) of the window seen on `day`. Each day has
 * exactly `signInsPerDay` non-MFA requests spread over the day; the simulated "now" is
 * the end of the current day, so its requests are all visible. A principal (one of the
 * partner's users) can appear many times.
 */
export function nonMfaSignInAt(seed: number, startDate: string, signInsPerDay: number, day: number, position: number): NonMfaSignIn {
  const recordDay = day - floor(position / signInsPerDay);
  const k = signInsPerDay - 1 - (position % signInsPerDay);
  const slot = DAY_MS / signInsPerDay;
  const at = dayStartMs(startDate, recordDay) + floor((k + unit(seed, Salt.NonMfaTime, recordDay, k)) * slot);
  const users = partnerOnDay(seed, recordDay).totalUsersCount;
  const user = hash32(seed, Salt.NonMfaUser, recordDay, k) % users;
  return { objectId: guid(seed, Salt.PartnerUser, user), upn: `user${user + 1}@${partnerDomain(seed)}`, at };
}
