/*
 * Canonical documents (dataset.ts) to the JSON the services put on the wire, with the
 * day's format quirks (quirks.ts): numeric strings, hashless nested types, misspelled
 * property names. Pure functions; the result is a plain JSON object.
 */
import type { DayQuirks } from './quirks';
import type {
  ExpectedCustomerInsight, ExpectedNonMfaPrincipal, ExpectedRegistrationCounts, ExpectedRequirement,
  ExpectedScoreHistoryEntry, ExpectedSecurityScore,
} from './types';

export type JsonObject = Record<string, unknown>;

/** Edm.Single properties per document; every other number is Int64. */
const SCORE_SINGLES: ReadonlySet<string> = new Set(['currentScore', 'maxScore']);
const REQUIREMENT_SINGLES: ReadonlySet<string> = new Set(['score', 'averageResponseTimeInHours']);
const HISTORY_SINGLES: ReadonlySet<string> = new Set(['score']);
const NO_SINGLES: ReadonlySet<string> = new Set();

function quirkyNumber(value: number, single: boolean, quirks: DayQuirks): number | string {
  return (single ? quirks.singleAsString : quirks.int64AsString) ? String(value) : value;
}

/** Numeric properties of a flat document as numbers or numeric strings, per the day's quirks. */
function withQuirkyNumbers(quirks: DayQuirks, source: object, singles: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const [field, value] of Object.entries(source)) {
    out[field] = typeof value === 'number' ? quirkyNumber(value, singles.has(field), quirks) : value;
  }
  return out;
}

export function wireRequirement(requirement: ExpectedRequirement, quirks: DayQuirks): JsonObject {
  // The legacy shape (seed 002) has an Int64 currentScore and no Single field.
  return withQuirkyNumbers(quirks, requirement, 'securityRequirementType' in requirement ? NO_SINGLES : REQUIREMENT_SINGLES);
}

export function wireSecurityScore(score: ExpectedSecurityScore, quirks: DayQuirks): JsonObject {
  return withQuirkyNumbers(quirks, score, SCORE_SINGLES);
}

export function wireScoreHistoryEntry(entry: ExpectedScoreHistoryEntry, quirks: DayQuirks): JsonObject {
  return withQuirkyNumbers(quirks, entry, HISTORY_SINGLES);
}

export function wireCustomerInsight(insight: ExpectedCustomerInsight, quirks: DayQuirks): JsonObject {
  const nestedType = `${quirks.hashlessNestedType ? '' : '#'}microsoft.graph.partner.security.customerMfaInsight`;
  return {
    '@odata.type': '#microsoft.graph.partner.security.customerInsight',
    tenantId: insight.tenantId,
    mfa: { '@odata.type': nestedType, ...withQuirkyNumbers(quirks, insight.mfa, NO_SINGLES) },
  };
}

export function wireNonMfaPrincipal(principal: ExpectedNonMfaPrincipal, loginFieldName: boolean): JsonObject {
  if (!loginFieldName) return { ...principal };
  const { lastNonMfaCompliantRequestDateTime, ...rest } = principal;
  return { ...rest, lastNonMfaCompliantLoginDateTime: lastNonMfaCompliantRequestDateTime };
}

export function wireCredentialRegistrationCount(
  counts: ExpectedRegistrationCounts['credentialUserRegistrationCount'],
  quirks: DayQuirks,
): JsonObject {
  return {
    id: counts.id,
    totalUserCount: quirkyNumber(counts.totalUserCount, false, quirks),
    userRegistrationCounts: counts.userRegistrationCounts.map((entry) =>
      quirks.misspelledRegistrationCounts
        ? { userRegistrationStatus: entry.registrationStatus, userRegistationCount: quirkyNumber(entry.registrationCount, false, quirks) }
        : { registrationStatus: entry.registrationStatus, registrationCount: quirkyNumber(entry.registrationCount, false, quirks) },
    ),
  };
}

export function wireUsersRegisteredByFeature(
  summary: ExpectedRegistrationCounts['usersRegisteredByFeature']['all'],
  userRoles: string,
  userTypes: string,
): JsonObject {
  // A v1.0 API: no beta quirks here.
  return { ...summary, userRoles, userTypes };
}
