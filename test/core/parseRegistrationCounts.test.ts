import { parseCredentialUserRegistrationCount, parseUsersRegisteredByFeature } from '../../src/core/parseRegistrationCounts';

describe('parseCredentialUserRegistrationCount', () => {
  it('when the documented names are used, then every status count is read and mfaRegistered is the MFA count', () => {
    const counts = parseCredentialUserRegistrationCount(
      { value: [{ id: 'x', totalUserCount: 100, userRegistrationCounts: [{ registrationStatus: 'registered', registrationCount: 60 }, { registrationStatus: 'mfaRegistered', registrationCount: '55' }] }] },
      'r',
    );
    expect(counts).toEqual({ report: 'credentialUserRegistrationCount', totalUserCount: 100, mfaRegisteredUserCount: 55, countsByStatus: { registered: 60, mfaRegistered: 55 } });
  });

  it("when the seed's misspelled names are used, then they are read the same", () => {
    const counts = parseCredentialUserRegistrationCount(
      { value: [{ id: 'id-value', totalUserCount: 23123, userRegistrationCounts: [{ userRegistrationStatus: 'registered', userRegistationCount: 23423 }] }] },
      'r',
    );
    expect(counts?.countsByStatus).toEqual({ registered: 23423 });
    expect(counts?.mfaRegisteredUserCount).toBeNull();
  });

  it('when the collection is empty, then there is nothing (the caller falls back)', () => {
    expect(parseCredentialUserRegistrationCount({ value: [] }, 'r')).toBeNull();
  });
});

describe('parseUsersRegisteredByFeature', () => {
  it('when the replacement report arrives, then mfaCapable is the MFA count', () => {
    expect(
      parseUsersRegisteredByFeature({ totalUserCount: 40, userRegistrationFeatureCounts: [{ feature: 'mfaCapable', userCount: 30 }, { feature: 'ssprRegistered', userCount: 12 }] }, 'r'),
    ).toEqual({ report: 'usersRegisteredByFeature', totalUserCount: 40, mfaRegisteredUserCount: 30, countsByStatus: { mfaCapable: 30, ssprRegistered: 12 } });
  });
});
