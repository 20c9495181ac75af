import type { AdminIdentity, AdminListSource, TenantAdmin, TenantScanResult } from './adminScan';
import { mfaPolicies, mfaRequirementOf, type ConditionalAccessPolicy } from './adminMfaPolicies';
import { PayloadReader } from './payloadReader';

/** One admin's registration as the `userRegistrationDetails` report or (no P1) their methods show it. */
export interface AdminRegistration extends AdminIdentity {
  isMfaRegistered: boolean | null;
  isMfaCapable: boolean | null;
  methodsRegistered: string[];
}

/** One item of `GET /reports/authenticationMethods/userRegistrationDetails` (userRegistrationDetails resource). */
export function parseRegistrationDetails(item: unknown, path: string): AdminRegistration {
  const details = PayloadReader.of(item, path);
  const methods = details.has('methodsRegistered') ? details.array('methodsRegistered') : [];
  return {
    userId: details.requiredString('id').toLowerCase(),
    userPrincipalName: details.optionalString('userPrincipalName'),
    displayName: details.optionalString('userDisplayName'),
    isMfaRegistered: details.optionalBoolean('isMfaRegistered'),
    isMfaCapable: details.optionalBoolean('isMfaCapable'),
    methodsRegistered: methods.filter((method): method is string => typeof method === 'string'),
  };
}

/** A directory role and the users among its members (`GET /directoryRoles?$expand=members`). */
export interface DirectoryRoleMembers {
  roleTemplateId: string;
  displayName: string;
  users: AdminIdentity[];
}

/** One directoryRole with its expanded members; members that are not users (groups, service principals) are left out. */
export function parseDirectoryRole(item: unknown, path: string): DirectoryRoleMembers {
  const role = PayloadReader.of(item, path);
  const members = role.has('members') ? role.array('members') : [];
  const users: AdminIdentity[] = [];
  members.forEach((member, index) => {
    const reader = PayloadReader.of(member, `${path}.members[${index}]`);
    if ((reader.optionalString('@odata.type') ?? '#microsoft.graph.user') !== '#microsoft.graph.user') return;
    users.push({ userId: reader.requiredString('id').toLowerCase(), userPrincipalName: reader.optionalString('userPrincipalName'), displayName: reader.optionalString('displayName') });
  });
  return { roleTemplateId: role.requiredString('roleTemplateId').toLowerCase(), displayName: role.optionalString('displayName') ?? role.requiredString('roleTemplateId'), users };
}

/**
 * `@odata.type` of an authenticationMethod -> the name the registration report gives the method
 * (userRegistrationDetails.methodsRegistered), and whether it is a second factor. Password is
 * the first factor; email serves self-service password reset only; a Temporary Access Pass is
 * time-limited onboarding: none of them makes an admin MFA-registered. A type not listed here
 * (a method Graph adds later) is named after its type and counts, as a new method is a strong one.
 */
const methodTypes: Record<string, { name: string; mfa: boolean }> = {
  '#microsoft.graph.passwordAuthenticationMethod': { name: 'password', mfa: false },
  '#microsoft.graph.emailAuthenticationMethod': { name: 'email', mfa: false },
  '#microsoft.graph.temporaryAccessPassAuthenticationMethod': { name: 'temporaryAccessPass', mfa: false },
  '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': { name: 'microsoftAuthenticatorPush', mfa: true },
  '#microsoft.graph.softwareOathAuthenticationMethod': { name: 'softwareOneTimePasscode', mfa: true },
  '#microsoft.graph.hardwareOathAuthenticationMethod': { name: 'hardwareOneTimePasscode', mfa: true },
  '#microsoft.graph.phoneAuthenticationMethod': { name: 'mobilePhone', mfa: true },
  '#microsoft.graph.fido2AuthenticationMethod': { name: 'fido2', mfa: true },
  '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': { name: 'windowsHelloForBusiness', mfa: true },
  '#microsoft.graph.platformCredentialAuthenticationMethod': { name: 'macOsSecureEnclaveKey', mfa: true },
};

/** An admin's registration from `GET /users/{id}/authentication/methods` (the fallback without P1). */
export function registrationFromMethods(identity: AdminIdentity, items: readonly unknown[], path: string): AdminRegistration {
  const methods = items.map((item, index) => {
    const type = PayloadReader.of(item, `${path}.value[${index}]`).requiredString('@odata.type');
    return methodTypes[type] ?? { name: type.replace(/^#microsoft\.graph\./, '').replace(/AuthenticationMethod$/, ''), mfa: true };
  });
  const secondFactors = methods.filter((method) => method.mfa);
  return {
    ...identity,
    isMfaRegistered: secondFactors.length > 0,
    // Capable also depends on the tenant's methods policy, which the fallback does not read.
    isMfaCapable: null,
    methodsRegistered: [...new Set(secondFactors.map((method) => method.name))],
  };
}

/** The admins of the directory roles, each once, with the roles they hold. */
export function adminsOfRoles(roles: readonly DirectoryRoleMembers[]): Map<string, AdminIdentity & { roleTemplateIds: string[]; roleNames: string[] }> {
  const admins = new Map<string, AdminIdentity & { roleTemplateIds: string[]; roleNames: string[] }>();
  for (const role of roles) {
    for (const user of role.users) {
      const admin = admins.get(user.userId) ?? { ...user, roleTemplateIds: [], roleNames: [] };
      admin.roleTemplateIds.push(role.roleTemplateId);
      admin.roleNames.push(role.displayName);
      admins.set(user.userId, admin);
    }
  }
  return admins;
}

/** Everything one tenant's scan read, put together: each admin with their roles and what requires MFA of them. */
export function tenantScan(read: {
  source: AdminListSource;
  registrations: readonly AdminRegistration[];
  roles: readonly DirectoryRoleMembers[];
  securityDefaultsEnabled: boolean | null;
  policies: readonly ConditionalAccessPolicy[];
  requests: number;
}): Extract<TenantScanResult, { outcome: 'scanned' }> {
  const byUser = adminsOfRoles(read.roles);
  const admins: TenantAdmin[] = read.registrations.map((registration) => {
    const roles = byUser.get(registration.userId);
    const roleTemplateIds = roles?.roleTemplateIds ?? [];
    return {
      ...registration,
      userPrincipalName: registration.userPrincipalName ?? roles?.userPrincipalName ?? null,
      displayName: registration.displayName ?? roles?.displayName ?? null,
      roleTemplateIds,
      roleNames: roles?.roleNames ?? [],
      ...mfaRequirementOf({ userId: registration.userId, roleTemplateIds }, read.securityDefaultsEnabled, read.policies),
    };
  });
  return {
    outcome: 'scanned',
    source: read.source,
    securityDefaultsEnabled: read.securityDefaultsEnabled,
    mfaPolicies: mfaPolicies(read.policies),
    admins,
    requests: read.requests,
  };
}
