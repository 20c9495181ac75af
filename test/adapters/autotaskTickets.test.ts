import { AutotaskTickets } from '../../src/adapters/autotaskTickets';
import { psaTicketClients } from '../../src/composition';
import { readConfig, type AutotaskConfig } from '../../src/config';
import { MonitorError } from '../../src/core/errors';
import { startSimulator, type Simulator } from '../../tools/simulator';

/*
 * The real adapter over HTTPS against the simulated Autotask (test/simulator/autotask.test.ts
 * shows that it answers as documented). Documents, under https://ww1.autotask.net/help/DeveloperHelp/Content/APIs/:
 * TICKETS = "Tickets" (REST/Entities/TicketsEntity.htm): create, update at `Tickets` (PUT, POST, PATCH), query;
 * NOTES = "TicketNotes" (REST/Entities/TicketNotesEntity.htm); QUERY = "Making basic query calls to the REST API"
 * (REST/API_Calls/REST_Basic_Query_Calls.htm); PATCH = "Updating data via PATCH request with the REST API"
 * (REST/API_Calls/REST_Updating_Data_PATCH.htm); LIMITS = "REST API supportability, query thresholds, and latency"
 * (REST/General_Topics/REST_Thresholds_Limits.htm); ZONE = Datto's Postman sample "ZoneInformation
 * (non-authenticated)" (github.com/AutotaskDevelopment/REST-Postman).
 */

