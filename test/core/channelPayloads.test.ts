import { composeAlert, type AlertContent } from '../../src/core/alertEmail';
import { slackPayload, teamsPayload, webhookPayload } from '../../src/core/channelPayloads';
import type { Finding } from '../../src/core/findings';

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

type Card = { $schema: string; type: string; version: string; body: { type: string; text: string; color?: string }[]; actions?: { type: string; url: string }[] };
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
    expect(card.body[0]?.text).toBe(one.subject);
    const line = card.body.find((element) => element.text.startsWith('CRITICAL: Contoso & <Sons>'));
    expect(line?.color).toBe('Attention');
    expect(card.body[card.body.indexOf(line!) + 1]?.text).toMatch(/^Next: \[Turn security defaults back on[^\]]*\]\(https:\/\/entra\.microsoft\.com\/#@33333333-/);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'All open findings', url: 'https://monitor.example/api/findings?state=open' }]);
  });

  it('when one regression is rendered for Slack, then the fallback text is the subject and the line is escaped mrkdwn with its next step linked', () => {
    const payload = slackPayload(one) as Slack;
    expect(payload.text).toBe(one.subject);
    expect(payload.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: expect.any(String), emoji: false } });
    const section = payload.blocks.find((block) => block.type === 'section')!.text!.text;
    expect(section).toContain('*CRITICAL: Contoso &amp; &lt;Sons&gt;');
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
    expect(text).toContain(`<https://monitor.example/api/findings?state=open|and ${1000 - shown} more>`);
  });

  it('when 1,000 regressions are rendered for Teams, then the message stays under 28 KB and counts what it leaves out', () => {
    const many = alert({ opened: Array.from({ length: 1000 }, (_, index) => customerPolicyOff(index)), maxLinesPerSection: 1000 });
    const payload = teamsPayload(many) as { attachments: { content: Card }[] };
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThanOrEqual(28 * 1024);
    const texts = payload.attachments[0]!.content.body.map((element) => element.text);
    const shown = texts.filter((text) => text.startsWith('CRITICAL: ') || text.startsWith('Customer tenant ')).length;
    expect(shown).toBeGreaterThan(10);
    expect(texts).toContain(`[and ${1000 - shown} more](https://monitor.example/api/findings?state=open)`);
  });

  it('when rendered for the signed webhook, then the body carries the lines as the email has them and each finding by key and change', () => {
    const body = webhookPayload(one, { messageId: 'm1', composedAt: '2026-02-01T00:00:00.000Z', reminder: false, findings: [{ key: `customer/${tenant}/securityDefaultsStatus`, kind: 'customerPolicyDisabled', severity: 'critical', change: 'opened' }] });
    expect(body).toEqual({
      type: 'mfaMonitor.alert',
      timestamp: '2026-02-01T00:00:00.000Z',
      data: expect.objectContaining({ messageId: 'm1', subject: one.subject, findings: [expect.objectContaining({ change: 'opened' })] }),
    });
    const lines = (body as { data: { sections: { lines: { text: string; critical: boolean }[] }[] } }).data.sections[0]!.lines;
    expect(lines).toEqual([expect.objectContaining({ text: one.sections[0]!.lines[0]!.text, critical: true })]);
  });
});
