import type { TenantAdmin, TenantAdminScan } from './adminScan';
import { entraUrl, entraUserUrl } from './entraLinks';
import type { Finding } from './findings';
import { presentWhileTrue, type Observation } from './regressionRules';

/**
 * What a customer-admin run says, as observations: per admin, "no MFA method registered" and
 * "no policy requires MFA"; per tenant, "the monitor cannot see into it". They are conditions,
 * not falls: each is open while it holds, from the first run that sees it, and resolves when a
 * later run sees it no longer (the admin registered a method, or is no longer an admin). A
 * tenant the run could not see into says nothing about its admins: their findings stay as they
 * were, unknown rather than fixed.
 */
export function adminObservations(scans: readonly TenantAdminScan[], findings: ReadonlyMap<string, Finding>): Observation[] {
  const unseen = new Set(scans.filter((scan) => scan.outcome === 'cannotSee').map((scan) => scan.tenantId));
  return scans.flatMap((scan) => [
    visibility(scan),
    ...(scan.outcome === 'scanned' ? scan.admins.flatMap((admin) => adminConditions(scan.tenantId, admin)) : []),
    // Kept, not judged: an open finding of a tenant not seen this run is observed as unknown.
    ...(unseen.has(scan.tenantId) ? keptUnknown(scan.tenantId, findings) : []),
  ]);
}

/** Every customer's admin findings are about what the newest run listed: a tenant no longer listed resolves them. */
export const adminFindingPrefix = 'admins/';

function visibility(scan: TenantAdminScan): Observation {
  return {
    key: `${adminFindingPrefix}${scan.tenantId}/visibility`,
    kind: 'customerNotVisible',
    severity: 'warning',
    subject: { type: 'customer', id: scan.tenantId },
    measure: 'customerAdminsVisible',
    before: 0,
    after: scan.outcome === 'cannotSee' ? 1 : 0,
    rule: presentWhileTrue,
    ...(scan.outcome === 'cannotSee' ? { detail: scan.detail === null ? scan.reason : `${scan.reason}: ${scan.detail}` } : {}),
  };
}

function adminConditions(tenantId: string, admin: TenantAdmin): Observation[] {
  const prefix = `${adminFindingPrefix}${tenantId}/${admin.userId}`;
  const identity = { userId: admin.userId, userPrincipalName: admin.userPrincipalName, displayName: admin.displayName };
  const shared = { subject: { type: 'customer' as const, id: tenantId }, admin: identity, before: 0, rule: presentWhileTrue };
  const holds = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);
  return [
    { ...shared, key: `${prefix}/mfaMethod`, kind: 'adminWithoutMfaMethod', severity: 'critical', measure: 'isMfaRegistered', after: holds(admin.isMfaRegistered === null ? null : !admin.isMfaRegistered), actionUrl: entraUserUrl(tenantId, admin.userId) },
    {
      ...shared,
      key: `${prefix}/mfaRequired`,
      kind: 'adminMfaNotRequired',
      severity: 'warning',
      measure: 'mfaRequired',
      after: holds(admin.mfaRequired === null ? null : !admin.mfaRequired),
      actionUrl: entraUrl(tenantId, 'conditionalAccess'),
      ...(admin.requirementNote ? { detail: admin.requirementNote } : {}),
    },
  ];
}

function keptUnknown(tenantId: string, findings: ReadonlyMap<string, Finding>): Observation[] {
  const prefix = `${adminFindingPrefix}${tenantId}/`;
  return [...findings.values()]
    .filter((finding) => finding.state === 'open' && finding.key.startsWith(prefix) && finding.kind !== 'customerNotVisible')
    .map((finding) => ({ key: finding.key, kind: finding.kind, severity: finding.severity, subject: finding.subject, measure: finding.measure, before: 0, after: null, rule: presentWhileTrue }));
}
