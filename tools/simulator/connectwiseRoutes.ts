/*
 * The routes of the simulated ConnectWise PSA under `/v4_6_release/apis/3.0`, with what they
 * hold: one service board with its statuses, the priorities, the companies, and the tickets and
 * notes created, in memory. Shapes follow the Manage REST API reference (Ticket, ServiceNote,
 * Company, Board, BoardStatus, Priority) and "PSA API Requests" / "PSA Pagination" for paging and
 * errors; see test/fixtures/documented/connectwise/sources.md.
 */
import { ConditionSyntaxError, matches, parseConditions } from './connectwiseConditions';
import type { Exchange } from './exchange';
import type { SimulatedCompany } from './types';

interface Named {
  id: number;
  name: string;
}

interface StoredNote {
  id: number;
  text: string;
  detailDescriptionFlag: boolean;
  internalAnalysisFlag: boolean;
  resolutionFlag: boolean;
  dateCreated: string;
}

interface StoredTicket {
  id: number;
  summary: string;
  initialDescription: string;
  board: Named;
  status: Named;
  company: { id: number; identifier: string; name: string };
  priority: Named;
  type: Named | null;
  source: Named | null;
  closedFlag: boolean;
  closedDate: string | null;
  dateEntered: string;
  lastUpdated: string;
  notes: StoredNote[];
}

/** The board the settings name by default, its statuses (`>Closed` is its closed one) and the priorities named as the setting's defaults. */
const BOARDS: (Named & { statuses: (Named & { closedStatus: boolean; defaultFlag: boolean })[] })[] = [
  {
    id: 1,
    name: 'Help Desk',
    statuses: [
      { id: 11, name: 'New', closedStatus: false, defaultFlag: true },
      { id: 12, name: 'In Progress', closedStatus: false, defaultFlag: false },
      { id: 13, name: '>Closed', closedStatus: true, defaultFlag: false },
    ],
  },
  { id: 2, name: 'Projects', statuses: [{ id: 21, name: 'New', closedStatus: false, defaultFlag: true }] },
];
const PRIORITIES: Named[] = [
  { id: 1, name: 'Priority 1 - Emergency Response' },
  { id: 2, name: 'Priority 2 - Quick Response' },
  { id: 3, name: 'Priority 3 - Normal Response' },
  { id: 4, name: 'Priority 4 - Schedule Maintenance' },
];
const TYPES: Named[] = [{ id: 1, name: 'Security' }];
const SOURCES: Named[] = [{ id: 1, name: 'MFA Monitor' }, { id: 2, name: 'Email' }];

/** ConnectWise's error body: a code, a message, and per field what is wrong (as answered to a 400 in public reports). */
export function connectWiseError(code: string, message: string, errors?: { code: string; message: string; resource: string; field: string }[]) {
  return errors === undefined ? { code, message } : { code, message, errors };
}

const invalid = (resource: string, field: string, code: string, message: string) =>
  connectWiseError('InvalidObject', `${resource} object is invalid`, [{ code, message, resource, field }]);

export class ConnectWiseRoutes {
  readonly tickets: StoredTicket[] = [];
  private nextTicketId = 5001;
  private nextNoteId = 90001;

  constructor(private readonly companies: SimulatedCompany[], private readonly apiRoot: string) {}

