/*
 * Schema drift applied to served items by a `drift` fault: what a client must survive
 * when Microsoft adds properties, enum members or subtypes, or stops sending a field.
 */
import type { DriftMode } from './types';
import type { JsonObject } from './wireFormat';

/** Enum-typed properties of the served documents. */
const ENUM_FIELDS = new Set([
  'complianceStatus', 'state', 'securityDefaultsStatus', 'mfaConditionalAccessPolicyStatus', 'legacyPerUserMfaStatus',
  'perUserMfaStatus', 'registrationStatus', 'userRegistrationStatus', 'feature',
]);

/** Removed by `missingField` without a `field`: the first of these an item has. */
const DEFAULT_MISSING = ['complianceStatus', 'mfa', 'lastNonMfaCompliantRequestDateTime', 'userRegistrationCounts', 'userRegistrationFeatureCounts', 'currentScore'];

/** A requirement subtype the client cannot know: it must fall back to the base type. */
export const FUTURE_REQUIREMENT: JsonObject = {
  '@odata.type': '#microsoft.graph.partner.security.passwordlessEnforcedSecurityRequirement',
  id: 'passwordlessEnforcedForAdmins',
  requirementType: 'passwordlessEnforcedForAdmins',
  complianceStatus: 'unknownFutureValue',
  score: 0,
  maxScore: 10,
  state: 'preview',
  actionUrl: 'https://aka.ms/partner-center-security-passwordless',
  helpUrl: 'https://aka.ms/partner-center-security-dashboard-passwordless',
  updatedDateTime: '2026-01-01T03:00:00Z',
  passwordlessAdminsCount: 0,
};

function mapDeep(value: unknown, visit: (item: JsonObject, index: number) => JsonObject, index: number): unknown {
  if (Array.isArray(value)) return value.map((entry, i) => mapDeep(entry, visit, i));
  if (value === null || typeof value !== 'object') return value;
  const copy: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) copy[key] = mapDeep(inner, visit, index);
  return visit(copy, index);
}

export function applyDrift(items: JsonObject[], mode: DriftMode, field?: string): JsonObject[] {
  switch (mode) {
    case 'extraFields':
      return items.map((item) => mapDeep(item, (object) => ({ ...object, futureFlag: true, futureDetails: { addedIn: 'beta', weight: 1.5 } }), 0) as JsonObject);
    case 'unknownFutureValue':
      // Alternate between the OData sentinel and a brand new member, on every enum property (or just `field`).
      return items.map((item, i) => mapDeep(item, (object) => {
        for (const key of Object.keys(object)) {
          if (typeof object[key] === 'string' && (field ? key === field : ENUM_FIELDS.has(key))) {
            object[key] = i % 2 === 0 ? 'unknownFutureValue' : 'partiallyEnforced';
          }
        }
        return object;
      }, i) as JsonObject);
    case 'missingField':
      return items.map((item) => {
        const removed = field ?? DEFAULT_MISSING.find((name) => name in item);
        return mapDeep(item, (object) => {
          if (removed !== undefined) delete object[removed];
          return object;
        }, 0) as JsonObject;
      });
  }
}
