import type { TenantAdmin, TenantAdminScan } from '../../src/core/adminScan';
import { defaultThresholds, detectRegressions } from '../../src/core/detectRegressions';
import type { Finding } from '../../src/core/findings';

/*
 * The customer-admin findings are conditions the issue names ("an admin without a registered MFA
 * method; an admin whom no policy requires to use MFA; a customer the monitor cannot see into"):
 * open while they hold, from the first run that sees them, resolved when a run sees them no longer.
 */
const tenant = 'a1b2c3d4-0000-4000-8000-000000000001';
const other = 'b1b2c3d4-0000-4000-8000-000000000002';

function admin(userId: string, overrides: Partial<TenantAdmin> = {}): TenantAdmin {
  return { userId, userPrincipalName: `${userId}@contoso.example`, displayName: `Admin ${userId}`, roleTemplateIds: [], roleNames: ['Global Administrator'], isMfaRegistered: true, isMfaCapable: true, methodsRegistered: ['microsoftAuthenticatorPush'], mfaRequired: true, requiredBy: [], requirementNote: null, ...overrides };
}

function scanned(tenantId: string, admins: TenantAdmin[]): TenantAdminScan {
  return { runId: 'run', tenantId, scannedAt: '2026-12-07T06:00:00.000Z', outcome: 'scanned', source: 'registrationDetails', securityDefaultsEnabled: false, mfaPolicies: [], admins, requests: 5 };
}

function cannotSee(tenantId: string, reason: 'noGdapRelationship' | 'roleLacksPermission', detail: string | null = null): TenantAdminScan {
  return { runId: 'run', tenantId, scannedAt: '2026-12-07T06:00:00.000Z', outcome: 'cannotSee', reason, detail, requests: 1 };
}

function detect(adminScans: TenantAdminScan[], findings: Map<string, Finding>, now = '2026-12-07T06:05:00.000Z') {
  const result = detectRegressions({ previous: {}, current: { adminScans }, findings, consecutiveFailures: {}, thresholds: defaultThresholds, now });
  for (const finding of result.changed) findings.set(finding.key, finding);
  return result.transitions.map((transition) => `${transition.change} ${transition.finding.key}`).sort();
}

describe('customer admin findings', () => {
  it('when the first run sees an admin without a method, one no policy covers, and a tenant it cannot see into, then each opens at once, naming the admin', () => {
    const findings = new Map<string, Finding>();
    const transitions = detect([scanned(tenant, [admin('u1', { isMfaRegistered: false }), admin('u2', { mfaRequired: false, requirementNote: 'only a report-only policy covers them' })]), cannotSee(other, 'noGdapRelationship', 'AADSTS50020')], findings);
    expect(transitions).toEqual([`opened admins/${tenant}/u1/mfaMethod`, `opened admins/${tenant}/u2/mfaRequired`, `opened admins/${other}/visibility`]);
    const noMethod = findings.get(`admins/${tenant}/u1/mfaMethod`);
    expect(noMethod).toMatchObject({ kind: 'adminWithoutMfaMethod', severity: 'critical', subject: { type: 'customer', id: tenant }, admin: { userId: 'u1', userPrincipalName: 'u1@contoso.example', displayName: 'Admin u1' } });
    expect(noMethod?.actionUrl).toContain(`#@${tenant}/blade/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade`);
    expect(findings.get(`admins/${tenant}/u2/mfaRequired`)).toMatchObject({ kind: 'adminMfaNotRequired', severity: 'warning', detail: 'only a report-only policy covers them' });
    expect(findings.get(`admins/${other}/visibility`)).toMatchObject({ kind: 'customerNotVisible', detail: 'noGdapRelationship: AADSTS50020' });
  });

  it('when an admin registers a method, or is no longer an admin, then their finding resolves', () => {
    const findings = new Map<string, Finding>();
    detect([scanned(tenant, [admin('u1', { isMfaRegistered: false }), admin('u2', { isMfaRegistered: false })])], findings);
    const transitions = detect([scanned(tenant, [admin('u1')])], findings);
    expect(transitions).toEqual([`resolved admins/${tenant}/u1/mfaMethod`, `resolved admins/${tenant}/u2/mfaMethod`]);
  });

  it('when a tenant cannot be seen into, then its admins\' findings stay open: not seeing is not fixed', () => {
    const findings = new Map<string, Finding>();
    detect([scanned(tenant, [admin('u1', { isMfaRegistered: false })])], findings);
    const transitions = detect([cannotSee(tenant, 'roleLacksPermission')], findings);
    expect(transitions).toEqual([`opened admins/${tenant}/visibility`]);
    expect(findings.get(`admins/${tenant}/u1/mfaMethod`)?.state).toBe('open');
  });

  it('when a customer is no longer in the run at all, then every finding about its admins resolves', () => {
    const findings = new Map<string, Finding>();
    detect([scanned(tenant, [admin('u1', { isMfaRegistered: false })]), cannotSee(other, 'noGdapRelationship')], findings);
    const transitions = detect([scanned(tenant, [admin('u1', { isMfaRegistered: false })])], findings);
    expect(transitions).toEqual([`resolved admins/${other}/visibility`]);
  });

  it('when whether MFA is required cannot be told (a policy scoped by group), then nothing opens', () => {
    const findings = new Map<string, Finding>();
    expect(detect([scanned(tenant, [admin('u1', { mfaRequired: null, isMfaRegistered: null })])], findings)).toEqual([]);
  });

  it('when the reason a tenant cannot be seen changes, then the open finding says the new reason without a second announcement', () => {
    const findings = new Map<string, Finding>();
    detect([cannotSee(tenant, 'noGdapRelationship')], findings);
    expect(detect([cannotSee(tenant, 'roleLacksPermission', 'Authorization_RequestDenied')], findings)).toEqual([]);
    expect(findings.get(`admins/${tenant}/visibility`)?.detail).toBe('roleLacksPermission: Authorization_RequestDenied');
  });
});