  /** Answers one request; `path` is under the API root (`/service/tickets`...). */
  route(ex: Exchange, path: string): void {
    const parts = path.split('/').filter((part) => part !== '');
    const [area, collection, id, child, childId] = parts;
    const method = ex.method;
    const key = `${method} ${area ?? ''}/${collection ?? ''}${id === undefined ? '' : '/{id}'}${child === undefined ? '' : `/${child}`}${childId === undefined ? '' : '/{id}'}`;
    switch (key) {
      case 'GET system/info':
        return ex.send(200, { version: 'v2025.1.100000', isCloud: true, serverTimeZone: 'Eastern Standard Time', cloudRegion: 'NA' });
      case 'GET service/boards':
        return this.list(ex, path, BOARDS.map((board) => this.boardView(board)));
      case 'GET service/boards/{id}/statuses': {
        const board = BOARDS.find((candidate) => String(candidate.id) === id);
        if (board === undefined) return ex.send(404, connectWiseError('NotFound', `Board recId ${id ?? ''} not found`));
        return this.list(ex, path, board.statuses.map((status) => ({ ...status, board: { id: board.id, name: board.name }, inactive: false })));
      }
      case 'GET service/boards/{id}/types': {
        const board = BOARDS.find((candidate) => String(candidate.id) === id);
        if (board === undefined) return ex.send(404, connectWiseError('NotFound', `Board recId ${id ?? ''} not found`));
        return this.list(ex, path, TYPES.map((type) => ({ ...type, board: { id: board.id, name: board.name }, inactiveFlag: false })));
      }
      case 'GET service/sources':
        return this.list(ex, path, SOURCES.map((source) => ({ ...source, defaultFlag: false })));
      case 'GET service/priorities':
        return this.list(ex, path, PRIORITIES.map((priority) => ({ ...priority, defaultFlag: priority.id === 3, sortOrder: priority.id })));
      case 'GET company/companies':
        return this.list(ex, path, this.companies.map((company) => this.companyView(company)));
      case 'GET company/companies/{id}': {
        const company = this.companies.find((candidate) => candidate.id === id);
        return company === undefined ? ex.send(404, connectWiseError('NotFound', `Company recId ${id ?? ''} not found`)) : ex.send(200, this.companyView(company));
      }
      case 'GET service/tickets':
        return this.list(ex, path, this.tickets.map((ticket) => this.ticketView(ticket)));
      case 'POST service/tickets':
        return this.createTicket(ex, path);
      case 'GET service/tickets/{id}':
      case 'PATCH service/tickets/{id}':
      case 'GET service/tickets/{id}/notes':
      case 'POST service/tickets/{id}/notes': {
        const ticket = this.tickets.find((candidate) => String(candidate.id) === id);
        if (ticket === undefined) return ex.send(404, connectWiseError('NotFound', `Ticket recId ${id ?? ''} not found`));
        if (key === 'GET service/tickets/{id}') return ex.send(200, this.ticketView(ticket));
        if (key === 'PATCH service/tickets/{id}') return this.patchTicket(ex, ticket);
        if (key === 'POST service/tickets/{id}/notes') return this.addNote(ex, ticket);
        return this.list(ex, path, ticket.notes.map((note) => ({ ...note, ticketId: ticket.id, createdBy: 'MfaMonitor', _info: { lastUpdated: note.dateCreated } })));
      }
      default:
        return ex.send(404, connectWiseError('NotFound', `The resource ${path} is not simulated`));
    }
  }

  /** `conditions`, then `page`/`pageSize` (default 25, at most 1,000) with a Link header, then `fields`. */
  private list(ex: Exchange, path: string, records: object[]): void {
    const conditionsText = ex.url.searchParams.get('conditions');
    let selected = records;
    if (conditionsText !== null && conditionsText.trim() !== '') {
      try {
        const condition = parseConditions(conditionsText);
        selected = records.filter((record) => matches(record, condition));
      } catch (error) {
        if (!(error instanceof ConditionSyntaxError)) throw error;
        return ex.send(400, connectWiseError('InvalidObject', `conditions: ${error.message}`));
      }
    }
    const page = Math.max(1, Number.parseInt(ex.url.searchParams.get('page') ?? '1', 10) || 1);
    const pageSize = Math.min(1000, Math.max(1, Number.parseInt(ex.url.searchParams.get('pageSize') ?? '25', 10) || 25));
    const last = Math.max(1, Math.ceil(selected.length / pageSize));
    const link = (to: number) => {
      const target = new URL(`${this.apiRoot}${path}`);
      for (const [name, value] of ex.url.searchParams) if (name !== 'page' && name !== 'pageSize') target.searchParams.set(name, value);
      target.searchParams.set('pageSize', String(pageSize));
      target.searchParams.set('page', String(to));
      return `<${target.toString()}>`;
    };
    const links = [
      ...(page > 1 ? [`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`] : []),
      ...(page < last ? [`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`] : []),
    ];
    const fields = (ex.url.searchParams.get('fields') ?? '').split(',').map((field) => field.trim()).filter((field) => field !== '');
    const body = selected.slice((page - 1) * pageSize, page * pageSize).map((record) => (fields.length === 0 ? record : only(record, fields)));
    ex.send(200, body, links.length === 0 ? {} : { link: links.join(', ') });
  }

