import type { HttpClient } from '@azure/core-rest-pipeline';
import type { AutotaskConfig } from '../config';
import { MonitorError } from '../core/errors';
import type { Severity } from '../core/findings';
import type { FoundTicket, NewTicket, PsaCompany, PsaSetupStep, PsaTickets } from '../ports/psa';
import { PsaClient, type PsaRequest } from './psaClient';

/**
 * Autotask tickets over its REST API, as Autotask's developer help documents it:
 * - the zone's REST root from `zoneInformation?user=` (its `url`, to which `V1.0` is added), looked
 *   up once; AUTOTASK_ZONE_URL skips the lookup;
 * - the `ApiIntegrationCode`, `UserName` and `Secret` headers on every zone request;
 * - `Tickets/query` and `TicketNotes/query` filters, paged by `pageDetails.nextPageUrl`; creates by
 *   POST at the collection URL (`Tickets`, and `Tickets/{id}/Notes` for a ticket's notes); status
 *   changes by PATCH at the collection URL with the ticket's id in the body.
 * No Autotask call takes an idempotency key: the ticket is found again by the `[reference]` its
 * title begins with (a `contains` filter on `title`), which is how a create whose answer was lost
 * is recognised.
 */

/** The Tickets `title` field's length (entityInformation/fields); the marker at its start is never cut. */
const TITLE_LENGTH = 255;
const DESCRIPTION_LENGTH = 8000;
const NOTE_TITLE_LENGTH = 250;
const NOTE_DESCRIPTION_LENGTH = 32000;
/** The values Datto's "Create a Ticket Note" sample sends: a note every Autotask user sees. */
const NOTE_TYPE = 1;
const NOTE_PUBLISH = 1;
/** Pages followed at most for one lookup: 10 pages of 500 is far more than any reference matches. */
const MAX_PAGES = 10;

export class AutotaskTickets implements PsaTickets {
  readonly psa = 'autotask' as const;
  private readonly client: PsaClient;
  private readonly zoneClient: PsaClient;
  private zoneLookup: Promise<string> | null = null;

  constructor(private readonly config: AutotaskConfig, options: { timeoutMs: number; httpClient?: HttpClient }) {
    const common = { psa: 'autotask' as const, timeoutMs: options.timeoutMs, requestsPerMinute: config.requestsPerMinute, httpClient: options.httpClient, describeAnswer };
    this.client = new PsaClient({
      ...common,
      baseUrl: () => this.restRoot(),
      authorization: () => Promise.resolve({ ApiIntegrationCode: config.integrationCode, UserName: config.userName, Secret: config.secret }),
      // "Updating data via PATCH/PUT request with the REST API": a create or an update Autotask
      // refuses answers 500 with the reasons in `errors`, and nothing was changed: not worth a retry.
      isRejection: (status, body) => status === 500 && describeAnswer(body) !== null,
      refusalHint:
        'check AUTOTASK_USERNAME, AUTOTASK_SECRET and AUTOTASK_INTEGRATION_CODE (the API-only resource\'s user name, secret and API tracking identifier), and that its security level (API User (system), or a copy) may view and edit tickets, ticket notes and companies',
    });
    // zoneInformation takes no credentials ("ZoneInformation (non-authenticated)"), so none are sent to it.
    this.zoneClient = new PsaClient({ ...common, baseUrl: config.zoneInformationUrl, authorization: () => Promise.resolve({}), refusalHint: 'check AUTOTASK_USERNAME and AUTOTASK_ZONE_INFORMATION_URL' });
  }

  get requestCount(): number {
    return this.client.requestCount + this.zoneClient.requestCount;
  }

  /** AUTOTASK_ZONE_URL, else the zone's `url` plus `V1.0`, looked up once (a failed lookup is tried again next time). */
  private restRoot(): Promise<string> {
    if (this.config.zoneUrl !== null) return Promise.resolve(this.config.zoneUrl);
    this.zoneLookup ??= this.zoneClient.request({ method: 'GET', path: '', query: { user: this.config.userName } }).then((answer) => {
      const { url } = fieldsOf(answer.body);
      if (typeof url !== 'string' || !/^https:\/\//i.test(url)) {
        throw new MonitorError('PsaRejected', `Autotask's zoneInformation named no zone for AUTOTASK_USERNAME; check the user name, or set AUTOTASK_ZONE_URL`);
      }
      return `${url.replace(/\/+$/, '')}/V1.0`;
    });
    this.zoneLookup.catch(() => {
      this.zoneLookup = null;
    });
    return this.zoneLookup;
  }

  async findTicket(reference: string): Promise<FoundTicket | null> {
    const marker = `[${reference}]`;
    const found = (await this.query('Tickets', [{ op: 'contains', field: 'title', value: marker }])).filter((ticket) => String(ticket.title ?? '').includes(marker));
    // Two tickets with one reference can only come from outside the monitor; the oldest is the one it opened.
    const ticket = found.sort((a, b) => Number(a.id) - Number(b.id))[0];
    return ticket === undefined ? null : { ticketId: String(ticket.id), closed: String(ticket.status) === this.config.statusClosed };
  }

