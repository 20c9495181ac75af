import { setTimeout as sleep } from 'node:timers/promises';
import { TableTicketStore } from '../../src/adapters/tableTicketStore';
import { Tables } from '../../src/adapters/tables';
import type { TicketRecord } from '../../src/core/tickets';
import { startAzuriteProcess, type AzuriteProcess } from '../../tools/azuriteProcess';
import { createTables } from '../../tools/createTables';
import { appSettingsFor, startSimulator, type PsaService, type Simulator } from '../../tools/simulator';
import { functionRunner, type FunctionOutcome, type FunctionRunner } from '../support/functionProcess';

/*
 * Chaos for tickets (issue 21: "the chaos test kills the detector between a ticket's create and its
 * record: no duplicate ticket, on each PSA"). The detector runs as Azure runs it, in a Node process
 * of its own (dist/tools/invoke.js), against Azurite in its own process and the simulated PSAs. Each
 * PSA carries the create out and holds its answer (the `holdAnswer` fault): the ticket exists in the
 * PSA, the request is still in flight, and the monitor has not recorded the ticket's id when the
 * process is killed with SIGKILL. The next run must find each ticket by its reference rather than
 * open a second, and a fix and a return afterwards must keep it one ticket.
 *
 * The killed run held the detector's lease (2 minutes): the next runs' clocks are moved past it
 * (shiftedClock.js), as a later timer occurrence would start.
 */
jest.setTimeout(180_000);

/** Where each PSA's create goes. */
const creates: Record<PsaService, string> = { connectwise: '/service/tickets', autotask: '/Tickets', halopsa: '/api/Tickets' };
const psas: PsaService[] = ['connectwise', 'autotask', 'halopsa'];
const waitLimitMs = 60_000;
const leasePassedMs = 3 * 60_000;

let azurite: AzuriteProcess;
let sim: Simulator;
let runner: FunctionRunner;
let settings: Record<string, string>;
let clockOffsetMs = 0;

beforeAll(async () => {
  [azurite, sim] = await Promise.all([startAzuriteProcess(), startSimulator({ customers: 20, seed: 2_121 })]);
  settings = {
    TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
    TABLE_PREFIX: 'ticketchaos',
    ...appSettingsFor(sim),
    ...Object.assign({}, ...psas.map((psa) => sim.psa(psa).settings())),
    ALERT_FROM: 'DoNotReply@monitor.example',
    ALERT_TO: 'admins@partner.example',
    PUBLIC_BASE_URL: 'https://monitor.example',
    SOURCE_FAILURES_BEFORE_ALERT: '1',
    ALERT_ROUTES: 'sourceUnavailable -> psa, email; * -> email',
    // A held create outlasts the kill: the detector must still be waiting on it when it dies.
    PSA_TIMEOUT_SECONDS: '120',
  };
  await createTables(azurite.tablesConnectionString, settings.TABLE_PREFIX ?? '');
  runner = functionRunner(120_000);
}, 60_000);

afterAll(async () => {
  runner?.close();
  await Promise.all([sim?.close(), azurite?.close()]);
});

function records(psa: PsaService): Promise<TicketRecord[]> {
  const tables = new Tables({ connectionString: settings.TABLES_CONNECTION_STRING ?? '', endpoint: null, tablePrefix: settings.TABLE_PREFIX ?? '' }, () => {
    throw new Error('a connection string needs no token');
  });
  return new TableTicketStore(tables).list(psa);
}

async function run(name: string): Promise<FunctionOutcome> {
  return runner.start(name, settings, clockOffsetMs).outcome;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const limit = Date.now() + waitLimitMs;
  while (!check()) {
    if (Date.now() > limit) throw new Error(`waited ${waitLimitMs / 1000} s for ${what}`);
    await sleep(50);
  }
}

const failPartnerCenter = () => sim.injectFault({ kind: 'status', status: 500, service: 'partnerCenter' });

/** Each PSA's tickets that carry this PSA's one record's reference, and the record. */
async function theTicket(psa: PsaService) {
  const [record, ...others] = await records(psa);
  expect(others).toEqual([]);
  const tickets = sim
    .psa(psa)
    .tickets()
    .filter((ticket) => ticket.title.includes(`[${record?.reference ?? 'none'}]`));
  return { record, tickets, all: sim.psa(psa).tickets() };
}

describe('the detector killed between a ticket\'s create and its record', () => {
  it('when it dies with each PSA\'s create carried out and unanswered, then the next run adopts each ticket, and a fix and a return keep it one ticket', async () => {
    sim.setDay(40);
    for (const name of ['collectPartnerSecurity', 'collectNonMfaPrincipals', 'collectRegistrationCounts', 'detectRegressions']) expect((await run(name)).exitCode).toBe(0);
    failPartnerCenter();
    expect((await run('collectNonMfaPrincipals')).exitCode).toBe(1);

    for (const psa of psas) sim.injectFault({ kind: 'holdAnswer', service: psa, path: creates[psa], times: 1 });
    const detector = runner.start('detectRegressions', settings, clockOffsetMs);
    await until('every PSA to hold a created ticket with its create in flight', () =>
      psas.every((psa) => sim.psa(psa).tickets().length === 1 && sim.requestsInFlight().some((request) => request.service === psa && request.method === 'POST')),
    );
    detector.kill('SIGKILL');
    expect((await detector.outcome).signal).toBe('SIGKILL');
    for (const psa of psas) expect((await records(psa)).map((record) => record.state)).toEqual(['creating']);

    clockOffsetMs += leasePassedMs;
    expect((await run('detectRegressions')).exitCode).toBe(0);
    for (const psa of psas) {
      const { record, tickets, all } = await theTicket(psa);
      expect(all).toHaveLength(1);
      expect(record).toMatchObject({ state: 'open', ticketId: tickets[0]?.id });
    }

    // A second cycle: fixed (closed), back (reopened): still one ticket in each PSA.
    sim.clearFaults();
    expect((await run('collectNonMfaPrincipals')).exitCode).toBe(0);
    expect((await run('detectRegressions')).exitCode).toBe(0);
    for (const psa of psas) expect((await theTicket(psa)).tickets).toEqual([expect.objectContaining({ closed: true })]);
    failPartnerCenter();
    expect((await run('collectNonMfaPrincipals')).exitCode).toBe(1);
    expect((await run('detectRegressions')).exitCode).toBe(0);
    for (const psa of psas) {
      const { record, all } = await theTicket(psa);
      expect(all).toEqual([expect.objectContaining({ id: record?.ticketId, closed: false })]);
      expect(record).toMatchObject({ state: 'open', notes: 2 });
    }
  });
});
