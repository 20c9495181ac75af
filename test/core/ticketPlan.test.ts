import type { StoredFinding } from '../../src/core/findings';
import { groupKeyOf, planTickets, ticketGroups, type TicketGroup } from '../../src/core/ticketPlan';
import { noteText, ticketDescription, ticketReference, ticketTitle } from '../../src/core/ticketText';
import type { TicketRecord } from '../../src/core/tickets';

const contoso = '0b3c5a3e-7d2b-4c1e-9f00-000000000001';
const fabrikam = '0b3c5a3e-7d2b-4c1e-9f00-000000000002';
const names = new Map([[contoso, 'Contoso Ltd']]);

function admin(tenantId: string, userId: string, state: 'open' | 'resolved' = 'open'): StoredFinding {
  return {
    key: `admins/${tenantId}/${userId}/methodsRegistered`,
    kind: 'adminWithoutMfaMethod',
    severity: 'critical',
    subject: { type: 'customer', id: tenantId },
    measure: 'methodsRegistered',
    state,
    baseline: null,
    current: state === 'open' ? 0 : 1,
    openedAt: '2026-12-01T06:00:00Z',
    resolvedAt: state === 'open' ? null : '2026-12-02T06:00:00Z',
    event: false,
    admin: { userId, userPrincipalName: `${userId}@contoso.example`, displayName: userId === 'lee' ? 'Lee Gu' : 'Adele Vance' },
    pendingChange: null,
    announcedIn: null,
    announcedChange: null,
  };
}

function score(): StoredFinding {
  return { ...admin(contoso, 'x'), key: 'score/partner/currentScore', kind: 'scoreFell', severity: 'warning', subject: { type: 'score', id: 'partner' }, measure: 'currentScore', baseline: 60, current: 50, admin: null };
}

function record(group: TicketGroup, changes: Partial<TicketRecord> = {}): TicketRecord {
  return {
    psa: 'connectwise',
    groupKey: group.key,
    tenantId: group.tenantId,
    kind: 'adminWithoutMfaMethod',
    severity: 'critical',
    reference: 'MFA-MONITOR 3f9a1c02',
    ticketId: '101',
    state: 'open',
    company: { companyId: '250', companyName: 'Contoso Ltd', matchedBy: 'name' },
    lines: group.findings.map((finding) => finding.key).sort(),
    pending: null,
    notes: 0,
    openedAt: '2026-12-01T06:00:00Z',
    closedAt: null,
    updatedAt: '2026-12-01T06:00:00Z',
    attempts: 1,
    lastError: null,
    lastErrorCode: null,
    etag: '*',
    ...changes,
  };
}

const everything = () => true;
const nothing = () => false;
const settings = { grouping: 'customerAndKind', whenBack: 'reopen', ticketsPerRun: 20 } as const;

describe('which tickets the findings need', () => {
  it('when a customer has two admins without MFA and the partner a lower score, then there are two tickets: one per customer and kind, the partner under "partner"', () => {
    const groups = ticketGroups([admin(contoso, 'lee'), admin(contoso, 'adele'), score()], 'customerAndKind', everything, nothing);
    expect(groups.map((group) => [group.key, group.findings.length])).toEqual([
      [`${contoso}/adminWithoutMfaMethod`, 2],
      ['partner/scoreFell', 1],
    ]);
    expect(groupKeyOf(admin(contoso, 'lee'), 'finding')).toBe(`admins/${contoso}/lee/methodsRegistered`);
  });

  it('when a finding is resolved, waived, or routed away from the PSA, then no ticket lists it', () => {
    const lee = admin(contoso, 'lee');
    expect(ticketGroups([admin(contoso, 'x', 'resolved')], 'customerAndKind', everything, nothing)).toEqual([]);
    expect(ticketGroups([lee], 'customerAndKind', everything, (finding) => finding.key === lee.key)).toEqual([]);
    expect(ticketGroups([lee], 'customerAndKind', nothing, nothing)).toEqual([]);
  });
});

