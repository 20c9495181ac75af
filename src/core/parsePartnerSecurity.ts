import { PayloadError } from './errors';
import { readMeasures, readRequirementFields, requirementKinds, type CustomerMfaInsight, type PartnerSecurityScore, type ScoreHistoryEntry, type SecurityRequirement } from './model';
import { PayloadReader, isPlainObject } from './payloadReader';
import { isOneOf } from './text';

const typePrefix = '#microsoft.graph.partner.security.';

/** The singleton is documented both wrapped in `{"value": {...}}` and bare: accept both. */
export function parsePartnerSecurityScore(body: unknown, path = 'securityScore'): PartnerSecurityScore {
  const unwrapped = isPlainObject(body) && isPlainObject(body.value) ? body.value : body;
  const reader = PayloadReader.of(unwrapped, path);
  return {
    id: reader.optionalString('id'),
    currentScore: reader.optionalSingle('currentScore'),
    maxScore: reader.optionalSingle('maxScore'),
    lastRefreshDateTime: reader.optionalTimestamp('lastRefreshDateTime'),
    updatedDateTime: reader.optionalTimestamp('updatedDateTime'),
  };
}

/** `@odata.type` may arrive without its leading `#`. */
function normaliseODataType(value: string | null): string | null {
  if (value === null) return null;
  return value.startsWith('#') ? value : `#${value}`;
}

export function parseSecurityRequirement(item: unknown, path: string): SecurityRequirement {
  const reader = PayloadReader.of(item, path);
  const odataType = normaliseODataType(reader.optionalString('@odata.type'));
  const shortType = odataType?.startsWith(typePrefix) ? odataType.slice(typePrefix.length) : null;
  // Unknown future subtypes fall back to the base type: their base fields still mean the same.
  const kind = shortType !== null && isOneOf(requirementKinds, shortType) ? shortType : 'securityRequirement';
  const id = reader.optionalString('id');
  const requirementType = reader.optionalString('requirementType') ?? reader.optionalString('securityRequirementType') ?? id;
  if (requirementType === null) {
    throw new PayloadError(`${path}: expected requirementType, securityRequirementType or id, got none of them`);
  }
  return {
    requirementType,
    kind,
    odataType,
    id,
    ...readRequirementFields((name, kind, servedAs) => {
      const served = reader.firstPresent(...servedAs) ?? name;
      if (kind === 'integer') return reader.optionalInteger(served);
      if (kind === 'single') return reader.optionalSingle(served);
      return kind === 'time' ? reader.optionalTimestamp(served) : reader.optionalString(served);
    }),
  };
}

export function parseCustomerInsight(item: unknown, path: string): CustomerMfaInsight {
  const reader = PayloadReader.of(item, path);
  const tenantId = reader.requiredString('tenantId');
  // A customer without an `mfa` object is still a customer: every measure is then unknown.
  const mfa = reader.child('mfa') ?? PayloadReader.of({}, `${path}.mfa`);
  return readMeasures(tenantId.toLowerCase(), (name, kind) => (kind === 'count' ? mfa.optionalInteger(name) : mfa.optionalString(name)));
}

export function parseScoreHistoryEntry(item: unknown, path: string): ScoreHistoryEntry {
  const reader = PayloadReader.of(item, path);
  return {
    id: reader.optionalString('id'),
    createdDateTime: reader.requiredTimestamp('createdDateTime'),
    score: reader.optionalSingle('score'),
    compliantRequirementsCount: reader.optionalInteger('compliantRequirementsCount'),
    totalRequirementsCount: reader.optionalInteger('totalRequirementsCount'),
  };
}
