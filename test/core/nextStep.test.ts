import { cannotSeeReasonNames, cannotSeeReasons } from '../../src/core/adminScan';
import { entraUrl } from '../../src/core/entraLinks';
import type { Finding } from '../../src/core/findings';
import { nextStep } from '../../src/core/nextStep';
import { adminNotRequired, adminWithoutMethod, contosoTenant, jane, notVisible } from '../support/customerAdminFindings';

const tenant = 'a0000000-0000-0000-0000-000000000001';

function finding(overrides: Partial<Finding>): Finding {
  return { key: 'k', kind: 'customerPolicyDisabled', severity: 'warning', subject: { type: 'customer', id: tenant }, measure: 'securityDefaultsStatus', state: 'open', baseline: 'enabled', current: 'disabled', openedAt: '', resolvedAt: null, event: false, ...overrides };
}

describe('nextStep', () => {
  it('when a blade is asked for a tenant, then the link pins that directory; without one, the signed-in directory', () => {
    expect(entraUrl(tenant, 'conditionalAccess')).toBe(`https://entra.microsoft.com/#@${tenant}/blade/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/Policies`);
    expect(entraUrl(null, 'signInLogs')).toBe('https://entra.microsoft.com/#blade/Microsoft_AAD_IAM/SignInEventsV3Blade');
  });

  it.each([
    ['securityDefaultsStatus', 'Properties'],
    ['mfaConditionalAccessPolicyStatus', 'ConditionalAccessBlade/Policies'],
    ['compliantAdminsCount', 'SignInEventsV3Blade'],
    ['mfaPoliciesEnabled', 'Properties'],
  ])("when a customer's %s regresses, then the step opens that tenant's admin center where it is fixed", (measure, blade) => {
    const step = nextStep(finding({ measure }), null);
    expect(step.url).toMatch(new RegExp(`^https://entra\\.microsoft\\.com/#@${tenant}/blade/.*${blade}$`));
    expect(step.text.length).toBeGreaterThan(20);
  });

  it('when a requirement has no links from the API, then its step has none rather than a made-up one', () => {
    expect(nextStep(finding({ kind: 'requirementNotCompliant', subject: { type: 'requirement', id: 'securityContactProvided' }, measure: 'complianceStatus' }), 'https://monitor.example').url).toBeNull();
  });

  it('when a source fails with a code the monitor has no fix for, then the step asks to fix what the error names', () => {
    const step = nextStep(finding({ kind: 'sourceUnavailable', subject: { type: 'source', id: 'registrationCounts' }, measure: 'consecutiveFailedRuns', detail: 'Gone: Graph answered 410' }), 'https://monitor.example/');
    expect(step).toEqual({ text: 'Fix what the last error names, then run the collector again', url: 'https://monitor.example/api/dashboard#finding=k' });
  });

  it("when a customer's admin has no MFA method, then the step is to register one, on that admin's user page in the customer's Entra admin center", () => {
    // Microsoft Entra, "Manage user authentication methods for Microsoft Entra multifactor authentication"
    // (learn.microsoft.com/entra/identity/authentication/howto-mfa-userdevicesettings): an admin adds a user's methods
    // under Users, the user, Authentication methods, the blade the user's profile opens on.
    const step = nextStep(adminWithoutMethod(), null);
    expect(step.url).toBe(`https://entra.microsoft.com/#@${contosoTenant}/blade/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${jane.userId}`);
    expect(step.text).toMatch(/register an MFA method/);
  });

  it("when no policy requires MFA of a customer's admin, then the step is a Conditional Access policy, in that tenant's Conditional Access blade", () => {
    // Microsoft Entra, "Require MFA for administrators" (learn.microsoft.com/entra/identity/conditional-access/
    // howto-conditional-access-policy-admin-mfa): include the admin directory roles, exclude the emergency access accounts.
    const step = nextStep(adminNotRequired(), null);
    expect(step.url).toBe(entraUrl(contosoTenant, 'conditionalAccess'));
    expect(step.text).toMatch(/^Require MFA of this admin: .*Conditional Access policy.*emergency access accounts/);
  });

  it.each(cannotSeeReasonNames)('when the monitor cannot see into a customer because of %s, then the step is that reason\'s, linked to the customer on the dashboard', (reason) => {
    const step = nextStep(notVisible(`${reason}: AADSTS700016 the service's words`), 'https://monitor.example');
    expect(step).toEqual({ text: cannotSeeReasons[reason].nextStep, url: `https://monitor.example/api/dashboard#customer=${contosoTenant}` });
    expect(nextStep(notVisible(reason), null).text).toBe(cannotSeeReasons[reason].nextStep);
  });

  it('when the reason is one this version does not know, then the step still points at the GDAP relationship rather than at nothing', () => {
    expect(nextStep(notVisible('somethingNewer: detail'), null).text).toMatch(/GDAP relationship/);
  });
});
