/*
 * HaloPSA as its API documentation and its well-known clients show it (see
 * test/fixtures/documented/halopsa/sources.md): a token from `/auth/token?tenant=` (client
 * credentials), then `/api/...` with the bearer token: tickets listed with `search` and
 * `pageinate`/`page_size`/`page_no` (`record_count` + `tickets`), created and updated by POSTing
 * an array (an element with an `id` updates), actions (notes) under `/api/Actions`, clients under
 * `/api/Client`, and the lookups a ticket names. Hosted instances limit each to 300 requests per
 * rolling 5 minutes, answered 429 past it (configurable here).
 */
import type { Exchange } from './exchange';
import { HaloAuthorisation, haloCredentials, type HaloCredentials } from './halopsaAuth';
import {
  HALO_SUMMARY_MAX, haloPriorities, haloStatuses, haloTeams, haloTicketTypes, paged, parsedJson, statusOf, wholeNumber,
  type HaloAction, type HaloTicket,
} from './halopsaRecords';
import { simulatedCompanies, type PsaSimulatorOptions } from './psaCompanies';
import { applyRequestFaults } from './requestFaults';
import type { SimulatedCompany, SimulatedPsa, SimulatedTicket } from './types';

interface HaloLimits {
  /** Requests to `/api` per rolling window before 429. Default 300, as hosted instances answer. */
  requestsPerWindow?: number;
  /** Default 300 (5 minutes). */
  windowSeconds?: number;
  /** Lifetime of issued tokens. Default 3600. */
  tokenLifetimeSeconds?: number;
}

type Json = Record<string, unknown>;

export class SimulatedHaloPsa implements SimulatedPsa {
  private readonly listed: SimulatedCompany[];
  private readonly credentials: HaloCredentials;
  private readonly authorisation: HaloAuthorisation;
  private readonly ticketsHeld: HaloTicket[] = [];
  private readonly actions: HaloAction[] = [];
  private readonly recent: number[] = [];
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(private readonly options: PsaSimulatorOptions, limits: HaloLimits = {}) {
    this.listed = simulatedCompanies(options.seed, options.customers, 1);
    this.credentials = haloCredentials(options.seed);
    this.authorisation = new HaloAuthorisation(this.credentials, limits.tokenLifetimeSeconds ?? 3600);
    this.limit = limits.requestsPerWindow ?? 300;
    this.windowMs = (limits.windowSeconds ?? 300) * 1000;
  }

  async handle(ex: Exchange): Promise<void> {
    if ((await applyRequestFaults(ex, this.options.faults, 0)) === undefined) return;
    const path = ex.url.pathname.replace(/^\/halopsa/, '').toLowerCase();
    if (path === '/auth/token') return this.authorisation.token(ex);
    if (!path.startsWith('/api/')) return ex.send(404);
    if (!this.authorisation.authorised(ex) || this.throttled(ex)) return;
    const [, , resource, id, extra] = path.split('/');
    if (extra !== undefined) return ex.send(404);
    const key = `${ex.method} ${resource ?? ''}${id === undefined ? '' : '/{id}'}`;
    switch (key) {
      case 'GET tickets': return this.listTickets(ex);
      case 'GET tickets/{id}': return this.oneTicket(ex, id);
      case 'POST tickets': return this.saveTickets(ex);
      case 'GET actions': return this.listActions(ex);
      case 'POST actions': return this.saveActions(ex);
      case 'GET client': return this.listClients(ex);
      case 'GET client/{id}': return this.oneClient(ex, id);
      case 'GET status': return ex.send(200, haloStatuses.map(({ id: statusId, name }) => ({ id: statusId, name })));
      case 'GET priority': return ex.send(200, haloPriorities);
      case 'GET tickettype': return ex.send(200, haloTicketTypes);
      case 'GET team': return ex.send(200, haloTeams);
      default: return ex.send(404, `No resource ${ex.method} ${ex.url.pathname}`);
    }
  }

  tickets(): SimulatedTicket[] {
    return this.ticketsHeld.map((ticket) => {
      const status = statusOf(ticket.status_id);
      return {
        id: String(ticket.id), companyId: String(ticket.client_id), companyName: ticket.client_name, title: ticket.summary, description: ticket.details,
        board: ticket.team, status: status?.name ?? String(ticket.status_id), closed: status?.closed ?? false,
        priority: haloPriorities.find((priority) => priority.priorityid === ticket.priority_id)?.name ?? String(ticket.priority_id),
        notes: this.actions.filter((action) => action.ticket_id === ticket.id).map((action) => action.note),
        createdAt: ticket.dateoccurred, updatedAt: ticket.lastactiondate,
      };
    });
  }

  companies(): SimulatedCompany[] {
    return this.listed.map((company) => ({ ...company }));
  }

