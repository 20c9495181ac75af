import { renderAlert } from '../../src/core/alertEmail';
import type { Finding } from '../../src/core/findings';

function finding(overrides: Partial<Finding>): Finding {
  return {
    key: 'score/currentScore', kind: 'scoreFell', severity: 'warning', subject: { type: 'score', id: 'partnerSecurityScore' }, measure: 'currentScore',
    state: 'open', baseline: 80, current: 70, openedAt: '2026-02-01T00:00:00.000Z', resolvedAt: null, event: false, ...overrides,
  };
}

const tenant = '33333333-3333-3333-3333-333333333333';
const score = finding({});
const policyOff = finding({ key: `customer/${tenant}/securityDefaultsStatus`, kind: 'customerPolicyDisabled', severity: 'critical', subject: { type: 'customer', id: tenant, name: 'Contoso <Ltd>' }, measure: 'securityDefaultsStatus', baseline: 'enabled', current: 'disabled' });
const requirementBack = finding({ key: 'requirement/mfaEnforcedForAdmins/complianceStatus', kind: 'requirementNotCompliant', severity: 'critical', subject: { type: 'requirement', id: 'mfaEnforcedForAdmins' }, measure: 'complianceStatus', state: 'resolved', baseline: 'compliant', current: 'compliant' });
const other = finding({ key: 'registration/mfaRegisteredUserCount', kind: 'mfaRegisteredUsersFell', subject: { type: 'registration', id: 'credentialUserRegistrationCount' }, measure: 'mfaRegisteredUserCount', baseline: 50, current: 45 });

describe('renderAlert', () => {
  const email = renderAlert({ opened: [score, policyOff], resolved: [requirementBack], stillOpen: [other], reminder: false, publicBaseUrl: 'https://monitor.example/' });

  it('when regressions and recoveries happen together, then the subject counts them and names the worst (critical) one', () => {
    expect(email.subject).toBe(`[MFA monitor] 2 new regressions (1 critical): Customer Contoso <Ltd> (${tenant}): security defaults was turned off, leaving no MFA policy enabled; 1 resolved`);
  });

  it('when rendered, then the plain text lists new regressions (critical first), then recoveries, then a one-line count of what is still open', () => {
    const lines = email.plainText.split('\n');
    const index = (text: string) => lines.findIndex((line) => line.includes(text));
    expect(index('New regressions (2)')).toBeLessThan(index('CRITICAL: Customer Contoso'));
    expect(index('CRITICAL: Customer Contoso')).toBeLessThan(index('Partner security score fell from 80 to 70'));
    expect(index('Partner security score fell')).toBeLessThan(index('Resolved (1)'));
    expect(index('Resolved (1)')).toBeLessThan(index('Requirement mfaEnforcedForAdmins is compliant again'));
    expect(lines).toContain('1 other problem still open.');
    expect(email.plainText).toContain(`https://monitor.example/api/customers/${tenant}/history`);
    expect(email.plainText).toContain('All open findings: https://monitor.example/api/findings?state=open');
    expect(email.plainText).not.toContain('MFA-registered users went');
  });

  it('when rendered, then the HTML carries the same items, escaped, with links, in one narrow column', () => {
    expect(email.html).toContain('Contoso &lt;Ltd&gt;');
    expect(email.html).not.toContain('Contoso <Ltd>');
    expect(email.html).toContain(`href="https://monitor.example/api/customers/${tenant}/history"`);
    expect(email.html).toContain('max-width:600px');
    expect(email.html.indexOf('New regressions')).toBeLessThan(email.html.indexOf('Resolved (1)'));
  });

  it('when only a reminder is due, then the email lists every open finding and says so in the subject', () => {
    const reminder = renderAlert({ opened: [], resolved: [], stillOpen: [other, policyOff], reminder: true, publicBaseUrl: null });
    expect(reminder.subject).toMatch(/^\[MFA monitor\] Reminder: 2 problems still open, worst: Customer Contoso/);
    expect(reminder.plainText).toContain('Still open (2)');
    expect(reminder.plainText).toContain('Registration counts: MFA-registered users went from 50 to 45');
    expect(reminder.plainText).not.toContain('http');
  });

  it('when only recoveries happen, then the subject says how many were resolved', () => {
    expect(renderAlert({ opened: [], resolved: [requirementBack], stillOpen: [], reminder: false, publicBaseUrl: null }).subject).toBe('[MFA monitor] 1 problem resolved');
  });

  it('when a share and a principal sighting are described, then values read as people expect', () => {
    const share = finding({ kind: 'customerNonAdminShareFell', measure: 'compliantNonAdminShare', subject: { type: 'customer', id: tenant }, baseline: 80, current: 74.5 });
    const sighting = finding({ key: 'principal/abc/2026-01-02T03:04:05.000Z', kind: 'nonMfaSignIn', severity: 'critical', subject: { type: 'principal', id: 'abc' }, measure: 'lastNonMfaRequestDateTime', baseline: 0, current: 1, event: true });
    const text = renderAlert({ opened: [share, sighting], resolved: [], stillOpen: [], reminder: false, publicBaseUrl: null }).plainText;
    expect(text).toContain(`Customer ${tenant}: share of MFA-compliant non-admin users went from 80% to 74.5%`);
    expect(text).toContain('CRITICAL: Partner user abc made a request without MFA at 2026-01-02T03:04:05.000Z UTC');
  });
});
