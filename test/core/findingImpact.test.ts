import { findingImpact, type ImpactInput } from '../../src/core/findingImpact';

/*
 * What each kind exposes, from Microsoft's descriptions of what the monitor reads:
 * - securityRequirement.complianceStatus "indicates whether the partner is compliant with this
 *   requirement" (https://learn.microsoft.com/graph/api/resources/partner-security-adminsmfaenforcedsecurityrequirement):
 *   the partner as a whole, so above any one customer;
 * - customerMfaInsight's policy statuses and compliantAdminsCount
 *   (https://learn.microsoft.com/graph/api/resources/partner-security-customermfainsight): a tenant
 *   with every MFA policy off, or no compliant admin, has no MFA left, above a share that dropped;
 * - nonMfaCompliantPartnerPrincipals lists "the most recent requests from users accessing Partner
 *   Center without completing MFA" (https://learn.microsoft.com/partner-center/developer/get-portal-requests-without-mfa):
 *   a recent one first;
 * - userRegistrationDetails.isMfaRegistered (https://learn.microsoft.com/graph/api/resources/userregistrationdetails):
 *   false means the admin has registered no strong method, so cannot do MFA at all: one privileged account as open as a
 *   partner user seen without MFA; Conditional Access "Require MFA for administrators"
 *   (https://learn.microsoft.com/entra/identity/conditional-access/howto-conditional-access-policy-admin-mfa): accounts with
 *   admin rights are the ones attackers target, which is why being required matters, but an admin not required may still
 *   use the method they have, so it ranks lower;
 * - a customer the monitor cannot see into hides everything in it, as a source it cannot read does.
 */

function finding(overrides: Partial<ImpactInput>): ImpactInput {
  return { kind: 'customerNonAdminShareFell', severity: 'warning', key: 'customer/t/compliantNonAdminShare', baseline: 80, current: 70, openedAt: '2026-12-01T00:00:00.000Z', ...overrides };
}

const rank = (findings: Record<string, ImpactInput>) =>
  Object.entries(findings)
    .sort(([, left], [, right]) => findingImpact(right) - findingImpact(left))
    .map(([name]) => name);

