import type { MfaRequirementSource, TenantAdmin } from './adminScan';
import { PayloadReader } from './payloadReader';

/**
 * Whether security defaults or Conditional Access require MFA of one admin, from what Graph
 * documents (conditionalAccessPolicy, conditionalAccessGrantControls, conditionalAccessUsers,
 * identitySecurityDefaultsEnforcementPolicy). What is approximated, and said so in
 * docs/customer-admins.md:
 * - security defaults count as requiring MFA of every admin (they require it of the admin roles
 *   they list on every sign-in, and of other users when Entra judges it necessary);
 * - groups are not expanded: coverage that depends on a group is unknown (null), never a finding;
 * - an OR grant offering a non-MFA control beside MFA (or an authentication strength) does not
 *   strictly require MFA: unknown, with a note;
 * - a policy narrowed by other conditions (locations, platforms, client apps, risk levels)
 *   requires MFA only sometimes: unknown, with a note;
 * - a policy must include all cloud apps; its excluded applications are not weighed;
 * - report-only (`enabledForReportingButNotEnforced`) and disabled policies never count; a
 *   report-only policy that would cover the admin is named in the note.
 */

export interface ConditionalAccessPolicy {
  id: string;
  displayName: string;
  /** `enabled`, `disabled`, `enabledForReportingButNotEnforced`. */
  state: string;
  includeApplications: string[];
  users: {
    includeUsers: string[];
    excludeUsers: string[];
    includeGroups: string[];
    excludeGroups: string[];
    includeRoles: string[];
    excludeRoles: string[];
  };
  /** The grant asks for MFA: `mfa` among the built-in controls, or an authentication strength. */
  asksForMfa: boolean;
  /** The grant can be met without MFA: OR with at least one control that is not MFA. */
  offersAlternative: boolean;
  /** Conditions beyond users and applications that narrow when it applies (named, for the note). */
  narrowedBy: string[];
}

const mfaControls = new Set(['mfa']);

function strings(reader: PayloadReader | null, field: string): string[] {
  if (reader === null || !reader.has(field)) return [];
  return reader.array(field).map((value, index) => {
    if (typeof value !== 'string') throw reader.error(`${field}[${index}]`, 'a string', value);
    return value;
  });
}

/** One `conditionalAccessPolicy` of `GET /identity/conditionalAccess/policies`. */
export function parseConditionalAccessPolicy(item: unknown, path: string): ConditionalAccessPolicy {
  const policy = PayloadReader.of(item, path);
  const conditions = policy.child('conditions');
  const users = conditions?.child('users') ?? null;
  const grant = policy.child('grantControls');
  const builtIn = strings(grant, 'builtInControls');
  const strength = grant?.has('authenticationStrength') ?? false;
  const otherControls = [...builtIn.filter((control) => !mfaControls.has(control)), ...strings(grant, 'customAuthenticationFactors'), ...strings(grant, 'termsOfUse')];
  const asksForMfa = builtIn.some((control) => mfaControls.has(control)) || strength;
  return {
    id: policy.requiredString('id'),
    displayName: policy.optionalString('displayName') ?? policy.requiredString('id'),
    state: policy.requiredString('state'),
    includeApplications: strings(conditions?.child('applications') ?? null, 'includeApplications'),
    users: {
      includeUsers: strings(users, 'includeUsers'),
      excludeUsers: strings(users, 'excludeUsers'),
      includeGroups: strings(users, 'includeGroups'),
      excludeGroups: strings(users, 'excludeGroups'),
      includeRoles: strings(users, 'includeRoles'),
      excludeRoles: strings(users, 'excludeRoles'),
    },
    asksForMfa,
    // The documented operators are AND and OR; a single control is required whatever the operator.
    offersAlternative: asksForMfa && (grant?.optionalString('operator') ?? 'OR').toUpperCase() === 'OR' && otherControls.length > 0,
    narrowedBy: narrowingConditions(conditions),
  };
}

function narrowingConditions(conditions: PayloadReader | null): string[] {
  if (conditions === null) return [];
  const narrowed: string[] = [];
  const clientAppTypes = strings(conditions, 'clientAppTypes');
  if (clientAppTypes.length > 0 && !clientAppTypes.includes('all')) narrowed.push('client apps');
  for (const [field, words] of [['locations', 'locations'], ['platforms', 'device platforms']] as const) {
    const condition = conditions.child(field);
    if (condition === null) continue;
    const include = strings(condition, field === 'locations' ? 'includeLocations' : 'includePlatforms');
    const exclude = strings(condition, field === 'locations' ? 'excludeLocations' : 'excludePlatforms');
    if ((include.length > 0 && !include.some((value) => value.toLowerCase() === 'all')) || exclude.length > 0) narrowed.push(words);
  }
  for (const [field, words] of [['signInRiskLevels', 'sign-in risk'], ['userRiskLevels', 'user risk']] as const) {
    if (strings(conditions, field).length > 0) narrowed.push(words);
  }
  return narrowed;
}

