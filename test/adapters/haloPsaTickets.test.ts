import { HaloPsaTickets } from '../../src/adapters/haloPsaTickets';
import { readConfig, type HaloPsaConfig } from '../../src/config';
import { startSimulator, type Simulator } from '../../tools/simulator';
import '../simulator/simulatorClient';

/*
 * The real HaloPSA adapter over HTTPS against the simulated HaloPSA. The rules each test relies
 * on are listed, with their documents, in test/fixtures/documented/halopsa/sources.md.
 */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 30 });
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

function configWith(changes: Record<string, string> = {}): HaloPsaConfig {
  const config = readConfig({ ...sim.psa('halopsa').settings(), ...changes }, ['tickets']).tickets.halopsa;
  if (config === null) throw new Error('the simulated settings configure no HaloPSA');
  return config;
}

const halo = (changes: Record<string, string> = {}, timeoutMs = 10_000) => new HaloPsaTickets(configWith(changes), { timeoutMs });
const tokenRequests = () => sim.requestLog().filter((entry) => entry.method === 'POST' && entry.path.startsWith('/halopsa/auth/token')).length;
let sequence = 0;
const newReference = () => `MFA-MONITOR halo${String(++sequence).padStart(4, '0')}`;
const ticketFor = (reference: string, title = 'Admins without MFA at Contoso') => ({ reference, title: `[${reference}] ${title}`, description: 'Two admins have no MFA method.', companyId: '1', severity: 'critical' as const });