  settings(): Record<string, string> {
    return {
      HALOPSA_BASE_URL: `${this.options.url}/halopsa`,
      HALOPSA_TENANT: this.credentials.tenant,
      HALOPSA_CLIENT_ID: this.credentials.clientId,
      HALOPSA_CLIENT_SECRET: this.credentials.clientSecret,
      HALOPSA_TICKET_TYPE_ID: '21',
      HALOPSA_TEAM: 'Security',
      HALOPSA_STATUS_NEW: '1',
      HALOPSA_STATUS_CLOSED: '9',
      HALOPSA_PRIORITIES: 'critical=1;warning=3',
      HALOPSA_FALLBACK_CLIENT_ID: this.listed[0]?.id ?? '1',
      // Under the 300 requests per 5 minutes hosted instances allow.
      HALOPSA_REQUESTS_PER_MINUTE: '60',
    };
  }

  /** Past the rolling window's allowance: 429 with Retry-After until the oldest request leaves it. */
  private throttled(ex: Exchange): boolean {
    const now = Date.now();
    while (this.recent.length > 0 && (this.recent[0] ?? 0) <= now - this.windowMs) this.recent.shift();
    if (this.recent.length < this.limit) {
      this.recent.push(now);
      return false;
    }
    const retryAfter = Math.max(1, Math.ceil(((this.recent[0] ?? now) + this.windowMs - now) / 1000));
    ex.send(429, `Rate Limit Reached - ${this.limit} Requests per rolling ${Math.round(this.windowMs / 60_000)} minute window`, { 'retry-after': String(retryAfter) });
    return true;
  }

  private listTickets(ex: Exchange): void {
    const query = ex.url.searchParams;
    const search = (query.get('search') ?? '').toLowerCase();
    const searchSummary = (query.get('search_summary') ?? '').toLowerCase();
    const clientId = wholeNumber(query.get('client_id'));
    const matching = this.ticketsHeld.filter((ticket) => {
      const closed = statusOf(ticket.status_id)?.closed ?? false;
      if (query.get('open_only') === 'true' && closed) return false;
      if (query.get('closed_only') === 'true' && !closed) return false;
      if (clientId !== undefined && ticket.client_id !== clientId) return false;
      if (searchSummary !== '' && !ticket.summary.toLowerCase().includes(searchSummary)) return false;
      return search === '' || ticket.summary.toLowerCase().includes(search) || ticket.details.toLowerCase().includes(search) || String(ticket.id) === search;
    });
    const page = paged(matching, query);
    ex.send(200, { ...pageFields(query), record_count: matching.length, tickets: page });
  }

  private oneTicket(ex: Exchange, id: string | undefined): void {
    const ticket = this.ticketsHeld.find((held) => held.id === wholeNumber(id));
    if (ticket === undefined) return ex.send(404, `Ticket ${id ?? ''} not found`);
    ex.send(200, ticket);
  }

  /** POST /api/Tickets: an array; elements without an id are created, with an id updated. */
  private saveTickets(ex: Exchange): void {
    const body = parsedJson(ex.body);
    if (!Array.isArray(body)) return ex.send(400, 'The request body must be a JSON array of Tickets.');
    const problems = body.map((element, index) => ticketProblem(element, index, this.listed, this.ticketsHeld)).filter((problem) => problem !== undefined);
    if (problems.length > 0) return ex.send(400, problems.join(' '));
    const now = new Date().toISOString();
    const saved = (body as Json[]).map((element) => {
      const existing = this.ticketsHeld.find((held) => held.id === wholeNumber(element.id));
      if (existing !== undefined) {
        if (element.status_id !== undefined) existing.status_id = wholeNumber(element.status_id) ?? existing.status_id;
        if (typeof element.summary === 'string') existing.summary = element.summary;
        existing.lastactiondate = now;
        return existing;
      }
      const client = this.listed.find((company) => Number(company.id) === wholeNumber(element.client_id));
      const created: HaloTicket = {
        id: (this.ticketsHeld.at(-1)?.id ?? 1000) + 1, summary: String(element.summary), details: typeof element.details === 'string' ? element.details : '',
        client_id: Number(client?.id), client_name: client?.name ?? '', status_id: wholeNumber(element.status_id) ?? 1,
        priority_id: wholeNumber(element.priority_id) ?? 3, tickettype_id: wholeNumber(element.tickettype_id) ?? 1,
        team: typeof element.team === 'string' ? element.team : '', dateoccurred: now, lastactiondate: now,
      };
      this.ticketsHeld.push(created);
      return created;
    });
    // One ticket posted: the ticket itself, as clients read `.id` from the answer; several: the array.
    ex.send(201, saved.length === 1 ? saved[0] : saved);
  }

