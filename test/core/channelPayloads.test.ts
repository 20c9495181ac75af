import { composeAlert, type AlertContent } from '../../src/core/alertMessage';
import { channelTestMessage, slackPayload, teamsPayload, webhookPayload } from '../../src/core/channelPayloads';
import type { Finding } from '../../src/core/findings';
import type { Message } from '../../src/core/message';
import { blockKitProblems, mrkdwnLinks } from '../support/blockKit';
import { adminNotRequired, adminWithoutMethod, breakGlass, contosoTenant, jane, notVisible } from '../support/customerAdminFindings';
import { cardMarkdownTexts, cardTexts, teamsMessageProblems } from '../support/teamsMessage';

const tenant = '33333333-3333-3333-3333-333333333333';

function customerPolicyOff(index: number): Finding {
  const id = `${String(index).padStart(8, '0')}-3333-3333-3333-333333333333`;
  return {
    key: `customer/${id}/securityDefaultsStatus`, kind: 'customerPolicyDisabled', severity: index % 2 === 0 ? 'critical' : 'warning', subject: { type: 'customer', id },
    measure: 'securityDefaultsStatus', state: 'open', baseline: 'enabled', current: 'disabled', openedAt: '2026-02-01T00:00:00.000Z', resolvedAt: null, event: false,
  };
}

function alert(content: Partial<AlertContent>) {
  return composeAlert({ opened: [], resolved: [], stillOpen: [], reminder: false, publicBaseUrl: 'https://monitor.example', customerNames: new Map([[tenant, 'Contoso & <Sons>']]), maxLinesPerSection: 50, ...content });
}

type Card = { $schema: string; type: string; version: string; body: { type: string; text?: string; inlines?: { text: string; color?: string; selectAction?: unknown }[] }[]; actions?: { type: string; url: string }[] };
type Slack = { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };

