import type { HttpClient } from '@azure/core-rest-pipeline';
import type { ConnectWiseConfig } from '../config';
import { MonitorError } from '../core/errors';
import type { FoundTicket, NewTicket, PsaCompany, PsaSetupStep, PsaTickets } from '../ports/psa';
import { PsaClient } from './psaClient';

/**
 * Tickets in ConnectWise PSA (Manage) through its REST API (`…/v4_6_release/apis/3.0`), as its
 * reference documents it: an API member's keys as Basic auth (`companyId+publicKey:privateKey`)
 * with the integrator's `clientId` header on every request; lists read with `conditions`,
 * `fields` and `pageSize`; a ticket created by POST with references by name (board, status,
 * priority, type, source) and its company by id; notes on `/service/tickets/{id}/notes`; the
 * status changed by a JSON Patch.
 *
 * No request takes an idempotency key: a ticket is found again by the marker `[<reference>]` at
 * the start of its summary, with `summary like "%<reference>%"` and an exact check here.
 */

/** ConnectWise's summary takes at most 100 characters (the Ticket model's "Max length: 100"). */
const SUMMARY_MAX = 100;

const SETTINGS_HINT = 'check CONNECTWISE_COMPANY_ID, CONNECTWISE_PUBLIC_KEY, CONNECTWISE_PRIVATE_KEY and CONNECTWISE_CLIENT_ID';
const ROLE_HINT =
  "and that the API member's security role allows Service Desk > Service Tickets (Add, Edit, Inquire), Service Desk > Service Tickets - Notes, " +
  'Service Desk > Service Boards (Inquire) and Companies > Company Maintenance (Inquire)';

/** A record of an answer, read field by field: ConnectWise's JSON as it came, checked where it is used. */
type CwRecord = Record<string, unknown>;

export class ConnectWiseTickets implements PsaTickets {
  readonly psa = 'connectwise' as const;
  private readonly client: PsaClient;

  constructor(
    private readonly config: ConnectWiseConfig,
    options: { timeoutMs: number; httpClient?: HttpClient },
  ) {
    const basic = Buffer.from(`${config.companyId}+${config.publicKey}:${config.privateKey}`, 'utf8').toString('base64');
    this.client = new PsaClient({
      psa: 'connectwise',
      baseUrl: config.baseUrl,
      authorization: () => Promise.resolve({ authorization: `Basic ${basic}`, clientId: config.clientId }),
      timeoutMs: options.timeoutMs,
      requestsPerMinute: config.requestsPerMinute,
      refusalHint: `${SETTINGS_HINT}, ${ROLE_HINT}`,
      describeAnswer: describeConnectWiseAnswer,
      ...(options.httpClient === undefined ? {} : { httpClient: options.httpClient }),
    });
  }

  get requestCount(): number {
    return this.client.requestCount;
  }

  async findTicket(reference: string): Promise<FoundTicket | null> {
    const found = await this.list('/service/tickets', `summary like "%${likeValue(reference)}%"`, 'id,summary,closedFlag,status/name');
    // The query may match more than the marker (a wildcard, another ticket quoting it): only a summary carrying it counts; the first created wins.
    const ticket = found.filter((candidate) => textOf(candidate.summary)?.includes(`[${reference}]`) === true && idOf(candidate) !== undefined).sort((a, b) => (idOf(a) ?? 0) - (idOf(b) ?? 0))[0];
    if (ticket === undefined) return null;
    const closed = ticket.closedFlag === true || sameName(textOf(recordOf(ticket.status).name), this.config.statusClosed);
    return { ticketId: String(idOf(ticket)), closed };
  }

  async createTicket(ticket: NewTicket): Promise<string> {
    const { config } = this;
    const body = {
      summary: summaryOf(ticket.title, ticket.reference),
      initialDescription: ticket.description,
      board: { name: config.board },
      company: { id: Number(ticket.companyId) },
      status: { name: config.statusNew },
      priority: { name: config.priorities[ticket.severity] },
      ...(config.type === null ? {} : { type: { name: config.type } }),
      ...(config.source === null ? {} : { source: { name: config.source } }),
    };
    const answer = await this.client.request({ method: 'POST', path: '/service/tickets', body });
    const id = idOf(recordOf(answer.body));
    // Created, but no id to record: the next attempt finds it by its reference instead of creating another.
    if (id === undefined) throw new MonitorError('PsaTimeout', 'ConnectWise PSA answered the ticket create without its id; it is looked up by its reference before it is tried again');
    return String(id);
  }

  async hasNote(ticketId: string, reference: string): Promise<boolean> {
    const notes = await this.list(`/service/tickets/${encodeURIComponent(ticketId)}/notes`, `text like "%${likeValue(reference)}%"`, 'id,text');
    return notes.some((note) => textOf(note.text)?.includes(reference) === true);
  }

