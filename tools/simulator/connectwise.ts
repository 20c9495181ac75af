/*
 * A simulated ConnectWise PSA (Manage) at `<url>/connectwise/v4_6_release/apis/3.0`, built from
 * ConnectWise's published REST reference (see test/fixtures/documented/connectwise/sources.md):
 * - every request signs in with `Authorization: Basic base64(companyId+publicKey:privateKey)`
 *   and carries the integrator's `clientId` header ("ClientID", developer.connectwise.com);
 * - a wrong key answers 401 ("PSA API Requests": the supplied authentication is incorrect); a
 *   missing clientId answers 400 naming clientId, as integrators report it (no document shows it);
 * - more requests a minute per API member than its limit answer 429 with a Retry-After in
 *   seconds ("PSA API Requests"); ConnectWise documents no number, integrators report about 60,
 *   and the simulator takes its limit from the constructor (default 300 a minute, so that test
 *   suites building fresh clients do not trip it unless they mean to).
 */
import { connectWiseError, ConnectWiseRoutes } from './connectwiseRoutes';
import type { Exchange } from './exchange';
import { simulatedCompanies, type PsaSimulatorOptions } from './psaCompanies';
import { guid, hash32 } from './random';
import { applyRequestFaults } from './requestFaults';
import type { SimulatedCompany, SimulatedPsa, SimulatedTicket } from './types';

const API_PATH = '/connectwise/v4_6_release/apis/3.0';

interface ConnectWiseLimits {
  /** Requests a minute one API member may make before 429s. Default 300. */
  requestsPerMinute?: number;
}

export class SimulatedConnectWise implements SimulatedPsa {
  private readonly listed: SimulatedCompany[];
  private readonly routes: ConnectWiseRoutes;
  private readonly credentials: { companyId: string; publicKey: string; privateKey: string; clientId: string };
  private readonly requestsPerMinute: number;
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly options: PsaSimulatorOptions,
    limits: ConnectWiseLimits = {},
  ) {
    this.listed = simulatedCompanies(options.seed, options.customers, 1000);
    this.routes = new ConnectWiseRoutes(this.listed, `${options.url}${API_PATH}`);
    const key = (salt: number) => [0, 1].map((i) => hash32(options.seed, salt, i).toString(36).padStart(7, '0')).join('').slice(0, 14);
    this.credentials = { companyId: `simpartner${options.seed}`, publicKey: key(631), privateKey: key(632), clientId: guid(options.seed, 633) };
    this.requestsPerMinute = limits.requestsPerMinute ?? 300;
  }

  async handle(ex: Exchange): Promise<void> {
    if ((await applyRequestFaults(ex, this.options.faults, 0)) === undefined) return;
    if (!ex.url.pathname.startsWith(`${API_PATH}/`)) return ex.send(404, connectWiseError('NotFound', 'Not found'));
    if (!this.signedIn(ex)) return ex.send(401, connectWiseError('Unauthorized', 'The supplied authentication is incorrect.'));
    const clientId = ex.header('clientid');
    if (clientId === undefined || clientId.trim() === '') return ex.send(400, connectWiseError('InvalidClientId', 'A clientId header is required on every request.'));
    const wait = this.throttled(this.credentials.publicKey);
    if (wait !== null) return ex.send(429, connectWiseError('TooManyRequests', 'Request volume exceeds capacity limits.'), { 'retry-after': String(wait) });
    this.routes.route(ex, ex.url.pathname.slice(API_PATH.length));
  }

  private signedIn(ex: Exchange): boolean {
    const header = ex.header('authorization') ?? '';
    if (!header.startsWith('Basic ')) return false;
    const { companyId, publicKey, privateKey } = this.credentials;
    // The company id is typed at sign-in in any case; the keys are compared as issued.
    const [user = '', password = ''] = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8').split(/:(.*)/s);
    const [company = '', key = ''] = user.split(/\+(.*)/s);
    return company.toLowerCase() === companyId.toLowerCase() && key === publicKey && password === privateKey;
  }

  /** Seconds to wait when this member's minute is spent, else null (and the request counts). */
  private throttled(member: string): number | null {
    const now = Date.now();
    const times = (this.recent.get(member) ?? []).filter((time) => time > now - 60_000);
    this.recent.set(member, times);
    if (times.length >= this.requestsPerMinute) return Math.max(1, Math.ceil(((times[0] ?? now) + 60_000 - now) / 1000));
    times.push(now);
    return null;
  }

  tickets(): SimulatedTicket[] {
    return this.routes.tickets.map((ticket) => ({
      id: String(ticket.id), companyId: String(ticket.company.id), companyName: ticket.company.name, title: ticket.summary,
      description: ticket.initialDescription, board: ticket.board.name, status: ticket.status.name, closed: ticket.closedFlag,
      priority: ticket.priority.name, notes: ticket.notes.map((note) => note.text), createdAt: ticket.dateEntered, updatedAt: ticket.lastUpdated,
    }));
  }

  companies(): SimulatedCompany[] {
    return this.listed.map((company) => ({ ...company }));
  }

  settings(): Record<string, string> {
    return {
      CONNECTWISE_BASE_URL: `${this.options.url}${API_PATH}`,
      CONNECTWISE_COMPANY_ID: this.credentials.companyId,
      CONNECTWISE_PUBLIC_KEY: this.credentials.publicKey,
      CONNECTWISE_PRIVATE_KEY: this.credentials.privateKey,
      CONNECTWISE_CLIENT_ID: this.credentials.clientId,
      CONNECTWISE_FALLBACK_COMPANY_ID: this.listed[0]?.id ?? '1000',
    };
  }
}