/** `GET /policies/identitySecurityDefaultsEnforcementPolicy`: whether security defaults are on. */
export function parseSecurityDefaults(body: unknown, path: string): boolean {
  const reader = PayloadReader.of(body, path);
  const enabled = reader.optionalBoolean('isEnabled');
  if (enabled === null) throw reader.error('isEnabled', 'a boolean', undefined);
  return enabled;
}

/** Enabled policies that ask for MFA or an authentication strength, whoever they cover. */
export function mfaPolicies(policies: readonly ConditionalAccessPolicy[]): { id: string; name: string }[] {
  return policies.filter((policy) => policy.state === 'enabled' && policy.asksForMfa).map((policy) => ({ id: policy.id, name: policy.displayName }));
}

type Coverage = { covers: true } | { covers: false } | { covers: null; why: string };

/** Whether a policy's users condition takes in the admin (conditionalAccessUsers: include, then exclude). */
function usersCoverage(policy: ConditionalAccessPolicy, admin: Pick<TenantAdmin, 'userId' | 'roleTemplateIds'>): Coverage {
  const { users } = policy;
  const id = admin.userId.toLowerCase();
  const has = (list: string[], value: string) => list.some((entry) => entry.toLowerCase() === value);
  const hasRole = (list: string[]) => admin.roleTemplateIds.some((role) => has(list, role.toLowerCase()));
  if (has(users.excludeUsers, id) || hasRole(users.excludeRoles)) return { covers: false };
  const included = has(users.includeUsers, 'all') || has(users.includeUsers, id) || hasRole(users.includeRoles);
  if (included) {
    return users.excludeGroups.length > 0 ? { covers: null, why: `"${policy.displayName}" excludes groups, which are not expanded` } : { covers: true };
  }
  if (users.includeGroups.length > 0) return { covers: null, why: `"${policy.displayName}" includes groups, which are not expanded` };
  if (users.includeRoles.length > 0 && admin.roleTemplateIds.length === 0) {
    return { covers: null, why: `"${policy.displayName}" includes roles, and this admin's roles are not known (a role held through a group?)` };
  }
  return { covers: false };
}

/** Whether one policy requires MFA of the admin: yes, no, or unknown with why. */
function policyCoverage(policy: ConditionalAccessPolicy, admin: Pick<TenantAdmin, 'userId' | 'roleTemplateIds'>): Coverage {
  if (!policy.asksForMfa || !policy.includeApplications.some((app) => app.toLowerCase() === 'all')) return { covers: false };
  const users = usersCoverage(policy, admin);
  if (users.covers !== true) return users;
  if (policy.offersAlternative) return { covers: null, why: `"${policy.displayName}" accepts MFA or another control (OR), so MFA is not strictly required` };
  if (policy.narrowedBy.length > 0) return { covers: null, why: `"${policy.displayName}" applies only under some conditions (${policy.narrowedBy.join(', ')})` };
  return { covers: true };
}

interface MfaRequirement {
  mfaRequired: boolean | null;
  requiredBy: MfaRequirementSource[];
  requirementNote: string | null;
}

/**
 * What requires MFA of one admin: security defaults (when on, every admin), else each enabled
 * policy that covers them. Unknown (null) when only group-, OR- or condition-dependent policies
 * might, or when security defaults could not be read.
 */
export function mfaRequirementOf(
  admin: Pick<TenantAdmin, 'userId' | 'roleTemplateIds'>,
  securityDefaultsEnabled: boolean | null,
  policies: readonly ConditionalAccessPolicy[],
): MfaRequirement {
  if (securityDefaultsEnabled === true) {
    return { mfaRequired: true, requiredBy: [{ kind: 'securityDefaults', id: null, name: 'Security defaults' }], requirementNote: null };
  }
  const requiredBy: MfaRequirementSource[] = [];
  const unknown: string[] = [];
  const reportOnly: string[] = [];
  for (const policy of policies) {
    const coverage = policyCoverage(policy, admin);
    if (policy.state === 'enabledForReportingButNotEnforced') {
      if (coverage.covers !== false) reportOnly.push(`"${policy.displayName}"`);
    } else if (policy.state === 'enabled') {
      if (coverage.covers === true) requiredBy.push({ kind: 'conditionalAccess', id: policy.id, name: policy.displayName });
      else if (coverage.covers === null) unknown.push(coverage.why);
    }
  }
  if (requiredBy.length > 0) return { mfaRequired: true, requiredBy, requirementNote: null };
  const notes = [...unknown];
  if (securityDefaultsEnabled === null) notes.push('security defaults could not be read');
  if (reportOnly.length > 0) notes.push(`report-only policies would require MFA but are not enforced: ${reportOnly.join(', ')}`);
  const mfaRequired = unknown.length > 0 || securityDefaultsEnabled === null ? null : false;
  return { mfaRequired, requiredBy, requirementNote: notes.length > 0 ? `${notes.join('; ')}.` : null };
}