  async addNote(ticketId: string, note: { reference: string; text: string }): Promise<void> {
    // A Discussion note (detailDescriptionFlag), where technicians read a ticket's story.
    const body = { text: note.text, detailDescriptionFlag: true, internalAnalysisFlag: false, resolutionFlag: false };
    await this.client.request({ method: 'POST', path: `/service/tickets/${encodeURIComponent(ticketId)}/notes`, body });
  }

  async setStatus(ticketId: string, status: 'closed' | 'open'): Promise<void> {
    const name = status === 'closed' ? this.config.statusClosed : this.config.statusNew;
    await this.client.request({ method: 'PATCH', path: `/service/tickets/${encodeURIComponent(ticketId)}`, body: [{ op: 'replace', path: 'status', value: { name } }] });
  }

  async findCompany(customer: { name: string | null; domains: readonly string[] }): Promise<(PsaCompany & { matchedBy: 'domain' | 'name' }) | null> {
    const domains = [...new Set(customer.domains.map((domain) => domain.trim().toLowerCase()).filter((domain) => domain !== ''))];
    if (domains.length > 0) {
      const conditions = domains.map((domain) => `website like "%${likeValue(domain)}%"`).join(' or ');
      const listed = await this.list('/company/companies', conditions, 'id,name,website,deletedFlag');
      const match = listed.find((company) => company.deletedFlag !== true && idOf(company) !== undefined && domains.includes(hostOf(textOf(company.website))));
      if (match !== undefined) return { id: String(idOf(match)), name: textOf(match.name) ?? '', matchedBy: 'domain' };
    }
    const name = customer.name?.trim();
    if (name === undefined || name === '') return null;
    const listed = await this.list('/company/companies', `name="${quoted(name)}"`, 'id,name,deletedFlag');
    const match = listed.find((company) => company.deletedFlag !== true && idOf(company) !== undefined && sameName(textOf(company.name), name));
    return match === undefined ? null : { id: String(idOf(match)), name: textOf(match.name) ?? name, matchedBy: 'name' };
  }

  async readCompany(companyId: string): Promise<PsaCompany | null> {
    // Company ids are integers: anything else names no company (and would be a 400, not a 404).
    if (!/^\d+$/.test(companyId)) return null;
    const answer = await this.client.request({ method: 'GET', path: `/company/companies/${companyId}`, query: { fields: 'id,name' }, notFoundIsNull: true });
    const company = recordOf(answer?.body);
    const id = idOf(company);
    return id === undefined ? null : { id: String(id), name: textOf(company.name) ?? '' };
  }

  async checkSetup(): Promise<PsaSetupStep[]> {
    const { config } = this;
    const steps: PsaSetupStep[] = [];
    const step = async (name: string, check: () => { ok: boolean; detail: string } | Promise<{ ok: boolean; detail: string }>): Promise<boolean> => {
      const result = await Promise.resolve().then(check).catch((error: unknown) => ({ ok: false, detail: error instanceof Error ? error.message : String(error) }));
      steps.push({ step: name, ...result });
      return result.ok;
    };
    const signedIn = await step('sign in', async () => {
      const version = textOf(recordOf((await this.client.request({ method: 'GET', path: '/system/info' })).body).version);
      return { ok: true, detail: `signed in as an API member of ${config.companyId}${version === undefined ? '' : ` (ConnectWise PSA ${version})`}` };
    });
    // Every later step would be refused the same way: the sign-in's failure says what to fix.
    if (!signedIn) return steps;
    let boardId: number | undefined;
    await step(`board ${config.board}`, async () => {
      boardId = idOf(named(await this.list('/service/boards', `name="${quoted(config.board)}"`, 'id,name'), config.board) ?? {});
      return boardId === undefined
        ? { ok: false, detail: `no service board is named "${config.board}": set CONNECTWISE_BOARD to a board's name (System > Setup Tables > Service Board)` }
        : { ok: true, detail: `board ${boardId}` };
    });
    if (boardId !== undefined) {
      const statuses = await this.list(`/service/boards/${boardId}/statuses`, `name="${quoted(config.statusNew)}" or name="${quoted(config.statusClosed)}"`, 'id,name,closedStatus').catch(asFailure);
      for (const [setting, name, mustClose] of [['CONNECTWISE_STATUS_NEW', config.statusNew, false], ['CONNECTWISE_STATUS_CLOSED', config.statusClosed, true]] as const) {
        await step(`status ${name}`, () => {
          const status = named(statuses, name);
          if (status === undefined) return { ok: false, detail: `board "${config.board}" has no status "${name}": set ${setting} to one of its statuses` };
          if (mustClose && status.closedStatus !== true) return { ok: false, detail: `status "${name}" of board "${config.board}" is not a closed status: set ${setting} to a status marked Closed` };
          return { ok: true, detail: `status ${idOf(status) ?? '?'}` };
        });
      }
      const type = config.type;
      if (type !== null) {
        await step(`type ${type}`, async () => {
          const found = named(await this.list(`/service/boards/${boardId}/types`, `name="${quoted(type)}"`, 'id,name'), type);
          return found === undefined ? { ok: false, detail: `board "${config.board}" has no type "${type}": set CONNECTWISE_TYPE to one of its types, or leave it unset` } : { ok: true, detail: `type ${idOf(found) ?? '?'}` };
        });
      }
    }
    const source = config.source;
    if (source !== null) {
      await step(`source ${source}`, async () => {
        const found = named(await this.list('/service/sources', `name="${quoted(source)}"`, 'id,name'), source);
        return found === undefined ? { ok: false, detail: `no service source is named "${source}": set CONNECTWISE_SOURCE to one of yours (System > Setup Tables > Service Source), or leave it unset` } : { ok: true, detail: `source ${idOf(found) ?? '?'}` };
      });
    }
    const priorities = [...new Set(Object.values(config.priorities))];
    const listed = await this.list('/service/priorities', priorities.map((name) => `name="${quoted(name)}"`).join(' or '), 'id,name').catch(asFailure);
    for (const name of priorities) {
      await step(`priority ${name}`, () => {
        const priority = named(listed, name);
        return priority === undefined ? { ok: false, detail: `no priority is named "${name}": set CONNECTWISE_PRIORITIES to priorities of your instance` } : { ok: true, detail: `priority ${idOf(priority) ?? '?'}` };
      });
    }
    await step(`fallback company ${config.fallbackCompanyId}`, async () => {
      const company = await this.readCompany(config.fallbackCompanyId);
      return company === null
        ? { ok: false, detail: `no company has id ${config.fallbackCompanyId}: set CONNECTWISE_FALLBACK_COMPANY_ID to the id of your own company` }
        : { ok: true, detail: company.name };
    });
    return steps;
  }

