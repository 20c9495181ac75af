/**
 * Microsoft's enumerations in words, for people. The API keeps the raw value (a script compares
 * it); every message and the dashboard show these words. Each table lists the values the Graph
 * reference documents for the type (microsoft.graph.partner.security.complianceStatus,
 * policyStatus, securityRequirementState, securityRequirementType; userRegistrationDetails's methods); a value it does not list yet
 * is shown as served, quoted, so nothing newer is hidden or mislabelled.
 */
export const enumerationWords = {
  // `noncomplaint` is the documented spelling (sic); `nonCompliant` is accepted too.
  complianceStatus: { compliant: 'compliant', noncomplaint: 'not compliant', nonCompliant: 'not compliant', unknownFutureValue: 'unknown' },
  policyStatus: { enabled: 'on', disabled: 'off', unknownFutureValue: 'unknown' },
  requirementState: { active: 'in force', preview: 'in preview', unknownFutureValue: 'unknown' },
  requirementType: {
    mfaEnforcedForAdmins: 'MFA for the partner’s admins',
    mfaEnforcedForAdminsOfCustomers: 'MFA for customers’ admins',
    mfaEnforcedForAuthenticationOfAdminUsers: 'MFA when admins sign in',
    mfaEnforcedForAuthenticationOfAllUsers: 'MFA when any user signs in',
    securityAlertsPromptlyResolved: 'security alerts resolved promptly',
    securityContactProvided: 'security contact provided',
    spendingBudgetSetForCustomerAzureSubscriptions: 'spending budget set on customers’ Azure subscriptions',
    unknownFutureValue: 'unknown requirement',
  },
  // userRegistrationDetails.methodsRegistered: the reference names some ("such as mobilePhone, email, fido2") and its examples more; the names the fallback gives each authenticationMethod type are the same.
  authenticationMethod: {
    mobilePhone: 'mobile phone',
    alternateMobilePhone: 'alternate mobile phone',
    officePhone: 'office phone',
    email: 'email',
    microsoftAuthenticatorPush: 'Microsoft Authenticator (push)',
    microsoftAuthenticatorPasswordless: 'Microsoft Authenticator (passwordless)',
    softwareOneTimePasscode: 'authenticator app code',
    hardwareOneTimePasscode: 'hardware token code',
    fido2: 'FIDO2 security key',
    windowsHelloForBusiness: 'Windows Hello for Business',
    macOsSecureEnclaveKey: 'macOS platform credential',
    temporaryAccessPass: 'Temporary Access Pass',
  },
} as const satisfies Record<string, Record<string, string>>;

export type Enumeration = keyof typeof enumerationWords;

/** The words for a served value; `unknown` for none, the value itself, quoted, when the table does not know it yet. */
export function inWords(enumeration: Enumeration, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return 'unknown';
  const words: Readonly<Record<string, string>> = enumerationWords[enumeration];
  return Object.hasOwn(words, value) ? (words[value] ?? value) : `“${value}”`;
}
