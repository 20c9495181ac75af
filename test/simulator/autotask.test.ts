import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type Simulator } from '../../tools/simulator';
import { SimulatedAutotask } from '../../tools/simulator/autotask';
import { Exchange } from '../../tools/simulator/exchange';
import { FaultBook } from '../../tools/simulator/faultBook';
import { documentedExample } from '../support/documented';

/*
 * The simulated Autotask answers as Autotask's developer help documents (sources in
 * test/fixtures/documented/autotask/sources.md). Pages, under https://ww1.autotask.net/help/DeveloperHelp/Content/APIs/:
 * URLS = "Finding resource and child access URLs of REST API entities" (REST/API_Calls/REST_Resource_Child_Access_URLs.htm)
 * QUERY = "Making basic query calls to the REST API" (REST/API_Calls/REST_Basic_Query_Calls.htm)
 * ADVANCED = "Advanced query features of the REST API" (REST/API_Calls/REST_Advanced_Query_Features.htm)
 * PATCH = "Updating data via PATCH request with the REST API" (REST/API_Calls/REST_Updating_Data_PATCH.htm)
 * TICKETS = "Tickets" (REST/Entities/TicketsEntity.htm); NOTES = "TicketNotes" (REST/Entities/TicketNotesEntity.htm)
 * LIMITS = "REST API supportability, query thresholds, and latency" (REST/General_Topics/REST_Thresholds_Limits.htm)
 * POSTMAN = Datto's REST Postman collection (github.com/AutotaskDevelopment/REST-Postman), linked from "Using Postman to explore the Autotask PSA REST API"
 */