  private listActions(ex: Exchange): void {
    const ticketId = wholeNumber(ex.url.searchParams.get('ticket_id'));
    if (ticketId === undefined) return ex.send(400, 'ticket_id is required.');
    const matching = this.actions.filter((action) => action.ticket_id === ticketId);
    ex.send(200, { record_count: matching.length, actions: paged(matching, ex.url.searchParams) });
  }

  /** POST /api/Actions: an array of actions on existing tickets, each with an outcome. */
  private saveActions(ex: Exchange): void {
    const body = parsedJson(ex.body);
    if (!Array.isArray(body)) return ex.send(400, 'The request body must be a JSON array of Actions.');
    for (const element of body as unknown[]) {
      const action = (element ?? {}) as Json;
      if (!this.ticketsHeld.some((ticket) => ticket.id === wholeNumber(action.ticket_id))) return ex.send(400, `Ticket ${String(action.ticket_id)} not found.`);
      if (typeof action.outcome !== 'string' && wholeNumber(action.outcome_id) === undefined) return ex.send(400, 'An Outcome must be entered for this Action');
    }
    const now = new Date().toISOString();
    const saved = (body as Json[]).map((action) => {
      const created: HaloAction = {
        id: this.actions.length + 1, ticket_id: Number(action.ticket_id), note: typeof action.note === 'string' ? action.note : '',
        outcome: typeof action.outcome === 'string' ? action.outcome : 'Private Note', hiddenfromuser: action.hiddenfromuser === true, datetime: now,
      };
      this.actions.push(created);
      const ticket = this.ticketsHeld.find((held) => held.id === created.ticket_id);
      if (ticket !== undefined) ticket.lastactiondate = now;
      return created;
    });
    ex.send(201, saved.length === 1 ? saved[0] : saved);
  }

  private listClients(ex: Exchange): void {
    const search = (ex.url.searchParams.get('search') ?? '').toLowerCase();
    const matching = this.listed.filter((company) => company.name.toLowerCase().includes(search)).map(clientRecord);
    ex.send(200, { ...pageFields(ex.url.searchParams), record_count: matching.length, clients: paged(matching, ex.url.searchParams) });
  }

  private oneClient(ex: Exchange, id: string | undefined): void {
    const company = this.listed.find((listed) => Number(listed.id) === wholeNumber(id));
    if (company === undefined) return ex.send(404, `Client ${id ?? ''} not found`);
    ex.send(200, clientRecord(company));
  }
}

/** A client as Halo lists it: its website is where the customer's domain is kept. */
function clientRecord(company: SimulatedCompany) {
  return { id: Number(company.id), name: company.name, website: company.domain === null ? '' : `https://www.${company.domain}`, inactive: false };
}

function pageFields(query: URLSearchParams): Json {
  if (query.get('pageinate') !== 'true') return {};
  return { page_no: wholeNumber(query.get('page_no')) ?? 1, page_size: wholeNumber(query.get('page_size')) ?? 50 };
}

/** Why Halo refuses one element of a ticket array, or undefined when it takes it. */
function ticketProblem(element: unknown, index: number, clients: readonly SimulatedCompany[], held: readonly HaloTicket[]): string | undefined {
  if (element === null || typeof element !== 'object' || Array.isArray(element)) return `Ticket ${index}: not an object.`;
  const ticket = element as Json;
  const at = `Ticket ${index}:`;
  if (ticket.status_id !== undefined && statusOf(wholeNumber(ticket.status_id) ?? -1) === undefined) return `${at} status ${String(ticket.status_id)} does not exist.`;
  const id = wholeNumber(ticket.id);
  if (id !== undefined && id > 0) return held.some((existing) => existing.id === id) ? undefined : `${at} ticket ${id} not found.`;
  if (typeof ticket.summary !== 'string' || ticket.summary.trim() === '') return `${at} a summary is required.`;
  if (ticket.summary.length > HALO_SUMMARY_MAX) return `${at} the summary is longer than ${HALO_SUMMARY_MAX} characters.`;
  if (!clients.some((client) => Number(client.id) === wholeNumber(ticket.client_id))) return `${at} client ${String(ticket.client_id)} does not exist.`;
  if (ticket.priority_id !== undefined && !haloPriorities.some((priority) => priority.priorityid === wholeNumber(ticket.priority_id))) return `${at} priority ${String(ticket.priority_id)} does not exist.`;
  if (ticket.tickettype_id !== undefined && !haloTicketTypes.some((type) => type.id === wholeNumber(ticket.tickettype_id))) return `${at} ticket type ${String(ticket.tickettype_id)} does not exist.`;
  if (ticket.team !== undefined && !haloTeams.some((team) => team.name.toLowerCase() === String(ticket.team).toLowerCase())) return `${at} team ${String(ticket.team)} does not exist.`;
  return undefined;
}
