/**
 * Inside each customer tenant: its admins, whether each has a registered MFA method, and whether
 * any policy requires MFA of them. Microsoft's partner APIs give only counts; the names come from
 * Graph in the customer tenant itself, reached through the partner's GDAP relationship (see
 * docs/customer-admins.md). One scan per tenant per run; `null` always means "not known".
 */

/**
 * Why the monitor could not see inside a customer tenant, each with what it means and what the
 * partner does about it. The reasons come from the token endpoint's and Graph's own answers.
 */
export const cannotSeeReasons = {
  noGdapRelationship: {
    description: 'no active GDAP relationship gives the monitor access to this tenant',
    nextStep: 'Create or renew a GDAP relationship with this customer (Partner Center, Customers, Admin relationships) and assign the monitor\'s security group the Global Reader role, or Security Reader plus Reports Reader, in it.',
  },
  roleLacksPermission: {
    description: 'the GDAP roles the monitor holds in this tenant do not allow reading admins, policies or registration details',
    nextStep: 'In the GDAP relationship with this customer, give the monitor\'s security group Global Reader, or Security Reader plus Reports Reader.',
  },
  appNotConsented: {
    description: 'the monitor\'s app is not consented in this tenant',
    nextStep: 'Consent the monitor\'s app in this customer tenant (npm run consent, or the partner consent API), or scan with CUSTOMER_TENANT_AUTH=appUser through GDAP.',
  },
  licenseMissingFallbackFailed: {
    description: 'the tenant has no Microsoft Entra ID P1 or P2 for the registration report, and reading each admin\'s methods failed too',
    nextStep: 'Give the monitor\'s GDAP security group the Authentication Administrator or Privileged Authentication Administrator role (to read admins\' methods), or license the tenant with Entra ID P1.',
  },
  throttledPastDeadline: {
    description: 'Microsoft Graph throttled this tenant until the run\'s deadline',
    nextStep: 'Nothing, unless it repeats: the next run scans it again. If it repeats, raise CUSTOMER_ADMINS_DEADLINE_MINUTES.',
  },
  tenantDeleted: {
    description: 'the tenant no longer exists',
    nextStep: 'Remove the customer\'s GDAP relationship and CSP subscriptions in Partner Center; its findings resolve once it is no longer listed.',
  },
  notScannedDeadline: {
    description: 'the run reached its deadline before this tenant was scanned',
    nextStep: 'Nothing, unless it repeats: the next run scans it again. If it repeats, raise CUSTOMER_ADMINS_DEADLINE_MINUTES or the instances the scan may use.',
  },
  failedRepeatedly: {
    description: 'scanning this tenant failed on every attempt the queue allows, and its message was moved to the poison queue',
    nextStep: 'Read the scan\'s failed invocations in Application Insights; the next run tries again.',
  },
} as const satisfies Record<string, { description: string; nextStep: string }>;

export type CannotSeeReason = keyof typeof cannotSeeReasons;
// Object.keys is typed string[]; these are the keys of the table above.
export const cannotSeeReasonNames = Object.keys(cannotSeeReasons) as CannotSeeReason[];

/** Who an admin is: the Entra object id is the key; names are for people reading. */
export interface AdminIdentity {
  userId: string;
  userPrincipalName: string | null;
  displayName: string | null;
}

/** What requires MFA of an admin: security defaults, or an enabled Conditional Access policy by id and name. */
export interface MfaRequirementSource {
  kind: 'securityDefaults' | 'conditionalAccess';
  id: string | null;
  name: string | null;
}

export interface TenantAdmin extends AdminIdentity {
  /** Directory role template ids the admin holds (what Conditional Access includes by role), where known. */
  roleTemplateIds: string[];
  /** Directory role names, for people reading ("Global Administrator"). */
  roleNames: string[];
  isMfaRegistered: boolean | null;
  isMfaCapable: boolean | null;
  /** As Graph names them (`microsoftAuthenticatorPush`, `fido2`, `softwareOneTimePasscode`, ...). */
  methodsRegistered: string[];
  /** True when security defaults or an enabled policy requires MFA of the admin; false when none does; null when that cannot be told (see `requirementNote`). */
  mfaRequired: boolean | null;
  /** Every policy found to require MFA of the admin. */
  requiredBy: MfaRequirementSource[];
  /** Why `mfaRequired` is what it is, where that is not plain (a policy scoped by group, report-only policies, an "or" grant). */
  requirementNote: string | null;
}

/** Where the admins and their methods came from: the registration report, or (no P1/P2) the directory roles and each admin's methods. */
export type AdminListSource = 'registrationDetails' | 'directoryRoles';

/** One tenant's result in one run: what was seen, or why nothing could be. */
export type TenantScanResult =
  | {
      outcome: 'scanned';
      source: AdminListSource;
      securityDefaultsEnabled: boolean | null;
      /** Enabled Conditional Access policies that require MFA or an authentication strength, whoever they cover. */
      mfaPolicies: { id: string; name: string }[];
      admins: TenantAdmin[];
      /** Graph and token requests this scan made, throttled ones included. */
      requests: number;
    }
  | {
      outcome: 'cannotSee';
      reason: CannotSeeReason;
      /** What the service said (an AADSTS code or Graph's error code and message), never a token or secret. */
      detail: string | null;
      requests: number;
    };

/** A tenant's result as stored for a run. */
export type TenantAdminScan = TenantScanResult & { runId: string; tenantId: string; scannedAt: string };

/** Admins the scan found without a registered MFA method. */
export function adminsWithoutMfa(scan: TenantScanResult): TenantAdmin[] {
  return scan.outcome === 'scanned' ? scan.admins.filter((admin) => admin.isMfaRegistered === false) : [];
}

/** Admins whom, as far as the scan could tell, nothing requires to use MFA. */
export function adminsNotRequiredMfa(scan: TenantScanResult): TenantAdmin[] {
  return scan.outcome === 'scanned' ? scan.admins.filter((admin) => admin.mfaRequired === false) : [];
}

/**
 * A "cannot see into" finding's `detail` is `<reason>` or `<reason>: <what the service said>`:
 * the reason, or null when the detail names none this version knows.
 */
export function notVisibleReason(detail: string | null | undefined): CannotSeeReason | null {
  const reason = (detail ?? '').split(':', 1)[0] ?? '';
  return cannotSeeReasonNames.find((name) => name === reason) ?? null;
}

/**
 * When the close message next looks at a run in progress: half the run's age so far, from 5 s to
 * a minute, so a partner with a dozen customers sees the run close within seconds and one with
 * 10,000 pays one look a minute; progress in /api/status is at most that old.
 */
export function nextCloseCheckMs(runStartedAt: Date, now: Date, deadline: Date): number {
  const halfAge = (now.getTime() - runStartedAt.getTime()) / 2;
  return Math.max(1_000, Math.min(Math.max(5_000, Math.min(60_000, halfAge)), deadline.getTime() - now.getTime()));
}

/** How late a run may close after its deadline: the close message's longest wait, and then some. */
export const closeGraceMs = 2 * 60_000;

/** CUSTOMER_ADMINS_DEADLINE_MINUTES' range. */
export const deadlineMinutesRange = { min: 5, max: 100 } as const;

/**
 * The longest a run may stay `running` before it can only have been abandoned: the longest
 * deadline and the close's grace. Its work is on the queue, not in the invocation that opened it,
 * so the invocation's time limit says nothing about it.
 */
export const longestRunMs = deadlineMinutesRange.max * 60_000 + closeGraceMs;