  private createTicket(ex: Exchange, path: string): void {
    const body = jsonOf(ex);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return ex.send(400, connectWiseError('InvalidObject', 'ticket object is invalid'));
    const sent = body as Record<string, unknown>;
    const summary = sent.summary;
    if (typeof summary !== 'string' || summary.trim() === '') return ex.send(400, invalid('ticket', 'summary', 'MissingRequiredField', 'summary is required.'));
    if (summary.length > 100) return ex.send(400, invalid('ticket', 'summary', 'InvalidField', 'summary: max length 100.'));
    const companyId = reference(sent.company)?.id;
    if (companyId === undefined) return ex.send(400, invalid('ticket', 'company', 'MissingRequiredField', 'company is required.'));
    const company = this.companies.find((candidate) => candidate.id === String(companyId));
    if (company === undefined) return ex.send(400, invalid('ticket', 'company', 'InvalidField', 'company not found.'));
    const board = resolve(BOARDS, sent.board);
    if (board === undefined) return ex.send(400, invalid('ticket', 'board', 'InvalidField', 'board not found.'));
    const status = sent.status === undefined ? board.statuses.find((candidate) => candidate.defaultFlag) : resolve(board.statuses, sent.status);
    if (status === undefined) return ex.send(400, invalid('ticket', 'status', 'InvalidField', `status not found on board ${board.name}.`));
    const priority = sent.priority === undefined ? PRIORITIES[2] : resolve(PRIORITIES, sent.priority);
    if (priority === undefined) return ex.send(400, invalid('ticket', 'priority', 'InvalidField', 'priority not found.'));
    const type = sent.type === undefined ? null : resolve(TYPES, sent.type);
    if (type === undefined) return ex.send(400, invalid('ticket', 'type', 'InvalidField', `type not found on board ${board.name}.`));
    const source = sent.source === undefined ? null : resolve(SOURCES, sent.source);
    if (source === undefined) return ex.send(400, invalid('ticket', 'source', 'InvalidField', 'source not found.'));
    const now = new Date().toISOString().slice(0, 19) + 'Z';
    const ticket: StoredTicket = {
      id: this.nextTicketId++, summary, initialDescription: typeof sent.initialDescription === 'string' ? sent.initialDescription : '',
      board: { id: board.id, name: board.name }, status: { id: status.id, name: status.name },
      company: { id: Number(company.id), identifier: identifierOf(company), name: company.name }, priority: { id: priority.id, name: priority.name },
      type, source, closedFlag: status.closedStatus, closedDate: status.closedStatus ? now : null, dateEntered: now, lastUpdated: now, notes: [],
    };
    this.tickets.push(ticket);
    ex.send(201, this.ticketView(ticket), { location: `${this.apiRoot}${path}/${ticket.id}` });
  }

