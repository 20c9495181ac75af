import { mfaPolicies, mfaRequirementOf, parseConditionalAccessPolicy, parseSecurityDefaults } from '../../src/core/adminMfaPolicies';
import { parseDirectoryRole, parseRegistrationDetails, registrationFromMethods, tenantScan } from '../../src/core/parseTenantAdmins';
import { parseGraphPage } from '../../src/core/parseCollectionPage';
import { documentedExample } from '../support/documented';

/*
 * Each rule is read from Microsoft Graph v1.0's documents:
 * - conditionalAccessPolicy (learn.microsoft.com/graph/api/resources/conditionalaccesspolicy):
 *   `state` is enabled, disabled or enabledForReportingButNotEnforced;
 * - conditionalAccessGrantControls (learn.microsoft.com/graph/api/resources/conditionalaccessgrantcontrols):
 *   builtInControls (`mfa`, `block`, ...), `operator` AND / OR, `authenticationStrength`;
 * - conditionalAccessUsers (learn.microsoft.com/graph/api/resources/conditionalaccessusers):
 *   includeUsers (`All`, ids), excludeUsers, includeGroups/excludeGroups, includeRoles/excludeRoles
 *   (role template ids);
 * - conditionalAccessApplications: includeApplications `All`;
 * - identitySecurityDefaultsEnforcementPolicy (learn.microsoft.com/graph/api/resources/identitysecuritydefaultsenforcementpolicy):
 *   `isEnabled`; security defaults require administrators to do MFA
 *   (learn.microsoft.com/entra/fundamentals/security-defaults);
 * - userRegistrationDetails (learn.microsoft.com/graph/api/resources/userregistrationdetails);
 * - authenticationMethod and its subtypes (learn.microsoft.com/graph/api/resources/authenticationmethod),
 *   "List methods" (learn.microsoft.com/graph/api/authentication-list-methods).
 */

const globalAdministrator = '62e90394-69f5-4237-9190-012177145e10';
const userAdministrator = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const admin = { userId: '11111111-1111-1111-1111-111111111111', roleTemplateIds: [globalAdministrator] };

/** A policy as Graph documents it, with only what a case changes given. */
function policy(overrides: { state?: string; users?: Record<string, string[]>; grant?: Record<string, unknown>; conditions?: Record<string, unknown>; apps?: string[]; name?: string } = {}) {
  return parseConditionalAccessPolicy(
    {
      id: `id-${overrides.name ?? 'p'}`,
      displayName: overrides.name ?? 'Require MFA for admins',
      state: overrides.state ?? 'enabled',
      conditions: {
        clientAppTypes: ['all'],
        applications: { includeApplications: overrides.apps ?? ['All'], excludeApplications: [] },
        users: { includeUsers: [], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [globalAdministrator], excludeRoles: [], ...overrides.users },
        ...overrides.conditions,
      },
      grantControls: { operator: 'OR', builtInControls: ['mfa'], customAuthenticationFactors: [], termsOfUse: [], ...overrides.grant },
    },
    'policies: value[0]',
  );
}

