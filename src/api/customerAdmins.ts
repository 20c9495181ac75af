import { cannotSeeReasons, type TenantAdmin, type TenantAdminScan } from '../core/adminScan';
import { entraUserUrl } from '../core/entraLinks';
import type { StoredFinding } from '../core/findings';
import { ProblemError } from './problem';
import { collectedAt, nameOf, type QueryDependencies, type QueryResult } from './queries';

/** Where a scan found the admins, in words. */
const sourceWords: Record<Extract<TenantAdminScan, { outcome: 'scanned' }>['source'], string> = {
  registrationDetails: 'the authentication methods registration report',
  directoryRoles: "the directory roles' members and each admin's registered methods (the tenant has no Entra ID P1 or P2 for the report)",
};

/**
 * One customer's admins as the newest complete customer-admin run saw them: each admin with their
 * MFA methods, what requires MFA of them and the open findings about them; or why the monitor could
 * not see into the tenant, with the next step. No run yet, or the scan off, is an answer that says
 * so, not an error; a tenant no snapshot ever listed is a 404. The CSV lists one row per admin.
 */
export async function customerAdmins(dependencies: QueryDependencies, tenantId: string): Promise<QueryResult> {
  const { reader, directory } = dependencies;
  const [[run], names] = await Promise.all([reader.listRuns('customerAdmins', { status: 'complete', top: 1 }), directory.customerNames()]);
  const scan = run === undefined ? null : await reader.adminScan(run.runId, tenantId);
  if (scan === null && !(await reader.customers.known(tenantId))) throw new ProblemError('NotFound', `No snapshot has listed tenant ${tenantId}.`);
  const scanOn = dependencies.customerAdminScanOn();
  const head = {
    tenantId,
    customerName: nameOf(names, tenantId),
    scanOn,
    run: run === undefined ? null : { runId: run.runId, collectedAt: collectedAt(run.runId), finishedAt: run.finishedAt },
  };
  if (scan === null) {
    const items: never[] = [];
    return { body: { ...head, ...unscanned, note: missingScanNote(run === undefined, scanOn), items }, rows: items };
  }
  if (scan.outcome === 'cannotSee') {
    const { description, nextStep } = cannotSeeReasons[scan.reason];
    const items: never[] = [];
    return { body: { ...head, ...unscanned, outcome: 'cannotSee', scannedAt: scan.scannedAt, reason: scan.reason, description, nextStep, detail: scan.detail, note: `The monitor cannot see into this tenant: ${description}.`, items }, rows: items };
  }
  const findings = scan.admins.length === 0 ? [] : (await reader.findingsPage('open', null, Infinity, { subject: { type: 'customer', id: tenantId } })).items;
  const items = [...scan.admins].sort(worstFirst).map((admin) => describeAdmin(tenantId, admin, findings));
  const body = {
    ...head,
    ...unscanned,
    outcome: 'scanned',
    scannedAt: scan.scannedAt,
    source: scan.source,
    sourceDescription: sourceWords[scan.source],
    securityDefaultsEnabled: scan.securityDefaultsEnabled,
    mfaPolicies: scan.mfaPolicies,
    items,
  };
  return { body, rows: items };
}

/** The fields a result without a scan holds as null (the schema lists every field in every answer). */
const unscanned = { outcome: null, scannedAt: null, source: null, sourceDescription: null, securityDefaultsEnabled: null, mfaPolicies: [], reason: null, description: null, nextStep: null, detail: null, note: null };

/** Why there is no result for a tenant the snapshots list. */
function missingScanNote(noRun: boolean, scanOn: boolean | null): string {
  if (noRun && scanOn === false) return 'The customer-admin scan is off (CUSTOMER_TENANT_AUTH=off): set it to app or appUser to see inside each customer tenant.';
  if (noRun) return 'No customer-admin run has completed yet: the first one lists every customer tenant once it has scanned them all, or at its deadline.';
  return 'The newest customer-admin run did not include this tenant (it was listed after the run started): the next run scans it.';
}

/** Admins without an MFA method first, then those nothing requires MFA of, then by name. */
function worstFirst(left: TenantAdmin, right: TenantAdmin): number {
  const rank = (admin: TenantAdmin) => (admin.isMfaRegistered === false ? 0 : admin.mfaRequired === false ? 1 : 2);
  const name = (admin: TenantAdmin) => admin.displayName ?? admin.userPrincipalName ?? admin.userId;
  return rank(left) - rank(right) || name(left).localeCompare(name(right));
}

function describeAdmin(tenantId: string, admin: TenantAdmin, findings: readonly StoredFinding[]) {
  return {
    tenantId,
    userId: admin.userId,
    displayName: admin.displayName,
    userPrincipalName: admin.userPrincipalName,
    roleNames: admin.roleNames,
    roleTemplateIds: admin.roleTemplateIds,
    isMfaRegistered: admin.isMfaRegistered,
    isMfaCapable: admin.isMfaCapable,
    methodsRegistered: admin.methodsRegistered,
    mfaRequired: admin.mfaRequired,
    requiredBy: admin.requiredBy,
    requirementNote: admin.requirementNote,
    entraUrl: entraUserUrl(tenantId, admin.userId),
    openFindingKeys: findings.filter((finding) => finding.admin?.userId === admin.userId).map((finding) => finding.key),
  };
}
