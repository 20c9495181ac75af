import { renderWeeklyDigest } from '../../src/core/digestMessage';
import type { Finding } from '../../src/core/findings';
import type { CustomerMfaInsight } from '../../src/core/model';
import { composeWeeklyDigest, isoWeek, type DigestInput } from '../../src/core/weeklyDigest';
import { adminNotRequired, adminWithoutMethod, breakGlass, contosoTenant, jane, notVisible } from '../support/customerAdminFindings';

const now = new Date('2026-12-07T07:00:00Z');
const daysAgo = (days: number): Date => new Date(now.getTime() - days * 86_400_000);

function customer(tenantId: string, overrides: Partial<CustomerMfaInsight> = {}): CustomerMfaInsight {
  return {
    tenantId,
    compliantAdminsCount: 2,
    compliantNonAdminsCount: 10,
    totalUsersCount: 12,
    securityDefaultsStatus: 'enabled',
    mfaConditionalAccessPolicyStatus: 'disabled',
    legacyPerUserMfaStatus: 'disabled',
    ...overrides,
  };
}

const noPolicy = { securityDefaultsStatus: 'disabled', mfaConditionalAccessPolicyStatus: 'disabled', legacyPerUserMfaStatus: 'disabled' };

function finding(key: string, openedDaysAgo: number, severity: Finding['severity'] = 'warning'): Finding {
  return {
    key,
    kind: 'customerPolicyDisabled',
    severity,
    subject: { type: 'customer', id: 'aaaaaaaa-0000-0000-0000-000000000001' },
    measure: 'securityDefaultsStatus',
    state: 'open',
    baseline: 'enabled',
    current: 'disabled',
    openedAt: daysAgo(openedDaysAgo).toISOString(),
    resolvedAt: null,
    event: false,
  };
}

function input(overrides: Partial<DigestInput> = {}): DigestInput {
  return {
    now,
    scores: [],
    requirements: [],
    customersNow: null,
    customersWeekAgo: null,
    customerNames: new Map(),
    openFindings: [],
    waivedCount: 0,
    principals: null,
    expiringWaivers: [],
    mappingGaps: [],
    maxNamed: 10,
    ...overrides,
  };
}

