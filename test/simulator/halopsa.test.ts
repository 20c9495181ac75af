import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../tools/simulator';
import { get, postJson, type JsonResponse } from './simulatorClient';

/*
 * The simulated HaloPSA, checked against the documents in test/fixtures/documented/halopsa/sources.md.
 */

const documented = (file: string) => readFileSync(join(__dirname, '..', 'fixtures', 'documented', 'halopsa', file), 'utf8');

let sim: Simulator;
let settings: Record<string, string>;
beforeAll(async () => {
  sim = await startSimulator({ customers: 20 });
  settings = sim.psa('halopsa').settings();
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

async function tokenRequest(form: Record<string, string>, tenant = settings.HALOPSA_TENANT ?? ''): Promise<JsonResponse> {
  const response = await fetch(`${settings.HALOPSA_BASE_URL}/auth/token?tenant=${tenant}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text || 'null') as unknown };
}

const validForm = () => ({ grant_type: 'client_credentials', client_id: settings.HALOPSA_CLIENT_ID ?? '', client_secret: settings.HALOPSA_CLIENT_SECRET ?? '', scope: 'all' });

async function token(): Promise<string> {
  return (await tokenRequest(validForm())).json.access_token as string;
}

const api = (path: string) => `${settings.HALOPSA_BASE_URL}/api${path}`;

const post = (path: string, body: unknown, bearer: string): Promise<JsonResponse> => postJson(api(path), body, bearer);

describe("the simulated HaloPSA's token endpoint (OAuth 2.0 client credentials, RFC 6749 §4.4; Halo: /auth/token?tenant=)", () => {
  it('when the application asks with its tenant, id, secret and scope, then it answers a bearer token with expires_in, shaped as RFC 6749 §4.4.3 documents', async () => {
    const answer = await tokenRequest(validForm());
    expect(answer.status).toBe(200);
    // RFC 6749 §4.4.3 / §5.1 example: access_token, token_type, expires_in.
    const example = JSON.parse(documented('oauth-token-response.rfc6749.json')) as Record<string, unknown>;
    for (const field of ['access_token', 'token_type', 'expires_in']) expect(typeof answer.json[field]).toBe(typeof example[field]);
    expect(answer.json).toMatchObject({ token_type: 'Bearer', scope: 'all' });
  });

  it.each([
    ['a wrong secret', { client_secret: 'not-the-secret' }, undefined, 'invalid_client'],
    ['an unknown client id', { client_id: 'someone-else' }, undefined, 'invalid_client'],
    ['another tenant', {}, 'othertenant', 'invalid_client'],
    ['another grant type', { grant_type: 'password' }, undefined, 'unsupported_grant_type'],
  ])('when it asks with %s, then it is refused with 400 and the RFC 6749 §5.2 error code', async (_what, change, tenant, error) => {
    const answer = await tokenRequest({ ...validForm(), ...change }, tenant);
    expect(answer.status).toBe(400);
    // RFC 6749 §5.2: the error body is {"error": <code>}.
    expect(Object.keys(JSON.parse(documented('oauth-error-response.rfc6749.json')) as object)).toEqual(['error']);
    expect(answer.json).toEqual({ error });
    expect(answer.text).not.toContain(settings.HALOPSA_CLIENT_SECRET);
  });
});

describe("the simulated HaloPSA's API", () => {
  it('when a request has no token or an unknown one, then it is answered 401 with WWW-Authenticate: Bearer', async () => {
    for (const bearer of [undefined, 'made-up']) {
      const answer = await get(api('/Tickets'), bearer);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('when a ticket is POSTed as an array (homotechsual/HaloAPI New-HaloPOSTRequest; CIPP-API New-HaloPSATicket), then it is created and its answer carries the id', async () => {
    const bearer = await token();
    const created = await post('/Tickets', [{ summary: '[MFA-MONITOR sim00001] Admins without MFA', details: 'lines', client_id: 1, status_id: 1, priority_id: 1, tickettype_id: 21, team: 'Security' }], bearer);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ summary: '[MFA-MONITOR sim00001] Admins without MFA', client_id: 1, status_id: 1 });
    const ticket = sim.psa('halopsa').tickets().find((held) => held.id === String(created.json.id));
    expect(ticket).toMatchObject({ companyName: 'Simulated Partner (own company)', board: 'Security', status: 'New', closed: false, priority: 'Critical' });
  });

  it('when the body is one object instead of an array, then it is refused with 400 and nothing is created', async () => {
    const bearer = await token();
    const before = sim.psa('halopsa').tickets().length;
    const answer = await post('/Tickets', { summary: 'not an array', client_id: 1 }, bearer);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('array');
    expect(sim.psa('halopsa').tickets()).toHaveLength(before);
  });

  it.each([
    ['no summary', { client_id: 1 }, 'summary'],
    ['a client it does not have', { summary: 'x', client_id: 99_999 }, 'client'],
    ['a status it does not have', { summary: 'x', client_id: 1, status_id: 77 }, 'status'],
    ['a team it does not have', { summary: 'x', client_id: 1, team: 'Nobody' }, 'team'],
  ])('when a ticket names %s, then it is refused with 400 saying which', async (_what, ticket, word) => {
    const answer = await post('/Tickets', [ticket], await token());
    expect(answer.status).toBe(400);
    expect(answer.text).toContain(word);
  });

  it('when an element of the array carries an id, then that ticket is updated (its status), not a new one created', async () => {
    const bearer = await token();
    const created = await post('/Tickets', [{ summary: '[MFA-MONITOR sim00002] Update me', client_id: 1, status_id: 1 }], bearer);
    const count = sim.psa('halopsa').tickets().length;
    expect((await post('/Tickets', [{ id: created.json.id, status_id: 9 }], bearer)).status).toBe(201);
    expect(sim.psa('halopsa').tickets()).toHaveLength(count);
    expect(sim.psa('halopsa').tickets().find((held) => held.id === String(created.json.id))).toMatchObject({ status: 'Closed', closed: true });
  });

  it('when tickets are searched and paged (pageinate, page_size, page_no), then record_count counts every match and tickets holds the page', async () => {
    const bearer = await token();
    for (let index = 0; index < 3; index++) await post('/Tickets', [{ summary: `[MFA-MONITOR page${index}] Paging`, client_id: 1 }], bearer);
    const first = await get(api('/Tickets?search=Paging&pageinate=true&page_size=2&page_no=1'), bearer);
    const second = await get(api('/Tickets?search=Paging&pageinate=true&page_size=2&page_no=2'), bearer);
    expect(first.json).toMatchObject({ record_count: 3, page_no: 1, page_size: 2 });
    expect(first.json.tickets).toHaveLength(2);
    expect(second.json.tickets).toHaveLength(1);
    const found = await get(api(`/Tickets?search=${encodeURIComponent('MFA-MONITOR page1')}`), bearer);
    expect(found.json.tickets.map((ticket: { summary: string }) => ticket.summary)).toEqual(['[MFA-MONITOR page1] Paging']);
  });

  it('when an action is POSTed without an outcome, then it is refused as Halo words it (CIPP-API New-HaloPSATicket); with one, it is listed under ?ticket_id=', async () => {
    const bearer = await token();
    const created = await post('/Tickets', [{ summary: '[MFA-MONITOR sim00003] Notes', client_id: 1 }], bearer);
    const refused = await post('/Actions', [{ ticket_id: created.json.id, note: 'no outcome' }], bearer);
    expect(refused.status).toBe(400);
    expect(refused.text).toBe('An Outcome must be entered for this Action');
    expect((await post('/Actions', [{ ticket_id: created.json.id, note: 'noted [ref-n1]', outcome: 'Private Note', hiddenfromuser: true }], bearer)).status).toBe(201);
    const listed = await get(api(`/Actions?ticket_id=${String(created.json.id)}`), bearer);
    expect(listed.json).toMatchObject({ record_count: 1, actions: [{ ticket_id: created.json.id, note: 'noted [ref-n1]', hiddenfromuser: true }] });
  });

  it('when clients are listed (client-get-parameters.rst: pageinate, page_size, page_no, search), then each carries its website, and one is read by id or 404', async () => {
    const bearer = await token();
    const listed = await get(api('/Client?pageinate=true&page_size=5&page_no=1'), bearer);
    expect(listed.json.record_count).toBe(sim.psa('halopsa').companies().length);
    expect(listed.json.clients).toHaveLength(5);
    const customer = sim.psa('halopsa').companies().find((company) => company.domain !== null);
    const one = await get(api(`/Client/${customer?.id ?? ''}`), bearer);
    expect(one.json).toMatchObject({ id: Number(customer?.id), name: customer?.name, website: `https://www.${customer?.domain ?? ''}` });
    expect((await get(api('/Client/99999'), bearer)).status).toBe(404);
  });

  it('when the lookups a ticket names are read, then statuses hold 1 New and 9 Closed (the settings\' defaults), and priorities carry priorityid', async () => {
    const bearer = await token();
    const statuses = (await get(api('/Status'), bearer)).json as { id: number; name: string }[];
    expect(statuses).toEqual(expect.arrayContaining([{ id: 1, name: 'New' }, { id: 9, name: 'Closed' }]));
    expect((await get(api('/Priority'), bearer)).json[0]).toMatchObject({ priorityid: 1, slaid: 1 });
    expect((await get(api('/TicketType'), bearer)).json).toEqual(expect.arrayContaining([{ id: 21, name: 'Security Alert' }]));
    expect((await get(api('/Team'), bearer)).json).toEqual(expect.arrayContaining([{ id: 2, name: 'Security' }]));
  });

  it('when a status fault is injected for halopsa, then the request is answered with it and Retry-After', async () => {
    sim.injectFault({ service: 'halopsa', path: '/api/Team', kind: 'status', status: 429, retryAfter: 2, times: 1 });
    const answer = await get(api('/Team'), await token());
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('2');
  });

  it('when the settings are read, then they point at the simulator with the partner\'s own client as the fallback and a pace under the hosted limit', () => {
    expect(settings).toMatchObject({ HALOPSA_BASE_URL: `${sim.url}/halopsa`, HALOPSA_STATUS_NEW: '1', HALOPSA_STATUS_CLOSED: '9', HALOPSA_FALLBACK_CLIENT_ID: sim.psa('halopsa').companies()[0]?.id });
    // rate-limit-429.txt: 300 requests per rolling 5 minutes, i.e. 60 a minute.
    expect(documented('rate-limit-429.txt')).toContain('300 Requests per rolling 5 minute window');
    expect(Number(settings.HALOPSA_REQUESTS_PER_MINUTE)).toBeLessThanOrEqual(60);
  });

  // Last: it spends the rolling window the tests above share.
  it('when more than 300 requests arrive within 5 minutes, then the next is answered 429 with the hosted instance\'s words and a Retry-After', async () => {
    const bearer = await token();
    let answer: JsonResponse | undefined;
    for (let sent = 0; sent < 301; sent++) {
      answer = await get(api('/Team'), bearer);
      if (answer.status === 429) break;
    }
    expect(answer?.status).toBe(429);
    expect(answer?.text).toBe(documented('rate-limit-429.txt').trim());
    expect(Number(answer?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
