/*
 * Inside each simulated customer tenant: its admins, their registered methods, security defaults
 * and Conditional Access policies, and how the tenant answers the monitor (its profile). Items
 * follow the documented examples of each Graph endpoint (test/fixtures/documented, sources.md),
 * field for field; test/simulator/customerTenants.test.ts holds them to those shapes.
 */
import { customerDomain, customerTenantId } from './population';
import { guid, unit } from './random';
import type { JsonObject } from './wireFormat';

/**
 * How a customer tenant answers: with P1 and a Conditional Access policy for admins; with
 * security defaults; without P1 (the registration report refused, each admin's methods readable);
 * without P1 and the methods refused too; a GDAP role that cannot read the report; no GDAP
 * relationship; the app not consented; Graph throttling its first requests; deleted.
 */
export const tenantProfiles = [
  'healthy', 'securityDefaults', 'noPremium', 'noPremiumFallbackRefused', 'roleLacksPermission', 'noGdapRelationship', 'appNotConsented', 'throttled', 'deleted',
] as const;
export type TenantProfile = (typeof tenantProfiles)[number];

/** Graph requests a throttled tenant answers 429 before it answers again. */
const throttledRequests = 2;
export const throttleRetryAfterSeconds = 7;

export const roleTemplates = {
  globalAdministrator: { id: '62e90394-69f5-4237-9190-012177145e10', name: 'Global Administrator' },
  userAdministrator: { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', name: 'User Administrator' },
  securityAdministrator: { id: '194ae4cb-b126-40b2-bd5b-6091b380977d', name: 'Security Administrator' },
} as const;

export interface SimulatedAdmin {
  id: string;
  userPrincipalName: string;
  displayName: string;
  role: keyof typeof roleTemplates;
  /** As the registration report names them; empty when the admin has no second factor. */
  methodsRegistered: string[];
}

enum Salt { Profile = 500, Admin, AdminMfa, Policy }

/** The first customers take each profile in turn (so a small population shows them all); the rest are mostly healthy. */
function profileOfIndex(seed: number, index: number): TenantProfile {
  if (index < tenantProfiles.length) return tenantProfiles[index]!;
  const u = unit(seed, Salt.Profile, index);
  return u < 0.6 ? 'healthy' : u < 0.8 ? 'securityDefaults' : u < 0.95 ? 'noPremium' : 'noGdapRelationship';
}

export class CustomerTenants {
  private indexes: Map<string, number> | null = null;
  private readonly profiles = new Map<string, TenantProfile>();
  private readonly registered = new Map<string, Set<string>>();
  private readonly throttledSoFar = new Map<string, number>();

  constructor(
    private readonly seed: number,
    private readonly customers: number,
  ) {}

  /** The customer's index, or undefined when the tenant is not a simulated customer. */
  indexOf(tenantId: string): number | undefined {
    if (this.indexes === null) {
      this.indexes = new Map();
      for (let index = 0; index < this.customers; index++) this.indexes.set(customerTenantId(this.seed, index), index);
    }
    return this.indexes.get(tenantId.toLowerCase());
  }

  profile(tenantId: string): TenantProfile | undefined {
    const index = this.indexOf(tenantId);
    if (index === undefined) return undefined;
    return this.profiles.get(tenantId.toLowerCase()) ?? profileOfIndex(this.seed, index);
  }

  setProfile(tenantId: string, profile: TenantProfile): void {
    if (this.indexOf(tenantId) === undefined) throw new Error(`${tenantId} is not a simulated customer tenant`);
    this.profiles.set(tenantId.toLowerCase(), profile);
    this.throttledSoFar.delete(tenantId.toLowerCase());
  }

  /** The admin registers Microsoft Authenticator (recovery, as a test sees it). */
  registerAdmin(tenantId: string, userPrincipalName: string): void {
    const admin = this.admins(tenantId).find((candidate) => candidate.userPrincipalName.toLowerCase() === userPrincipalName.toLowerCase());
    if (admin === undefined) throw new Error(`no admin ${userPrincipalName} in ${tenantId}`);
    const registered = this.registered.get(tenantId.toLowerCase()) ?? new Set<string>();
    registered.add(admin.id);
    this.registered.set(tenantId.toLowerCase(), registered);
  }

  /** Whether this Graph request of a throttled tenant is answered 429 (its first `throttledRequests`). */
  throttles(tenantId: string): boolean {
    if (this.profile(tenantId) !== 'throttled') return false;
    const key = tenantId.toLowerCase();
    const sofar = this.throttledSoFar.get(key) ?? 0;
    if (sofar >= throttledRequests) return false;
    this.throttledSoFar.set(key, sofar + 1);
    return true;
  }

  /**
   * Four admins: one registered Global Administrator; a break-glass Global Administrator without
   * MFA whom the admins' policy excludes; a User Administrator without MFA (in later customers,
   * registered half the time); a Security Administrator with a FIDO2 key.
   */
  admins(tenantId: string): SimulatedAdmin[] {
    const index = this.indexOf(tenantId);
    if (index === undefined) return [];
    const domain = customerDomain(this.seed, index);
    const extra = this.registered.get(tenantId.toLowerCase());
    const userAdminRegistered = index >= tenantProfiles.length && unit(this.seed, Salt.AdminMfa, index) < 0.5;
    const admins: SimulatedAdmin[] = [
      { id: guid(this.seed, Salt.Admin, index, 0), userPrincipalName: `adelev@${domain}`, displayName: 'Adele Vance', role: 'globalAdministrator', methodsRegistered: ['microsoftAuthenticatorPush', 'softwareOneTimePasscode'] },
      { id: guid(this.seed, Salt.Admin, index, 1), userPrincipalName: `breakglass@${domain}`, displayName: 'Break Glass', role: 'globalAdministrator', methodsRegistered: [] },
      { id: guid(this.seed, Salt.Admin, index, 2), userPrincipalName: `leeg@${domain}`, displayName: 'Lee Gu', role: 'userAdministrator', methodsRegistered: userAdminRegistered ? ['microsoftAuthenticatorPush'] : [] },
      { id: guid(this.seed, Salt.Admin, index, 3), userPrincipalName: `meganb@${domain}`, displayName: 'Megan Bowen', role: 'securityAdministrator', methodsRegistered: ['fido2'] },
    ];
    return admins.map((admin) => (extra?.has(admin.id) && admin.methodsRegistered.length === 0 ? { ...admin, methodsRegistered: ['microsoftAuthenticatorPush'] } : admin));
  }

  securityDefaultsEnabled(tenantId: string): boolean {
    return this.profile(tenantId) === 'securityDefaults';
  }

  /** Security defaults and Conditional Access never coexist; without P1 there is none. */
  hasConditionalAccess(tenantId: string): boolean {
    const profile = this.profile(tenantId);
    return profile === 'healthy' || profile === 'throttled' || profile === 'roleLacksPermission';
  }

  /** Same index, same ids: the policies as `GET /identity/conditionalAccess/policies` lists them. */
  policies(tenantId: string): JsonObject[] {
    if (!this.hasConditionalAccess(tenantId)) return [];
    const index = this.indexOf(tenantId) ?? 0;
    const breakGlass = this.admins(tenantId)[1]!.id;
    const adminRoles = Object.values(roleTemplates).map((role) => role.id);
    return [
      conditionalAccessPolicy(guid(this.seed, Salt.Policy, index, 0), 'Require MFA for admins', 'enabled', { includeUsers: [], excludeUsers: [breakGlass], includeRoles: adminRoles }),
      conditionalAccessPolicy(guid(this.seed, Salt.Policy, index, 1), 'Require MFA for all users', 'enabledForReportingButNotEnforced', { includeUsers: ['All'], excludeUsers: [], includeRoles: [] }),
    ];
  }
}

/** In the documented list example's layout (conditionalaccessroot-list-policies). */
function conditionalAccessPolicy(id: string, displayName: string, state: string, users: { includeUsers: string[]; excludeUsers: string[]; includeRoles: string[] }): JsonObject {
  return {
    id,
    displayName,
    createdDateTime: '2025-06-02T09:14:00Z',
    modifiedDateTime: null,
    state,
    sessionControls: null,
    conditions: {
      signInRiskLevels: [],
      clientAppTypes: ['all'],
      platforms: null,
      locations: null,
      applications: { includeApplications: ['All'], excludeApplications: [], includeUserActions: [] },
      users: { includeUsers: users.includeUsers, excludeUsers: users.excludeUsers, includeGroups: [], excludeGroups: [], includeRoles: users.includeRoles, excludeRoles: [] },
    },
    grantControls: { operator: 'OR', builtInControls: ['mfa'], customAuthenticationFactors: [], termsOfUse: [] },
  };
}

/** One admin as the registration report lists them (the documented userRegistrationDetails example's fields, in order). */
export function registrationDetailsItem(admin: SimulatedAdmin): JsonObject {
  const registered = admin.methodsRegistered.length > 0;
  return {
    id: admin.id,
    userPrincipalName: admin.userPrincipalName,
    userDisplayName: admin.displayName,
    isAdmin: true,
    isSsprRegistered: registered,
    isSsprEnabled: false,
    isSsprCapable: false,
    isMfaRegistered: registered,
    isMfaCapable: registered,
    isPasswordlessCapable: admin.methodsRegistered.includes('fido2'),
    lastUpdatedDateTime: '2026-01-01T03:15:41.6195833Z',
    methodsRegistered: admin.methodsRegistered,
    isSystemPreferredAuthenticationMethodEnabled: true,
    systemPreferredAuthenticationMethods: registered ? ['push'] : [],
    userPreferredMethodForSecondaryAuthentication: registered ? 'push' : '',
    userType: 'member',
  };
}

const methodTypes: Record<string, string> = {
  microsoftAuthenticatorPush: '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
  softwareOneTimePasscode: '#microsoft.graph.softwareOathAuthenticationMethod',
  fido2: '#microsoft.graph.fido2AuthenticationMethod',
};

/** An admin's methods as `GET /users/{id}/authentication/methods` lists them: the password, then each second factor. */
export function authenticationMethods(admin: SimulatedAdmin): JsonObject[] {
  // The password method's id is the same for every user, as the authenticationMethod documents show it.
  const password: JsonObject = { '@odata.type': '#microsoft.graph.passwordAuthenticationMethod', id: '28c10230-6103-485e-b985-444c60001490', password: null, createdDateTime: '2025-06-02T09:14:00Z' };
  return [password, ...admin.methodsRegistered.map((method, index) => ({ '@odata.type': methodTypes[method] ?? '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod', id: `${admin.id.slice(0, 24)}${String(index).padStart(12, '0')}`, displayName: method, createdDateTime: '2025-06-02T09:14:00Z' }))];
}

/** The directory roles with their user members (`GET /directoryRoles?$expand=members`), in the documented list example's fields. */
export function directoryRoles(seed: number, index: number, admins: readonly SimulatedAdmin[]): JsonObject[] {
  return (Object.keys(roleTemplates) as (keyof typeof roleTemplates)[]).map((key, position) => ({
    description: `Members of this role are ${roleTemplates[key].name}s.`,
    displayName: roleTemplates[key].name,
    roleTemplateId: roleTemplates[key].id,
    id: guid(seed, Salt.Policy, index, 10 + position),
    members: admins.filter((admin) => admin.role === key).map((admin) => ({ '@odata.type': '#microsoft.graph.user', id: admin.id, displayName: admin.displayName, userPrincipalName: admin.userPrincipalName })),
  }));
}