describe('isoWeek', () => {
  it.each([
    ['2026-12-03T12:00:00Z', '2026-W49'],
    ['2021-01-03T23:59:59Z', '2020-W53'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
    ['2026-01-01T00:00:00Z', '2026-W01'],
    ['2027-01-03T00:00:00Z', '2026-W53'],
  ])('when the instant is %s, then the ISO week is %s', (at, week) => {
    expect(isoWeek(new Date(at))).toBe(week);
  });
});

describe('composeWeeklyDigest', () => {
  it('when the score moved during the week and the quarter, then both trends start at the first run of their window and end at the newest', () => {
    const digest = composeWeeklyDigest(
      input({
        scores: [
          { at: daysAgo(80), currentScore: 50, maxScore: 100 },
          { at: daysAgo(6), currentScore: 62, maxScore: 100 },
          { at: daysAgo(1), currentScore: 58.5, maxScore: 100 },
          { at: daysAgo(100), currentScore: 10, maxScore: 100 },
        ],
      }),
    );
    expect(digest.score.week).toMatchObject({ first: 62, last: 58.5 });
    expect(digest.score.quarter).toMatchObject({ first: 50, last: 58.5 });
    expect(digest.score.quarter.daily.map((point) => point.value)).toEqual([50, 62, 58.5]);
    expect(digest.score.maxScore).toBe(100);
  });

  it('when a requirement was compliant a week ago and is not now, then it broke this week, with the compliant tenant counts of both days', () => {
    const digest = composeWeeklyDigest(
      input({
        requirements: [
          { at: daysAgo(8), requirementType: 'mfaEnforcedForAdminsOfCustomers', complianceStatus: 'compliant', compliantTenantCount: 70, totalTenantCount: 79 },
          { at: daysAgo(1), requirementType: 'mfaEnforcedForAdminsOfCustomers', complianceStatus: 'noncomplaint', compliantTenantCount: 20, totalTenantCount: 79 },
        ],
      }),
    );
    expect(digest.requirements).toEqual([
      {
        requirementType: 'mfaEnforcedForAdminsOfCustomers',
        complianceStatus: 'noncomplaint',
        compliantNow: false,
        compliantWeekAgo: true,
        compliantTenants: { now: 20, weekAgo: 70, total: 79 },
      },
    ]);
  });

  it('when customers gain and lose a problem, then the movers are named, named ones first, and a customer that left is not counted as fixed', () => {
    const names = new Map([
      ['bbbbbbbb-0000-0000-0000-000000000002', 'Contoso'],
      ['cccccccc-0000-0000-0000-000000000003', 'Adatum'],
    ]);
    const digest = composeWeeklyDigest(
      input({
        customerNames: names,
        customersWeekAgo: [
          customer('aaaaaaaa-0000-0000-0000-000000000001'),
          customer('bbbbbbbb-0000-0000-0000-000000000002'),
          customer('cccccccc-0000-0000-0000-000000000003'),
          customer('dddddddd-0000-0000-0000-000000000004', noPolicy),
          customer('eeeeeeee-0000-0000-0000-000000000005', noPolicy),
        ],
        customersNow: [
          customer('aaaaaaaa-0000-0000-0000-000000000001', noPolicy),
          customer('bbbbbbbb-0000-0000-0000-000000000002', noPolicy),
          customer('cccccccc-0000-0000-0000-000000000003', noPolicy),
          customer('dddddddd-0000-0000-0000-000000000004'),
        ],
      }),
    );
    const noMfaPolicy = digest.customers?.problems.find((problem) => problem.problem === 'noMfaPolicy');
    expect(noMfaPolicy).toMatchObject({ now: 3, weekAgo: 2, newlyAffectedMore: 0, fixedMore: 0 });
    expect(noMfaPolicy?.newlyAffected.map((mover) => mover.name ?? mover.tenantId)).toEqual(['Adatum', 'Contoso', 'aaaaaaaa-0000-0000-0000-000000000001']);
    expect(noMfaPolicy?.fixed.map((mover) => mover.tenantId)).toEqual(['dddddddd-0000-0000-0000-000000000004']);
    expect(digest.customers).toMatchObject({ total: 4, totalWeekAgo: 5 });
  });

  it('when more customers moved than may be named, then the rest are counted', () => {
    const before = Array.from({ length: 15 }, (_, index) => customer(`${index.toString(16).padStart(8, '0')}-0000-0000-0000-000000000000`));
    const after = before.map((one) => ({ ...one, compliantAdminsCount: 0 }));
    const digest = composeWeeklyDigest(input({ customersWeekAgo: before, customersNow: after, maxNamed: 4 }));
    const admins = digest.customers?.problems.find((problem) => problem.problem === 'adminsNotCompliant');
    expect(admins).toMatchObject({ now: 15, weekAgo: 0, newlyAffectedMore: 11 });
    expect(admins?.newlyAffected).toHaveLength(4);
  });

  it('when there is no snapshot a week old, then the counts of now stand alone and no one is called a mover', () => {
    const digest = composeWeeklyDigest(input({ customersNow: [customer('aaaaaaaa-0000-0000-0000-000000000001', noPolicy)] }));
    expect(digest.customers?.problems[0]).toMatchObject({ problem: 'noMfaPolicy', now: 1, weekAgo: null, newlyAffected: [], fixed: [] });
  });

  it('when a customer has no policy enabled but one of unknown status, then it is not counted as without an MFA policy, as the alerts and the query API read it', () => {
    const unknownPolicy = customer('aaaaaaaa-0000-0000-0000-000000000001', { ...noPolicy, legacyPerUserMfaStatus: 'unknownFutureValue' });
    const missingPolicy = customer('bbbbbbbb-0000-0000-0000-000000000002', { ...noPolicy, securityDefaultsStatus: null });
    const digest = composeWeeklyDigest(input({ customersNow: [unknownPolicy, missingPolicy, customer('cccccccc-0000-0000-0000-000000000003', noPolicy)] }));
    expect(digest.customers?.problems.find((problem) => problem.problem === 'noMfaPolicy')).toMatchObject({ now: 1 });
  });

  it('when findings have been open for different times, then they fall in their age buckets, events and resolved ones left out, oldest listed first', () => {
    const resolved = { ...finding('resolved', 3), state: 'resolved' as const };
    const event = { ...finding('event', 3), event: true };
    const digest = composeWeeklyDigest(input({ openFindings: [finding('new', 2, 'critical'), finding('month', 20), finding('old', 200), finding('older', 300, 'critical'), resolved, event] }));
    expect(digest.findingsByAge).toEqual([
      { label: 'under a week', count: 1, critical: 1 },
      { label: '1-4 weeks', count: 1, critical: 0 },
      { label: '1-3 months', count: 0, critical: 0 },
      { label: 'over 3 months', count: 2, critical: 1 },
    ]);
    expect(digest.openCount).toBe(4);
    expect(digest.oldestOpen.map((one) => one.key)).toEqual(['older', 'old', 'month', 'new']);
  });

  it('when partner users signed in without MFA, then each is listed once by UPN, and a never-collected source is told apart from none', () => {
    const principals = [
      { objectId: 'o1', tenantId: null, upn: 'ann@partner.example', lastNonMfaRequestDateTime: daysAgo(1).toISOString() },
      { objectId: 'o1', tenantId: null, upn: 'ann@partner.example', lastNonMfaRequestDateTime: daysAgo(2).toISOString() },
      { objectId: 'o2', tenantId: null, upn: null, lastNonMfaRequestDateTime: daysAgo(1).toISOString() },
    ];
    expect(composeWeeklyDigest(input({ principals })).principals).toEqual({ count: 2, users: ['ann@partner.example', 'object id o2'], more: 0 });
    expect(composeWeeklyDigest(input({ principals: [] })).principals).toEqual({ count: 0, users: [], more: 0 });
    expect(composeWeeklyDigest(input()).principals).toBeNull();
  });
});

describe('mapping gaps in the digest', () => {
  const tenant = 'bbbbbbbb-0000-0000-0000-000000000002';
  const unnamed = 'cccccccc-0000-0000-0000-000000000003';
  const digest = composeWeeklyDigest(input({ customerNames: new Map([[tenant, 'Contoso']]), mappingGaps: [{ psa: 'connectwise', tenantIds: [tenant, unnamed], count: 7 }, { psa: 'halopsa', tenantIds: [], count: 0 }] }));

  it('when customers\' tickets are filed under a PSA\'s fallback company, then the digest names them (by name, else tenant id), counts the rest, and links to where they are mapped', () => {
    expect(digest.mappingGaps).toEqual([{ psa: 'connectwise', customers: ['Contoso', `tenant ${unnamed}`], more: 5 }]);
    const { plainText } = renderWeeklyDigest(digest, { customerNames: new Map(), publicBaseUrl: 'https://monitor.example' });
    expect(plainText).toContain(`ConnectWise PSA: Contoso, tenant ${unnamed} and 5 more`);
    expect(plainText).toContain('https://monitor.example/api/dashboard#psaCompanies=connectwise');
    expect(plainText).not.toContain('HaloPSA:');
  });
});

describe('renderWeeklyDigest', () => {
  const names = new Map([['bbbbbbbb-0000-0000-0000-000000000002', 'Contoso <Ltd>']]);
  const digest = composeWeeklyDigest(
    input({
      customerNames: names,
      scores: [
        { at: daysAgo(6), currentScore: 62, maxScore: 100 },
        { at: daysAgo(1), currentScore: 58.5, maxScore: 100 },
      ],
      requirements: [{ at: daysAgo(1), requirementType: 'mfaEnforcedForAdminsOfCustomers', complianceStatus: 'noncomplaint', compliantTenantCount: 20, totalTenantCount: 79 }],
      customersWeekAgo: [customer('bbbbbbbb-0000-0000-0000-000000000002')],
      customersNow: [customer('bbbbbbbb-0000-0000-0000-000000000002', noPolicy)],
      openFindings: [{ ...finding('f', 10, 'critical'), subject: { type: 'customer', id: 'bbbbbbbb-0000-0000-0000-000000000002' } }],
      principals: [],
      waivedCount: 2,
      expiringWaivers: [{ description: 'Partner users matching breakglass*@partner.example', owner: 'ciso@partner.example', expiresAt: daysAgo(-5) }],
    }),
  );
  const rendered = renderWeeklyDigest(digest, { customerNames: names, publicBaseUrl: 'https://monitor.example/' });

  it('when rendered, then the subject says the week, the score and its change, and the open problems', () => {
    expect(rendered.subject).toBe('[MFA monitor] Weekly digest 2026-W50: score 58.5 (-3.5), 1 open problem (1 critical)');
  });

  it('when rendered, then customers are named (escaped in HTML), the oldest problems come under their customer, the next step is given and links lead to the dashboard', () => {
    expect(rendered.plainText).toContain('New this week: Contoso <Ltd>');
    expect(rendered.html).toContain('New this week: Contoso &lt;Ltd&gt;');
    expect(rendered.html).not.toContain('Contoso <Ltd>');
    expect(rendered.plainText).toMatch(/\nContoso <Ltd> \(tenant bbbbbbbb-0000-0000-0000-000000000002\): https:\/\/monitor\.example\/api\/dashboard#customer=bbbbbbbb-0000-0000-0000-000000000002\n- Open since \d{4}-\d{2}-\d{2}: /);
    expect(rendered.plainText).toContain('Next: ');
    expect(rendered.plainText).toContain('Partner users matching breakglass*@partner.example, owned by ciso@partner.example, expires');
    expect(rendered.plainText).toContain("No partner user signed in without MFA in Partner Center's last 7 days.");
    expect(rendered.plainText).toContain('2 more open problems are waived (see the waivers on the dashboard).');
  });

  it('when rendered, then the charts are tables Outlook draws: no script, no SVG, no CSS it ignores for layout, bars with widths and colours in attributes', () => {
    expect(rendered.html).not.toMatch(/<script|<svg|<canvas|display:\s*flex|display:\s*grid|position:/i);
    // 20 of 79 compliant: a 25 % bar and its 75 % track.
    expect(rendered.html).toContain('<td width="25%" height="10" bgcolor="#a4262c"');
    expect(rendered.html).toContain('<td width="75%" height="10" bgcolor="#e6e6e6"');
    // The quarter's column chart: one column per day with a run, heights in pixels of a 60-pixel chart.
    expect(rendered.html).toMatch(/<td height="37" bgcolor="#0f6cbd" title="\d{4}-\d{2}-\d{2}: 62"/);
  });

  it("when a requirement is not compliant, then its type and Microsoft's status are in words, `noncomplaint` (the API's own spelling) included", () => {
    // Graph, "Partner security enum values" (learn.microsoft.com/graph/api/resources/enums-partner-security): complianceStatus is
    // compliant | noncomplaint | unknownFutureValue, securityRequirementType mfaEnforcedForAdminsOfCustomers | ...
    expect(rendered.plainText).toContain('MFA for customers’ admins: not compliant; 20 of 79 customer tenants compliant');
    expect(`${rendered.plainText}${rendered.html}`).not.toMatch(/noncomplaint|mfaEnforcedForAdminsOfCustomers/);
  });

  it('when rendered, then every link to the monitor opens the dashboard (a customer, a finding, what changed this week), none the keyed JSON API', () => {
    const links = [...rendered.html.matchAll(/href="([^"]+)"/g)].map((match) => match[1]!.replace(/&amp;/g, '&')).filter((link) => link.startsWith('https://monitor.example/'));
    expect(links).toEqual(expect.arrayContaining([
      'https://monitor.example/api/dashboard#findings=open',
      'https://monitor.example/api/dashboard#customer=bbbbbbbb-0000-0000-0000-000000000002',
      'https://monitor.example/api/dashboard#finding=f',
      `https://monitor.example/api/dashboard#findings=open&since=${encodeURIComponent(new Date(digest.generatedAt.getTime() - 7 * 86_400_000).toISOString())}`,
    ]));
    expect(links.filter((link) => !link.startsWith('https://monitor.example/api/dashboard#'))).toEqual([]);
    expect(`${rendered.plainText}${rendered.html}`).not.toMatch(/\/api\/(findings|customers)/);
  });
});

describe("the weekly digest: inside customers' tenants", () => {
  // Issue 20, item 4: the digest treats the findings that name a customer's admins as it treats the others: counted, and
  // named (display name and UPN) under their customer with the next step, as the partner users without MFA are named.
  const fabrikam = 'f0000000-0000-4000-8000-000000000002';
  const names = new Map([[contosoTenant, 'Contoso'], [fabrikam, 'Fabrikam']]);
  const open = [adminWithoutMethod(), adminWithoutMethod(breakGlass), adminWithoutMethod(jane, fabrikam), adminNotRequired(breakGlass), notVisible('appNotConsented', fabrikam), finding('policy', 3)];

  it('when admins lack an MFA method, are not required to use it, or a customer cannot be seen into, then each kind is counted with the customers it spans, and listed up to the maximum', () => {
    const digest = composeWeeklyDigest(input({ openFindings: open, maxNamed: 2 }));
    expect(digest.customerAdmins.map(({ kind, count, customers, more }) => ({ kind, count, customers, more }))).toEqual([
      { kind: 'adminWithoutMfaMethod', count: 3, customers: 2, more: 1 },
      { kind: 'adminMfaNotRequired', count: 1, customers: 1, more: 0 },
      { kind: 'customerNotVisible', count: 1, customers: 1, more: 0 },
    ]);
    expect(digest.customerAdmins[0]!.listed).toHaveLength(2);
    expect(digest.openCount).toBe(6);
  });

  it('when no such finding is open, then the part is left out rather than claiming zero (the scan may be off)', () => {
    expect(composeWeeklyDigest(input({ openFindings: [finding('policy', 3)] })).customerAdmins).toEqual([]);
  });

  it('when rendered, then the email counts each kind and names each admin under their customer, with the next step', () => {
    const rendered = renderWeeklyDigest(composeWeeklyDigest(input({ openFindings: open, customerNames: names })), { customerNames: names, publicBaseUrl: null });
    const text = rendered.plainText;
    expect(text).toContain("Inside customers' tenants");
    expect(text).toContain('- Customer admins with no MFA method: 3 in 2 customers');
    expect(text).toContain('- Customer admins no policy requires MFA of: 1 in 1 customer');
    expect(text).toContain('- Customers the monitor cannot see into: 1');
    expect(text).toMatch(new RegExp(`\nContoso \\(tenant ${contosoTenant}\\)\n- Jane Doe \\(jane@contoso\\.com\\), an admin, has no MFA method registered\n {2}Next: Have this admin register`));
    expect(text).toContain("- The monitor cannot see into Fabrikam's admins: the monitor's app is not consented in this tenant");
    expect(rendered.html).toContain('Jane Doe (jane@contoso.com), an admin, has no MFA method registered');
  });
});

