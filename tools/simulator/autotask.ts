/*
 * A simulated Autotask (Datto) REST API, built from Autotask's developer help (cited in
 * test/simulator/autotask.test.ts and test/fixtures/documented/autotask/sources.md):
 * - `zoneInformation?user=` (no credentials, "ZoneInformation (non-authenticated)" in Datto's
 *   Postman samples) answers the zone's REST root, `…/ATServicesRest/`, to which clients add `V1.0`;
 * - every zone request carries `ApiIntegrationCode`, `UserName` and `Secret`; as integrators report
 *   Autotask's answers, an unknown user name or tracking identifier is a 500 and a wrong secret a 401;
 * - `Tickets` (create POST, update PATCH/PUT at the collection URL), `Tickets/{id}`,
 *   `Tickets/{id}/Notes` (TicketNotes' create is on its parent), `<Entity>/query` (GET `search=` or
 *   POST) with `pageDetails` paging, `Companies/{id}`, `<Entity>/entityInformation/fields`,
 *   `ThresholdInformation`; failed creates and updates answer 500 with `{"errors": [...]}`;
 * - 10,000 requests an hour per database (configurable), latency added once half is used, then refusals.
 */
import type { Exchange } from './exchange';
import { entityFields, fieldsAnswer, labelOf, lengths, MONITORING_QUEUE_ID, notePicklists, picklistHas, ticketPicklists } from './autotaskFields';
import { MAX_RECORDS, matches, pageToken, parseJson, readPageToken, readQuery, type AutotaskQuery, type AutotaskRecord } from './autotaskQuery';
import { simulatedCompanies, type PsaSimulatorOptions } from './psaCompanies';
import { hash32 } from './random';
import { applyRequestFaults } from './requestFaults';
import type { SimulatedCompany, SimulatedPsa, SimulatedTicket } from './types';

interface AutotaskLimits {
  /** Requests a rolling hour the database takes before refusing; Autotask's is 10,000. */
  requestsPerHour?: number;
  /** Latency added to each request once half the hour's requests are used. Default 500 ms. */
  usageLatencyMs?: number;
}

