import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type Simulator } from '../../tools/simulator';
import { SimulatedConnectWise } from '../../tools/simulator/connectwise';
import { Exchange } from '../../tools/simulator/exchange';
import { FaultBook } from '../../tools/simulator/faultBook';

/*
 * The simulated ConnectWise PSA answers as ConnectWise documents it. Sources (see
 * test/fixtures/documented/connectwise/sources.md):
 * - "PSA API Requests", https://developer.connectwise.com/Best_Practices/PSA_API_Requests
 * - "PSA Pagination", https://developer.connectwise.com/Best_Practices/PSA_Pagination
 * - "ClientID", https://developer.connectwise.com/ClientID
 * - the Manage REST API 3.0 models (Ticket, ServiceNote, BoardStatus)
 */

let sim: Simulator;
let settings: Record<string, string>;
let api: string;
beforeAll(async () => {
  sim = await startSimulator({ customers: 40 });
  settings = sim.psa('connectwise').settings();
  api = settings.CONNECTWISE_BASE_URL ?? '';
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

function signIn(values = settings): Record<string, string> {
  const user = `${values.CONNECTWISE_COMPANY_ID ?? ''}+${values.CONNECTWISE_PUBLIC_KEY ?? ''}`;
  return { authorization: `Basic ${Buffer.from(`${user}:${values.CONNECTWISE_PRIVATE_KEY ?? ''}`).toString('base64')}`, clientId: values.CONNECTWISE_CLIENT_ID ?? '' };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; base?: string } = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(`${options.base ?? api}${path}`, {
    method,
    headers: { ...(options.headers ?? signIn()), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? null : JSON.parse(text) };
}

const conditions = (text: string) => `conditions=${encodeURIComponent(text)}`;
const newTicket = (summary: string, extra: Record<string, unknown> = {}) => ({
  summary, initialDescription: 'lines', board: { name: 'Help Desk' }, company: { id: 1000 }, status: { name: 'New' }, priority: { name: 'Priority 3 - Normal Response' }, ...extra,
});

describe('the simulated ConnectWise PSA: signing in', () => {
  // "PSA API Requests": 401 Unauthorized — the supplied authentication is incorrect.
  it('when the private key is wrong, then it answers 401 in its error shape', async () => {
    const answer = await call('GET', '/system/info', { headers: signIn({ ...settings, CONNECTWISE_PRIVATE_KEY: 'wrong' }) });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ code: expect.any(String), message: expect.any(String) });
  });

  it('when there is no Basic authorization at all, then it answers 401', async () => {
    expect((await call('GET', '/system/info', { headers: { clientId: settings.CONNECTWISE_CLIENT_ID ?? '' } })).status).toBe(401);
  });

  // "ClientID": a required header on all API requests; integrators report a 400 naming clientId (no document shows the answer).
  it('when the clientId header is missing, then it answers 400 naming clientId', async () => {
    const { clientId: _omitted, ...headers } = signIn();
    const answer = await call('GET', '/system/info', { headers });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.json)).toContain('clientId');
  });

  it('when the keys and the clientId are right, then /system/info answers its version', async () => {
    const answer = await call('GET', '/system/info');
    expect(answer.status).toBe(200);
    expect(typeof answer.json.version).toBe('string');
  });
});

describe('the simulated ConnectWise PSA: lists', () => {
  // "PSA Pagination": page/pageSize, at most 1,000 records a page, Link headers to the next pages.
  it('when companies are read by pages, then each page holds pageSize records and the Link header leads to the next and the last', async () => {
    const all = sim.psa('connectwise').companies();
    const first = await call('GET', '/company/companies?pageSize=10&page=1');
    expect(first.json).toHaveLength(10);
    expect(first.headers.get('link')).toContain('rel="next"');
    expect(first.headers.get('link')).toContain('rel="last"');
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] ?? '';
    const second = await call('GET', next.slice(api.length));
    expect(second.json[0].id).toBe(Number(all[10]?.id));
    const lastPage = Math.ceil(all.length / 10);
    const last = await call('GET', `/company/companies?pageSize=10&page=${lastPage}`);
    expect(last.headers.get('link')).not.toContain('rel="next"');
  });

  it('when pageSize asks for more than 1,000, then a page still holds at most 1,000', async () => {
    const answer = await call('GET', '/company/companies?pageSize=5000');
    expect(answer.status).toBe(200);
    expect(answer.json.length).toBeLessThanOrEqual(1000);
  });

  // "PSA API Requests" conditions: field="value", like with %, and/or, child fields by a slash.
  it('when conditions use =, like, and, or, then only the records they describe are listed', async () => {
    const company = sim.psa('connectwise').companies().find((candidate) => candidate.domain !== null);
    const byWebsite = await call('GET', `/company/companies?${conditions(`website like "%${company?.domain ?? ''}%"`)}`);
    expect(byWebsite.json.map((listed: { id: number }) => String(listed.id))).toEqual([company?.id]);
    const byName = await call('GET', `/company/companies?${conditions(`name="${(company?.name ?? '').toUpperCase()}" or id=1000`)}`);
    expect(byName.json.map((listed: { id: number }) => String(listed.id)).sort()).toEqual(['1000', company?.id].sort());
    const none = await call('GET', `/company/companies?${conditions(`name="${company?.name ?? ''}" and id=1000`)}`);
    expect(none.json).toEqual([]);
  });

  it('when a string holds an escaped quote, then it is matched as a quote; an unclosed string is a 400', async () => {
    const created = await call('POST', '/service/tickets', { body: newTicket('[REF-Q] the "quoted" admin') });
    const found = await call('GET', `/service/tickets?${conditions('summary like "%\\"quoted\\"%"')}`);
    expect(found.json.map((ticket: { id: number }) => ticket.id)).toContain(created.json.id);
    expect((await call('GET', `/service/tickets?${conditions('summary like "%open')}`)).status).toBe(400);
  });

  it('when fields are asked for, then only those come back, child fields by a slash', async () => {
    const answer = await call('GET', `/service/boards/1/statuses?fields=id,name,closedStatus&${conditions('name=">Closed"')}`);
    expect(answer.json).toEqual([{ id: 13, name: '>Closed', closedStatus: true }]);
  });
});

