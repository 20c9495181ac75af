import { composeAlert, type AlertContent } from '../../src/core/alertMessage';
import type { Finding } from '../../src/core/findings';
import { renderEmail } from '../../src/core/messageEmail';

function finding(overrides: Partial<Finding>): Finding {
  return {
    key: 'score/currentScore', kind: 'scoreFell', severity: 'warning', subject: { type: 'score', id: 'partnerSecurityScore' }, measure: 'currentScore',
    state: 'open', baseline: 80, current: 70, openedAt: '2026-02-01T00:00:00.000Z', resolvedAt: null, event: false, ...overrides,
  };
}

function render(content: Partial<AlertContent>) {
  return renderEmail(composeAlert({ opened: [], resolved: [], stillOpen: [], reminder: false, publicBaseUrl: null, customerNames: new Map(), maxLinesPerSection: 50, ...content }));
}

const tenant = '33333333-3333-3333-3333-333333333333';
const names = new Map([[tenant, 'Contoso <Ltd>']]);
const score = finding({});
const policyOff = finding({ key: `customer/${tenant}/securityDefaultsStatus`, kind: 'customerPolicyDisabled', severity: 'critical', subject: { type: 'customer', id: tenant }, measure: 'securityDefaultsStatus', baseline: 'enabled', current: 'disabled' });
const requirementBack = finding({ key: 'requirement/mfaEnforcedForAdmins/complianceStatus', kind: 'requirementNotCompliant', severity: 'critical', subject: { type: 'requirement', id: 'mfaEnforcedForAdmins' }, measure: 'complianceStatus', state: 'resolved', baseline: 'compliant', current: 'compliant' });
const registration = finding({
  key: 'registration/mfaRegisteredUsers', kind: 'mfaRegisteredUsersFell', subject: { type: 'registration', id: 'credentialUserRegistrationCount' }, measure: 'mfaRegisteredUserCount',
  baseline: 50, current: 45, baselineOfWhole: { total: 100, share: 50 }, currentOfWhole: { total: 100, share: 45 },
});
const tenants = finding({
  key: 'requirement/mfaEnforcedForAdminsOfCustomers/compliantTenants', kind: 'compliantTenantsFell', subject: { type: 'requirement', id: 'mfaEnforcedForAdminsOfCustomers' }, measure: 'compliantTenantCount',
  baseline: 20, current: 18, baselineOfWhole: { total: 79, share: 25.32 }, currentOfWhole: { total: 79, share: 22.78 },
  actionUrl: 'https://aka.ms/partner-center-security-customer-mfa', helpUrl: 'https://aka.ms/partner-center-security-dashboard-require-mfa',
});