const ZONE = 'zone5';
const entityNames = { tickets: 'Tickets', ticketnotes: 'TicketNotes', companies: 'Companies' } as const;
type EntityKey = keyof typeof entityNames;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SimulatedAutotask implements SimulatedPsa {
  private readonly listed: SimulatedCompany[];
  private readonly ticketRows = new Map<number, AutotaskRecord>();
  private readonly noteRows: AutotaskRecord[] = [];
  private readonly requestTimes: number[] = [];
  private nextTicketId = 7001;
  private nextNoteId = 30001;
  private readonly credentials: { userName: string; secret: string; integrationCode: string };
  private readonly requestsPerHour: number;
  private readonly usageLatencyMs: number;

  constructor(private readonly options: PsaSimulatorOptions, limits: AutotaskLimits = {}) {
    this.listed = simulatedCompanies(options.seed, options.customers, 0);
    const word = (salt: number, count: number) => Array.from({ length: count }, (_, i) => hash32(options.seed, salt, i).toString(36).toUpperCase().padStart(7, '0').slice(0, 7)).join('');
    this.credentials = { userName: `mfamonitor${hash32(options.seed, 630, 0) % 10_000}@simulated-partner.example`, secret: `s${word(631, 3)}`, integrationCode: word(632, 4).slice(0, 27) };
    this.requestsPerHour = limits.requestsPerHour ?? 10_000;
    this.usageLatencyMs = limits.usageLatencyMs ?? 500;
  }

  /** The zone's REST root as zoneInformation answers it: no version, a trailing slash. */
  private get zoneRoot(): string {
    return `${this.options.url}/autotask/${ZONE}/ATServicesRest/`;
  }

  async handle(ex: Exchange): Promise<void> {
    if ((await applyRequestFaults(ex, this.options.faults, 0)) === undefined) return;
    // Datto's own samples write the root in lower case (`/atservicesrest/v1.0/tickets/...`): paths match case aside.
    const path = ex.url.pathname.toLowerCase();
    if (path === '/autotask/atservicesrest/v1.0/zoneinformation') return this.zoneInformation(ex);
    const prefix = `/autotask/${ZONE}/atservicesrest/v1.0/`;
    if (!path.startsWith(prefix)) return ex.send(404, { errors: [`No Autotask API at ${ex.url.pathname}.`] });
    if (!(await this.withinThreshold(ex))) return;
    if (!this.authenticated(ex)) return;
    const segments = ex.url.pathname.slice(prefix.length).split('/').filter((segment) => segment !== '');
    return this.route(ex, segments);
  }

  private zoneInformation(ex: Exchange): void {
    if (ex.method !== 'GET') return ex.send(405, { errors: ['The requested resource does not support this method.'] });
    const user = ex.url.searchParams.get('user') ?? '';
    // Not documented: what an unknown user is answered; the simulator says so in Autotask's error shape.
    if (user.toLowerCase() !== this.credentials.userName.toLowerCase()) return ex.send(500, { errors: [`Zone information could not be determined for user ${user}.`] });
    ex.send(200, { zoneName: 'Simulated Zone 5', url: this.zoneRoot, webUrl: `${this.options.url}/autotask/ww5/`, ci: 0 });
  }

  /** The database's hourly threshold: refused past it, slowed from half of it ("REST API supportability, query thresholds, and latency"). */
  private async withinThreshold(ex: Exchange): Promise<boolean> {
    const now = Date.now();
    while (this.requestTimes.length > 0 && (this.requestTimes[0] ?? 0) <= now - 3_600_000) this.requestTimes.shift();
    if (this.requestTimes.length >= this.requestsPerHour) {
      ex.send(429, { errors: [`API requests for this database are over the threshold of ${this.requestsPerHour} an hour; requests are refused until usage falls below it.`] });
      return false;
    }
    this.requestTimes.push(now);
    if (this.requestTimes.length > this.requestsPerHour / 2 && this.usageLatencyMs > 0) await sleep(this.usageLatencyMs);
    return true;
  }

  private authenticated(ex: Exchange): boolean {
    const { userName, secret, integrationCode } = this.credentials;
    if ((ex.header('UserName') ?? '').toLowerCase() !== userName.toLowerCase() || ex.header('ApiIntegrationCode') !== integrationCode) {
      ex.send(500, { errors: ['Unable to authenticate: the user name or the API tracking identifier is not valid for this database.'] });
      return false;
    }
    if (ex.header('Secret') !== secret) {
      ex.send(401, { errors: ['Unauthorized: the secret does not match the API user.'] });
      return false;
    }
    return true;
  }

  private route(ex: Exchange, segments: string[]): void {
    const [first = '', second, third] = segments.map((segment) => segment.toLowerCase());
    const entity = first in entityNames ? (first as EntityKey) : undefined;
    const { method } = ex;
    if (first === 'thresholdinformation' && segments.length === 1 && method === 'GET') {
      return ex.send(200, { externalRequestThreshold: this.requestsPerHour, requestThresholdTimeframe: 60, currentTimeframeRequestCount: this.requestTimes.length });
    }
    if (entity && second === 'entityinformation' && third === 'fields' && method === 'GET') return ex.send(200, fieldsAnswer(entityFields[entity]));
    if (entity && second === 'query' && segments.length === 2 && (method === 'GET' || method === 'POST')) {
      const query = readQuery(method === 'GET' ? ex.url.searchParams.get('search') : ex.body.toString('utf8'));
      return typeof query === 'string' ? ex.send(500, { errors: [query] }) : this.answerQuery(ex, entity, query, 0);
    }
    if (entity && second === 'query' && third === 'next' && method === 'GET') {
      const page = readPageToken(ex.url.searchParams.get('paging'));
      return page === undefined ? ex.send(500, { errors: ['The paging token is not valid.'] }) : this.answerQuery(ex, entity, page, page.offset);
    }
    if (entity === 'tickets' && segments.length === 1) {
      if (method === 'POST') return this.createTicket(ex);
      if (method === 'PATCH' || method === 'PUT') return this.updateTicket(ex, method);
    }
    const id = second !== undefined && /^\d+$/.test(second) ? Number(second) : undefined;
    if (entity === 'tickets' && id !== undefined && segments.length === 2 && method === 'GET') return ex.send(200, { item: this.ticketRows.get(id) ?? null });
    if (entity === 'tickets' && id !== undefined && third === 'notes' && segments.length === 3 && method === 'POST') return this.createNote(ex, id);
    if (entity === 'companies' && id !== undefined && segments.length === 2 && method === 'GET') return ex.send(200, { item: this.companyRows().find((row) => row.id === id) ?? null });
    ex.send(404, { errors: [`No resource ${method} ${segments.join('/')}.`] });
  }

  private rows(entity: EntityKey): AutotaskRecord[] {
    if (entity === 'tickets') return [...this.ticketRows.values()];
    if (entity === 'ticketnotes') return this.noteRows;
    return this.companyRows();
  }

  private companyRows(): AutotaskRecord[] {
    return this.listed.map((company) => ({ id: Number(company.id), companyName: company.name, webAddress: company.domain, isActive: true, companyType: company.id === '0' ? 0 : 1 }));
  }

  /** One page: `items` and `pageDetails`, the next page a URL the client GETs as given. */
  private answerQuery(ex: Exchange, entity: EntityKey, query: AutotaskQuery, offset: number): void {
    const found = this.rows(entity).filter((row) => matches(row, query.filter));
    const items = found.slice(offset, offset + query.maxRecords);
    const pageUrl = (at: number) => `${this.zoneRoot}V1.0/${entityNames[entity]}/query/next?paging=${pageToken(query, at)}`;
    const nextPageUrl = offset + query.maxRecords < found.length ? pageUrl(offset + query.maxRecords) : null;
    const prevPageUrl = offset > 0 ? pageUrl(Math.max(0, offset - query.maxRecords)) : null;
    ex.send(200, { items: items.map((item) => ({ ...item })), pageDetails: { count: items.length, requestCount: Math.min(query.maxRecords, MAX_RECORDS), prevPageUrl, nextPageUrl } });
  }

  private createTicket(ex: Exchange): void {
    const body = readBody(ex);
    if (body === undefined) return ex.send(500, { errors: ['The request body is not a JSON object.'] });
    const problems = [...this.ticketProblems(body, true), ...(body.id !== undefined && Number(body.id) !== 0 ? ['id cannot be set on create.'] : [])];
    if (problems.length > 0) return ex.send(500, { errors: problems });
    const id = this.nextTicketId++;
    const now = new Date().toISOString();
    const row: AutotaskRecord = {
      id, ticketNumber: `T${now.slice(0, 10).replace(/-/g, '')}.${String(id).padStart(4, '0')}`, companyID: Number(body.companyid), title: body.title,
      description: body.description ?? null, status: Number(body.status), priority: Number(body.priority), queueID: body.queueid === undefined ? null : Number(body.queueid),
      ticketType: body.tickettype === undefined ? 1 : Number(body.tickettype), source: body.source === undefined ? null : Number(body.source),
      createDate: now, lastActivityDate: now, completedDate: Number(body.status) === 5 ? now : null,
    };
    this.ticketRows.set(id, row);
    ex.send(200, { itemId: id });
  }

  /** PATCH changes the fields sent; PUT sets every writable field, so it needs the required ones ("Updating data via PATCH/PUT request"). */
  private updateTicket(ex: Exchange, method: 'PATCH' | 'PUT'): void {
    const body = readBody(ex);
    if (body === undefined) return ex.send(500, { errors: ['The request body is not a JSON object.'] });
    const row = this.ticketRows.get(Number(body.id));
    if (row === undefined) return ex.send(500, { errors: [`Ticket with id ${String(body.id)} does not exist or is not visible to this API user.`] });
    const problems = this.ticketProblems(body, method === 'PUT');
    if (problems.length > 0) return ex.send(500, { errors: problems });
    const writable: [string, string][] = [['companyid', 'companyID'], ['title', 'title'], ['description', 'description'], ['status', 'status'], ['priority', 'priority'], ['queueid', 'queueID'], ['tickettype', 'ticketType'], ['source', 'source']];
    for (const [key, field] of writable) {
      if (body[key] !== undefined) row[field] = body[key] === null || key === 'title' || key === 'description' ? body[key] : Number(body[key]);
      else if (method === 'PUT' && field !== 'ticketType') row[field] = null;
    }
    const now = new Date().toISOString();
    row.lastActivityDate = now;
    row.completedDate = row.status === 5 ? (row.completedDate ?? now) : null;
    ex.send(200, { itemId: row.id });
  }

  private ticketProblems(body: Record<string, unknown>, creating: boolean): string[] {
    const problems: string[] = [];
    for (const [key, field] of [['companyid', 'companyID'], ['title', 'title'], ['status', 'status'], ['priority', 'priority']]) {
      if (creating && (body[key as string] === undefined || body[key as string] === null || body[key as string] === '')) problems.push(`${field} is required.`);
    }
    if (body.companyid !== undefined && !this.listed.some((company) => company.id === String(body.companyid))) problems.push(`companyID ${String(body.companyid)} is not a company in this database.`);
    const picklists: [string, string, keyof typeof ticketPicklists][] = [['status', 'status', 'status'], ['priority', 'priority', 'priority'], ['queueid', 'queueID', 'queueID'], ['tickettype', 'ticketType', 'ticketType'], ['source', 'source', 'source']];
    for (const [key, field, list] of picklists) {
      if (body[key] !== undefined && body[key] !== null && !picklistHas(ticketPicklists[list], body[key])) problems.push(`Value ${String(body[key])} does not exist in the picklist for ${field}.`);
    }
    if (typeof body.title === 'string' && body.title.length > lengths.ticketTitle) problems.push(`title is longer than ${lengths.ticketTitle} characters.`);
    if (typeof body.description === 'string' && body.description.length > lengths.ticketDescription) problems.push(`description is longer than ${lengths.ticketDescription} characters.`);
    return problems;
  }

  private createNote(ex: Exchange, ticketId: number): void {
    const body = readBody(ex);
    if (body === undefined) return ex.send(500, { errors: ['The request body is not a JSON object.'] });
    const problems: string[] = [];
    const ticket = this.ticketRows.get(ticketId);
    if (ticket === undefined) problems.push(`Ticket with id ${ticketId} does not exist or is not visible to this API user.`);
    if (body.ticketid !== undefined && Number(body.ticketid) !== ticketId) problems.push('ticketID does not match the parent ticket of the URL.');
    if (typeof body.description !== 'string' || body.description === '') problems.push('description is required.');
    else if (body.description.length > lengths.noteDescription) problems.push(`description is longer than ${lengths.noteDescription} characters.`);
    // The simulated ticket category requires note titles ("Require titles on ticket notes").
    if (typeof body.title !== 'string' || body.title === '') problems.push('title is required by the ticket category.');
    else if (body.title.length > lengths.noteTitle) problems.push(`title is longer than ${lengths.noteTitle} characters.`);
    if (!picklistHas(notePicklists.noteType, body.notetype)) problems.push(`Value ${String(body.notetype)} does not exist in the picklist for noteType.`);
    if (!picklistHas(notePicklists.publish, body.publish)) problems.push(`Value ${String(body.publish)} does not exist in the picklist for publish.`);
    if (problems.length > 0 || ticket === undefined) return ex.send(500, { errors: problems });
    const id = this.nextNoteId++;
    const now = new Date().toISOString();
    this.noteRows.push({ id, ticketID: ticketId, title: body.title, description: body.description, noteType: Number(body.notetype), publish: Number(body.publish), createDateTime: now });
    ticket.lastActivityDate = now;
    ex.send(200, { itemId: id });
  }

  tickets(): SimulatedTicket[] {
    return [...this.ticketRows.values()].map((row) => {
      const company = this.listed.find((entry) => entry.id === String(row.companyID));
      return {
        id: String(row.id), companyId: String(row.companyID), companyName: company?.name ?? '', title: String(row.title), description: String(row.description ?? ''),
        board: row.queueID === null ? '' : labelOf(ticketPicklists.queueID, row.queueID), status: labelOf(ticketPicklists.status, row.status), closed: row.status === 5,
        priority: labelOf(ticketPicklists.priority, row.priority), notes: this.noteRows.filter((note) => note.ticketID === row.id).map((note) => String(note.description)),
        createdAt: String(row.createDate), updatedAt: String(row.lastActivityDate),
      };
    });
  }

  companies(): SimulatedCompany[] {
    return this.listed.map((company) => ({ ...company }));
  }

  settings(): Record<string, string> {
    return {
      AUTOTASK_USERNAME: this.credentials.userName,
      AUTOTASK_SECRET: this.credentials.secret,
      AUTOTASK_INTEGRATION_CODE: this.credentials.integrationCode,
      AUTOTASK_ZONE_INFORMATION_URL: `${this.options.url}/autotask/ATServicesRest/V1.0/zoneInformation`,
      AUTOTASK_QUEUE_ID: MONITORING_QUEUE_ID,
      AUTOTASK_FALLBACK_COMPANY_ID: '0',
    };
  }
}

/** A JSON object's fields by lower-cased name: the documents' samples spell them in any case (`QueueID`, `companyID`). */
function readBody(ex: Exchange): Record<string, unknown> | undefined {
  const parsed = parseJson(ex.body.toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key.toLowerCase(), value]));
}
