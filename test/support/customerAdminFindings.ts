import type { AdminIdentity } from '../../src/core/adminScan';
import type { Finding } from '../../src/core/findings';

/*
 * Findings about a customer's admins, in the shape the detector writes them (issue 20, item 4): the
 * subject is the customer, the admin rides beside it, the key is admins/<tenantId>/<userId>/<measure>
 * (admins/<tenantId>/visibility for a customer the monitor cannot see into).
 */
export const contosoTenant = 'c0000000-0000-4000-8000-000000000001';
export const jane: AdminIdentity = { userId: '11111111-1111-4111-8111-111111111111', userPrincipalName: 'jane@contoso.com', displayName: 'Jane Doe' };
export const breakGlass: AdminIdentity = { userId: '22222222-2222-4222-8222-222222222222', userPrincipalName: 'BreakGlass01@contoso.com', displayName: 'Emergency access 1' };

const opened = { state: 'open', openedAt: '2026-12-07T06:00:00.000Z', resolvedAt: null, event: false } as const;

export function adminWithoutMethod(admin = jane, tenantId = contosoTenant, overrides: Partial<Finding> = {}): Finding {
  return { key: `admins/${tenantId}/${admin.userId}/mfaMethod`, kind: 'adminWithoutMfaMethod', severity: 'critical', subject: { type: 'customer', id: tenantId }, admin, measure: 'isMfaRegistered', baseline: 0, current: 1, ...opened, ...overrides };
}

export function adminNotRequired(admin = jane, tenantId = contosoTenant, overrides: Partial<Finding> = {}): Finding {
  return { key: `admins/${tenantId}/${admin.userId}/mfaRequired`, kind: 'adminMfaNotRequired', severity: 'warning', subject: { type: 'customer', id: tenantId }, admin, measure: 'mfaRequired', baseline: 0, current: 1, ...opened, ...overrides };
}

export function notVisible(detail: string, tenantId = contosoTenant, overrides: Partial<Finding> = {}): Finding {
  return { key: `admins/${tenantId}/visibility`, kind: 'customerNotVisible', severity: 'warning', subject: { type: 'customer', id: tenantId }, measure: 'customerAdminsVisible', baseline: 1, current: 0, detail, ...opened, ...overrides };
}