describe('composeAlert, rendered as an email', () => {
  const email = render({ opened: [score, policyOff], resolved: [requirementBack], stillOpen: [registration], publicBaseUrl: 'https://monitor.example/', customerNames: names });

  it('when regressions and recoveries happen together, then the subject counts them and names the worst (critical) one, the customer by name first', () => {
    expect(email.subject).toBe(`[MFA monitor] 2 new regressions (1 critical); 1 resolved: Contoso <Ltd> (tenant ${tenant}): security defaults was turned off, leaving no MFA policy enabled`);
  });

  it('when rendered, then the plain text lists new regressions (critical first), then recoveries, then a one-line count of what is still open', () => {
    const lines = email.plainText.split('\n');
    const index = (text: string) => lines.findIndex((line) => line.includes(text));
    expect(index('New regressions (2)')).toBeLessThan(index('CRITICAL: Contoso'));
    expect(index('CRITICAL: Contoso')).toBeLessThan(index('Partner security score fell from 80 to 70'));
    expect(index('Partner security score fell')).toBeLessThan(index('Resolved (1)'));
    expect(index('Resolved (1)')).toBeLessThan(index('Requirement mfaEnforcedForAdmins is compliant again'));
    expect(lines).toContain('1 other problem still open.');
    expect(email.plainText).toContain('All open findings: https://monitor.example/api/findings?state=open');
    expect(email.plainText).not.toContain('MFA-registered users:');
  });

  it("when a customer's policy is off, then its line carries the next step and a link into that tenant's Entra admin center", () => {
    const lines = email.plainText.split('\n');
    const at = lines.findIndex((line) => line.startsWith('- CRITICAL: Contoso'));
    expect(lines[at + 1]).toBe('  Next: Turn security defaults back on in this tenant, or cover every user with a Conditional Access MFA policy');
    expect(lines[at + 2]).toBe(`  https://entra.microsoft.com/#@${tenant}/blade/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/Properties`);
  });

  it('when rendered, then the HTML carries the same items, escaped, with the next step linked, in one narrow column', () => {
    expect(email.html).toContain('Contoso &lt;Ltd&gt;');
    expect(email.html).not.toContain('Contoso <Ltd>');
    expect(email.html).toContain(`href="https://entra.microsoft.com/#@${tenant}/blade/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/Properties"`);
    expect(email.html).toContain('max-width:600px');
    expect(email.html.indexOf('New regressions')).toBeLessThan(email.html.indexOf('Resolved (1)'));
  });

  it('when rendered, then its one column is a 600-pixel table, not a div, so Outlook for Windows keeps it narrow', () => {
    // Microsoft, "Word 2007 HTML and CSS Rendering Capabilities in Outlook 2007" (MSDN, 2006; Outlook for Windows still lays
    // HTML out with Word): `width` is a "full" CSS property, honoured on <table> and <td> but not on <div> or <p>, and
    // `margin: auto` is not supported, so a `max-width` div spreads across the whole reading pane there.
    expect(email.html).toContain('<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;width:100%">');
    expect(email.html).not.toMatch(/<div[^>]*max-width/);
  });

  it('when names carry HTML and a next step another system gave links to javascript:, then the HTML shows the text escaped and links only http(s) URLs', () => {
    const html = renderEmail({
      subject: 'Contoso "><script>alert(1)</script>',
      sections: [{ title: 'New regressions (2)', lines: [
        { text: '<img src=x onerror=alert(1)> & "quoted"', step: { text: 'Open the requirement', url: 'javascript:alert(1)' }, critical: true },
        { text: 'second', step: { text: 'Open it', url: 'https://partner.microsoft.com/a"b' }, critical: false },
      ], more: null, listHref: null }],
      footer: null,
      findingsLink: null,
    }).html;
    expect(html).not.toMatch(/<script|<img|javascript:/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;');
    expect(html).toContain('Next: Open the requirement</span>');
    expect(html).toContain('href="https://partner.microsoft.com/a%22b"');
  });

  it('when only a reminder is due, then the email lists every open finding and says so in the subject', () => {
    const reminder = render({ stillOpen: [registration, policyOff], reminder: true, customerNames: names });
    expect(reminder.subject).toMatch(/^\[MFA monitor\] Reminder: 2 problems still open, worst: Contoso/);
    expect(reminder.plainText).toContain('Still open (2)');
    expect(reminder.plainText).toContain('- MFA-registered users: 50 of 100 (50.0%) -> 45 of 100 (45.0%)');
  });

  it('when only recoveries happen, then the subject says how many were resolved', () => {
    expect(render({ resolved: [requirementBack] }).subject).toBe('[MFA monitor] 1 problem resolved');
  });

  it("when compliant customer tenants fall, then the count and its share are one line, with the requirement's own action link", () => {
    const text = render({ opened: [tenants] }).plainText;
    expect(text).toContain('- compliant customer tenants: 20 of 79 (25.3%) -> 18 of 79 (22.8%)\n  Next: ');
    expect(text).toContain('\n  https://aka.ms/partner-center-security-customer-mfa');
    expect(text.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(1);
    const back = render({ resolved: [{ ...tenants, state: 'resolved', current: 21, currentOfWhole: { total: 80, share: 26.25 } }] }).plainText;
    expect(back).toContain('- compliant customer tenants: back to 21 of 80 (26.3%) (was 20 of 79 (25.3%) before the regression)');
  });

  it('when a requirement has only its help link, then the line links that', () => {
    const text = render({ opened: [{ ...tenants, actionUrl: null }] }).plainText;
    expect(text).toContain('\n  https://aka.ms/partner-center-security-dashboard-require-mfa');
  });

  it('when a customer has no known name, then it shows by tenant id alone; a name known under the lower-case id is found', () => {
    expect(render({ opened: [policyOff] }).plainText).toContain(`- CRITICAL: Customer tenant ${tenant}: security defaults was turned off`);
    const upper = { ...policyOff, subject: { type: 'customer' as const, id: tenant.replace(/3/g, 'A') } };
    expect(render({ opened: [upper], customerNames: new Map([[upper.subject.id.toLowerCase(), 'Fabrikam']]) }).plainText).toContain(`- CRITICAL: Fabrikam (tenant ${upper.subject.id})`);
  });

  it("when a partner user signs in without MFA, then the line names them by UPN beside the object id and links the partner's sign-in logs", () => {
    const sighting = finding({
      key: 'principal/abc/2026-01-02T03:04:05.000Z', kind: 'nonMfaSignIn', severity: 'critical', subject: { type: 'principal', id: 'abc', name: 'alice@partner.com' }, measure: 'lastNonMfaRequestDateTime',
      baseline: 0, current: 1, event: true, actionUrl: 'https://entra.microsoft.com/#@partner-tenant/blade/Microsoft_AAD_IAM/SignInEventsV3Blade',
    });
    const text = render({ opened: [sighting] }).plainText;
    expect(text).toContain('- CRITICAL: alice@partner.com (object id abc) made a request without MFA at 2026-01-02T03:04:05.000Z UTC');
    expect(text).toContain('\n  https://entra.microsoft.com/#@partner-tenant/blade/Microsoft_AAD_IAM/SignInEventsV3Blade');
    const unnamed = render({ opened: [{ ...sighting, subject: { type: 'principal', id: 'abc' } }] }).plainText;
    expect(unnamed).toContain('- CRITICAL: Partner user abc made a request');
  });

  it('when the monitor cannot see a source, then the next step is the fix its error names', () => {
    const blind = finding({ key: 'source/partnerSecurity/unavailable', kind: 'sourceUnavailable', severity: 'critical', subject: { type: 'source', id: 'partnerSecurity' }, measure: 'consecutiveFailedRuns', baseline: 0, current: 3, detail: 'Forbidden: Graph GET /beta/security/partner/securityScore answered 403' });
    const text = render({ opened: [blind], publicBaseUrl: 'https://monitor.example' }).plainText;
    expect(text).toContain('  Next: Grant the app registration the API permission the error names, then grant admin consent in the partner tenant\n  https://monitor.example/api/runs?source=partnerSecurity');
  });

  it('when a new customer has no MFA policy, then it is named like any customer', () => {
    const fresh = finding({ key: `customer/${tenant}/newWithoutMfa`, kind: 'newCustomerWithoutMfa', severity: 'critical', subject: { type: 'customer', id: tenant }, measure: 'mfaPoliciesEnabled', baseline: 0, current: 1 });
    expect(render({ opened: [fresh], customerNames: names }).plainText).toContain(`- CRITICAL: New customer Contoso <Ltd> (tenant ${tenant}) has no MFA policy enabled`);
    expect(render({ opened: [fresh] }).plainText).toContain(`- CRITICAL: New customer tenant ${tenant} has no MFA policy enabled`);
  });

  it('when a share and a policy are described, then values read as people expect', () => {
    const share = finding({ kind: 'customerNonAdminShareFell', measure: 'compliantNonAdminShare', subject: { type: 'customer', id: tenant }, baseline: 80, current: 74.5 });
    expect(render({ opened: [share] }).plainText).toContain(`Customer tenant ${tenant}: share of MFA-compliant non-admin users went from 80% to 74.5%`);
  });

  it('when a name carries line breaks, then the subject and the line stay one line each', () => {
    const rendered = render({ opened: [policyOff], customerNames: new Map([[tenant, 'Contoso\r\nBcc: someone@example.com']]) });
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    expect(rendered.subject).toContain('Contoso Bcc: someone@example.com (tenant');
    expect(rendered.plainText).toContain(`- CRITICAL: Contoso Bcc: someone@example.com (tenant ${tenant})`);
  });
});

describe('composeAlert: a first day with thousands of findings', () => {
  const many = Array.from({ length: 5000 }, (_, index) => {
    const id = `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`;
    return finding({ key: `customer/${id}/mfaConditionalAccessPolicyStatus`, kind: 'customerPolicyDisabled', severity: index % 7 === 0 ? 'critical' : 'warning', subject: { type: 'customer', id }, measure: 'mfaConditionalAccessPolicyStatus', baseline: 'enabled', current: 'disabled' });
  });
  const longNames = new Map(many.map((one) => [one.subject.id, `A customer with a rather long registered company name ${'x'.repeat(300)}`]));

  it.each([
    ['plain text', (email: ReturnType<typeof render>) => email.plainText, 40 * 1024],
    ['HTML', (email: ReturnType<typeof render>) => email.html, 48 * 1024],
  ])('when 5,000 regressions open at once, then the %s stays under a fixed size, lists 50 lines and counts the rest', (_part, body, limit) => {
    const email = render({ opened: many, resolved: many.slice(0, 3000).map((one) => ({ ...one, state: 'resolved' as const })), publicBaseUrl: 'https://monitor.example', customerNames: longNames });
    expect(Buffer.byteLength(body(email), 'utf8')).toBeLessThan(limit);
    expect(email.plainText).toContain('New regressions (5000)');
    expect(email.plainText).toContain('and 4950 more: https://monitor.example/api/findings?state=open');
    expect(email.plainText).toContain('and 2950 more: https://monitor.example/api/findings?state=resolved');
    expect(email.plainText.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(100);
    // Critical first, even when most of the list is left out.
    expect(email.plainText.split('\n').find((line) => line.startsWith('- '))).toMatch(/^- CRITICAL: /);
    expect(email.subject).not.toMatch(/\n/);
    expect(email.subject.length).toBeLessThanOrEqual(255);
  });

  it('when the line limit is set lower, then each section lists that many', () => {
    const email = render({ opened: many.slice(0, 10), maxLinesPerSection: 3 });
    expect(email.plainText.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(3);
    expect(email.plainText).toContain('and 7 more');
    expect(email.html).toContain('and 7 more');
  });
});
