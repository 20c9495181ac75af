import { ConnectWiseTickets } from '../../src/adapters/connectWiseTickets';
import { readConfig, type ConnectWiseConfig } from '../../src/config';
import type { MonitorError } from '../../src/core/errors';
import { startSimulator, type Simulator } from '../../tools/simulator';

/*
 * The real adapter over HTTPS against the simulated ConnectWise PSA. Rules cited from
 * (see test/fixtures/documented/connectwise/sources.md):
 * - "PSA API Requests", https://developer.connectwise.com/Best_Practices/PSA_API_Requests
 * - "ClientID", https://developer.connectwise.com/ClientID
 * - the Manage REST API 3.0 Ticket model (summary "Max length: 100", closedFlag)
 */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 30 });
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

function configOf(overrides: Record<string, string> = {}): ConnectWiseConfig {
  const { tickets } = readConfig({ ...sim.psa('connectwise').settings(), ...overrides }, ['tickets']);
  if (tickets.connectwise === null) throw new Error('the simulator settings configure no ConnectWise PSA');
  return tickets.connectwise;
}
const adapter = (overrides: Record<string, string> = {}, timeoutMs = 10_000) => new ConnectWiseTickets(configOf(overrides), { timeoutMs });

let serial = 0;
const referenceOf = () => `MFA-MONITOR cw${Date.now().toString(36)}${serial++}`;
const newTicket = (reference: string, title = `[${reference}] Admins without MFA at Contoso`) => ({
  reference, title, description: 'Two admins have no MFA method.', companyId: '1000', severity: 'critical' as const,
});

async function failure(promise: Promise<unknown>): Promise<MonitorError & { statusCode?: number }> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  if (error === undefined) throw new Error('expected a failure');
  return error as MonitorError & { statusCode?: number };
}