let sim: Simulator;
let settings: Record<string, string>;
let zone: string;
beforeAll(async () => {
  sim = await startSimulator({ customers: 50 });
  settings = sim.psa('autotask').settings();
  zone = `${sim.url}/autotask/zone5/ATServicesRest/V1.0`;
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const headers = () => ({ ApiIntegrationCode: settings.AUTOTASK_INTEGRATION_CODE ?? '', UserName: settings.AUTOTASK_USERNAME ?? '', Secret: settings.AUTOTASK_SECRET ?? '', 'content-type': 'application/json' });

async function call(method: string, url: string, body?: unknown, sent: Record<string, string> = headers()): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method, headers: sent, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** A documented GET query URL, its `webservices[n]` host replaced by the simulated zone. */
function documentedUrl(name: string): string {
  return documentedExample(name).replace(/^https:\/\/\{\{webservices\[n\]\}\}\.autotask\.net\/atservicesrest\/v1\.0/, zone);
}

const newTicket = (title: string) => ({ companyID: 0, title, description: 'simulated', status: 1, priority: 2, queueID: Number(settings.AUTOTASK_QUEUE_ID) });

describe('the simulated Autotask zone lookup', () => {
  it('when zoneInformation is asked for the API user without credentials (POSTMAN: "ZoneInformation (non-authenticated)"), then it answers the zone root, to which V1.0 is added', async () => {
    const url = documentedExample('autotask/zone-information.url.txt').replace(/^https:\/\/[^/]+\/atservicesrest\/v1\.0\/zoneInformation\?user=.*$/, `${sim.url}/autotask/atservicesrest/v1.0/zoneInformation?user=${encodeURIComponent(settings.AUTOTASK_USERNAME ?? '')}`);
    const answer = await call('GET', url, undefined, {});
    expect(answer.status).toBe(200);
    expect(answer.json.url).toBe(`${sim.url}/autotask/zone5/ATServicesRest/`);
    expect(settings.AUTOTASK_ZONE_INFORMATION_URL).toBe(`${sim.url}/autotask/ATServicesRest/V1.0/zoneInformation`);
  });
});

describe('the simulated Autotask credentials', () => {
  it('when the secret is wrong, then it answers 401 with errors; when the user name or tracking identifier is unknown, 500 (as integrators report Autotask answers)', async () => {
    expect((await call('GET', `${zone}/Companies/0`, undefined, { ...headers(), Secret: 'wrong' })).status).toBe(401);
    const unknownUser = await call('GET', `${zone}/Companies/0`, undefined, { ...headers(), UserName: 'nobody@example.com' });
    expect(unknownUser.status).toBe(500);
    expect(Array.isArray(unknownUser.json.errors)).toBe(true);
    expect((await call('GET', `${zone}/Companies/0`, undefined, { ...headers(), ApiIntegrationCode: 'WRONG' })).status).toBe(500);
  });

  it('when a company is read by id 0 (POSTMAN: "Query of Companies with and ID of zero"), then it is the partner\'s own company', async () => {
    const answer = await call('GET', `${zone}/Companies/0`);
    expect(answer.status).toBe(200);
    expect(answer.json.item).toMatchObject({ id: 0 });
  });
});

describe('the simulated Autotask queries', () => {
  it('when Datto\'s sample queries by CompanyName with GET search= (QUERY; POSTMAN), then it answers items and pageDetails', async () => {
    const answer = await call('GET', documentedUrl('autotask/query-companies-name.url.txt'));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ items: [], pageDetails: { count: 0, requestCount: 500, prevPageUrl: null, nextPageUrl: null } });
  });

  it('when Datto\'s sample asks for 10 records at a time (ADVANCED: MaxRecords; POSTMAN), then nextPageUrl leads through every company of that type once', async () => {
    let next: string | null = documentedUrl('autotask/query-companies-maxrecords.url.txt');
    const ids: unknown[] = [];
    let pages = 0;
    while (next !== null) {
      const answer = await call('GET', next);
      const items = answer.json.items as Record<string, unknown>[];
      expect(items.length).toBeLessThanOrEqual(10);
      ids.push(...items.map((item) => item.id));
      next = (answer.json.pageDetails as { nextPageUrl: string | null }).nextPageUrl;
      pages++;
    }
    const customers = sim.psa('autotask').companies().filter((company) => company.id !== '0');
    expect(ids).toEqual(customers.map((company) => Number(company.id)));
    expect(pages).toBe(Math.ceil(customers.length / 10));
  });

  it('when a POST query groups expressions and uses contains (QUERY: "Grouping syntax for OR & AND", comparison operators), then only matching tickets come back', async () => {
    const first = await call('POST', `${zone}/Tickets`, newTicket('[MFA-MONITOR q1] one'));
    await call('POST', `${zone}/Tickets`, newTicket('[MFA-MONITOR q2] two'));
    const query = { filter: [{ op: 'or', items: [{ op: 'contains', field: 'title', value: '[mfa-monitor q1]' }, { op: 'eq', field: 'id', value: -1 }] }] };
    const answer = await call('POST', `${zone}/Tickets/query`, query);
    expect((answer.json.items as Record<string, unknown>[]).map((item) => item.id)).toEqual([first.json.itemId]);
  });

  it('when Datto\'s sample queries tickets not complete with a lower-case path and capitalised fields (POSTMAN), then it is read as written', async () => {
    const answer = await call('GET', documentedUrl('autotask/query-tickets-not-complete.url.txt'));
    expect(answer.status).toBe(200);
    expect(answer.json.items).toEqual([]);
  });
});

