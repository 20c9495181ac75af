import { TableTicketStore } from '../../src/adapters/tableTicketStore';
import { Tables } from '../../src/adapters/tables';
import { monitorStatus } from '../../src/api/monitorStatus';
import { queryApi, waiverAdministration } from '../../src/composition';
import type { TicketRecord } from '../../src/core/tickets';
import { channelSettingsFor, type Fault, type PsaService, type SimulatedTicket } from '../../tools/simulator';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * Tickets kept in step with the findings in each simulated PSA, through the real detector, the
 * real PSA adapters over HTTPS and Azurite. The findings are driven by a source failing
 * (`sourceUnavailable`, the partner's own, filed under the fallback company): a first source
 * failing opens a ticket, a second adds a line (a note), both recovering close it, and a failure
 * again brings it back.
 */

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 60, nonMfaSignInsPerDay: 2 }, 60);
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

/** Where each PSA's create and notes go: what a fault on "the create" or "a note" names. */
const routes: Record<PsaService, { create: string; notes: string }> = {
  connectwise: { create: '/service/tickets', notes: '/notes' },
  autotask: { create: '/Tickets', notes: '/Notes' },
  halopsa: { create: '/api/Tickets', notes: '/api/Actions' },
};

// The PSAs whose adapter and simulator are built: each is added as it is.
const built: PsaService[] = ['connectwise', 'autotask', 'halopsa'];

function settingsFor(psa: PsaService, overrides: Record<string, string> = {}): Record<string, string> {
  return cloud.settings({
    ...cloud.sim.psa(psa).settings(),
    SOURCE_FAILURES_BEFORE_ALERT: '1',
    ALERT_ROUTES: 'sourceUnavailable -> psa, email; * -> email',
    PSA_TIMEOUT_SECONDS: '3',
    ...overrides,
  });
}

function records(settings: Record<string, string>, psa: PsaService): Promise<TicketRecord[]> {
  const tables = new Tables({ connectionString: settings.TABLES_CONNECTION_STRING ?? '', endpoint: null, tablePrefix: settings.TABLE_PREFIX ?? '' }, () => {
    throw new Error('a connection string needs no credential');
  });
  return new TableTicketStore(tables).list(psa);
}

function ticketsWith(psa: PsaService, reference: string): SimulatedTicket[] {
  return cloud.sim.psa(psa).tickets().filter((ticket) => ticket.title.includes(`[${reference}]`));
}

async function sourceTicket(settings: Record<string, string>, psa: PsaService): Promise<{ record: TicketRecord; ticket: SimulatedTicket }> {
  const record = (await records(settings, psa)).find((candidate) => candidate.groupKey === 'partner/sourceUnavailable');
  if (record === undefined) throw new Error('no record of the sources ticket');
  const found = ticketsWith(psa, record.reference);
  expect(found).toHaveLength(1);
  return { record, ticket: found[0] as SimulatedTicket };
}

const detect = (settings: Record<string, string>) => cloud.run('detectRegressions', settings);