  async createTicket(ticket: NewTicket): Promise<string> {
    const body: Record<string, unknown> = {
      companyID: Number(ticket.companyId),
      title: titleWithMarker(ticket.reference, ticket.title, TITLE_LENGTH),
      description: ticket.description.slice(0, DESCRIPTION_LENGTH),
      status: Number(this.config.statusNew),
      priority: Number(this.priorityOf(ticket.severity)),
      queueID: Number(this.config.queueId),
      ...(this.config.ticketType === null ? {} : { ticketType: Number(this.config.ticketType) }),
      ...(this.config.source === null ? {} : { source: Number(this.config.source) }),
    };
    return itemId(await this.client.request({ method: 'POST', path: '/Tickets', body }), 'POST /Tickets');
  }

  async hasNote(ticketId: string, reference: string): Promise<boolean> {
    const notes = await this.query('TicketNotes', [
      { op: 'eq', field: 'ticketID', value: Number(ticketId) },
      { op: 'contains', field: 'description', value: reference },
    ]);
    return notes.some((note) => String(note.description ?? '').includes(reference));
  }

  async addNote(ticketId: string, note: { reference: string; text: string }): Promise<void> {
    const body = {
      ticketID: Number(ticketId),
      noteType: NOTE_TYPE,
      publish: NOTE_PUBLISH,
      title: titleWithMarker(note.reference, `[${note.reference}] MFA monitor update`, NOTE_TITLE_LENGTH),
      description: withReference(note.text, note.reference).slice(0, NOTE_DESCRIPTION_LENGTH),
    };
    await this.client.request({ method: 'POST', path: `/Tickets/${encodeURIComponent(ticketId)}/Notes`, body });
  }

  async setStatus(ticketId: string, status: 'closed' | 'open'): Promise<void> {
    const value = status === 'closed' ? this.config.statusClosed : this.config.statusNew;
    await this.client.request({ method: 'PATCH', path: '/Tickets', body: { id: Number(ticketId), status: Number(value) } });
  }

  async findCompany(customer: { name: string | null; domains: readonly string[] }): Promise<(PsaCompany & { matchedBy: 'domain' | 'name' }) | null> {
    for (const domain of customer.domains) {
      const candidates = await this.query('Companies', [{ op: 'contains', field: 'webAddress', value: domain }, { op: 'eq', field: 'isActive', value: true }]);
      // `contains` also finds notcontoso.com for contoso.com: only the same host (www. aside) is a match.
      const company = candidates.find((candidate) => hostOf(candidate.webAddress) === domain.toLowerCase());
      if (company) return { ...companyOf(company), matchedBy: 'domain' };
    }
    if (customer.name === null || customer.name.trim() === '') return null;
    const named = await this.query('Companies', [{ op: 'eq', field: 'companyName', value: customer.name.trim() }, { op: 'eq', field: 'isActive', value: true }]);
    const company = named.find((candidate) => String(candidate.companyName ?? '').toLowerCase() === customer.name?.trim().toLowerCase());
    return company ? { ...companyOf(company), matchedBy: 'name' } : null;
  }

  async readCompany(companyId: string): Promise<PsaCompany | null> {
    if (!/^\d+$/.test(companyId)) return null;
    const answer = await this.client.request({ method: 'GET', path: `/Companies/${companyId}`, notFoundIsNull: true });
    const { item } = fieldsOf(answer?.body);
    return item !== null && typeof item === 'object' ? companyOf(fieldsOf(item)) : null;
  }