  /** JSON Patch (an array of operations); the simulated paths are `status` and `summary`. */
  private patchTicket(ex: Exchange, ticket: StoredTicket): void {
    const operations = jsonOf(ex);
    if (!Array.isArray(operations)) return ex.send(400, connectWiseError('InvalidObject', 'The request body must be a JSON Patch array of operations.'));
    for (const operation of operations as unknown[]) {
      const { op, path, value } = (operation ?? {}) as Record<string, unknown>;
      const field = typeof path === 'string' ? path.replace(/^\//, '') : '';
      if (op !== 'replace' && op !== 'add') return ex.send(400, invalid('ticket', field, 'InvalidField', `op ${String(op)} is not simulated.`));
      if (field === 'summary' && typeof value === 'string' && value.length <= 100) ticket.summary = value;
      else if (field === 'status') {
        const board = BOARDS.find((candidate) => candidate.id === ticket.board.id);
        const status = board === undefined ? undefined : resolve(board.statuses, value);
        if (status === undefined) return ex.send(400, invalid('ticket', 'status', 'InvalidField', `status not found on board ${ticket.board.name}.`));
        ticket.status = { id: status.id, name: status.name };
        ticket.closedFlag = status.closedStatus;
        ticket.closedDate = status.closedStatus ? new Date().toISOString().slice(0, 19) + 'Z' : null;
      } else return ex.send(400, invalid('ticket', field, 'InvalidField', `${field} cannot be patched here.`));
    }
    ticket.lastUpdated = new Date().toISOString().slice(0, 19) + 'Z';
    ex.send(200, this.ticketView(ticket));
  }

  private addNote(ex: Exchange, ticket: StoredTicket): void {
    const body = jsonOf(ex) as Record<string, unknown> | null;
    const text = body?.text;
    if (typeof text !== 'string' || text.trim() === '') return ex.send(400, invalid('note', 'text', 'MissingRequiredField', 'text is required.'));
    const flags = { detailDescriptionFlag: body?.detailDescriptionFlag === true, internalAnalysisFlag: body?.internalAnalysisFlag === true, resolutionFlag: body?.resolutionFlag === true };
    if (!flags.detailDescriptionFlag && !flags.internalAnalysisFlag && !flags.resolutionFlag) {
      return ex.send(400, invalid('note', 'detailDescriptionFlag', 'InvalidField', 'at least one of detailDescriptionFlag, internalAnalysisFlag and resolutionFlag must be true.'));
    }
    const note: StoredNote = { id: this.nextNoteId++, text, ...flags, dateCreated: new Date().toISOString().slice(0, 19) + 'Z' };
    ticket.notes.push(note);
    ticket.lastUpdated = note.dateCreated;
    ex.send(201, { ...note, ticketId: ticket.id, createdBy: 'MfaMonitor' });
  }

  private boardView(board: (typeof BOARDS)[number]) {
    return { id: board.id, name: board.name, inactiveFlag: false, _info: { statuses_href: `${this.apiRoot}/service/boards/${board.id}/statuses` } };
  }

  private companyView(company: SimulatedCompany) {
    return {
      id: Number(company.id), identifier: identifierOf(company), name: company.name, status: { id: 1, name: 'Active' },
      website: company.domain === null ? null : `www.${company.domain}`, deletedFlag: false, _info: { lastUpdated: '2026-01-01T00:00:00Z' },
    };
  }

  private ticketView(ticket: StoredTicket) {
    return {
      id: ticket.id, summary: ticket.summary, recordType: 'ServiceTicket',
      board: { ...ticket.board, _info: { board_href: `${this.apiRoot}/service/boards/${ticket.board.id}` } },
      status: { ...ticket.status, _info: { status_href: `${this.apiRoot}/service/boards/${ticket.board.id}/statuses/${ticket.status.id}` } },
      company: { ...ticket.company, _info: { company_href: `${this.apiRoot}/company/companies/${ticket.company.id}` } },
      priority: ticket.priority, ...(ticket.type === null ? {} : { type: ticket.type }), ...(ticket.source === null ? {} : { source: ticket.source }),
      closedFlag: ticket.closedFlag, ...(ticket.closedDate === null ? {} : { closedDate: ticket.closedDate }),
      _info: { lastUpdated: ticket.lastUpdated, dateEntered: ticket.dateEntered, enteredBy: 'MfaMonitor' },
    };
  }
}

function jsonOf(ex: Exchange): unknown {
  try {
    return JSON.parse(ex.body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** A reference as sent (`{ "id": 1 }` or `{ "name": "Help Desk" }`). */
function reference(value: unknown): { id?: number; name?: string } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { id, name, identifier } = value as Record<string, unknown>;
  return { ...(typeof id === 'number' ? { id } : {}), ...(typeof name === 'string' ? { name } : typeof identifier === 'string' ? { name: identifier } : {}) };
}

/** The item a reference names, by id or by name (case aside); undefined when none is. */
function resolve<T extends Named>(items: readonly T[], value: unknown): T | undefined {
  const named = reference(value);
  if (named === undefined) return undefined;
  if (named.id !== undefined) return items.find((item) => item.id === named.id);
  return named.name === undefined ? undefined : items.find((item) => item.name.toLowerCase() === named.name?.toLowerCase());
}

function identifierOf(company: SimulatedCompany): string {
  return company.name.replace(/[^A-Za-z0-9]/g, '').slice(0, 25) || `Company${company.id}`;
}

/** The record with only the `fields` asked for (`id,summary,status/name`). */
function only(record: object, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const [head, ...rest] = field.split('/');
    if (head === undefined) continue;
    const value = (record as Record<string, unknown>)[head];
    if (value === undefined) continue;
    if (rest.length === 0 || value === null || typeof value !== 'object') out[head] = value;
    else out[head] = { ...((out[head] as object | undefined) ?? {}), ...only(value, [rest.join('/')]) };
  }
  return out;
}
