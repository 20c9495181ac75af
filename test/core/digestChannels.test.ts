import { digestChannelPayload } from '../../src/core/digestMessage';
import { adminWithoutMethod } from '../support/customerAdminFindings';
import type { WeeklyDigest } from '../../src/core/weeklyDigest';
import { blockKitProblems, mrkdwnLinks } from '../support/blockKit';
import { cardMarkdownTexts, cardTexts, teamsMessageProblems } from '../support/teamsMessage';

const movers = (count: number, prefix: string) => Array.from({ length: count }, (_, index) => ({ tenantId: `${prefix}-${index}`, name: `${prefix} customer ${index}` }));

function digest(overrides: Partial<WeeklyDigest> = {}): WeeklyDigest {
  return {
    week: '2026-W50',
    generatedAt: new Date('2026-12-07T07:00:00Z'),
    score: { week: { first: 70, last: 64.5, daily: [] }, quarter: { first: 80, last: 64.5, daily: [] }, maxScore: 100 },
    requirements: [{ requirementType: 'mfaEnforcedForAdmins', complianceStatus: 'nonCompliant', compliantNow: false, compliantWeekAgo: true, compliantTenants: { now: null, weekAgo: null, total: null } }],
    customers: {
      total: 200,
      totalWeekAgo: 198,
      problems: [
        { problem: 'noMfaPolicy', now: 12, weekAgo: 9, newlyAffected: movers(5, 'new'), newlyAffectedMore: 2, fixed: movers(1, 'fixed'), fixedMore: 0 },
        { problem: 'adminsNotCompliant', now: 3, weekAgo: 3, newlyAffected: [], newlyAffectedMore: 0, fixed: [], fixedMore: 0 },
      ],
    },
    findingsByAge: [
      { label: 'opened this week', count: 4, critical: 1 },
      { label: 'older than 30 days', count: 2, critical: 0 },
    ],
    oldestOpen: [],
    openCount: 6,
    waivedCount: 1,
    principals: { count: 2, users: ['breakglass1@partner.example', 'jane.doe@partner.example'], more: 0 },
    customerAdmins: [],
    expiringWaivers: [{ description: 'partner users matching breakglass*@partner.example', owner: 'Security team', expiresAt: new Date('2026-12-12T00:00:00Z') }],
    mappingGaps: [{ psa: 'connectwise', customers: ['Contoso'], more: 2 }],
    ...overrides,
  };
}

const options = { subject: '[MFA monitor] Weekly digest 2026-W50: score 64.5 (-5.5), 6 open problems (1 critical)', publicBaseUrl: 'https://monitor.example/', deliveryId: 'digest-2026-W50-webhook' };


function slackTexts(body: unknown): string[] {
  return (body as { blocks: { text?: { text: string }; elements?: { text: string }[] }[] }).blocks.map((block) => block.text?.text ?? block.elements?.map((element) => element.text).join(' ') ?? '');
}

