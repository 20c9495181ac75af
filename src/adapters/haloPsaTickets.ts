import type { HttpClient } from '@azure/core-rest-pipeline';
import type { HaloPsaConfig } from '../config';
import { MonitorError, toError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';
import type { FoundTicket, NewTicket, PsaCompany, PsaSetupStep, PsaTickets } from '../ports/psa';
import { HaloPsaToken, haloRefusalHint } from './haloPsaToken';
import { PsaClient } from './psaClient';

/**
 * Summary length the monitor keeps to. Halo's documents do not state the field's limit; a title
 * past this is cut at its end, and the reference marker at its start always survives.
 */
const SUMMARY_MAX = 250;
const PAGE_SIZE = 100;
/** Pages read at most when listing (100 a page): 10,000 tickets found by one search, or clients. */
const MAX_PAGES = 100;
/** The outcome of the monitor's notes: an agent-only note ("An Outcome must be entered for this Action" otherwise). */
const NOTE_OUTCOME = 'Private Note';

type Json = Record<string, unknown>;

/**
 * HaloPSA's tickets ("Faults" in its data model) through its REST API at `{base}/api`, signed in
 * with the OAuth 2.0 client credentials of an API application. Tickets are created and updated by
 * POSTing an array to /Tickets (an element with `id` updates), notes are actions (/Actions),
 * companies are clients (/Client). The reference marker begins the summary, where `search` finds it.
 */
export class HaloPsaTickets implements PsaTickets {
  readonly psa = 'halopsa' as const;
  private readonly client: PsaClient;
  private readonly token: HaloPsaToken;

  constructor(
    private readonly config: HaloPsaConfig,
    options: { timeoutMs: number; httpClient?: HttpClient },
  ) {
    this.token = new HaloPsaToken(config, options);
    this.client = new PsaClient({
      psa: 'halopsa',
      baseUrl: `${config.baseUrl}/api`,
      authorization: async () => ({ authorization: `Bearer ${await this.token.get()}` }),
      timeoutMs: options.timeoutMs,
      requestsPerMinute: config.requestsPerMinute,
      refusalHint: haloRefusalHint,
      describeAnswer,
      onUnauthorized: () => this.token.drop(),
      ...(options.httpClient === undefined ? {} : { httpClient: options.httpClient }),
    });
  }

  get requestCount(): number {
    return this.client.requestCount + this.token.requestCount;
  }

  async findTicket(reference: string): Promise<FoundTicket | null> {
    const marker = `[${reference}]`;
    const tickets = await this.list('/Tickets', 'tickets', { search: reference });
    const found = tickets.filter((ticket) => typeof ticket.summary === 'string' && ticket.summary.includes(marker)).sort((a, b) => Number(a.id) - Number(b.id))[0];
    if (found === undefined) return null;
    return { ticketId: String(found.id), closed: String(found.status_id) === this.config.statusClosed };
  }

  async createTicket(ticket: NewTicket): Promise<string> {
    const body = [{
      summary: fitted(ticket.title),
      details: ticket.description,
      client_id: Number(ticket.companyId),
      status_id: Number(this.config.statusNew),
      priority_id: Number(this.config.priorities[ticket.severity]),
      ...(this.config.ticketTypeId === null ? {} : { tickettype_id: Number(this.config.ticketTypeId) }),
      ...(this.config.team === null ? {} : { team: this.config.team }),
    }];
    const answer = await this.client.request({ method: 'POST', path: '/Tickets', body });
    const created = Array.isArray(answer.body) ? answer.body[0] : answer.body;
    if (!isPlainObject(created) || created.id === undefined || created.id === null) {
      // It may have been created: like a lost answer, the ticket is looked up by its reference before another create.
      throw new MonitorError('PsaTimeout', 'HaloPSA answered the ticket create without an id; it is looked up by its reference');
    }
    return String(created.id);
  }

  async hasNote(ticketId: string, reference: string): Promise<boolean> {
    const actions = await this.list('/Actions', 'actions', { ticket_id: ticketId });
    return actions.some((action) => typeof action.note === 'string' && action.note.includes(reference));
  }

  async addNote(ticketId: string, note: { reference: string; text: string }): Promise<void> {
    await this.client.request({ method: 'POST', path: '/Actions', body: [{ ticket_id: Number(ticketId), note: note.text, outcome: NOTE_OUTCOME, hiddenfromuser: true }] });
  }

  async setStatus(ticketId: string, status: 'closed' | 'open'): Promise<void> {
    const statusId = status === 'closed' ? this.config.statusClosed : this.config.statusNew;
    await this.client.request({ method: 'POST', path: '/Tickets', body: [{ id: Number(ticketId), status_id: Number(statusId) }] });
  }

  async findCompany(customer: { name: string | null; domains: readonly string[] }): Promise<(PsaCompany & { matchedBy: 'domain' | 'name' }) | null> {
    // Halo's client search matches names only; the website is compared here, over every active client.
    const clients = await this.clients();
    const domains = new Set(customer.domains.map((domain) => domain.toLowerCase()));
    const byDomain = clients.find((client) => domains.has(websiteHost(client.website)));
    if (byDomain !== undefined) return { ...company(byDomain), matchedBy: 'domain' };
    const name = customer.name?.trim().toLowerCase();
    const byName = name === undefined || name === '' ? undefined : clients.find((client) => typeof client.name === 'string' && client.name.trim().toLowerCase() === name);
    return byName === undefined ? null : { ...company(byName), matchedBy: 'name' };
  }

  async readCompany(companyId: string): Promise<PsaCompany | null> {
    if (!/^\d{1,12}$/.test(companyId)) return null;
    const answer = await this.client.request({ method: 'GET', path: `/Client/${companyId}`, notFoundIsNull: true });
    return answer === null || !isPlainObject(answer.body) || answer.body.id === undefined ? null : company(answer.body);
  }

  async checkSetup(): Promise<PsaSetupStep[]> {
    const steps: PsaSetupStep[] = [];
    try {
      await this.token.get();
      steps.push({ step: 'sign in', ok: true, detail: `a token was issued to the application${this.config.tenant === null ? '' : ` of tenant ${this.config.tenant}`}` });
    } catch (error) {
      return [{ step: 'sign in', ok: false, detail: toError(error).message }];
    }
    const check = async (step: string, run: () => Promise<string | null>, fix: string) => {
      try {
        const found = await run();
        steps.push(found === null ? { step, ok: false, detail: fix } : { step, ok: true, detail: found });
      } catch (error) {
        steps.push({ step, ok: false, detail: toError(error).message });
      }
    };
    const { ticketTypeId, team, statusNew, statusClosed, priorities, fallbackClientId } = this.config;
    if (ticketTypeId !== null) {
      await check(`ticket type ${ticketTypeId}`, async () => named(await this.lookup('/TicketType'), (type) => String(type.id) === ticketTypeId), `HALOPSA_TICKET_TYPE_ID ${ticketTypeId} is not a ticket type in HaloPSA (Configuration > Tickets > Ticket Types)`);
    }
    if (team !== null) {
      await check(`team ${team}`, async () => named(await this.lookup('/Team'), (listed) => String(listed.name).toLowerCase() === team.toLowerCase()), `HALOPSA_TEAM "${team}" is not a team in HaloPSA (Configuration > Teams & Agents > Teams)`);
    }
    const statuses = this.lookup('/Status');
    for (const [setting, id] of [['HALOPSA_STATUS_NEW', statusNew], ['HALOPSA_STATUS_CLOSED', statusClosed]] as const) {
      await check(`status ${id}`, async () => named(await statuses, (status) => String(status.id) === id), `${setting} ${id} is not a ticket status in HaloPSA (Configuration > Tickets > Statuses)`);
    }
    const listed = this.lookup('/Priority');
    for (const [severity, id] of Object.entries(priorities)) {
      await check(`priority ${severity}=${id}`, async () => named(await listed, (priority) => String(priority.priorityid ?? priority.id) === id), `HALOPSA_PRIORITIES ${severity}=${id} is not a priority in HaloPSA (Configuration > Tickets > SLAs > priorities)`);
    }
    await check(`fallback client ${fallbackClientId}`, async () => (await this.readCompany(fallbackClientId))?.name ?? null, `HALOPSA_FALLBACK_CLIENT_ID ${fallbackClientId} is not a client in HaloPSA, or the application's agent may not see it`);
    return steps;
  }

  /** Every item of a paged list (`pageinate`, `page_size`, `page_no`; `record_count` and the named array). */
  private clientList: Promise<Json[]> | null = null;

  /**
   * Every active client, read once per client of ours (one per invocation): a run matching 20
   * customers reads the list once, not 20 times, against the hosted limit of 300 requests in 5
   * minutes. A failed read is not kept.
   */
  private clients(): Promise<Json[]> {
    this.clientList ??= this.list('/Client', 'clients', {}).catch((thrown: unknown) => {
      this.clientList = null;
      throw thrown;
    });
    return this.clientList;
  }

  private async list(path: string, key: string, query: Record<string, string>): Promise<Json[]> {
    const items: Json[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = await this.client.request({ method: 'GET', path, query: { ...query, pageinate: 'true', page_size: PAGE_SIZE, page_no: page } });
      const body = isPlainObject(answer.body) ? answer.body : {};
      const pageItems = itemsOf(body[key]);
      items.push(...pageItems);
      const total = typeof body.record_count === 'number' ? body.record_count : items.length;
      if (pageItems.length < PAGE_SIZE || items.length >= total) break;
    }
    return items;
  }

  /** A lookup list (statuses, priorities, ticket types, teams): an array, or an object holding one. */
  private async lookup(path: string): Promise<Json[]> {
    const answer = await this.client.request({ method: 'GET', path });
    if (Array.isArray(answer.body)) return itemsOf(answer.body);
    const body = isPlainObject(answer.body) ? answer.body : {};
    return itemsOf(Object.values(body).find(Array.isArray));
  }
}

/** The title as a summary: it begins with the marker, so cutting its end keeps the marker. */
function fitted(title: string): string {
  return title.length <= SUMMARY_MAX ? title : `${title.slice(0, SUMMARY_MAX - 1)}…`;
}

function itemsOf(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

function company(client: Json): PsaCompany {
  return { id: String(client.id), name: typeof client.name === 'string' ? client.name : '' };
}

/** `https://www.contoso.com/` → `contoso.com`: the host a client's website names, lower case. */
function websiteHost(website: unknown): string {
  if (typeof website !== 'string' || website.trim() === '') return '';
  return website.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/^www\./, '').split(/[/?#:]/)[0] ?? '';
}

/** The found item's name (and id), or null. */
function named(items: Json[], matches: (item: Json) => boolean): string | null {
  const item = items.find(matches);
  return item === undefined ? null : `${typeof item.name === 'string' ? item.name : ''} (id ${String(item.id)})`;
}

/** Halo's error answers are plain text or an object with a message; at most 200 characters of it. */
function describeAnswer(body: unknown): string | null {
  const text = typeof body === 'string' ? body : isPlainObject(body) ? [body.message, body.Message, body.error].find((value) => typeof value === 'string') : undefined;
  return typeof text === 'string' && text.trim() !== '' ? text.trim().slice(0, 200) : null;
}