describe('ConnectWiseTickets', () => {
  it("when a ticket lives its life, then it is created, found by its reference, noted once, closed with the board's closed status and reopened", async () => {
    const psa = adapter();
    const reference = referenceOf();
    const ticketId = await psa.createTicket(newTicket(reference));
    const held = sim.psa('connectwise').tickets().find((ticket) => ticket.id === ticketId);
    expect(held).toMatchObject({ board: 'Help Desk', status: 'New', priority: 'Priority 1 - Emergency Response', companyId: '1000', closed: false });
    expect(await psa.findTicket(reference)).toEqual({ ticketId, closed: false });

    expect(await psa.hasNote(ticketId, `${reference}-n1`)).toBe(false);
    await psa.addNote(ticketId, { reference: `${reference}-n1`, text: `One admin registered MFA. [${reference}-n1]` });
    expect(await psa.hasNote(ticketId, `${reference}-n1`)).toBe(true);

    await psa.setStatus(ticketId, 'closed');
    // The Ticket model's closedFlag: set by a status marked closed on the board.
    expect(await psa.findTicket(reference)).toEqual({ ticketId, closed: true });
    await psa.setStatus(ticketId, 'closed');
    await psa.setStatus(ticketId, 'open');
    expect(await psa.findTicket(reference)).toEqual({ ticketId, closed: false });
    expect(sim.psa('connectwise').tickets().filter((ticket) => ticket.title.includes(reference))).toHaveLength(1);
  });

  // The Ticket model: summary "Max length: 100".
  it('when the title is longer than 100 characters, then the summary is cut at the end and keeps the marker', async () => {
    const reference = referenceOf();
    const ticketId = await adapter().createTicket(newTicket(reference, `[${reference}] ${'Admins without MFA at a customer with a long name, '.repeat(4)}`));
    const summary = sim.psa('connectwise').tickets().find((ticket) => ticket.id === ticketId)?.title ?? '';
    expect(summary.length).toBeLessThanOrEqual(100);
    expect(summary.startsWith(`[${reference}] `)).toBe(true);
    expect((await adapter().findTicket(reference))?.ticketId).toBe(ticketId);
  });

  it('when no ticket carries the reference, then findTicket answers null', async () => {
    expect(await adapter().findTicket(referenceOf())).toBeNull();
  });

  it('when a customer is found by domain, by name, or not at all, then findCompany says how', async () => {
    const companies = sim.psa('connectwise').companies();
    const renamed = companies.find((company) => company.name.endsWith(' (old)'));
    const named = companies.find((company) => company.domain !== null && !company.name.endsWith(' (old)'));
    if (renamed === undefined || named === undefined) throw new Error('the simulated companies lack a renamed or a named one');
    const psa = adapter();
    expect(await psa.findCompany({ name: 'Another name', domains: [renamed.domain ?? ''] })).toEqual({ id: renamed.id, name: renamed.name, matchedBy: 'domain' });
    expect(await psa.findCompany({ name: named.name.toUpperCase(), domains: ['nowhere.example'] })).toEqual({ id: named.id, name: named.name, matchedBy: 'name' });
    expect(await psa.findCompany({ name: 'No Such Customer Ltd', domains: ['nowhere.example'] })).toBeNull();
  });

  it('when a company is read by id, then it is named; an id ConnectWise does not have reads as null', async () => {
    expect(await adapter().readCompany('1000')).toEqual({ id: '1000', name: 'Simulated Partner (own company)' });
    expect(await adapter().readCompany('999999')).toBeNull();
    expect(await adapter().readCompany('not-a-number')).toBeNull();
  });

  it('when the setup is right, then every check passes: sign in, board, statuses, priorities, fallback company', async () => {
    const steps = await adapter().checkSetup();
    expect(steps.map((step) => step.step)).toEqual([
      'sign in', 'board Help Desk', 'status New', 'status >Closed', 'priority Priority 1 - Emergency Response', 'priority Priority 3 - Normal Response', 'fallback company 1000',
    ]);
    expect(steps.every((step) => step.ok)).toBe(true);
  });

  it('when CONNECTWISE_BOARD names no board, then its check fails naming the setting', async () => {
    const steps = await adapter({ CONNECTWISE_BOARD: 'Service Desk Typo' }).checkSetup();
    const board = steps.find((step) => step.step === 'board Service Desk Typo');
    expect(board?.ok).toBe(false);
    expect(board?.detail).toContain('CONNECTWISE_BOARD');
    expect(steps.find((step) => step.step === 'fallback company 1000')?.ok).toBe(true);
  });

  // Manage REST API: a board's types at /service/boards/{id}/types, the sources at /service/sources.
  it('when CONNECTWISE_TYPE and CONNECTWISE_SOURCE are set, then both are checked: found, or failing and naming the setting', async () => {
    const found = await adapter({ CONNECTWISE_TYPE: 'Security', CONNECTWISE_SOURCE: 'MFA Monitor' }).checkSetup();
    expect(found.filter((step) => step.step === 'type Security' || step.step === 'source MFA Monitor').map((step) => step.ok)).toEqual([true, true]);
    const wrong = await adapter({ CONNECTWISE_TYPE: 'Securty', CONNECTWISE_SOURCE: 'Carrier pigeon' }).checkSetup();
    expect(wrong.find((step) => step.step === 'type Securty')).toMatchObject({ ok: false, detail: expect.stringContaining('CONNECTWISE_TYPE') });
    expect(wrong.find((step) => step.step === 'source Carrier pigeon')).toMatchObject({ ok: false, detail: expect.stringContaining('CONNECTWISE_SOURCE') });
  });

  // "PSA API Requests": 401 — the supplied authentication is incorrect.
  it('when ConnectWise refuses the keys (401), then the call fails PsaRefused naming the settings, never the key', async () => {
    const privateKey = 'the-wrong-private-key';
    const error = await failure(adapter({ CONNECTWISE_PRIVATE_KEY: privateKey }).findTicket(referenceOf()));
    expect(error.code).toBe('PsaRefused');
    expect(error.statusCode).toBe(401);
    expect(error.message).toContain('CONNECTWISE_PRIVATE_KEY');
    const settings = sim.psa('connectwise').settings();
    for (const secret of [privateKey, settings.CONNECTWISE_PUBLIC_KEY ?? '', settings.CONNECTWISE_CLIENT_ID ?? '']) expect(error.message).not.toContain(secret);
    const steps = await adapter({ CONNECTWISE_PRIVATE_KEY: privateKey }).checkSetup();
    expect(steps).toEqual([{ step: 'sign in', ok: false, detail: expect.stringContaining('CONNECTWISE_PUBLIC_KEY') }]);
  });

  // "PSA API Requests": a 429 carries a Retry-After in seconds to wait before retrying.
  it('when ConnectWise answers 429 with Retry-After within the budget, then the call waits and succeeds', async () => {
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 1, service: 'connectwise', path: '/company/companies/1000', times: 1 });
    const psa = adapter();
    const started = Date.now();
    expect(await psa.readCompany('1000')).toMatchObject({ id: '1000' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(psa.requestCount).toBe(2);
  });

  it('when ConnectWise does not answer, then the call fails PsaTimeout within its budget', async () => {
    sim.injectFault({ kind: 'hang', service: 'connectwise', path: '/service/tickets', times: 1 });
    const error = await failure(adapter({}, 1500).findTicket(referenceOf()));
    expect(error.code).toBe('PsaTimeout');
  });

  it('when the answer to a create is lost, then the call fails PsaTimeout and findTicket finds the one ticket it created', async () => {
    const reference = referenceOf();
    sim.injectFault({ kind: 'loseAnswer', service: 'connectwise', path: '/service/tickets', times: 1 });
    const error = await failure(adapter({}, 3000).createTicket(newTicket(reference)));
    expect(error.code).toBe('PsaTimeout');
    const held = sim.psa('connectwise').tickets().filter((ticket) => ticket.title.includes(reference));
    expect(held).toHaveLength(1);
    expect(await adapter().findTicket(reference)).toEqual({ ticketId: held[0]?.id, closed: false });
  });
});