describe('channel payloads', () => {
  const one = alert({ opened: [{ ...customerPolicyOff(0), subject: { type: 'customer', id: tenant }, key: `customer/${tenant}/securityDefaultsStatus` }] });

  it('when one regression is rendered for Teams, then it is an Adaptive Card 1.4 in a message envelope, with the subject, the line (critical in the attention colour) and its next step as a link', () => {
    const payload = teamsPayload(one) as { type: string; attachments: { contentType: string; content: Card }[] };
    expect(payload.type).toBe('message');
    const [attachment] = payload.attachments;
    expect(attachment?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = attachment!.content;
    expect(card).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4' });
    const texts = cardTexts(payload);
    expect(texts[0]).toBe(one.subject);
    const heading = texts.indexOf(`Contoso & <Sons> (tenant ${tenant})`);
    expect(card.body[heading]?.inlines?.[0]?.selectAction).toEqual({ type: 'Action.OpenUrl', url: `https://monitor.example/api/dashboard#customer=${tenant}` });
    const line = texts.findIndex((text) => text.startsWith('CRITICAL: Security defaults was turned off'));
    expect(line).toBe(heading + 1);
    expect(card.body[line]?.inlines?.[0]).toMatchObject({ color: 'Attention', selectAction: { type: 'Action.OpenUrl', url: `https://monitor.example/api/dashboard#finding=customer%2F${tenant}%2FsecurityDefaultsStatus` } });
    expect(texts[line + 1]).toMatch(/^Next: \[Turn security defaults back on[^\]]*\]\(https:\/\/entra\.microsoft\.com\/#@33333333-/);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'All open findings', url: 'https://monitor.example/api/dashboard#findings=open' }]);
  });

  it('when one regression is rendered for Slack, then the fallback text is the subject and the line is escaped mrkdwn with its next step linked', () => {
    const payload = slackPayload(one) as Slack;
    expect(payload.text).toBe(one.subject.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(payload.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: expect.any(String), emoji: false } });
    const section = payload.blocks.find((block) => block.type === 'section')!.text!.text;
    expect(section).toContain(`*<https://monitor.example/api/dashboard#customer=${tenant}|Contoso &amp; &lt;Sons&gt; (tenant ${tenant})>*\n• *<https://monitor.example/api/dashboard#finding=customer%2F${tenant}%2FsecurityDefaultsStatus|CRITICAL: Security defaults was turned off`);
    expect(section).toMatch(/Next: <https:\/\/entra\.microsoft\.com\/[^|]+\|Turn security defaults back on/);
  });

  it('when 1,000 regressions are rendered with 1,000 lines a section, then Slack stays within 50 blocks and 3,000 characters a section, and counts what it leaves out', () => {
    const many = alert({ opened: Array.from({ length: 1000 }, (_, index) => customerPolicyOff(index)), maxLinesPerSection: 1000 });
    const payload = slackPayload(many) as Slack;
    expect(payload.blocks.length).toBeLessThanOrEqual(50);
    expect(payload.blocks[0]!.text!.text.length).toBeLessThanOrEqual(150);
    for (const block of payload.blocks) if (block.type === 'section') expect(block.text!.text.length).toBeLessThanOrEqual(3000);
    const text = payload.blocks.map((block) => block.text?.text ?? '').join('\n');
    const shown = (text.match(/^• /gm) ?? []).length;
    expect(shown).toBeGreaterThan(10);
    expect(text).toContain(`<https://monitor.example/api/dashboard#findings=open&since=2026-02-01T00%3A00%3A00.000Z|and ${1000 - shown} more>`);
  });

  it('when 1,000 regressions are rendered for Teams, then the message stays under 28 KB and counts what it leaves out', () => {
    const many = alert({ opened: Array.from({ length: 1000 }, (_, index) => customerPolicyOff(index)), maxLinesPerSection: 1000 });
    const payload = teamsPayload(many) as { attachments: { content: Card }[] };
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThanOrEqual(28 * 1024);
    const texts = cardTexts(payload);
    const shown = texts.filter((text) => text.startsWith('CRITICAL: ') || text.startsWith('Security defaults ')).length;
    expect(shown).toBeGreaterThan(10);
    expect(texts).toContain(`[and ${1000 - shown} more](https://monitor.example/api/dashboard#findings=open&since=2026-02-01T00%3A00%3A00.000Z)`);
  });

  it('when rendered for the signed webhook, then the body carries the lines as the email has them and each finding by key and change', () => {
    const body = webhookPayload(one, { messageId: 'm1', composedAt: '2026-02-01T00:00:00.000Z', event: 'alert', findings: [{ key: `customer/${tenant}/securityDefaultsStatus`, kind: 'customerPolicyDisabled', severity: 'critical', change: 'opened' }] });
    expect(body).toEqual({
      type: 'mfaMonitor.alert',
      timestamp: '2026-02-01T00:00:00.000Z',
      data: expect.objectContaining({ messageId: 'm1', subject: one.subject, findings: [expect.objectContaining({ change: 'opened' })] }),
    });
    const [group] = (body as { data: { sections: { groups: { heading: unknown; lines: { text: string; critical: boolean; link: string }[] }[] }[] } }).data.sections[0]!.groups;
    expect(group!.heading).toEqual({ text: `Contoso & <Sons> (tenant ${tenant})`, link: `https://monitor.example/api/dashboard#customer=${tenant}` });
    expect(group!.lines).toEqual([expect.objectContaining({ text: one.sections[0]!.groups[0]!.lines[0]!.text, critical: true, link: `https://monitor.example/api/dashboard#finding=customer%2F${tenant}%2FsecurityDefaultsStatus` })]);
  });

  // Every kind of message a channel is sent, as the detector and the doctor compose them.
  const regressions = Array.from({ length: 8 }, (_, index) => customerPolicyOff(index));
  const messages: [string, Message][] = [
    ['one new regression', one],
    ['new regressions, some resolved, others still open', alert({ opened: regressions.slice(0, 3), resolved: regressions.slice(3, 5), stillOpen: regressions.slice(5) })],
    ['only recoveries', alert({ resolved: regressions.slice(0, 2) })],
    ['a reminder of what is still open', alert({ stillOpen: regressions, reminder: true })],
    ['a post made again after an unconfirmed one', { ...alert({ opened: regressions.slice(0, 1), stillOpen: regressions.slice(1) }), footer: 'Posted again: an earlier post of this message could not be confirmed and may already be in this channel. 7 other problems still open.' }],
    ['1,000 lines in one section', alert({ opened: Array.from({ length: 1000 }, (_, index) => customerPolicyOff(index)), maxLinesPerSection: 1000 })],
    ['sections cut to 2 lines each', alert({ opened: regressions, resolved: regressions.slice(0, 4), maxLinesPerSection: 2 })],
    ['no public base URL (no links)', alert({ opened: regressions.slice(0, 2), stillOpen: regressions.slice(2), publicBaseUrl: null })],
    ['an empty section', { subject: '[MFA monitor] nothing', sections: [{ title: 'Nothing (0)', groups: [], more: null, listHref: null }], footer: null, findingsLink: null }],
    ['lines about many customers, each under its heading', alert({ opened: Array.from({ length: 300 }, (_, index) => customerPolicyOff(index % 100)).map((one, index) => ({ ...one, key: `${one.key}/${index}` })), maxLinesPerSection: 300 })],
    ['the doctor test message', channelTestMessage],
    ["a customer's admins, named, and a customer the monitor cannot see into", alert({ opened: [adminWithoutMethod(), adminNotRequired(breakGlass), notVisible('roleLacksPermission: Authorization_RequestDenied Insufficient privileges')], resolved: [adminWithoutMethod(breakGlass, contosoTenant, { state: 'resolved', current: null })] })],
    ['1,000 admins of one customer without an MFA method', alert({ opened: Array.from({ length: 1000 }, (_, index) => adminWithoutMethod({ userId: `${String(index).padStart(8, '0')}-1111-4111-8111-111111111111`, userPrincipalName: `admin${index}@contoso.com`, displayName: `Admin ${index} ${'x'.repeat(80)}` })), maxLinesPerSection: 1000 })],
  ];

  describe("when a customer's admin has no MFA method", () => {
    // Issue 20, item 4: the line names the customer and the admin (display name and UPN), with the next step and a link to
    // the customer tenant's user page in the Entra admin center, "on every channel".
    const named = alert({ opened: [adminWithoutMethod()], customerNames: new Map([[contosoTenant, 'Contoso']]) });
    const userPage = `https://entra.microsoft.com/#@${contosoTenant}/blade/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${jane.userId}`;

    it('then the Teams card names them under the customer, as plain text, with the next step linked to their user page', () => {
      const texts = cardTexts(teamsPayload(named));
      const line = texts.indexOf('CRITICAL: Jane Doe (jane@contoso.com), an admin, has no MFA method registered');
      expect(texts[line - 1]).toBe(`Contoso (tenant ${contosoTenant})`);
      expect(texts[line + 1]).toMatch(/^Next: \[Have this admin register an MFA method[^\]]*\]\(/);
      expect(texts[line + 1]!.endsWith(`](${userPage})`)).toBe(true);
    });

    it('then Slack names them in escaped mrkdwn, with the next step linked to their user page', () => {
      const text = (slackPayload(named) as Slack).blocks.map((block) => block.text?.text ?? '').join('\n');
      expect(text).toContain('|CRITICAL: Jane Doe (jane@contoso.com), an admin, has no MFA method registered>*');
      expect(mrkdwnLinks(text).find((link) => link.text.startsWith('Have this admin'))?.url).toBe(userPage);
    });

    it('then the signed webhook carries the line and, in findings, the admin by object id, UPN and display name', () => {
      const finding = adminWithoutMethod();
      const body = webhookPayload(named, { messageId: 'm2', composedAt: '2026-12-07T06:00:00.000Z', event: 'alert', findings: [{ key: finding.key, kind: finding.kind, severity: finding.severity, change: 'opened', admin: finding.admin }, { key: 'score/currentScore', kind: 'scoreFell', severity: 'warning', change: 'opened' }] }) as { data: { findings: unknown[]; sections: { groups: { lines: { text: string; nextStep: { url: string } }[] }[] }[] } };
      expect(body.data.findings).toEqual([
        { key: `admins/${contosoTenant}/${jane.userId}/mfaMethod`, kind: 'adminWithoutMfaMethod', severity: 'critical', change: 'opened', admin: { userId: jane.userId, userPrincipalName: 'jane@contoso.com', displayName: 'Jane Doe' } },
        { key: 'score/currentScore', kind: 'scoreFell', severity: 'warning', change: 'opened', admin: null },
      ]);
      expect(body.data.sections[0]!.groups[0]!.lines[0]).toMatchObject({ text: 'CRITICAL: Jane Doe (jane@contoso.com), an admin, has no MFA method registered', nextStep: { url: userPage } });
    });

    it('then a display name carrying Markdown or mrkdwn is shown as written on Teams and escaped on Slack', () => {
      const hostile = alert({ opened: [adminWithoutMethod({ ...jane, displayName: '[click](https://evil.example) <!here>' })] });
      expect(teamsMessageProblems(teamsPayload(hostile))).toEqual([]);
      for (const text of cardMarkdownTexts(teamsPayload(hostile))) expect(text).not.toContain('evil');
      const slack = (slackPayload(hostile) as Slack).blocks.map((block) => block.text?.text ?? '').join('\n');
      expect(mrkdwnLinks(slack).map((link) => link.url)).not.toContainEqual(expect.stringContaining('evil'));
      expect(slack).toContain('&lt;!here&gt;');
    });
  });

  it.each(messages)('when %s is rendered for Teams, then Microsoft\'s Adaptive Cards SDK, parsing the card at its declared version, reports nothing', (_what, message) => {
    expect(teamsMessageProblems(teamsPayload(message))).toEqual([]);
  });

  it.each(messages)("when %s is rendered for Slack, then it keeps Slack's documented Block Kit limits and link syntax", (_what, message) => {
    expect(blockKitProblems(slackPayload(message))).toEqual([]);
  });

  it('when a channel cuts a section to its size limit, then no customer heading is left without a line under it, and the count of the rest is right', () => {
    // 300 lines about 100 customers, three each: Teams' 24 KB and Slack's 50 blocks cut inside a customer's group.
    const many = alert({ opened: Array.from({ length: 300 }, (_, index) => ({ ...customerPolicyOff(index % 100), key: `customer/${String(index % 100).padStart(8, '0')}-3333-3333-3333-333333333333/m${index}` })), maxLinesPerSection: 300 });
    const card = (teamsPayload(many) as { attachments: { content: Card }[] }).attachments[0]!.content.body;
    const opens = (element: Card['body'][number], place: string) => JSON.stringify(element.inlines?.[0]?.selectAction ?? null).includes(place);
    const headings = card.flatMap((element, index) => (opens(element, '#customer=') ? [index] : []));
    expect(headings.length).toBeGreaterThan(3);
    for (const index of headings) expect(opens(card[index + 1]!, '#finding=')).toBe(true);
    const teamsLines = card.filter((element) => opens(element, '#finding=')).length;
    expect(cardTexts(teamsPayload(many))).toContain(`[and ${300 - teamsLines} more](https://monitor.example/api/dashboard#findings=open&since=2026-02-01T00%3A00%3A00.000Z)`);
    const slack = (slackPayload(many) as Slack).blocks.map((block) => block.text?.text ?? '').join('\n').split('\n');
    const slackHeadings = slack.flatMap((text, index) => (text.includes('#customer=') ? [index] : []));
    for (const index of slackHeadings) expect(slack[index + 1]).toMatch(/^• \*?<https:\/\/monitor\.example\/api\/dashboard#finding=/);
    const slackLines = slack.filter((text) => text.startsWith('• ')).length;
    expect(slack.join('\n')).toContain(`|and ${300 - slackLines} more>`);
  });

  it('when the first alert has nothing else open, then the Slack context block links to all open findings rather than showing the link syntax as text', () => {
    const context = (slackPayload(one) as { blocks: { type: string; elements?: { text: string }[] }[] }).blocks.find((block) => block.type === 'context')!;
    expect(mrkdwnLinks(context.elements![0]!.text)).toEqual([{ url: 'https://monitor.example/api/dashboard#findings=open', text: 'All open findings' }]);
  });

  describe('when customer names, user names and waiver text carry markup', () => {
    // Adaptive Cards "Text features" (learn.microsoft.com/adaptive-cards/authoring-cards/text-features): a TextBlock
    // renders **bold**, _italic_, "- " and "1. " lists and [links](url); a RichTextBlock's TextRuns render no Markdown.
    // Slack "Formatting text" (docs.slack.dev/messaging/formatting-message-text): <url|text> links, <!here> mentions.
    const hostile = '[click](https://evil.example) **x** _y_ <https://evil.example|z> <!here> 1. one';
    const hostileAlert = alert({
      customerNames: new Map([[tenant, hostile]]),
      opened: [{ ...customerPolicyOff(0), subject: { type: 'customer', id: tenant }, key: `customer/${tenant}/securityDefaultsStatus` }],
      resolved: [{ ...customerPolicyOff(1), kind: 'nonMfaSignIn', subject: { type: 'principal', id: 'p1', name: '- item\n# heading' }, key: 'principal/p1/2026-02-01T00:00:00Z', measure: 'nonMfaSignIn' } as Finding],
    });

    it('then the Teams card shows them as written: no Markdown element holds them, and the SDK still reports nothing', () => {
      const payload = teamsPayload(hostileAlert);
      expect(teamsMessageProblems(payload)).toEqual([]);
      expect(cardTexts(payload).some((text) => text.includes(hostile))).toBe(true);
      // Markdown is only ever a link the monitor wrote: its own words, to an http(s) URL.
      for (const text of cardMarkdownTexts(payload)) expect(text).toMatch(/^(Next: )?\[[^[\]*_]+\]\(https?:\/\/[^\s()]+\)$/);
    });

    it('then Slack escapes them: no link or mention forms from data, and the message keeps its limits', () => {
      const payload = slackPayload(hostileAlert) as { blocks: { text?: { type: string; text: string; verbatim?: boolean } }[] };
      expect(blockKitProblems(payload)).toEqual([]);
      // The header is plain_text, shown as written; the sections are mrkdwn.
      const texts = payload.blocks.map((block) => (block.text?.type === 'mrkdwn' ? block.text.text : '')).join('\n');
      expect(mrkdwnLinks(texts).map((found) => found.url)).not.toContainEqual(expect.stringContaining('evil'));
      expect(texts).toContain('&lt;!here&gt;');
      // Slack leaves URLs in verbatim text unlinked.
      for (const block of payload.blocks) if (block.text?.type === 'mrkdwn' && block.text.text.includes('evil')) expect(block.text.verbatim).toBe(true);
    });
  });

  it('when a next step links to a URL another system gave that is not http(s), or holds Markdown and mrkdwn delimiters, then the channels keep the link well-formed or do not link', () => {
    const message: Message = {
      subject: 's',
      sections: [{ title: 't', groups: [{ heading: null, lines: [
        { text: 'a', href: 'javascript:alert(2)', step: { text: 'Open it', url: 'javascript:alert(1)' }, critical: false },
        { text: 'b', step: { text: 'Open it', url: 'https://partner.microsoft.com/a (b)|c<d>' }, critical: false },
      ] }], more: null, listHref: null }],
      footer: null,
      findingsLink: null,
    };
    const teams = teamsPayload(message);
    expect(teamsMessageProblems(teams)).toEqual([]);
    expect(cardMarkdownTexts(teams)).toEqual(['Next: [Open it](https://partner.microsoft.com/a%20%28b%29%7Cc%3Cd%3E)']);
    expect(cardTexts(teams)).toContain('Next: Open it');
    const slack = slackPayload(message);
    expect(blockKitProblems(slack)).toEqual([]);
    expect(JSON.stringify(slack)).not.toContain('javascript:');
  });
});
