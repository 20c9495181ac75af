import { hasNoMfaPolicy, type CustomerMfaInsight } from '../../src/core/model';

function customer(policies: Pick<CustomerMfaInsight, 'securityDefaultsStatus' | 'mfaConditionalAccessPolicyStatus' | 'legacyPerUserMfaStatus'>): CustomerMfaInsight {
  return { tenantId: '11111111-1111-1111-1111-111111111111', compliantAdminsCount: 1, compliantNonAdminsCount: 2, totalUsersCount: 5, ...policies };
}

describe('hasNoMfaPolicy', () => {
  it('when every policy is disabled, then the customer has no MFA policy', () => {
    expect(hasNoMfaPolicy(customer({ securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: 'disabled', legacyPerUserMfaStatus: 'disabled' }))).toBe(true);
  });

  it.each([
    ['security defaults', { securityDefaultsStatus: 'enabled', mfaConditionalAccessPolicyStatus: 'disabled', legacyPerUserMfaStatus: 'disabled' }],
    ['Conditional Access, the others unknown', { securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: 'enabled', legacyPerUserMfaStatus: 'unknownFutureValue' }],
    ['per-user MFA, the others missing', { securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: null, legacyPerUserMfaStatus: 'enabled' }],
  ] as const)('when one policy is enabled (%s), then the customer has one, whatever the others say', (_case, policies) => {
    expect(hasNoMfaPolicy(customer(policies))).toBe(false);
  });

  it.each([
    ['missing', null],
    ['unknownFutureValue', 'unknownFutureValue'],
    ['a value newer than this code', 'enforcedByDefault'],
  ] as const)('when no policy is enabled and one is %s, then whether the customer has one is unknown (null), never "none"', (_case, status) => {
    expect(hasNoMfaPolicy(customer({ securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: status, legacyPerUserMfaStatus: 'disabled' }))).toBeNull();
  });

  it('when every policy is missing, then whether the customer has one is unknown', () => {
    expect(hasNoMfaPolicy(customer({ securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: null, legacyPerUserMfaStatus: null }))).toBeNull();
  });
});
