/*
 * Which documented quirk variants are served on a given day (see
 * shared/reference/microsoft-apis.md). Each one shows up on some days and not on others,
 * so a client that only handles the common shape fails within a few simulated days.
 */
import { hash32, unit } from './random';

export interface DayQuirks {
  /** securityScore singleton served as `{"value": {...}}`. */
  wrapSingleton: boolean;
  /** Non-compliant spelled `nonCompliant` instead of the real enum value `noncomplaint`. */
  nonCompliantSpelling: boolean;
  /** Single fields (score, currentScore, maxScore of the score, averageResponseTimeInHours) as numeric strings. */
  singleAsString: boolean;
  /** Int64 fields as numeric strings (OData IEEE754Compatible style). */
  int64AsString: boolean;
  /** Requirement ids are GUIDs rather than their requirementType (adminsMfa always, with quirks on). */
  guidRequirementIds: boolean;
  /** Nested `@odata.type` without its leading `#` (customerInsight.mfa). */
  hashlessNestedType: boolean;
  /** The legacy mfaEnforcedSecurityRequirement items (seed 002) served beside the current ones. */
  legacyRequirements: boolean;
  /** The seed's misspelled `userRegistrationStatus` / `userRegistationCount`. */
  misspelledRegistrationCounts: boolean;
}

enum Salt { Day = 200, LoginField }

const NONE: DayQuirks = {
  wrapSingleton: false,
  nonCompliantSpelling: false,
  singleAsString: false,
  int64AsString: false,
  guidRequirementIds: false,
  hashlessNestedType: false,
  legacyRequirements: false,
  misspelledRegistrationCounts: false,
};

export function quirksOfDay(seed: number, day: number, enabled: boolean): DayQuirks {
  if (!enabled) return NONE;
  const bits = hash32(seed, Salt.Day, day);
  return {
    wrapSingleton: (bits & 1) === 1,
    nonCompliantSpelling: (bits & 6) === 0,
    singleAsString: (bits & 8) === 8,
    int64AsString: (bits & 48) === 0,
    guidRequirementIds: (bits & 64) === 64,
    hashlessNestedType: true,
    legacyRequirements: true,
    misspelledRegistrationCounts: (bits & 384) !== 0 && (bits & 384) !== 384,
  };
}

/** One Partner Center item in ten names its timestamp `lastNonMfaCompliantLoginDateTime`. */
export function usesLoginFieldName(seed: number, enabled: boolean, recordAt: number): boolean {
  return enabled && unit(seed, Salt.LoginField, Math.floor(recordAt / 1000), recordAt % 1000) < 0.1;
}
