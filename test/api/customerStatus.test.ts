import { matchesCustomerStatus } from '../../src/api/customerStatus';
import { detectRegressions, defaultThresholds } from '../../src/core/detectRegressions';
import type { CustomerMfaInsight } from '../../src/core/model';
import { detectionInput } from '../support/customerChanges';

const known = '11111111-1111-1111-1111-111111111111';

function customer(tenantId: string, overrides: Partial<CustomerMfaInsight> = {}): CustomerMfaInsight {
  return { tenantId, compliantAdminsCount: 2, compliantNonAdminsCount: 2, totalUsersCount: 5, securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: 'disabled', legacyPerUserMfaStatus: 'disabled', ...overrides };
}

/** Whether the detector calls the customer, appearing now, a new customer without MFA. */
function alertedAsWithoutMfa(newcomer: CustomerMfaInsight): boolean {
  const result = detectRegressions({
    ...detectionInput({ customers: [customer(known, { securityDefaultsStatus: 'enabled' })] }, { customers: [customer(known, { securityDefaultsStatus: 'enabled' }), newcomer] }),
    findings: new Map(),
    consecutiveFailures: {},
    thresholds: defaultThresholds,
    now: '2026-02-01T00:00:00.000Z',
  });
  return result.transitions.some((transition) => transition.finding.key === `customer/${newcomer.tenantId}/newWithoutMfa`);
}

describe('customer status filter', () => {
  it.each([
    ['every policy disabled', {}, true],
    ['one policy enabled', { mfaConditionalAccessPolicyStatus: 'enabled' }, false],
    ['one policy unknownFutureValue, the others disabled', { legacyPerUserMfaStatus: 'unknownFutureValue' }, false],
    ['one policy missing, the others disabled', { securityDefaultsStatus: null }, false],
  ] as const)('when a customer has %s, then status=noMfaPolicy lists it exactly when the detector alerts on it as without MFA', (_case, overrides, listed) => {
    const newcomer = customer('22222222-2222-2222-2222-222222222222', overrides);
    expect(matchesCustomerStatus('noMfaPolicy')(newcomer)).toBe(listed);
    expect(alertedAsWithoutMfa(newcomer)).toBe(listed);
  });

  it('when a customer has an unknown policy but no compliant admin, then status=nonCompliant still lists it (for its admins)', () => {
    const unknownPolicy = customer('33333333-3333-3333-3333-333333333333', { securityDefaultsStatus: null, compliantAdminsCount: 0 });
    expect(matchesCustomerStatus('nonCompliant')(unknownPolicy)).toBe(true);
    expect(matchesCustomerStatus('nonCompliant')({ ...unknownPolicy, compliantAdminsCount: 1 })).toBe(false);
  });
});