/** A quiet first look at day 40; then Partner Center fails: one source the monitor cannot see, a ticket. */
async function firstSourceFails(settings: Record<string, string>): Promise<void> {
  cloud.sim.setDay(40);
  await cloud.collectAll(settings);
  await detect(settings);
  failPartnerCenter();
  await expect(cloud.run('collectNonMfaPrincipals', settings)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
}

const failPartnerCenter = () => cloud.sim.injectFault({ kind: 'status', status: 500, service: 'partnerCenter' });

/** Graph fails too: two more sources the monitor cannot see, two more lines on the same ticket. */
async function graphFails(settings: Record<string, string>): Promise<void> {
  cloud.sim.injectFault({ kind: 'status', status: 500, service: 'graph' });
  await expect(cloud.run('collectRegistrationCounts', settings)).rejects.toBeDefined();
}

async function ticketStatusOf(settings: Record<string, string>, psa: PsaService) {
  const { body } = await monitorStatus(await queryApi(settings));
  const section = (body.tickets as { psa: string; heldBack: number; openTickets: number; refused: boolean }[]).find((entry) => entry.psa === psa);
  return { section, problems: body.problems as string[] };
}

const inject = (fault: Fault) => cloud.sim.injectFault(fault);

/**
 * The lifecycle, a lost create and notes whose answers are lost run on every PSA: each adapter
 * finds its tickets and notes its own way. The rest is the engine's, the same whatever the PSA:
 * each of those cases runs on one PSA (a different one each), which keeps the suite short.
 */
function onlyOn(psa: PsaService, chosen: PsaService, title: string, body: () => Promise<void>): void {
  if (psa === chosen) it(title, body);
}

describe.each(built)('tickets in %s', (psa) => {
  it('when a regression opens, changes, is fixed and comes back, then one ticket is opened on the fallback company, noted once, closed, and reopened', async () => {
    const settings = settingsFor(psa);
    await firstSourceFails(settings);
    const logs = await detect(settings);
    // One line per ticket event, naming the group (tenant ids and finding kinds, never a name), and the run's count of steps and requests.
    expect(logs).toContainEqual(expect.stringMatching(/ticket \S+ opened for partner\/sourceUnavailable \(the partner's own findings: the fallback company\)$/));
    expect(logs).toContainEqual(expect.stringMatching(/tickets: (ConnectWise PSA|Autotask|HaloPSA): 1\/1 ticket steps, 0 held back, \d+ requests$/));
    const opened = await sourceTicket(settings, psa);
    expect(opened.record).toMatchObject({ state: 'open', ticketId: opened.ticket.id, company: { matchedBy: 'partner', companyId: expect.any(String) }, lines: ['source/nonMfaPrincipals/unavailable'] });
    expect(opened.ticket).toMatchObject({ closed: false, companyId: opened.record.company?.companyId, notes: [] });

    await graphFails(settings);
    await detect(settings);
    const noted = await sourceTicket(settings, psa);
    expect(noted.ticket.notes).toHaveLength(1);
    expect(noted.ticket.notes[0]).toContain(`[${opened.record.reference}-n1]`);
    expect(noted.record.lines).toHaveLength(2);

    cloud.sim.clearFaults();
    await cloud.collectAll(settings);
    await detect(settings);
    const closed = await sourceTicket(settings, psa);
    expect(closed.record).toMatchObject({ state: 'closed', closedAt: expect.any(String), ticketId: opened.ticket.id });
    expect(closed.ticket.closed).toBe(true);
    expect(closed.ticket.notes[1]).toContain('Every finding of this ticket is resolved');

    failPartnerCenter();
    await expect(cloud.run('collectNonMfaPrincipals', settings)).rejects.toBeDefined();
    await detect(settings);
    const reopened = await sourceTicket(settings, psa);
    expect(reopened.ticket).toMatchObject({ id: opened.ticket.id, closed: false });
    expect(reopened.ticket.notes[2]).toContain('The problem is back');
    expect(reopened.record).toMatchObject({ state: 'open', reference: opened.record.reference, notes: 3 });
  });

  onlyOn(psa, 'autotask', 'when a closed ticket\'s problem comes back with PSA_WHEN_BACK=new, then another ticket is opened and the first stays closed', async () => {
    const settings = settingsFor(psa, { PSA_WHEN_BACK: 'new' });
    await firstSourceFails(settings);
    await detect(settings);
    const first = await sourceTicket(settings, psa);
    cloud.sim.clearFaults();
    await cloud.run('collectNonMfaPrincipals', settings);
    await detect(settings);
    failPartnerCenter();
    await expect(cloud.run('collectNonMfaPrincipals', settings)).rejects.toBeDefined();
    await detect(settings);
    const second = await sourceTicket(settings, psa);
    expect(second.record.reference).not.toBe(first.record.reference);
    expect(second.ticket).toMatchObject({ closed: false });
    expect(ticketsWith(psa, first.record.reference)).toEqual([expect.objectContaining({ id: first.ticket.id, closed: true })]);
  });

  onlyOn(psa, 'connectwise', 'when a line is waived, then the ticket gets a "waived" note and no longer lists it', async () => {
    const settings = settingsFor(psa);
    await firstSourceFails(settings);
    await graphFails(settings);
    await detect(settings);
    const before = await sourceTicket(settings, psa);
    const { waivers } = await waiverAdministration(settings);
    const now = new Date();
    const waiver = { id: `waive-${psa}`, scope: 'finding' as const, target: 'source/registrationCounts/unavailable', reason: 'report outage known', owner: 'Security team', expiresAt: new Date(now.getTime() + 86_400_000).toISOString(), createdAt: now.toISOString(), createdBy: 'admin key', updatedAt: now.toISOString(), updatedBy: 'admin key' };
    await waivers.createWaiver(waiver, { at: now.toISOString(), actor: 'admin key', action: 'created', waiverId: waiver.id, before: null, after: waiver });
    await detect(settings);
    const after = await sourceTicket(settings, psa);
    expect(after.ticket.notes).toHaveLength(before.ticket.notes.length + 1);
    expect(after.ticket.notes.at(-1)).toContain('Waived by an admin');
    expect(after.record.lines).not.toContain('source/registrationCounts/unavailable');
  });

  onlyOn(psa, 'halopsa', 'when the PSA answers 401, then the run fails AlertUndeliverable naming the PSA, the email and Teams still go out, and the status names the refusal', async () => {
    const settings = settingsFor(psa, { ...channelSettingsFor(cloud.sim), ALERT_ROUTES: 'sourceUnavailable -> psa, email, teams; * -> email' });
    await firstSourceFails(settings);
    const [emails, teams] = [cloud.sim.inbox().length, cloud.sim.received('teams').length];
    inject({ kind: 'status', status: 401, service: psa });
    const failure = await detect(settings).then(
      () => null,
      (thrown: Error & { code?: string }) => thrown,
    );
    expect(failure?.code).toBe('AlertUndeliverable');
    expect(failure?.message).toMatch(new RegExp(`${{ connectwise: 'ConnectWise', autotask: 'Autotask', halopsa: 'HaloPSA' }[psa]}`));
    expect(cloud.sim.inbox().length).toBe(emails + 1);
    expect(cloud.sim.received('teams').length).toBe(teams + 1);
    const { section, problems } = await ticketStatusOf(settings, psa);
    expect(section?.refused).toBe(true);
    expect(problems.some((problem) => problem.includes("refuses the monitor's tickets"))).toBe(true);
  });

  it('when the answer to the create is lost, then the next run finds the ticket by its reference: exactly one ticket', async () => {
    const settings = settingsFor(psa);
    await firstSourceFails(settings);
    inject({ kind: 'loseAnswer', service: psa, path: routes[psa].create, times: 1 });
    await detect(settings);
    const [creating] = await records(settings, psa);
    expect(creating).toMatchObject({ state: 'creating', attempts: 1 });
    expect(ticketsWith(psa, creating?.reference ?? '')).toHaveLength(1);
    await detect(settings);
    const { record, ticket } = await sourceTicket(settings, psa);
    expect(record).toMatchObject({ state: 'open', ticketId: ticket.id, reference: creating?.reference });
  });

  it('when a note hangs, and then a note\'s answer is lost, then each note exists once after the next run', async () => {
    const settings = settingsFor(psa);
    await firstSourceFails(settings);
    await detect(settings);
    inject({ kind: 'hang', service: psa, path: routes[psa].notes, times: 1 });
    await graphFails(settings);
    await detect(settings);
    expect((await sourceTicket(settings, psa)).record.pending).toMatchObject({ step: 'note' });
    await detect(settings);
    const first = await sourceTicket(settings, psa);
    expect(first.ticket.notes.filter((note) => note.includes(`[${first.record.reference}-n1]`))).toHaveLength(1);
    expect(first.record.pending).toBeNull();

    // Partner Center recovers: the note saying so is posted, its answer lost.
    cloud.sim.clearFaults();
    await cloud.run('collectNonMfaPrincipals', settings);
    inject({ kind: 'loseAnswer', service: psa, path: routes[psa].notes, times: 1 });
    await detect(settings);
    await detect(settings);
    const second = await sourceTicket(settings, psa);
    expect(second.ticket.notes.filter((note) => note.includes(`[${first.record.reference}-n2]`))).toHaveLength(1);
  });

  onlyOn(psa, 'connectwise', 'when more problems open than PSA_TICKETS_PER_RUN, then each run opens at most that many and the status counts the rest as waiting', async () => {
    const settings = settingsFor(psa, { ALERT_ROUTES: '* -> psa, email', PSA_TICKETS_PER_RUN: '2' });
    cloud.sim.setDay(40);
    await cloud.collectAll(settings);
    await detect(settings);
    cloud.sim.setDay(44);
    await cloud.collectAll(settings);
    await detect(settings);
    const first = await ticketStatusOf(settings, psa);
    expect(await records(settings, psa)).toHaveLength(2);
    expect(first.section?.heldBack).toBeGreaterThan(0);
    await detect(settings);
    const second = await ticketStatusOf(settings, psa);
    expect(await records(settings, psa)).toHaveLength(4);
    expect(second.section?.heldBack).toBe(Math.max(0, (first.section?.heldBack ?? 0) - 2));
    expect(second.section?.openTickets).toBe(4);
    // Each customer's ticket is filed under the company its record names (found, mapped, or the fallback, with the tenant named).
    for (const record of await records(settings, psa)) {
      expect(ticketsWith(psa, record.reference)).toEqual([expect.objectContaining({ id: record.ticketId, companyId: record.company?.companyId })]);
    }
  });
});
