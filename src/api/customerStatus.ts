import { hasNoCompliantAdmins, hasNoMfaPolicy, type CustomerMfaInsight } from '../core/model';

/**
 * Which customers `GET /api/customers?status=` selects. Graph's customer insight counts
 * compliant admins but not admins in total, so "admins not compliant" can only be read as "no
 * admin is known to use MFA"; a drop in compliant admins is the detector's
 * `customerCompliantAdminsFell` finding.
 * - `all`: every customer of the snapshot;
 * - `noMfaPolicy`: every MFA policy (security defaults, conditional access, per-user MFA) is known
 *   to be disabled (the core's `hasNoMfaPolicy`: a policy of unknown status is not "none");
 * - `adminsNotCompliant`: no admin is MFA-compliant (`compliantAdminsCount` is 0);
 * - `nonCompliant`: either of the two above.
 */
export const customerStatuses = ['all', 'noMfaPolicy', 'adminsNotCompliant', 'nonCompliant'] as const;
export type CustomerStatus = (typeof customerStatuses)[number];

export function matchesCustomerStatus(status: CustomerStatus): (customer: CustomerMfaInsight) => boolean {
  switch (status) {
    case 'all':
      return () => true;
    case 'noMfaPolicy':
      return (customer) => hasNoMfaPolicy(customer) === true;
    case 'adminsNotCompliant':
      return hasNoCompliantAdmins;
    case 'nonCompliant':
      return (customer) => hasNoMfaPolicy(customer) === true || hasNoCompliantAdmins(customer);
  }
}