describe('what requires MFA of an admin', () => {
  it('when security defaults are enabled, then MFA is required of every admin (security defaults require it of administrators)', () => {
    expect(parseSecurityDefaults(JSON.parse(documentedExample('graph-security-defaults.json')), 'securityDefaults')).toBe(true);
    expect(mfaRequirementOf(admin, true, [])).toEqual({ mfaRequired: true, requiredBy: [{ kind: 'securityDefaults', id: null, name: 'Security defaults' }], requirementNote: null });
  });

  it('when an enabled policy for all cloud apps grants with mfa alone and includes the admin by role, then it requires MFA of them', () => {
    expect(mfaRequirementOf(admin, false, [policy()])).toMatchObject({ mfaRequired: true, requiredBy: [{ kind: 'conditionalAccess', id: 'id-p', name: 'Require MFA for admins' }] });
  });

  it('when the grant is an authentication strength (conditionalAccessGrantControls.authenticationStrength), then it counts as MFA', () => {
    const strength = policy({ grant: { builtInControls: [], authenticationStrength: { id: '00000000-0000-0000-0000-000000000002', displayName: 'Multifactor authentication' } } });
    expect(mfaRequirementOf(admin, false, [strength]).mfaRequired).toBe(true);
  });

  it('when includeUsers is All or the admin\'s id, then they are included', () => {
    expect(mfaRequirementOf(admin, false, [policy({ users: { includeRoles: [], includeUsers: ['All'] } })]).mfaRequired).toBe(true);
    expect(mfaRequirementOf(admin, false, [policy({ users: { includeRoles: [], includeUsers: [admin.userId.toUpperCase()] } })]).mfaRequired).toBe(true);
  });

  it('when the admin is excluded by id (a break-glass account) or by role, then the policy does not cover them and nothing requires MFA', () => {
    expect(mfaRequirementOf(admin, false, [policy({ users: { excludeUsers: [admin.userId] } })])).toEqual({ mfaRequired: false, requiredBy: [], requirementNote: null });
    expect(mfaRequirementOf(admin, false, [policy({ users: { includeUsers: ['All'], excludeRoles: [globalAdministrator] } })]).mfaRequired).toBe(false);
  });

  it('when the policy is report-only (enabledForReportingButNotEnforced) or disabled, then it does not count, and a report-only one is named in the note', () => {
    const result = mfaRequirementOf(admin, false, [policy({ state: 'enabledForReportingButNotEnforced', name: 'All users MFA' }), policy({ state: 'disabled', name: 'Off' })]);
    expect(result.mfaRequired).toBe(false);
    expect(result.requirementNote).toBe('report-only policies would require MFA but are not enforced: "All users MFA".');
  });

  it('when coverage depends on a group (includeGroups, or excludeGroups beside an inclusion), then it is unknown (null) with a note, never false', () => {
    const included = mfaRequirementOf(admin, false, [policy({ users: { includeRoles: [], includeGroups: ['g1'] } })]);
    expect(included).toMatchObject({ mfaRequired: null, requirementNote: '"Require MFA for admins" includes groups, which are not expanded.' });
    expect(mfaRequirementOf(admin, false, [policy({ users: { excludeGroups: ['g2'] } })]).mfaRequired).toBeNull();
  });

  it('when the grant is OR with a control that is not MFA (operator OR), then MFA is not strictly required: unknown with a note', () => {
    const result = mfaRequirementOf(admin, false, [policy({ grant: { builtInControls: ['mfa', 'compliantDevice'] } })]);
    expect(result).toMatchObject({ mfaRequired: null });
    expect(result.requirementNote).toContain('OR');
    expect(mfaRequirementOf(admin, false, [policy({ grant: { operator: 'AND', builtInControls: ['mfa', 'compliantDevice'] } })]).mfaRequired).toBe(true);
  });

  it('when the policy does not include all cloud apps, or grants only block, then it does not require MFA', () => {
    expect(mfaRequirementOf(admin, false, [policy({ apps: ['00000002-0000-0ff1-ce00-000000000000'] })]).mfaRequired).toBe(false);
    expect(mfaRequirementOf(admin, false, [policy({ grant: { builtInControls: ['block'] } })]).mfaRequired).toBe(false);
  });

  it('when other conditions narrow the policy (locations), then it is unknown with the condition named', () => {
    const result = mfaRequirementOf(admin, false, [policy({ conditions: { locations: { includeLocations: ['All'], excludeLocations: ['AllTrusted'] } } })]);
    expect(result).toMatchObject({ mfaRequired: null, requirementNote: '"Require MFA for admins" applies only under some conditions (locations).' });
  });

  it('when one policy covers and another is unknown, then MFA is required (one enforced policy is enough)', () => {
    expect(mfaRequirementOf(admin, false, [policy({ users: { includeGroups: ['g'] }, name: 'g' }), policy()]).mfaRequired).toBe(true);
  });

  it('when the documented list example is read, then both policies are disabled and neither is an MFA policy in force', () => {
    const page = parseGraphPage(JSON.parse(documentedExample('graph-conditional-access-policies.json')), 'policies');
    const policies = page.items.map((item, index) => parseConditionalAccessPolicy(item, `policies: value[${index}]`));
    expect(policies.map((read) => [read.displayName, read.state, read.asksForMfa])).toEqual([['SimplePolicy1', 'disabled', false], ['SimplePolicy2', 'disabled', true]]);
    expect(mfaPolicies(policies)).toEqual([]);
  });
});