describe('findingImpact', () => {
  it('when critical findings of every kind are ranked, then the partner failing a requirement comes first, customers without MFA next, then sign-ins without MFA, then an unreadable source', () => {
    expect(rank({
      source: finding({ kind: 'sourceUnavailable', severity: 'critical', key: 'source/partnerSecurity/unavailable', baseline: 0, current: 3 }),
      signIn: finding({ kind: 'nonMfaSignIn', severity: 'critical', key: 'principal/p1/2026-12-01T08:00:00Z', baseline: 0, current: 1 }),
      noPolicy: finding({ kind: 'customerPolicyDisabled', severity: 'critical', key: 'customer/t/securityDefaultsStatus', baseline: 'enabled', current: 'disabled' }),
      requirement: finding({ kind: 'requirementNotCompliant', severity: 'critical', key: 'requirement/mfaEnforcedForAdmins/complianceStatus', baseline: 'compliant', current: 'noncomplaint' }),
    })).toEqual(['requirement', 'noPolicy', 'signIn', 'source']);
  });

  it('when a customer lost all its compliant admins and another lost a share of its users, then the one without admins outranks it, and losing more admins outranks losing fewer', () => {
    expect(rank({
      share: finding({ baseline: 90, current: 40 }),
      fewerAdmins: finding({ kind: 'customerCompliantAdminsFell', key: 'customer/a/compliantAdminsCount', baseline: 5, current: 2 }),
      lostOneOfOne: finding({ kind: 'customerCompliantAdminsFell', key: 'customer/b/compliantAdminsCount', baseline: 1, current: 0 }),
      lostAllThree: finding({ kind: 'customerCompliantAdminsFell', key: 'customer/c/compliantAdminsCount', baseline: 3, current: 0 }),
    })).toEqual(['lostAllThree', 'lostOneOfOne', 'share', 'fewerAdmins']);
  });

  it('when partner users signed in without MFA, then the most recent sign-in ranks first, whatever the detector run that saw them', () => {
    const seen = '2026-12-02T00:00:00.000Z';
    expect(rank({
      older: finding({ kind: 'nonMfaSignIn', severity: 'critical', key: 'principal/p1/2026-11-30T08:00:00Z', openedAt: seen }),
      newer: finding({ kind: 'nonMfaSignIn', severity: 'critical', key: 'principal/p2/2026-12-01T09:30:00Z', openedAt: seen }),
      middle: finding({ kind: 'nonMfaSignIn', severity: 'critical', key: 'principal/p3/2026-12-01T09:00:00Z', openedAt: seen }),
    })).toEqual(['newer', 'middle', 'older']);
  });

  it('when compliant customer tenants fell, then more tenants affected (baseline minus current) ranks higher, and every impact stays below the next whole number', () => {
    const tenants = (baseline: number, current: number) => finding({ kind: 'compliantTenantsFell', key: 'requirement/x/compliantTenants', baseline, current });
    expect(rank({ two: tenants(20, 18), twelve: tenants(20, 8), one: tenants(20, 19) })).toEqual(['twelve', 'two', 'one']);
    expect(Math.floor(findingImpact(tenants(10_000, 0)))).toBe(1);
    expect(Math.floor(findingImpact(finding({ kind: 'nonMfaSignIn', key: 'principal/p/2099-12-31T23:59:59Z' })))).toBe(3);
  });

  it('when one MFA policy is switched off while another still covers the tenant, then it ranks below the customer left with none', () => {
    const policy = (severity: ImpactInput['severity']) => finding({ kind: 'customerPolicyDisabled', severity, key: 'customer/t/mfaConditionalAccessPolicyStatus', baseline: 'enabled', current: 'disabled' });
    expect(findingImpact(policy('critical'))).toBeGreaterThan(findingImpact(policy('warning')));
  });

  it("when a customer's admin has no MFA method, then it ranks with a partner user seen without MFA (below them: not proven used), above an unreadable source and a fall", () => {
    const sighting = finding({ kind: 'nonMfaSignIn', severity: 'critical', key: 'principal/p1/2026-12-01T08:00:00Z', baseline: 0, current: 1 });
    const noMethod = finding({ kind: 'adminWithoutMfaMethod', severity: 'critical', key: 'admins/t/u/mfaMethod', baseline: 0, current: 1 });
    const source = finding({ kind: 'sourceUnavailable', severity: 'critical', key: 'source/partnerSecurity/unavailable', baseline: 0, current: 3 });
    const noPolicy = finding({ kind: 'customerPolicyDisabled', severity: 'critical', key: 'customer/t/securityDefaultsStatus', baseline: 'enabled', current: 'disabled' });
    expect(rank({ source, noMethod, sighting, noPolicy })).toEqual(['noPolicy', 'sighting', 'noMethod', 'source']);
    expect(Math.floor(findingImpact(noMethod))).toBe(3);
  });

  it("when the monitor cannot see into a customer, then it ranks as a source it cannot read does; an admin no policy requires MFA of ranks below both", () => {
    const hidden = finding({ kind: 'customerNotVisible', key: 'admins/t/visibility', baseline: 1, current: 0 });
    const notRequired = finding({ kind: 'adminMfaNotRequired', key: 'admins/t/u/mfaRequired', baseline: 0, current: 1 });
    const share = finding({ baseline: 90, current: 89.5 });
    expect(Math.floor(findingImpact(hidden))).toBe(Math.floor(findingImpact(finding({ kind: 'sourceUnavailable', key: 'source/x/unavailable', baseline: 0, current: 1 }))));
    expect(rank({ notRequired, hidden, share })).toEqual(['hidden', 'notRequired', 'share']);
    expect(findingImpact(notRequired)).toBeLessThan(2);
  });
});
