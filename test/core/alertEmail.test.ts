import { cannotSeeReasonNames, cannotSeeReasons } from '../../src/core/adminScan';
import { composeAlert, describeRegression, type AlertContent } from '../../src/core/alertMessage';
import type { Finding } from '../../src/core/findings';
import { renderEmail } from '../../src/core/messageEmail';
import { adminNotRequired, adminWithoutMethod, breakGlass, contosoTenant, jane, notVisible } from '../support/customerAdminFindings';

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

  it('when regressions and recoveries happen together, then the subject counts each kind of problem in words, the critical first, and quotes no name or id', () => {
    expect(email.subject).toBe('[MFA monitor] 1 customer with no MFA policy · lower partner security score; 1 resolved');
  });

  it('when rendered, then the plain text lists new regressions (critical first), then recoveries, then a one-line count of what is still open', () => {
    const lines = email.plainText.split('\n');
    const index = (text: string) => lines.findIndex((line) => line.includes(text));
    expect(index('New regressions (2)')).toBeLessThan(index(`Contoso <Ltd> (tenant ${tenant})`));
    expect(index(`Contoso <Ltd> (tenant ${tenant})`)).toBeLessThan(index('- CRITICAL: Security defaults was turned off'));
    expect(index('- CRITICAL: Security defaults was turned off')).toBeLessThan(index('Partner security score fell from 80 to 70'));
    expect(index('Partner security score fell')).toBeLessThan(index('Resolved (1)'));
    expect(index('Resolved (1)')).toBeLessThan(index('Requirement MFA for the partner’s admins is compliant again'));
    expect(lines).toContain('1 other problem still open.');
    expect(email.plainText).toContain('All open findings: https://monitor.example/api/dashboard#findings=open');
    expect(email.plainText).not.toContain('MFA-registered users:');
  });

  it("when a customer's policy is off, then its line carries the next step and a link into that tenant's Entra admin center", () => {
    const lines = email.plainText.split('\n');
    const at = lines.findIndex((line) => line.startsWith('- CRITICAL: Security defaults'));
    expect(lines[at + 2]).toBe('  Next: Turn security defaults back on in this tenant, or cover every user with a Conditional Access MFA policy');
    expect(lines[at + 3]).toBe(`  https://entra.microsoft.com/#@${tenant}/blade/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/Properties`);
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
      sections: [{ title: 'New regressions (2)', groups: [{ heading: { text: 'Contoso "><b>', href: 'javascript:alert(2)' }, lines: [
        { text: '<img src=x onerror=alert(1)> & "quoted"', step: { text: 'Open the requirement', url: 'javascript:alert(1)' }, critical: true },
        { text: 'second', href: 'javascript:alert(3)', step: { text: 'Open it', url: 'https://partner.microsoft.com/a"b' }, critical: false },
      ] }], more: null, listHref: null }],
      footer: null,
      findingsLink: null,
    }).html;
    expect(html).not.toMatch(/<script|<img|javascript:/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;');
    expect(html).toContain('Next: Open the requirement</span>');
    expect(html).toContain('Contoso &quot;&gt;&lt;b&gt;');
    expect(html).toContain('href="https://partner.microsoft.com/a%22b"');
  });

  it('when only a reminder is due, then the email lists every open finding and says so in the subject', () => {
    const reminder = render({ stillOpen: [registration, policyOff], reminder: true, customerNames: names });
    expect(reminder.subject).toBe('[MFA monitor] Reminder, still open: 1 customer with no MFA policy · fewer partner users registered for MFA');
    expect(reminder.plainText).toContain('Still open (2)');
    expect(reminder.plainText).toContain('- MFA-registered users: 50 of 100 (50.0%) -> 45 of 100 (45.0%)');
  });

  it('when only recoveries happen, then the subject says what kinds of problem were resolved', () => {
    expect(render({ resolved: [requirementBack] }).subject).toBe('[MFA monitor] Resolved: 1 requirement not compliant');
    expect(render({ resolved: [requirementBack], stillOpen: [score] }).subject).toBe('[MFA monitor] Resolved: 1 requirement not compliant; 1 still open');
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
    expect(render({ opened: [policyOff] }).plainText).toContain(`\nCustomer tenant ${tenant}\n- CRITICAL: Security defaults was turned off`);
    const upper = { ...policyOff, subject: { type: 'customer' as const, id: tenant.replace(/3/g, 'A') } };
    expect(render({ opened: [upper], customerNames: new Map([[upper.subject.id.toLowerCase(), 'Fabrikam']]) }).plainText).toContain(`\nFabrikam (tenant ${upper.subject.id})\n- CRITICAL: Security defaults`);
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
    expect(text).toContain('  Next: Grant the app registration the API permission the error names, then grant admin consent in the partner tenant\n  https://monitor.example/api/dashboard#finding=source%2FpartnerSecurity%2Funavailable');
  });

  it('when a new customer has no MFA policy, then it is named like any customer', () => {
    const fresh = finding({ key: `customer/${tenant}/newWithoutMfa`, kind: 'newCustomerWithoutMfa', severity: 'critical', subject: { type: 'customer', id: tenant }, measure: 'mfaPoliciesEnabled', baseline: 0, current: 1 });
    expect(render({ opened: [fresh], customerNames: names }).plainText).toContain(`\nContoso <Ltd> (tenant ${tenant})\n- CRITICAL: New customer with no MFA policy enabled`);
    expect(render({ opened: [fresh] }).plainText).toContain(`\nCustomer tenant ${tenant}\n- CRITICAL: New customer with no MFA policy enabled`);
  });

  it('when a share and a policy are described, then values read as people expect', () => {
    const share = finding({ kind: 'customerNonAdminShareFell', measure: 'compliantNonAdminShare', subject: { type: 'customer', id: tenant }, baseline: 80, current: 74.5 });
    expect(render({ opened: [share] }).plainText).toContain(`Customer tenant ${tenant}\n- Share of MFA-compliant non-admin users went from 80% to 74.5%`);
  });

  it('when a name carries line breaks, then the subject, which quotes no name, and the heading stay one line each', () => {
    const rendered = render({ opened: [policyOff], customerNames: new Map([[tenant, 'Contoso\r\nBcc: someone@example.com']]) });
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    expect(rendered.subject).not.toContain('Contoso');
    expect(rendered.plainText).toContain(`\nContoso Bcc: someone@example.com (tenant ${tenant})\n- CRITICAL: Security defaults`);
  });
});