describe('planning the steps', () => {
  const [group] = ticketGroups([admin(contoso, 'lee')], 'customerAndKind', everything, nothing) as [TicketGroup];

  it('when a group has no ticket, then one is opened; when its lines are unchanged, nothing is done', () => {
    expect(planTickets([group], [], settings).steps).toEqual([{ step: 'open', group, record: null }]);
    expect(planTickets([group], [record(group)], settings)).toEqual({ steps: [], heldBack: 0 });
  });

  it('when a line is added, then a note is begun under the next note reference, listing the lines after it', () => {
    const [grown] = ticketGroups([admin(contoso, 'lee'), admin(contoso, 'adele')], 'customerAndKind', everything, nothing) as [TicketGroup];
    const [step] = planTickets([grown], [record(group, { notes: 1 })], settings).steps;
    expect(step).toMatchObject({ step: 'begin', pending: { step: 'note', noteReference: 'MFA-MONITOR 3f9a1c02-n2', lines: grown.findings.map((finding) => finding.key).sort() } });
  });

  it('when every line is fixed, then the ticket is closed; when the problem comes back, it is reopened, or a new one is opened with PSA_WHEN_BACK=new', () => {
    expect(planTickets([], [record(group)], settings).steps).toMatchObject([{ step: 'begin', pending: { step: 'close', lines: [] } }]);
    const closed = record(group, { state: 'closed', lines: [] });
    expect(planTickets([group], [closed], settings).steps).toMatchObject([{ step: 'begin', pending: { step: 'reopen' } }]);
    expect(planTickets([group], [closed], { ...settings, whenBack: 'new' }).steps).toEqual([{ step: 'open', group, record: closed }]);
  });

  it('when a create or a note may have been sent by a stopped run, then it is finished first and nothing else is planned for that ticket', () => {
    const creating = record(group, { state: 'creating', ticketId: null });
    expect(planTickets([group], [creating], settings).steps).toEqual([{ step: 'open', group, record: creating }]);
    expect(planTickets([], [creating], settings).steps).toEqual([{ step: 'settle', record: creating }]);
    const noting = record(group, { pending: { step: 'note', noteReference: 'MFA-MONITOR 3f9a1c02-n1', lines: [] } });
    expect(planTickets([], [noting], settings).steps).toEqual([{ step: 'finish', record: noting }]);
  });

  it('when more tickets would open than PSA_TICKETS_PER_RUN, then critical ones open first and the rest are held back and counted', () => {
    const groups = ticketGroups([score(), admin(contoso, 'lee'), admin(fabrikam, 'lee')], 'customerAndKind', everything, nothing);
    const plan = planTickets(groups, [], { ...settings, ticketsPerRun: 2 });
    expect(plan.steps.map((step) => (step.step === 'open' ? step.group.key : step.step))).toEqual([`${contoso}/adminWithoutMfaMethod`, `${fabrikam}/adminWithoutMfaMethod`]);
    expect(plan.heldBack).toBe(1);
  });
});

describe('what a ticket says', () => {
  const writing = { psa: 'autotask', customerNames: names, publicBaseUrl: 'https://monitor.example', maxLines: 1 } as const;
  const lee = admin(contoso, 'lee');
  const adele = admin(contoso, 'adele');
  const [group] = ticketGroups([lee, adele], 'customerAndKind', everything, nothing) as [TicketGroup];

  it('when a ticket is opened, then its title begins with its reference and names the customer and the problem without a count that would go stale', () => {
    const reference = ticketReference('3f9a1c02deadbeef');
    expect(reference).toBe('MFA-MONITOR 3f9a1c02');
    expect(ticketTitle(reference, group, names)).toBe('[MFA-MONITOR 3f9a1c02] Contoso Ltd: customer admins with no MFA method');
  });

  it('when it lists more findings than ALERT_MAX_LINES, then it says "and N more" with the customer page, and a fallback company says how to map the customer', () => {
    const text = ticketDescription('MFA-MONITOR 3f9a1c02', group, { companyId: '0', companyName: null, matchedBy: 'fallback' }, writing);
    expect(text).toContain(`Contoso Ltd (tenant ${contoso}): 2 findings`);
    expect(text).toContain('CRITICAL: Adele Vance');
    expect(text).toContain(`- and 1 more: https://monitor.example/api/dashboard#customer=${contoso}`);
    expect(text).toContain(`No Autotask company is mapped to customer tenant ${contoso}`);
    expect(text).toContain('https://monitor.example/api/dashboard#psaCompanies=autotask');
  });

  it('when a note records a change, then it carries its reference and says what is new and what was fixed or waived', () => {
    const fixedLee = { ...lee, state: 'resolved' as const, current: 1 };
    const open = record(group, { lines: [lee.key] });
    const text = noteText(open, { step: 'note', noteReference: 'MFA-MONITOR 3f9a1c02-n1', lines: [adele.key] }, new Map([[lee.key, fixedLee], [adele.key, adele]]), () => 'fixed', { ...writing, maxLines: 10 });
    expect(text.split('\n')[0]).toBe('[MFA-MONITOR 3f9a1c02-n1] 1 new, 1 no longer open; 1 open now.');
    expect(text).toMatch(/New:\n- CRITICAL: Adele Vance/);
    expect(text).toMatch(/Fixed:\n- Lee Gu .* now has an MFA method registered/);
  });
});