describe('admins and their registration', () => {
  it('when the documented userRegistrationDetails example is read, then each user keeps the documented names and methods', () => {
    const page = parseGraphPage(JSON.parse(documentedExample('graph-user-registration-details.json')), 'registration');
    const [alex, allan] = page.items.map((item, index) => parseRegistrationDetails(item, `registration: value[${index}]`));
    expect(alex).toEqual({ userId: '86462606-fde0-4fc4-9e0c-a20eb73e54c6', userPrincipalName: 'AlexW@Contoso.com', displayName: 'Alex Wilber', isMfaRegistered: true, isMfaCapable: true, methodsRegistered: ['microsoftAuthenticatorPush', 'softwareOneTimePasscode'] });
    expect(allan).toMatchObject({ isMfaRegistered: false, methodsRegistered: [] });
  });

  it('when the documented methods example (FIDO2 key, Windows Hello) is read, then the admin is MFA-registered; a password or email alone is not', () => {
    const identity = { userId: 'u', userPrincipalName: 'a@contoso.com', displayName: 'A' };
    const documented = parseGraphPage(JSON.parse(documentedExample('graph-authentication-methods.json')), 'methods').items;
    expect(registrationFromMethods(identity, documented, 'methods')).toMatchObject({ isMfaRegistered: true, isMfaCapable: null, methodsRegistered: ['fido2', 'windowsHelloForBusiness'] });
    const weak = [{ '@odata.type': '#microsoft.graph.passwordAuthenticationMethod', id: '28c10230-6103-485e-b985-444c60001490' }, { '@odata.type': '#microsoft.graph.emailAuthenticationMethod', id: 'e' }];
    expect(registrationFromMethods(identity, weak, 'methods')).toMatchObject({ isMfaRegistered: false, methodsRegistered: [] });
  });

  it('when directory roles are read with their members, then each admin has every role template id, and non-user members are left out', () => {
    const roles = [
      { id: 'r1', displayName: 'Global Administrator', roleTemplateId: globalAdministrator, members: [{ '@odata.type': '#microsoft.graph.user', id: admin.userId, displayName: 'Ann', userPrincipalName: 'ann@contoso.com' }, { '@odata.type': '#microsoft.graph.servicePrincipal', id: 'sp' }] },
      { id: 'r2', displayName: 'User Administrator', roleTemplateId: userAdministrator, members: [{ '@odata.type': '#microsoft.graph.user', id: admin.userId }] },
    ].map((item, index) => parseDirectoryRole(item, `roles: value[${index}]`));
    const scan = tenantScan({
      source: 'registrationDetails',
      registrations: [{ userId: admin.userId, userPrincipalName: null, displayName: null, isMfaRegistered: false, isMfaCapable: false, methodsRegistered: [] }],
      roles,
      securityDefaultsEnabled: false,
      policies: [policy({ users: { includeRoles: [userAdministrator] } })],
      requests: 7,
    });
    expect(scan.admins).toEqual([expect.objectContaining({ userPrincipalName: 'ann@contoso.com', displayName: 'Ann', roleTemplateIds: [globalAdministrator, userAdministrator], roleNames: ['Global Administrator', 'User Administrator'], mfaRequired: true })]);
    expect(scan).toMatchObject({ outcome: 'scanned', mfaPolicies: [{ id: 'id-p', name: 'Require MFA for admins' }], requests: 7 });
  });
});
