import { enumerationWords, inWords } from '../../src/core/wording';

describe('Microsoft enumerations in words', () => {
  // The Graph reference (seeds 000-002: customerMfaInsight, customersMfaEnforcedSecurityRequirement,
  // mfaEnforcedSecurityRequirement) lists the possible values of each enumeration the monitor shows.
  it('when a documented value is shown, then people read words, the misspelt `noncomplaint` included', () => {
    expect(inWords('complianceStatus', 'noncomplaint')).toBe('not compliant');
    expect(inWords('complianceStatus', 'compliant')).toBe('compliant');
    expect(inWords('policyStatus', 'disabled')).toBe('off');
    expect(inWords('requirementState', 'preview')).toBe('in preview');
    expect(inWords('requirementType', 'mfaEnforcedForAdminsOfCustomers')).toBe('MFA for customers’ admins');
  });

  it('when every documented value is listed, then each enumeration has words for all of them', () => {
    // "The possible values are: `compliant`, `noncomplaint`, `unknownFutureValue`" (complianceStatus), etc.
    expect(Object.keys(enumerationWords.complianceStatus)).toEqual(expect.arrayContaining(['compliant', 'noncomplaint', 'unknownFutureValue']));
    expect(Object.keys(enumerationWords.policyStatus)).toEqual(['enabled', 'disabled', 'unknownFutureValue']);
    expect(Object.keys(enumerationWords.requirementState)).toEqual(['active', 'preview', 'unknownFutureValue']);
    expect(Object.keys(enumerationWords.requirementType)).toEqual(expect.arrayContaining(['mfaEnforcedForAdmins', 'mfaEnforcedForAdminsOfCustomers', 'securityAlertsPromptlyResolved', 'securityContactProvided', 'spendingBudgetSetForCustomerAzureSubscriptions', 'unknownFutureValue']));
  });

  it('when a value is newer than the table, missing, or an inherited property name, then it is shown as served or as unknown, never hidden', () => {
    expect(inWords('policyStatus', 'enforcedSomehow')).toBe('“enforcedSomehow”');
    expect(inWords('policyStatus', null)).toBe('unknown');
    expect(inWords('policyStatus', 'toString')).toBe('“toString”');
  });
});