describe('composeAlert: a first day with thousands of findings', () => {
  const many = Array.from({ length: 5000 }, (_, index) => {
    const id = `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`;
    return finding({ key: `customer/${id}/mfaConditionalAccessPolicyStatus`, kind: 'customerPolicyDisabled', severity: index % 7 === 0 ? 'critical' : 'warning', subject: { type: 'customer', id }, measure: 'mfaConditionalAccessPolicyStatus', baseline: 'enabled', current: 'disabled' });
  });
  const longNames = new Map(many.map((one) => [one.subject.id, `A customer with a rather long registered company name ${'x'.repeat(300)}`]));

  // The worst case: each line about another customer, so each has its heading and both link to the dashboard. Gmail clips
  // an HTML body past about 102 KB behind "[Message clipped] View entire message" (widely reported, e.g.
  // shkspr.mobi/blog/2019/05/102kb-ought-to-be-enough-for-any-email): the HTML stays well under it.
  it.each([
    ['plain text', (email: ReturnType<typeof render>) => email.plainText, 60 * 1024],
    ['HTML', (email: ReturnType<typeof render>) => email.html, 80 * 1024],
  ])('when 5,000 regressions open at once, then the %s stays under a fixed size, lists 50 lines and counts the rest', (_part, body, limit) => {
    const email = render({ opened: many, resolved: many.slice(0, 3000).map((one) => ({ ...one, state: 'resolved' as const })), publicBaseUrl: 'https://monitor.example', customerNames: longNames });
    expect(Buffer.byteLength(body(email), 'utf8')).toBeLessThan(limit);
    expect(email.plainText).toContain('New regressions (5000)');
    expect(email.plainText).toContain('and 4950 more: https://monitor.example/api/dashboard#findings=open&since=2026-02-01T00%3A00%3A00.000Z');
    expect(email.plainText).toContain('and 2950 more: https://monitor.example/api/dashboard#findings=resolved');
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

describe('composeAlert: what a message says and where it leads', () => {
  const customer = (id: string, measure: string, severity: Finding['severity'] = 'warning'): Finding =>
    finding({ key: `customer/${id}/${measure}`, kind: measure === 'compliantAdminsCount' ? 'customerCompliantAdminsFell' : 'customerPolicyDisabled', severity, subject: { type: 'customer', id }, measure, baseline: measure === 'compliantAdminsCount' ? 3 : 'enabled', current: measure === 'compliantAdminsCount' ? 1 : 'disabled' });
  const signIn = (user: number, at: string): Finding =>
    finding({ key: `principal/user-${user}/${at}`, kind: 'nonMfaSignIn', severity: 'critical', subject: { type: 'principal', id: `user-${user}`, name: `user${user}@partner.example` }, measure: 'lastNonMfaRequestDateTime', baseline: 0, current: 1, event: true });
  const [contoso, fabrikam] = ['c0000000-0000-0000-0000-000000000001', 'f0000000-0000-0000-0000-000000000002'];
  const named = new Map([[contoso, 'Contoso'], [fabrikam, 'Fabrikam']]);

  it('when findings of 10 partner users, 3 customers and others open, then the subject counts each kind of problem in people\'s words, most severe first, and counts the rest', () => {
    // Issue 19: "[MFA monitor] 10 partner users without MFA · 3 customers lost admin MFA · 20 more" — counts, never a quoted line.
    const users = Array.from({ length: 10 }, (_, user) => [signIn(user, '2026-02-01T01:00:00Z'), signIn(user, '2026-02-01T02:00:00Z')]).flat();
    const admins = [contoso, fabrikam, 'a0000000-0000-0000-0000-000000000003'].map((id) => customer(id, 'compliantAdminsCount'));
    const policies = Array.from({ length: 20 }, (_, index) => customer(`b0000000-0000-0000-0000-${String(index).padStart(12, '0')}`, 'securityDefaultsStatus'));
    const subject = render({ opened: [...policies, ...admins, ...users, score], customerNames: named }).subject;
    expect(subject).toBe('[MFA monitor] 10 partner users without MFA · 20 customers with an MFA policy turned off · 3 customers with fewer admins using MFA · 1 more');
    expect(subject).not.toMatch(/[0-9a-f]{8}-|\d{4}-\d{2}-\d{2}T|user\d@|Contoso/);
  });

  it('when findings about two customers and partner users are interleaved, then each customer\'s lines come together under its name and tenant id, said once, and partner users under their own heading', () => {
    const opened = [customer(contoso, 'securityDefaultsStatus', 'critical'), customer(fabrikam, 'compliantAdminsCount'), customer(contoso, 'compliantAdminsCount'), signIn(1, '2026-02-01T01:00:00Z'), customer(fabrikam, 'mfaConditionalAccessPolicyStatus', 'critical')];
    const message = composeAlert({ opened, resolved: [], stillOpen: [], reminder: false, publicBaseUrl: null, customerNames: named, maxLinesPerSection: 50 });
    const [section] = message.sections;
    expect(section!.groups.map((group) => [group.heading?.text, group.lines.map((line) => line.text)])).toEqual([
      [`Contoso (tenant ${contoso})`, ['CRITICAL: Security defaults was turned off, leaving no MFA policy enabled', 'Compliant admins went from 3 to 1']],
      [`Fabrikam (tenant ${fabrikam})`, ['CRITICAL: MFA conditional access policy was turned off, leaving no MFA policy enabled', 'Compliant admins went from 3 to 1']],
      ['Partner users', ['CRITICAL: user1@partner.example (object id user-1) made a request without MFA at 2026-02-01T01:00:00Z UTC']],
    ]);
    const text = renderEmail(message).plainText;
    expect(text.split(`Contoso (tenant ${contoso})`)).toHaveLength(2);
  });

  it('when a section holds more lines than its cap, then the groups are cut in order and "and N more" counts every line left out', () => {
    const opened = [contoso, fabrikam].flatMap((id) => [customer(id, 'securityDefaultsStatus'), customer(id, 'compliantAdminsCount'), customer(id, 'legacyPerUserMfaStatus')]);
    const message = composeAlert({ opened, resolved: [], stillOpen: [], reminder: false, publicBaseUrl: null, customerNames: named, maxLinesPerSection: 4 });
    const [section] = message.sections;
    expect(section!.groups.map((group) => group.lines.length)).toEqual([3, 1]);
    expect(section!.more?.count).toBe(2);
    expect(section!.title).toBe('New regressions (6)');
  });

  it('when Microsoft\'s enumerations are in a line, then they are in words: the requirement type, `noncomplaint` and a policy back on', () => {
    // Graph, "Partner security enum values" (learn.microsoft.com/graph/api/resources/enums-partner-security): complianceStatus
    // compliant | noncomplaint | unknownFutureValue; policyStatus enabled | disabled | unknownFutureValue; securityRequirementType.
    const notCompliant = finding({ key: 'requirement/mfaEnforcedForAdmins/complianceStatus', kind: 'requirementNotCompliant', severity: 'critical', subject: { type: 'requirement', id: 'mfaEnforcedForAdmins' }, measure: 'complianceStatus', baseline: 'compliant', current: 'noncomplaint' });
    const policyBack = finding({ key: 'requirement/mfaEnforcedForAdmins/perUserMfaStatus', kind: 'requirementPolicyDisabled', subject: { type: 'requirement', id: 'mfaEnforcedForAdmins' }, measure: 'perUserMfaStatus', state: 'resolved', baseline: 'enabled', current: 'enabled' });
    const text = render({ opened: [notCompliant], resolved: [policyBack] }).plainText;
    expect(text).toContain('- CRITICAL: Requirement MFA for the partner’s admins is no longer compliant\n');
    const newer = render({ opened: [{ ...notCompliant, current: 'unknownFutureValue' }] }).plainText;
    expect(newer).toContain('- CRITICAL: Requirement MFA for the partner’s admins is no longer compliant (now unknown)');
    expect(text).toContain('- Requirement MFA for the partner’s admins: per-user MFA is on again');
    expect(text).not.toMatch(/noncomplaint|mfaEnforcedForAdmins\b|\benabled\b|unknownFutureValue/);
  });

  it('when PUBLIC_BASE_URL is set, then every link to the monitor opens the dashboard at the finding, the customer or the list, and none the keyed JSON API', () => {
    const blind = finding({ key: 'source/partnerSecurity/unavailable', kind: 'sourceUnavailable', severity: 'critical', subject: { type: 'source', id: 'partnerSecurity' }, measure: 'consecutiveFailedRuns', baseline: 0, current: 3 });
    const opened = [customer(contoso, 'securityDefaultsStatus', 'critical'), score, blind];
    const email = render({ opened, stillOpen: [registration], publicBaseUrl: 'https://monitor.example/', customerNames: named, maxLinesPerSection: 1 });
    const links = [...email.html.matchAll(/href="([^"]+)"/g)].map((match) => match[1]!.replace(/&amp;/g, '&'));
    const ours = links.filter((link) => link.startsWith('https://monitor.example/'));
    expect(ours).toEqual([
      `https://monitor.example/api/dashboard#customer=${contoso}`,
      `https://monitor.example/api/dashboard#finding=${encodeURIComponent(`customer/${contoso}/securityDefaultsStatus`)}`,
      'https://monitor.example/api/dashboard#findings=open&since=2026-02-01T00%3A00%3A00.000Z',
      'https://monitor.example/api/dashboard#findings=open',
    ]);
    expect(links.filter((link) => !link.startsWith('https://monitor.example/api/dashboard#')).every((link) => link.startsWith('https://entra.microsoft.com/'))).toBe(true);
    expect(`${email.html}${email.plainText}`).not.toContain('/api/findings');
  });
});

describe("composeAlert: a customer's admins, named", () => {
  // Issue 20, item 4: "Each line names the customer and the admin (display name and UPN) with the next step and a link
  // (the customer tenant's user page in the Entra admin center)". Graph's userRegistrationDetails (learn.microsoft.com/graph/api/
  // resources/userregistrationdetails): isMfaRegistered "indicates whether the user has registered a strong authentication
  // method for multifactor authentication"; isAdmin "whether the user has an admin role in the tenant".
  const contoso = new Map([[contosoTenant, 'Contoso']]);
  const janePage = `https://entra.microsoft.com/#@${contosoTenant}/blade/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${jane.userId}`;
  const lines = (text: string) => text.split('\n');

  it('when an admin has no MFA method, then the line under the customer names them by display name and UPN, critical, with the step on their user page', () => {
    const text = render({ opened: [adminWithoutMethod()], customerNames: contoso }).plainText;
    const at = lines(text).indexOf('- CRITICAL: Jane Doe (jane@contoso.com), an admin, has no MFA method registered');
    expect(lines(text)[at - 1]).toBe(`Contoso (tenant ${contosoTenant})`);
    expect(lines(text)[at + 1]).toMatch(/^ {2}Next: Have this admin register an MFA method/);
    expect(lines(text)[at + 2]).toBe(`  ${janePage}`);
  });

  it('when an admin has no display name, or no name at all, then the line names them by what is known, the object id last', () => {
    const text = render({ opened: [adminWithoutMethod({ ...jane, displayName: null }), adminWithoutMethod({ ...breakGlass, userPrincipalName: null }), { ...adminWithoutMethod(), key: `admins/${contosoTenant}/33333333-3333-4333-8333-333333333333/mfaMethod`, admin: null }] }).plainText;
    expect(text).toContain('- CRITICAL: jane@contoso.com, an admin, has no MFA method registered');
    expect(text).toContain(`- CRITICAL: Emergency access 1 (object id ${breakGlass.userId}), an admin, has no MFA method registered`);
    expect(text).toContain('- CRITICAL: User 33333333-3333-4333-8333-333333333333, an admin, has no MFA method registered');
  });

  it('when the admin registers a method, or is no longer an admin, then the recovery says which', () => {
    const registered = adminWithoutMethod(jane, contosoTenant, { state: 'resolved', current: 0, resolvedAt: '2026-12-08T06:00:00.000Z' });
    const gone = adminWithoutMethod(breakGlass, contosoTenant, { state: 'resolved', current: null, resolvedAt: '2026-12-08T06:00:00.000Z' });
    const text = render({ resolved: [registered, gone], customerNames: contoso }).plainText;
    expect(text).toContain('- Jane Doe (jane@contoso.com) now has an MFA method registered');
    expect(text).toContain('- Emergency access 1 (BreakGlass01@contoso.com) is no longer an admin');
  });

  it("when no policy requires MFA of an admin, then the line says so with the detector's note, and the step opens the tenant's Conditional Access", () => {
    const text = render({ opened: [adminNotRequired(jane, contosoTenant, { detail: 'the report-only policy "Admins MFA" would cover them' })], customerNames: contoso }).plainText;
    expect(text).toMatch(/\n- No policy requires MFA of Jane Doe \(jane@contoso\.com\): the report-only policy "Admins MFA" would cover them\n {2}Next: Require MFA of this admin[^\n]*\n(.*)\n/);
    expect(/\n {2}Next: Require MFA of this admin[^\n]*\n(.*)\n/.exec(text)?.[1]).toBe(`  https://entra.microsoft.com/#@${contosoTenant}/blade/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/Policies`);
    const back = render({ resolved: [adminNotRequired(jane, contosoTenant, { state: 'resolved', current: 0 })], customerNames: contoso }).plainText;
    expect(back).toContain('- MFA is now required of Jane Doe (jane@contoso.com)');
  });

  it('when the monitor cannot see into a customer, then the line names the customer and the reason in words with what the service said, and the step is the reason\'s', () => {
    const text = render({ opened: [notVisible('noGdapRelationship: AADSTS50020 user does not exist in tenant')], customerNames: contoso, publicBaseUrl: 'https://monitor.example' }).plainText;
    const at = lines(text).indexOf("- The monitor cannot see into Contoso's admins: no active GDAP relationship gives the monitor access to this tenant (the service said: AADSTS50020 user does not exist in tenant)");
    expect(at).toBeGreaterThan(0);
    expect(lines(text)[at + 1]).toBe(`  Details: https://monitor.example/api/dashboard#finding=${encodeURIComponent(`admins/${contosoTenant}/visibility`)}`);
    expect(lines(text)[at + 2]).toBe("  Next: Create or renew a GDAP relationship with this customer (Partner Center, Customers, Admin relationships) and assign the monitor's security group the Global Reader role, or Security Reader plus Reports Reader, in it.");
    expect(lines(text)[at + 3]).toBe(`  https://monitor.example/api/dashboard#customer=${contosoTenant}`);
    expect(render({ opened: [notVisible('tenantDeleted')] }).plainText).toContain("- The monitor cannot see into this tenant's admins: the tenant no longer exists\n");
    expect(render({ resolved: [notVisible('tenantDeleted', contosoTenant, { state: 'resolved', current: 1 })], customerNames: contoso }).plainText).toContain("- The monitor can see into Contoso's admins again");
    expect(render({ resolved: [notVisible('tenantDeleted', contosoTenant, { state: 'resolved', current: null })], customerNames: contoso }).plainText).toContain(`Contoso (tenant ${contosoTenant})\n- Is no longer listed`);
  });

  it.each(cannotSeeReasonNames)('when the monitor cannot see into a customer because of %s, then the line gives the reason in words, never its name', (reason) => {
    const line = describeRegression(notVisible(reason), contoso, 'named');
    expect(line).toBe(`The monitor cannot see into the admins of Contoso (tenant ${contosoTenant}): ${cannotSeeReasons[reason].description}`);
    expect(line).not.toContain(reason);
  });

  it('when four admins of two customers have no MFA method, then the subject counts four admins, not two customers, and names none', () => {
    const fabrikam = 'f0000000-0000-4000-8000-000000000002';
    const more = (index: number, tenantId: string) => adminWithoutMethod({ userId: `4444444${index}-4444-4444-8444-444444444444`, userPrincipalName: `admin${index}@x.example`, displayName: null }, tenantId);
    const subject = render({ opened: [adminWithoutMethod(), more(1, contosoTenant), more(2, contosoTenant), more(3, fabrikam), notVisible('appNotConsented', fabrikam), adminNotRequired()] }).subject;
    // Most severe first, then the most widespread; of equals, in the order of the kinds.
    expect(subject).toBe('[MFA monitor] 4 customer admins with no MFA method · 1 customer admin not required to use MFA · 1 customer the monitor cannot see into');
    expect(subject).not.toMatch(/jane|Jane|@/);
  });
});
