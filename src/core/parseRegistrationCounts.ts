import type { RegistrationCounts } from './model';
import { PayloadReader } from './payloadReader';

/**
 * The legacy beta `getCredentialUserRegistrationCount` collection. Returns null when the
 * collection is empty, which callers treat like a refusal (fall back to the replacement).
 * The seed documents misspelled inner names (`userRegistrationStatus`, `userRegistationCount`).
 */
export function parseCredentialUserRegistrationCount(body: unknown, path: string): RegistrationCounts | null {
  const collection = PayloadReader.of(body, path);
  const first = collection.array('value')[0];
  if (first === undefined) return null;
  const reader = PayloadReader.of(first, `${path}.value[0]`);
  const countsByStatus: Record<string, number> = {};
  reader.array('userRegistrationCounts').forEach((entry, index) => {
    const count = PayloadReader.of(entry, `${reader.path}.userRegistrationCounts[${index}]`);
    const status = count.requiredString(count.firstPresent('registrationStatus', 'userRegistrationStatus') ?? 'registrationStatus');
    const value = count.optionalInteger(count.firstPresent('registrationCount', 'userRegistrationCount', 'userRegistationCount') ?? 'registrationCount');
    if (value !== null) countsByStatus[status] = value;
  });
  return {
    report: 'credentialUserRegistrationCount',
    totalUserCount: reader.optionalInteger('totalUserCount'),
    mfaRegisteredUserCount: countsByStatus.mfaRegistered ?? null,
    countsByStatus,
  };
}

/** The v1.0 `usersRegisteredByFeature` report, used when the legacy one is refused or empty. */
export function parseUsersRegisteredByFeature(body: unknown, path: string): RegistrationCounts {
  const reader = PayloadReader.of(body, path);
  const countsByStatus: Record<string, number> = {};
  reader.array('userRegistrationFeatureCounts').forEach((entry, index) => {
    const count = PayloadReader.of(entry, `${path}.userRegistrationFeatureCounts[${index}]`);
    const value = count.optionalInteger('userCount');
    if (value !== null) countsByStatus[count.requiredString('feature')] = value;
  });
  return {
    report: 'usersRegisteredByFeature',
    totalUserCount: reader.optionalInteger('totalUserCount'),
    mfaRegisteredUserCount: countsByStatus.mfaCapable ?? null,
    countsByStatus,
  };
}