describe('the simulated ConnectWise PSA: tickets', () => {
  it('when a ticket is created with board, status, priority by name and company by id, then it answers 201 with the ticket (closedFlag false)', async () => {
    const answer = await call('POST', '/service/tickets', { body: newTicket('[REF-1] MFA regressions') });
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({ summary: '[REF-1] MFA regressions', board: { name: 'Help Desk' }, status: { name: 'New' }, company: { id: 1000 }, closedFlag: false });
    // The Ticket model: initialDescription is "Only available for POST, will not be returned in the response".
    expect(answer.json.initialDescription).toBeUndefined();
  });

  // The error body as a real instance answered it (fixtures/documented/connectwise/error-400-invalid-object.json).
  it.each([
    ['an unknown board', { board: { name: 'No Such Board' } }, 'board'],
    ['a status the board does not have', { status: { name: 'Waiting' } }, 'status'],
    ['an unknown company', { company: { id: 999999 } }, 'company'],
    ['an unknown priority', { priority: { name: 'Priority 9' } }, 'priority'],
  ])('when a ticket names %s, then it answers 400 InvalidObject naming the field', async (_what, extra, field) => {
    const answer = await call('POST', '/service/tickets', { body: newTicket('[REF-2] x', extra) });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 'InvalidObject', errors: [{ field, resource: 'ticket' }] });
  });

  // The Ticket model: summary "Max length: 100".
  it('when a summary is longer than 100 characters, then it answers 400 naming summary', async () => {
    const answer = await call('POST', '/service/tickets', { body: newTicket(`[REF-3] ${'x'.repeat(100)}`) });
    expect(answer.status).toBe(400);
    expect(answer.json.errors[0].field).toBe('summary');
  });

  // "PSA API Requests": PATCH updates specific fields, as an array of JSON Patch operations.
  it('when the status is replaced by a JSON Patch, then the ticket closes with a closed status and opens again', async () => {
    const { json: ticket } = await call('POST', '/service/tickets', { body: newTicket('[REF-4] x') });
    const closed = await call('PATCH', `/service/tickets/${ticket.id}`, { body: [{ op: 'replace', path: 'status', value: { name: '>Closed' } }] });
    expect(closed.json).toMatchObject({ status: { name: '>Closed' }, closedFlag: true });
    const reopened = await call('PATCH', `/service/tickets/${ticket.id}`, { body: [{ op: 'replace', path: 'status', value: { name: 'New' } }] });
    expect(reopened.json.closedFlag).toBe(false);
    expect((await call('PATCH', `/service/tickets/${ticket.id}`, { body: { status: { name: 'New' } } })).status).toBe(400);
  });

  it('when a Discussion note is added, then the notes list it, and a ticket that does not exist answers 404', async () => {
    const { json: ticket } = await call('POST', '/service/tickets', { body: newTicket('[REF-5] x') });
    const added = await call('POST', `/service/tickets/${ticket.id}/notes`, { body: { text: 'changed [REF-5-n1]', detailDescriptionFlag: true } });
    expect(added.status).toBe(201);
    const notes = await call('GET', `/service/tickets/${ticket.id}/notes?${conditions('text like "%REF-5-n1%"')}`);
    expect(notes.json).toMatchObject([{ text: 'changed [REF-5-n1]', detailDescriptionFlag: true, ticketId: ticket.id }]);
    expect((await call('GET', '/service/tickets/1/notes')).status).toBe(404);
    expect(sim.psa('connectwise').tickets().find((held) => held.id === String(ticket.id))?.notes).toEqual(['changed [REF-5-n1]']);
  });
});

describe('the simulated ConnectWise PSA: throttling', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // A ConnectWise with a limit of 3 a minute, served on its own so the shared one stays unthrottled.
    const limited = new SimulatedConnectWise({ url: 'http://127.0.0.1', seed: 1, customers: 2, faults: new FaultBook() }, { requestsPerMinute: 3 });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      void limited.handle(new Exchange(req, res, url, 'connectwise', Buffer.alloc(0), () => undefined));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/connectwise/v4_6_release/apis/3.0`;
    settings = { ...settings, ...limited.settings() };
  });
  afterAll(async () => {
    settings = sim.psa('connectwise').settings();
    await new Promise((resolve) => server.close(resolve));
  });

  // "PSA API Requests": 429 when request volume exceeds capacity limits, with a Retry-After in seconds.
  it('when a member makes more requests in a minute than its limit, then it answers 429 with a Retry-After in seconds', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/system/info', { base, headers: signIn() })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const throttled = await call('GET', '/system/info', { base, headers: signIn() });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });
});