let sim: Simulator;
let config: AutotaskConfig;
beforeAll(async () => {
  sim = await startSimulator({ customers: 40 });
  const autotask = readConfig(sim.psa('autotask').settings(), ['tickets']).tickets.autotask;
  if (autotask === null) throw new Error('the simulated settings configure no Autotask');
  config = autotask;
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const adapter = (overrides: Partial<AutotaskConfig> = {}, timeoutMs = 10_000) => new AutotaskTickets({ ...config, ...overrides }, { timeoutMs });
let serial = 0;
const reference = () => `MFA-MONITOR at${(serial += 1)}${Date.now().toString(36)}`;
const ticketFor = (ref: string, title = `[${ref}] Customer admins without MFA`) => ({ reference: ref, title, description: 'Two admins have no MFA method.', companyId: '0', severity: 'critical' as const });

async function failure(promise: Promise<unknown>): Promise<MonitorError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  if (!(error instanceof MonitorError)) throw new Error(`expected a MonitorError, got ${String(error)}`);
  return error;
}

describe('AutotaskTickets', () => {
  it('when the composition root reads the simulated settings, then it builds the Autotask client', async () => {
    const clients = await psaTicketClients(sim.psa('autotask').settings());
    expect(clients.map((client) => client.psa)).toEqual(['autotask']);
  });

  it('when no zone URL is set, then the zone is looked up once without credentials (ZONE) and requests go to its url plus V1.0', async () => {
    sim.clearRequestLog();
    const tickets = adapter();
    await tickets.findTicket(reference());
    await tickets.findTicket(reference());
    const log = sim.requestLog().filter((entry) => entry.service === 'autotask');
    const lookups = log.filter((entry) => entry.path.toLowerCase().includes('zoneinformation'));
    expect(lookups).toHaveLength(1);
    expect(lookups[0]?.headers.secret).toBeUndefined();
    expect(log.filter((entry) => entry.path === '/autotask/zone5/ATServicesRest/V1.0/Tickets/query')).toHaveLength(2);
    expect(tickets.requestCount).toBe(3);
  });

  it('when a ticket is created, found by reference, noted, closed and reopened (TICKETS; NOTES; PATCH at the collection URL), then the PSA shows each step', async () => {
    const tickets = adapter();
    const ref = reference();
    const id = await tickets.createTicket(ticketFor(ref));
    expect(await tickets.findTicket(ref)).toEqual({ ticketId: id, closed: false });
    expect(await tickets.hasNote(id, `${ref}-n1`)).toBe(false);
    await tickets.addNote(id, { reference: `${ref}-n1`, text: `[${ref}-n1] One admin registered MFA.` });
    expect(await tickets.hasNote(id, `${ref}-n1`)).toBe(true);
    await tickets.setStatus(id, 'closed');
    expect(await tickets.findTicket(ref)).toEqual({ ticketId: id, closed: true });
    await tickets.setStatus(id, 'open');
    const shown = sim.psa('autotask').tickets().find((ticket) => ticket.id === id);
    expect(shown).toMatchObject({ title: `[${ref}] Customer admins without MFA`, status: 'New', closed: false, priority: 'High', board: 'Monitoring Alert', notes: [`[${ref}-n1] One admin registered MFA.`] });
  });

  it('when a title is longer than the Tickets title field (255), then its end is cut and the marker kept', async () => {
    const tickets = adapter();
    const ref = reference();
    const id = await tickets.createTicket(ticketFor(ref, `[${ref}] ${'x'.repeat(400)}`));
    const title = sim.psa('autotask').tickets().find((ticket) => ticket.id === id)?.title ?? '';
    expect(title).toHaveLength(255);
    expect(title.startsWith(`[${ref}] `)).toBe(true);
    expect(await tickets.findTicket(ref)).toEqual({ ticketId: id, closed: false });
  });

  it('when companies are looked up (QUERY: contains on webAddress, eq on companyName), then by domain, by name, or none', async () => {
    const tickets = adapter();
    const companies = sim.psa('autotask').companies();
    const byDomainOnly = companies.find((company) => company.name.endsWith(' (old)'));
    const byName = companies.find((company) => company.id !== '0' && !company.name.endsWith(' (old)'));
    if (!byDomainOnly?.domain || !byName) throw new Error('the simulated companies lack a listing');
    expect(await tickets.findCompany({ name: 'Renamed since', domains: ['unrelated.example', byDomainOnly.domain] })).toEqual({ id: byDomainOnly.id, name: byDomainOnly.name, matchedBy: 'domain' });
    expect(await tickets.findCompany({ name: byName.name.toUpperCase(), domains: ['nowhere.example'] })).toEqual({ id: byName.id, name: byName.name, matchedBy: 'name' });
    expect(await tickets.findCompany({ name: 'No Such Customer Ltd', domains: ['nowhere.example'] })).toBeNull();
    expect(await tickets.readCompany(byName.id)).toEqual({ id: byName.id, name: byName.name });
    expect(await tickets.readCompany('987654')).toBeNull();
  });

  it('when the setup is checked, then each step passes; with an unknown AUTOTASK_QUEUE_ID, the queue step fails naming the setting and the queues there are', async () => {
    const good = await adapter().checkSetup();
    expect(good.every((step) => step.ok)).toBe(true);
    expect(good.map((step) => step.step)).toEqual(['zone', 'sign in', 'queue Monitoring Alert', 'status New', 'status Complete', 'priority High', 'priority Medium', 'fallback company 0']);
    const wrong = await adapter({ queueId: '12345' }).checkSetup();
    const queue = wrong.find((step) => step.step === 'queue 12345');
    expect(queue?.ok).toBe(false);
    expect(queue?.detail).toContain('AUTOTASK_QUEUE_ID 12345');
    expect(queue?.detail).toContain('Monitoring Alert (29683490)');
  });

  it('when the secret is wrong, then calls fail PsaRefused naming the settings and the security level, and the secret appears nowhere', async () => {
    const secret = 'not-the-secret-4711';
    const error = await failure(adapter({ secret }).findTicket(reference()));
    expect(error.code).toBe('PsaRefused');
    expect(error.message).toContain('AUTOTASK_SECRET');
    expect(error.message).toContain('security level');
    expect(`${error.message} ${String(error.cause)}`).not.toContain(secret);
    const setup = await adapter({ secret }).checkSetup();
    expect(setup.find((step) => step.step === 'sign in')).toMatchObject({ ok: false });
  });

  it('when Autotask throttles once (LIMITS: requests refused past the threshold), then the call is retried after Retry-After; when it keeps refusing, PsaUnavailable', async () => {
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 1, service: 'autotask', path: '/Tickets/query', times: 1 });
    expect(await adapter().findTicket(reference())).toBeNull();
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 1, service: 'autotask', path: '/Tickets/query' });
    const error = await failure(adapter({}, 2500).findTicket(reference()));
    expect(error.code).toBe('PsaUnavailable');
  });

  it('when Autotask refuses a create (PATCH/PUT pages: a refused write answers 500 with its reasons in `errors`, and changes nothing), then it is not retried and fails PsaRejected with Autotask\'s reason', async () => {
    const tickets = adapter({ queueId: '99999' });
    await tickets.findTicket(reference());
    const before = tickets.requestCount;
    const error = await failure(tickets.createTicket(ticketFor(reference())));
    expect(error.code).toBe('PsaRejected');
    expect(error.message).toContain('Value 99999 does not exist in the picklist for queueID');
    expect(tickets.requestCount - before).toBe(1);
  });

  it('when Autotask does not answer, then the call fails PsaTimeout within its budget', async () => {
    const tickets = adapter({}, 1500);
    await tickets.findTicket(reference());
    sim.injectFault({ kind: 'hang', service: 'autotask', path: '/Tickets/query', times: 1 });
    const started = Date.now();
    expect((await failure(tickets.findTicket(reference()))).code).toBe('PsaTimeout');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('when a create succeeds but its answer is lost, then it fails PsaTimeout (it may have happened, so it is not sent again), and findTicket finds exactly the one ticket created', async () => {
    const tickets = adapter({}, 3000);
    const ref = reference();
    await tickets.findTicket(ref);
    sim.injectFault({ kind: 'loseAnswer', service: 'autotask', path: '/ATServicesRest/V1.0/Tickets', times: 1 });
    const error = await failure(tickets.createTicket(ticketFor(ref)));
    expect(error.code).toBe('PsaTimeout');
    const created = sim.psa('autotask').tickets().filter((ticket) => ticket.title.includes(`[${ref}]`));
    expect(created).toHaveLength(1);
    expect(await tickets.findTicket(ref)).toEqual({ ticketId: created[0]?.id, closed: false });
  });
});