describe('HaloPsaTickets against the simulated HaloPSA', () => {
  it('when a ticket is created, found by its reference, noted, closed and reopened, then HaloPSA shows each step (POST /api/Tickets and /api/Actions with array bodies)', async () => {
    const tickets = halo();
    const reference = newReference();
    const ticketId = await tickets.createTicket(ticketFor(reference));
    expect(await tickets.findTicket(reference)).toEqual({ ticketId, closed: false });
    const held = sim.psa('halopsa').tickets().find((ticket) => ticket.id === ticketId);
    expect(held).toMatchObject({ title: `[${reference}] Admins without MFA at Contoso`, companyId: '1', board: 'Security', status: 'New', priority: 'Critical' });

    const noteReference = `[${reference}-n1]`;
    expect(await tickets.hasNote(ticketId, noteReference)).toBe(false);
    await tickets.addNote(ticketId, { reference: noteReference, text: `One more admin without MFA. ${noteReference}` });
    expect(await tickets.hasNote(ticketId, noteReference)).toBe(true);

    await tickets.setStatus(ticketId, 'closed');
    expect(await tickets.findTicket(reference)).toEqual({ ticketId, closed: true });
    await tickets.setStatus(ticketId, 'closed');
    expect(sim.psa('halopsa').tickets().find((ticket) => ticket.id === ticketId)).toMatchObject({ status: 'Closed', closed: true });
    await tickets.setStatus(ticketId, 'open');
    expect(await tickets.findTicket(reference)).toEqual({ ticketId, closed: false });
  });

  it('when a reference was never used, then findTicket answers null', async () => {
    expect(await halo().findTicket(newReference())).toBeNull();
  });

  it('when the title is longer than the summary takes, then its end is cut and the marker at its start is kept', async () => {
    const tickets = halo();
    const reference = newReference();
    const ticketId = await tickets.createTicket(ticketFor(reference, 'x'.repeat(400)));
    const title = sim.psa('halopsa').tickets().find((ticket) => ticket.id === ticketId)?.title ?? '';
    expect(title.startsWith(`[${reference}] `)).toBe(true);
    expect(title.length).toBeLessThanOrEqual(250);
    expect(await tickets.findTicket(reference)).toEqual({ ticketId, closed: false });
  });

  it('when calls follow each other, then one token serves them; after a 401 it is dropped and the next call asks for a new one', async () => {
    const tickets = halo();
    const before = tokenRequests();
    await tickets.readCompany('1');
    await tickets.readCompany('1');
    expect(tokenRequests() - before).toBe(1);
    sim.injectFault({ service: 'halopsa', path: '/halopsa/api/', kind: 'status', status: 401, times: 1 });
    await expect(tickets.readCompany('1')).rejects.toMatchObject({ code: 'PsaRefused', statusCode: 401 });
    expect(await tickets.readCompany('1')).toMatchObject({ id: '1' });
    expect(tokenRequests() - before).toBe(2);
  });

  it('when companies are looked up, then a client whose website is one of the domains is found first, else one named as the customer (case aside), else none', async () => {
    const tickets = halo();
    const companies = sim.psa('halopsa').companies();
    const renamed = companies.find((company) => company.name.endsWith(' (old)'));
    const named = companies.find((company) => company.domain !== null && !company.name.endsWith(' (old)'));
    if (renamed === undefined || named === undefined) throw new Error('the simulated clients lack a renamed or a named customer');
    expect(await tickets.findCompany({ name: 'Another Name Entirely', domains: [renamed.domain ?? ''] })).toEqual({ id: renamed.id, name: renamed.name, matchedBy: 'domain' });
    expect(await tickets.findCompany({ name: named.name.toUpperCase(), domains: ['nowhere.example'] })).toEqual({ id: named.id, name: named.name, matchedBy: 'name' });
    expect(await tickets.findCompany({ name: 'Nobody Ltd', domains: ['nobody.example'] })).toBeNull();
  });

  it('when a client is read by id, then its name comes back; an id HaloPSA does not have (404) is null', async () => {
    const tickets = halo();
    expect(await tickets.readCompany('1')).toEqual({ id: '1', name: 'Simulated Partner (own company)' });
    expect(await tickets.readCompany('99999')).toBeNull();
  });

  it('when the setup is checked with the simulated settings, then every step passes', async () => {
    const steps = await halo().checkSetup();
    expect(steps.map((step) => step.step)).toEqual(['sign in', 'ticket type 21', 'team Security', 'status 1', 'status 9', 'priority critical=1', 'priority warning=3', 'fallback client 1']);
    expect(steps.filter((step) => !step.ok)).toEqual([]);
  });

  it('when HALOPSA_STATUS_CLOSED names a status HaloPSA does not have, then that step fails and names the setting', async () => {
    const steps = await halo({ HALOPSA_STATUS_CLOSED: '77' }).checkSetup();
    expect(steps.find((step) => step.step === 'status 77')).toMatchObject({ ok: false, detail: expect.stringContaining('HALOPSA_STATUS_CLOSED') });
    expect(steps.filter((step) => !step.ok)).toHaveLength(1);
  });

  it('when the client secret is wrong, then calls fail PsaRefused naming the settings to check, and no secret is in the message (RFC 6749 §5.2 invalid_client)', async () => {
    const wrongSecret = 'wrong-secret-0123456789';
    const tickets = halo({ HALOPSA_CLIENT_SECRET: wrongSecret });
    const failure = await tickets.findTicket(newReference()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PsaRefused', message: expect.stringContaining('HALOPSA_CLIENT_SECRET') });
    const message = (failure as Error).message;
    expect(message).toContain('invalid_client');
    expect(message).not.toContain(wrongSecret);
    expect(message).not.toContain(sim.psa('halopsa').settings().HALOPSA_CLIENT_SECRET);
    const steps = await tickets.checkSetup();
    expect(steps).toEqual([{ step: 'sign in', ok: false, detail: expect.stringContaining('HALOPSA_CLIENT_ID') }]);
  });

  it('when HaloPSA answers 429 with Retry-After (hosted limit, rate-limit-429.txt), then the call is retried after it within its budget', async () => {
    const tickets = halo();
    await tickets.readCompany('1');
    sim.clearRequestLog();
    sim.injectFault({ service: 'halopsa', path: '/halopsa/api/Tickets', kind: 'status', status: 429, retryAfter: 1, times: 1 });
    const started = Date.now();
    expect(await tickets.findTicket(newReference())).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sim.requestLog().filter((entry) => entry.path.startsWith('/halopsa/api/Tickets')).map((entry) => entry.status)).toEqual([429, 200]);
  });

  it('when HaloPSA never answers, then the call fails PsaTimeout at its budget', async () => {
    const tickets = halo({}, 1500);
    await tickets.readCompany('1');
    sim.injectFault({ service: 'halopsa', path: '/halopsa/api/Tickets', kind: 'hang', times: 1 });
    await expect(tickets.findTicket(newReference())).rejects.toMatchObject({ code: 'PsaTimeout' });
  });

  it('when a create is carried out but its answer is lost, then it fails PsaTimeout without being sent again, and findTicket finds exactly the one ticket', async () => {
    const tickets = halo();
    await tickets.readCompany('1');
    const reference = newReference();
    sim.injectFault({ service: 'halopsa', path: '/halopsa/api/Tickets', kind: 'loseAnswer', times: 1 });
    await expect(tickets.createTicket(ticketFor(reference))).rejects.toMatchObject({ code: 'PsaTimeout' });
    const created = sim.psa('halopsa').tickets().filter((ticket) => ticket.title.includes(`[${reference}]`));
    expect(created).toHaveLength(1);
    expect(await tickets.findTicket(reference)).toEqual({ ticketId: created[0]?.id, closed: false });
  });

  it('when calls are made, then requestCount counts them, the token request included', async () => {
    const tickets = halo();
    await tickets.readCompany('1');
    await tickets.findTicket(newReference());
    expect(tickets.requestCount).toBe(3);
  });
});