  async checkSetup(): Promise<PsaSetupStep[]> {
    const steps: PsaSetupStep[] = [];
    const step = (name: string, ok: boolean, detail: string) => steps.push({ step: name, ok, detail });
    try {
      step('zone', true, `${await this.restRoot()}${this.config.zoneUrl === null ? ` (zoneInformation for ${this.config.userName})` : ' (AUTOTASK_ZONE_URL)'}`);
    } catch (error) {
      step('zone', false, `${message(error)}; check AUTOTASK_USERNAME and AUTOTASK_ZONE_INFORMATION_URL, or set AUTOTASK_ZONE_URL`);
      return steps;
    }
    let fields: Record<string, unknown>[];
    try {
      const usage = fieldsOf((await this.client.request({ method: 'GET', path: '/ThresholdInformation' })).body);
      step('sign in', true, `signed in as ${this.config.userName}; ${String(usage.currentTimeframeRequestCount ?? '?')} of ${String(usage.externalRequestThreshold ?? '?')} requests used this hour`);
      fields = listOf(fieldsOf((await this.client.request({ method: 'GET', path: '/Tickets/entityInformation/fields' })).body).fields);
    } catch (error) {
      // Autotask answers an unknown user name or tracking identifier with a 500, not a 401.
      const server = error instanceof MonitorError && 'statusCode' in error && error.statusCode === 500 ? '; Autotask answers 500 to an unknown AUTOTASK_USERNAME or AUTOTASK_INTEGRATION_CODE' : '';
      step('sign in', false, `${message(error)}${server}`);
      return steps;
    }
    const picklist = (name: string) =>
      listOf(fields.find((field) => String(field.name).toLowerCase() === name.toLowerCase())?.picklistValues)
        .filter((entry) => entry.isActive !== false)
        .map((entry) => ({ value: String(entry.value), label: String(entry.label) }));
    const check = (label: string, setting: string, field: string, value: string) => {
      const values = picklist(field);
      const found = values.find((entry) => entry.value === value);
      if (found) step(`${label} ${found.label}`, true, `${setting} ${value} is ${found.label}`);
      else step(`${label} ${value}`, false, `${setting} ${value} is not an active Tickets ${field} in Autotask; it has ${values.map((entry) => `${entry.label} (${entry.value})`).join(', ') || 'none'}`);
    };
    check('queue', 'AUTOTASK_QUEUE_ID', 'queueID', this.config.queueId);
    check('status', 'AUTOTASK_STATUS_NEW', 'status', this.config.statusNew);
    check('status', 'AUTOTASK_STATUS_CLOSED', 'status', this.config.statusClosed);
    for (const severity of ['critical', 'warning'] as const) check('priority', `AUTOTASK_PRIORITIES (${severity})`, 'priority', this.priorityOf(severity));
    if (this.config.ticketType !== null) check('ticket type', 'AUTOTASK_TICKET_TYPE', 'ticketType', this.config.ticketType);
    if (this.config.source !== null) check('source', 'AUTOTASK_SOURCE', 'source', this.config.source);
    const fallback = this.config.fallbackCompanyId;
    try {
      const company = await this.readCompany(fallback);
      step(`fallback company ${fallback}`, company !== null, company ? `AUTOTASK_FALLBACK_COMPANY_ID ${fallback} is ${company.name}` : `AUTOTASK_FALLBACK_COMPANY_ID ${fallback} is not a company the API user can see`);
    } catch (error) {
      step(`fallback company ${fallback}`, false, `${message(error)}; check AUTOTASK_FALLBACK_COMPANY_ID`);
    }
    return steps;
  }

  private priorityOf(severity: Severity): string {
    return this.config.priorities[severity];
  }

  /** Every match of a filter, following `pageDetails.nextPageUrl` (bounded). */
  private async query(entity: string, filter: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    // A query is a read, though sent by POST: it may be sent again.
    let call: PsaRequest = { method: 'POST', path: `/${entity}/query`, body: { MaxRecords: 500, filter }, idempotent: true };
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = fieldsOf((await this.client.request(call)).body);
      items.push(...listOf(answer.items));
      const next = fieldsOf(answer.pageDetails).nextPageUrl;
      if (typeof next !== 'string' || next === '') break;
      call = { method: 'GET', path: await this.relativeToRoot(next) };
    }
    return items;
  }

  /** A next page's URL relative to the REST root (it is on the same zone); anything else is refused rather than sent credentials. */
  private async relativeToRoot(url: string): Promise<string> {
    const root = await this.restRoot();
    if (url.toLowerCase().startsWith(`${root.toLowerCase()}/`)) return url.slice(root.length);
    throw new MonitorError('PsaRejected', 'Autotask named a next page outside its zone; the lookup stopped there');
  }
}

/** `[reference] ` first, then as much of the rest as the field takes. */
function titleWithMarker(reference: string, title: string, length: number): string {
  const marker = `[${reference}] `;
  const rest = title.startsWith(marker) ? title.slice(marker.length) : title;
  return `${marker}${rest}`.slice(0, Math.max(length, marker.length)).trimEnd();
}

function withReference(text: string, reference: string): string {
  return text.includes(reference) ? text : `[${reference}]\n${text}`;
}

function itemId(answer: { body: unknown }, what: string): string {
  const id = fieldsOf(answer.body).itemId;
  if (typeof id !== 'number' && typeof id !== 'string') throw new MonitorError('PsaRejected', `Autotask answered ${what} without an itemId`);
  return String(id);
}

function companyOf(row: Record<string, unknown>): PsaCompany {
  return { id: String(row.id), name: String(row.companyName ?? '') };
}

function hostOf(webAddress: unknown): string {
  const text = String(webAddress ?? '').trim().toLowerCase();
  return text.replace(/^[a-z]+:\/\//, '').replace(/[/?#:].*$/, '').replace(/^www\./, '');
}

/** Autotask's `{"errors": [...]}`, as safe to log: its own messages, cut short. */
function describeAnswer(body: unknown): string | null {
  const { errors } = fieldsOf(body);
  if (!Array.isArray(errors)) return null;
  const said = errors.filter((entry): entry is string => typeof entry === 'string').join('; ');
  return said === '' ? null : said.slice(0, 300);
}

/** A JSON object's fields (none when it is not an object): answers are read field by field, never trusted whole. */
function fieldsOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {};
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(fieldsOf) : [];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