  /** One page of a list (pageSize 25: every list here looks for one or a few records). */
  private async list(path: string, conditions: string, fields: string): Promise<CwRecord[]> {
    const query = { conditions: conditions === '' ? undefined : conditions, fields, pageSize: 25, orderBy: 'id asc' };
    const body = (await this.client.request({ method: 'GET', path, query })).body;
    return Array.isArray(body) ? body.map(recordOf) : [];
  }
}

/** A list read for a check, or why it could not be read. */
function asFailure(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The item of a list read for a check whose name is `name` (case aside); throws the list's failure. */
function named(list: CwRecord[] | Error, name: string): CwRecord | undefined {
  if (list instanceof Error) throw list;
  return list.find((candidate) => sameName(textOf(candidate.name), name));
}

/** A JSON object as a record; an empty one for anything else. */
function recordOf(value: unknown): CwRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {};
}

function idOf(record: CwRecord): number | undefined {
  return typeof record.id === 'number' ? record.id : undefined;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The summary: the title within 100 characters, the end cut, never the marker at its start. */
function summaryOf(title: string, reference: string): string {
  const marker = `[${reference}] `;
  const full = title.startsWith(marker) ? title : `${marker}${title}`;
  return full.length <= SUMMARY_MAX ? full : `${full.slice(0, SUMMARY_MAX - 1).trimEnd()}…`;
}

/** A string value inside double quotes: a quote or a backslash is escaped with a backslash. */
function quoted(value: string): string {
  return value.replace(/[\\"]/g, '\\$&');
}

/**
 * A value for `like`: its own `%`, `_` and `[`/`]` would be wildcards (ConnectWise documents no
 * escape for them), so each becomes `_`, one character of any kind: the query finds at least the
 * right records, and the caller keeps only the exact ones.
 */
function likeValue(value: string): string {
  return quoted(value.replace(/[%_[\]]/g, '_'));
}

function sameName(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** A company's website as its bare host: `https://www.contoso.com/` → `contoso.com`. */
function hostOf(website: string | null | undefined): string {
  return (website ?? '').trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/^www\./, '').replace(/[/:?#].*$/, '');
}

/** ConnectWise's error body (`code`, `message`, `errors[].field`), as safe to log: codes, a short message, the fields. */
function describeConnectWiseAnswer(body: unknown): string | null {
  const { code, message, errors } = recordOf(body);
  const parts: string[] = [];
  if (typeof code === 'string') parts.push(code.slice(0, 60));
  if (typeof message === 'string') parts.push(message.slice(0, 200));
  if (Array.isArray(errors)) {
    const fields = errors
      .map((error) => recordOf(error).field)
      .filter((field): field is string => typeof field === 'string')
      .map((field) => field.slice(0, 60));
    if (fields.length > 0) parts.push(`fields: ${[...new Set(fields)].join(', ')}`);
  }
  return parts.length === 0 ? null : parts.join(': ');
}