describe('the simulated Autotask tickets', () => {
  it('when a ticket is created at the collection URL (TICKETS: "Tickets (PUT, POST, PATCH)"), then it answers its itemId, and PATCH with its id changes only the status (PATCH)', async () => {
    const created = await call('POST', `${zone}/Tickets`, newTicket('[MFA-MONITOR p1] patch me'));
    expect(created.status).toBe(200);
    const id = created.json.itemId;
    const patched = await call('PATCH', `${zone}/Tickets`, { id, status: 5 });
    expect(patched).toEqual({ status: 200, json: { itemId: id } });
    const read = (await call('GET', `${zone}/Tickets/${String(id)}`)).json.item as Record<string, unknown>;
    expect(read).toMatchObject({ status: 5, title: '[MFA-MONITOR p1] patch me', priority: 2 });
    expect(sim.psa('autotask').tickets().find((ticket) => ticket.id === String(id))).toMatchObject({ closed: true, status: 'Complete', board: 'Monitoring Alert' });
  });

  it('when a create names an unknown company, queue or status, then it answers 500 with an errors string array and creates nothing (PATCH: "Verifying success or failure")', async () => {
    const before = sim.psa('autotask').tickets().length;
    const answer = await call('POST', `${zone}/Tickets`, { ...newTicket('bad'), companyID: 999999, queueID: 1, status: 42 });
    expect(answer.status).toBe(500);
    expect(answer.json.errors).toEqual(expect.arrayContaining([expect.stringContaining('companyID'), expect.stringContaining('queueID'), expect.stringContaining('status')]));
    expect(sim.psa('autotask').tickets()).toHaveLength(before);
  });

  it('when Datto\'s own "Create a Ticket" body is posted as published (trailing comma, POSTMAN), then it is read, and its queue 5, unknown here, is refused', async () => {
    const answer = await call('POST', `${zone}/Tickets`, documentedExample('autotask/create-ticket.body.txt'));
    expect(answer.status).toBe(500);
    expect(answer.json.errors).toEqual(['Value 5 does not exist in the picklist for queueID.']);
  });

  it('when a note is created on its ticket\'s child URL (NOTES; URLS: child collection access), then the ticket lists it; Datto\'s sample body is read as published', async () => {
    const id = (await call('POST', `${zone}/Tickets`, newTicket('[MFA-MONITOR n1] notes'))).json.itemId;
    const note = await call('POST', `${zone}/Tickets/${String(id)}/Notes`, { ticketID: id, noteType: 1, publish: 1, title: 'n1', description: 'first note [n1]' });
    expect(note.status).toBe(200);
    const sample = await call('POST', `${zone}/Tickets/${String(id)}/Notes`, documentedExample('autotask/create-ticket-note.body.txt'));
    expect(sample.json.errors).toEqual(['ticketID does not match the parent ticket of the URL.']);
    const found = await call('POST', `${zone}/TicketNotes/query`, { filter: [{ op: 'eq', field: 'ticketID', value: id }] });
    expect((found.json.items as Record<string, unknown>[]).map((item) => item.description)).toEqual(['first note [n1]']);
  });

  it('when the ticket fields are read (URLS: entityInformation/fields), then status, priority and queueID are picklists with the settings\' defaults', async () => {
    const fields = (await call('GET', `${zone}/Tickets/entityInformation/fields`)).json.fields as { name: string; picklistValues: { value: string; label: string }[] | null }[];
    const values = (name: string) => fields.find((field) => field.name === name)?.picklistValues?.map((entry) => `${entry.value}=${entry.label}`);
    expect(values('status')).toEqual(expect.arrayContaining(['1=New', '5=Complete']));
    expect(values('priority')).toEqual(['1=High', '2=Medium', '3=Low', '4=Critical']);
    expect(values('queueID')).toContain(`${settings.AUTOTASK_QUEUE_ID}=Monitoring Alert`);
  });
});

describe('the simulated Autotask hourly threshold (LIMITS: 10,000 requests an hour per database, latency as usage climbs, then errors)', () => {
  let server: Server;
  let url: string;
  let autotask: SimulatedAutotask;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => void autotask.handle(new Exchange(req, res, new URL(req.url ?? '/', url), 'autotask', Buffer.concat(chunks), () => undefined)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    autotask = new SimulatedAutotask({ url, seed: 1, customers: 3, faults: new FaultBook() }, { requestsPerHour: 4, usageLatencyMs: 150 });
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('when a database passes its threshold, then requests slow from half of it and are then refused with errors, while zoneInformation still answers', async () => {
    const own = autotask.settings();
    const sent = { ApiIntegrationCode: own.AUTOTASK_INTEGRATION_CODE ?? '', UserName: own.AUTOTASK_USERNAME ?? '', Secret: own.AUTOTASK_SECRET ?? '' };
    const threshold = `${url}/autotask/zone5/ATServicesRest/V1.0/ThresholdInformation`;
    const timings: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      statuses.push((await call('GET', threshold, undefined, sent)).status);
      timings.push(Date.now() - started);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect(Math.min(...timings.slice(2, 4))).toBeGreaterThanOrEqual(140);
    expect((await call('GET', `${url}/autotask/ATServicesRest/V1.0/zoneInformation?user=${encodeURIComponent(own.AUTOTASK_USERNAME ?? '')}`, undefined, {})).status).toBe(200);
  });
});
