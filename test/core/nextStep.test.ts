import { entraUrl } from '../../src/core/entraLinks';
import type { Finding } from '../../src/core/findings';
import { nextStep } from '../../src/core/nextStep';

const tenant = 'a0000000-0000-0000-0000-000000000001';

function finding(overrides: Partial<Finding>): Finding {
  return { key: 'k', kind: 'customerPolicyDisabled', severity: 'warning', subject: { type: 'customer', id: tenant }, measure: 'securityDefaultsStatus', state: 'open', baseline: 'enabled', current: 'disabled', openedAt: '', resolvedAt: null, event: false, ...overrides };
}

describe('nextStep', () => {
  it('when a blade is asked for a tenant, then the link pins that directory; without one, the signed-in directory', () => {
    expect(entraUrl(tenant, 'conditionalAccess')).toBe(`https://entra.microsoft.com/#@${tenant}/blade/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/Policies`);
    expect(entraUrl(null, 'signInLogs')).toBe('https://entra.microsoft.com/#blade/Microsoft_AAD_IAM/SignInEventsV3Blade');
  });

  it.each([
    ['securityDefaultsStatus', 'Properties'],
    ['mfaConditionalAccessPolicyStatus', 'ConditionalAccessBlade/Policies'],
    ['compliantAdminsCount', 'SignInEventsV3Blade'],
    ['mfaPoliciesEnabled', 'Properties'],
  ])("when a customer's %s regresses, then the step opens that tenant's admin center where it is fixed", (measure, blade) => {
    const step = nextStep(finding({ measure }), null);
    expect(step.url).toMatch(new RegExp(`^https://entra\\.microsoft\\.com/#@${tenant}/blade/.*${blade}$`));
    expect(step.text.length).toBeGreaterThan(20);
  });

  it('when a requirement has no links from the API, then its step has none rather than a made-up one', () => {
    expect(nextStep(finding({ kind: 'requirementNotCompliant', subject: { type: 'requirement', id: 'securityContactProvided' }, measure: 'complianceStatus' }), 'https://monitor.example').url).toBeNull();
  });

  it('when a source fails with a code the monitor has no fix for, then the step asks to fix what the error names', () => {
    const step = nextStep(finding({ kind: 'sourceUnavailable', subject: { type: 'source', id: 'registrationCounts' }, measure: 'consecutiveFailedRuns', detail: 'Gone: Graph answered 410' }), 'https://monitor.example/');
    expect(step).toEqual({ text: 'Fix what the last error names, then run the collector again', url: 'https://monitor.example/api/dashboard#finding=k' });
  });
});
