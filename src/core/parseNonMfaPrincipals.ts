import type { NonMfaPrincipal } from './model';
import { PayloadReader } from './payloadReader';

/** One item of Partner Center's nonMfaCompliantPartnerPrincipals (both documented date-field names). */
export function parseNonMfaPrincipal(item: unknown, path: string): NonMfaPrincipal {
  const reader = PayloadReader.of(item, path);
  const dateField = reader.firstPresent('lastNonMfaCompliantRequestDateTime', 'lastNonMfaCompliantLoginDateTime');
  return {
    objectId: reader.requiredString('objectId').toLowerCase(),
    tenantId: reader.optionalString('tenantId')?.toLowerCase() ?? null,
    upn: reader.optionalString('upn'),
    lastNonMfaRequestDateTime: reader.requiredTimestamp(dateField ?? 'lastNonMfaCompliantRequestDateTime'),
  };
}
