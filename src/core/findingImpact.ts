import type { Finding, MeasureValue } from './findings';

/*
 * How much a finding exposes, as one number: findings of one severity are ranked by it, highest
 * first, so twenty critical findings are not twenty ties. The whole part says what is exposed,
 * the fraction (always below 1) orders findings of the same whole part:
 *   5  the partner fails one of Microsoft's security requirements: every customer relationship
 *      it holds is at stake, not one tenant;
 *   4  a customer without MFA at all: its last MFA policy switched off, a new customer with none,
 *      or no compliant admin left (the more admins lost, the higher);
 *   3  one account that can go without MFA: a partner user signed in without MFA (the more recent
 *      the sign-in, the higher: with delegated access to customers, proven to be used without it
 *      ranks first), or a customer's admin with no MFA method registered, who cannot do MFA at all;
 *   2  the monitor cannot read a source (the more failed runs, the higher), or cannot see into a
 *      customer's admins: anything may hide there;
 *   1  a measure fell (the more it fell, the higher: admins, tenants, users or points lost), one
 *      MFA policy was switched off while another still covers the tenant, or no policy requires
 *      MFA of a customer's admin (they may still use it; nothing makes them).
 */

/** A count as a fraction below 1 that grows with it: 1 → 0.5, 3 → 0.75, 99 → 0.99. */
function growing(count: number): number {
  return count <= 0 ? 0 : count / (count + 1);
}

/** How far a numeric measure moved from its baseline, either way (a count that rises is as bad as one that falls). */
function moved(baseline: MeasureValue, current: MeasureValue): number {
  return typeof baseline === 'number' && typeof current === 'number' ? Math.abs(baseline - current) : 0;
}

/** Milliseconds since 1970 as a fraction below 1 (until the year 2286): later is higher. */
function recency(time: string): number {
  const at = Date.parse(time);
  return Number.isNaN(at) ? 0 : at / 1e13;
}

/** A sighting's key ends with the time of the sign-in it saw (`principal/<object id>/<time>`); the detector's own time otherwise. */
function signInTime(finding: Pick<Finding, 'key' | 'openedAt'>): string {
  const tail = finding.key.slice(finding.key.lastIndexOf('/') + 1);
  return Number.isNaN(Date.parse(tail)) ? finding.openedAt : tail;
}

export type ImpactInput = Pick<Finding, 'kind' | 'severity' | 'key' | 'baseline' | 'current' | 'openedAt'>;

export function findingImpact(finding: ImpactInput): number {
  const lost = moved(finding.baseline, finding.current);
  switch (finding.kind) {
    case 'requirementNotCompliant':
      return 5;
    case 'newCustomerWithoutMfa':
      return 4;
    // Critical only when it left the tenant with no MFA policy (detectRegressions decides that).
    case 'customerPolicyDisabled':
      return finding.severity === 'critical' ? 4 : 1 + growing(1);
    case 'customerCompliantAdminsFell':
      return (finding.current === 0 ? 4 : 1) + growing(lost);
    case 'nonMfaSignIn':
      return 3 + recency(signInTime(finding));
    case 'adminWithoutMfaMethod':
      return 3;
    case 'sourceUnavailable':
      return 2 + growing(typeof finding.current === 'number' ? finding.current : 0);
    case 'customerNotVisible':
      return 2;
    case 'requirementPolicyDisabled':
    case 'adminMfaNotRequired':
      return 1 + growing(1);
    default:
      return 1 + growing(lost);
  }
}