describe('the weekly digest on the webhook channels', () => {
  it('when the digest has headline figures, then the Teams card carries the score and its change, problems by age, customers by problem, waivers expiring and the dashboard link', () => {
    const body = digestChannelPayload('teams', digest(), options) as { type: string; attachments: { contentType: string }[] };
    expect(body.type).toBe('message');
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const texts = cardTexts(body).join('\n');
    expect(texts).toContain(options.subject);
    expect(texts).toContain('Partner security score: 64.5 of 100; this week (-5.5), this quarter (-15.5)');
    expect(texts).toContain('Open problems: 6, 1 critical; 1 more waived');
    expect(texts).toContain('opened this week: 4 (1 critical)');
    expect(texts).toContain('Requirements not compliant: MFA for the partner’s admins');
    expect(texts).toContain('Waivers expiring soon');
    expect(texts).toContain('partner users matching breakglass*@partner.example, owned by Security team, expires 2026-12-12');
    expect(texts).toContain('(https://monitor.example/api/dashboard#findings=open&since=2026-11-30T07%3A00%3A00.000Z)');
  });

  it('when more customers moved than a card names, then Teams and Slack name three per list and count the rest', () => {
    const teams = cardTexts(digestChannelPayload('teams', digest(), options)).join('\n');
    const slack = slackTexts(digestChannelPayload('slack', digest(), options)).join('\n');
    for (const text of [teams, slack]) {
      expect(text).toContain('No MFA policy enabled: 12 of 200 (+3); new: new customer 0, new customer 1, new customer 2 and 4 more; fixed: fixed customer 0');
      expect(text).not.toContain('new customer 3');
    }
  });

  it('when the digest lists thousands of waivers, then the Teams card stays under its size limit and Slack under 50 blocks, counting what is left out', () => {
    const many = Array.from({ length: 3000 }, (_, index) => ({ description: `customer tenant ${index} being off-boarded`, owner: 'Service desk', expiresAt: new Date('2026-12-12T00:00:00Z') }));
    const teams = digestChannelPayload('teams', digest({ expiringWaivers: many }), options);
    expect(Buffer.byteLength(JSON.stringify(teams))).toBeLessThanOrEqual(24_000);
    expect(cardTexts(teams).join('\n')).toMatch(/and \d+ more/);
    const slack = digestChannelPayload('slack', digest({ expiringWaivers: many }), options) as { blocks: unknown[] };
    expect(slack.blocks.length).toBeLessThanOrEqual(50);
    expect(slackTexts(slack).join('\n')).toMatch(/and \d+ more/);
  });

  it('when the signed webhook gets the digest, then its body carries the figures as data and no partner user by name', () => {
    const body = digestChannelPayload('webhook', digest(), options) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(body.type).toBe('mfaMonitor.weeklyDigest');
    expect(body.timestamp).toBe('2026-12-07T07:00:00.000Z');
    expect(body.data).toMatchObject({
      messageId: 'digest-2026-W50-webhook',
      week: '2026-W50',
      score: { current: 64.5, max: 100, weekChange: -5.5, quarterChange: -15.5 },
      openProblems: { count: 6, waived: 1, byAge: [{ age: 'opened this week', count: 4, critical: 1 }, { age: 'older than 30 days', count: 2, critical: 0 }] },
      customers: { total: 200, byProblem: [expect.objectContaining({ problem: 'noMfaPolicy', count: 12, countWeekAgo: 9, newlyAffectedMore: 2 }), expect.objectContaining({ problem: 'adminsNotCompliant', count: 3 })] },
      partnerUsersWithoutMfa: 2,
      dashboardLink: 'https://monitor.example/api/dashboard#findings=open&since=2026-11-30T07%3A00%3A00.000Z',
    });
    expect(JSON.stringify(body)).not.toContain('jane.doe');
  });

  const digests: [string, WeeklyDigest][] = [
    ['a digest with headline figures', digest()],
    ['a first digest with nothing known yet', digest({ score: { week: { first: null, last: null, daily: [] }, quarter: { first: null, last: null, daily: [] }, maxScore: null }, requirements: [], customers: null, findingsByAge: [], openCount: 0, waivedCount: 0, principals: null, expiringWaivers: [] })],
    ["a digest with customers' admins counted", digest({ customerAdmins: [{ kind: 'adminWithoutMfaMethod', count: 3, customers: 2, listed: [adminWithoutMethod()], more: 2 }, { kind: 'adminMfaNotRequired', count: 0, customers: 0, listed: [], more: 0 }, { kind: 'customerNotVisible', count: 1, customers: 1, listed: [], more: 1 }] })],
    ['a digest with thousands of waivers expiring', digest({ expiringWaivers: Array.from({ length: 3000 }, (_, index) => ({ description: `customer tenant ${index} being off-boarded`, owner: 'Service desk', expiresAt: new Date('2026-12-12T00:00:00Z') })) })],
  ];

  it("when customers' admins are counted, then Teams and Slack show the counts at a glance, and the signed webhook carries them as data, naming no admin", () => {
    const one = digest({ customerAdmins: [{ kind: 'adminWithoutMfaMethod', count: 3, customers: 2, listed: [adminWithoutMethod()], more: 2 }, { kind: 'adminMfaNotRequired', count: 0, customers: 0, listed: [], more: 0 }, { kind: 'customerNotVisible', count: 1, customers: 1, listed: [], more: 1 }] });
    expect(cardTexts(digestChannelPayload('teams', one, options))).toEqual(expect.arrayContaining(['Customer admins with no MFA method: 3 in 2 customers', 'Customers the monitor cannot see into: 1']));
    expect(slackTexts(digestChannelPayload('slack', one, options)).join('\n')).toContain('Customer admins with no MFA method: 3 in 2 customers');
    const body = digestChannelPayload('webhook', one, options) as { data: Record<string, unknown> };
    expect(body.data.customerAdmins).toEqual([{ kind: 'adminWithoutMfaMethod', count: 3, customers: 2 }, { kind: 'adminMfaNotRequired', count: 0, customers: 0 }, { kind: 'customerNotVisible', count: 1, customers: 1 }]);
    expect(JSON.stringify(body)).not.toMatch(/jane|Jane/);
  });

  it.each(digests)("when %s goes to Teams, then Microsoft's Adaptive Cards SDK, parsing the card at its declared version, reports nothing", (_what, one) => {
    expect(teamsMessageProblems(digestChannelPayload('teams', one, options))).toEqual([]);
  });

  it.each(digests)("when %s goes to Slack, then it keeps Slack's documented Block Kit limits, and its context block links to the open findings", (_what, one) => {
    const body = digestChannelPayload('slack', one, options) as { blocks: { type: string; elements?: { text: string }[] }[] };
    expect(blockKitProblems(body)).toEqual([]);
    const context = body.blocks.find((block) => block.type === 'context')!;
    expect(mrkdwnLinks(context.elements![0]!.text)).toEqual([{ url: 'https://monitor.example/api/dashboard#findings=open', text: 'All open findings' }]);
  });

  it('when a waiver owner and reason and a customer name carry Markdown and mrkdwn, then Teams and Slack show them as written, linking nothing', () => {
    // Adaptive Cards "Text features": TextBlock text is Markdown, RichTextBlock TextRuns are not; Slack "Formatting text": <url|text> is a link.
    const hostile = digest({
      expiringWaivers: [{ description: 'partner users matching **all** [here](https://evil.example)', owner: '<https://evil.example|Security> _team_', expiresAt: new Date('2026-12-12T00:00:00Z') }],
      customers: { total: 1, totalWeekAgo: 1, problems: [{ problem: 'noMfaPolicy', now: 1, weekAgo: 0, newlyAffected: [{ tenantId: 't1', name: '1. [Contoso](https://evil.example)' }], newlyAffectedMore: 0, fixed: [], fixedMore: 0 }] },
    });
    const teams = digestChannelPayload('teams', hostile, options);
    expect(teamsMessageProblems(teams)).toEqual([]);
    expect(cardTexts(teams).join('\n')).toContain('partner users matching **all** [here](https://evil.example), owned by <https://evil.example|Security> _team_');
    expect(cardMarkdownTexts(teams).join('\n')).not.toContain('evil');
    const slack = digestChannelPayload('slack', hostile, options);
    expect(blockKitProblems(slack)).toEqual([]);
    expect(slackTexts(slack).flatMap(mrkdwnLinks).map((found) => found.url)).not.toContainEqual(expect.stringContaining('evil'));
  });
});
