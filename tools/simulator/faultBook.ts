import type { Fault, SimulatedService } from './types';

/** Faults that act on matching requests (the token faults act on the token store instead). */
export type RequestFault = Exclude<Fault, { kind: 'expireTokens' } | { kind: 'revokeTokens' } | { kind: 'revokeRefreshTokens' } | { kind: 'expireClientSecret' } | { kind: 'unlinkEmailDomain' }>;

const REQUEST_FAULT_KINDS = new Set<Fault['kind']>(['status', 'delay', 'hang', 'loseAnswer', 'holdAnswer', 'malformed', 'emptyCollection', 'drift', 'verbatim']);
/** The data services, whose routes answer verbatim faults. */
const VERBATIM_SERVICES = new Set<SimulatedService>(['graph', 'partnerCenter']);

type VerbatimFault = Extract<Fault, { kind: 'verbatim' }>;
const STATUSES = new Set([400, 401, 403, 404, 410, 429, 500, 502, 503, 504]);
const SERVICES = new Set<SimulatedService>(['login', 'msi', 'graph', 'partnerCenter', 'acs', 'keyVault', 'control', 'teams', 'slack', 'webhook', 'connectwise', 'autotask', 'halopsa']);
const DRIFT_MODES = new Set(['extraFields', 'unknownFutureValue', 'missingField']);

export function isRequestFault(fault: Fault): fault is RequestFault {
  return REQUEST_FAULT_KINDS.has(fault.kind);
}

/** Why a fault (from the control API's JSON) is unusable, or undefined when it is fine. */
export function faultProblem(fault: unknown): string | undefined {
  if (fault === null || typeof fault !== 'object') return 'a fault is a JSON object';
  const f = fault as Record<string, unknown>;
  const kind = f.kind as Fault['kind'];
  if (kind === 'expireTokens') return typeof f.lifetimeSeconds === 'number' && f.lifetimeSeconds >= 0 ? undefined : 'lifetimeSeconds: a number >= 0';
  if (kind === 'revokeTokens' || kind === 'revokeRefreshTokens' || kind === 'expireClientSecret' || kind === 'unlinkEmailDomain') return undefined;
  if (!REQUEST_FAULT_KINDS.has(kind)) return `unknown kind ${JSON.stringify(f.kind)}`;
  if (!SERVICES.has(f.service as SimulatedService)) return `service must be one of ${[...SERVICES].join(', ')}`;
  if (f.path !== undefined && typeof f.path !== 'string') return 'path: a string';
  if (f.page !== undefined && !(Number.isInteger(f.page) && (f.page as number) >= 0)) return 'page: an integer >= 0';
  if (f.times !== undefined && !(Number.isInteger(f.times) && (f.times as number) > 0)) return 'times: an integer > 0';
  if (kind === 'status' && !STATUSES.has(f.status as number)) return `status: one of ${[...STATUSES].join(', ')}`;
  if (kind === 'status' && f.retryAfter !== undefined && !['number', 'string'].includes(typeof f.retryAfter)) return 'retryAfter: seconds or an HTTP date';
  if (kind === 'delay' && !(typeof f.ms === 'number' && f.ms >= 0)) return 'ms: a number >= 0';
  if (kind === 'drift' && !DRIFT_MODES.has(f.mode as string)) return `mode: one of ${[...DRIFT_MODES].join(', ')}`;
  if (kind === 'verbatim') {
    if (!VERBATIM_SERVICES.has(f.service as SimulatedService)) return `service: one of ${[...VERBATIM_SERVICES].join(', ')} for a verbatim answer`;
    if (typeof f.path !== 'string' || !f.path.startsWith('/')) return 'path: the path under the service base URL, e.g. /v1/nonMfaCompliantPartnerPrincipals';
    if (f.page !== undefined) return 'page: a verbatim answer matches on path only (inject one per page, in order)';
    if (!(Number.isInteger(f.status) && (f.status as number) >= 200 && (f.status as number) <= 599)) return 'status: an integer from 200 to 599';
    if (typeof f.body !== 'string') return 'body: the exact text to answer with';
    if (f.contentType !== undefined && typeof f.contentType !== 'string') return 'contentType: a string';
  }
  return undefined;
}

/** The active request faults, consumed as they match. */
export class FaultBook {
  private faults: { fault: RequestFault; remaining: number }[] = [];

  add(fault: RequestFault): void {
    this.faults.push({ fault, remaining: fault.times ?? Infinity });
  }

  clear(): void {
    this.faults = [];
  }

  list(): RequestFault[] {
    return this.faults.map((entry) => entry.fault);
  }

  /** The faults that apply to this request, each counted as used once; verbatim answers are taken by takeVerbatim. */
  take(service: SimulatedService, pathAndQuery: string, page: number): RequestFault[] {
    const matched: RequestFault[] = [];
    for (const entry of this.faults) {
      const { fault } = entry;
      if (fault.service !== service || fault.kind === 'verbatim') continue;
      if (fault.path !== undefined && !pathAndQuery.includes(fault.path)) continue;
      if (fault.page !== undefined && fault.page !== page) continue;
      matched.push(fault);
      entry.remaining--;
    }
    this.faults = this.faults.filter((entry) => entry.remaining > 0);
    return matched;
  }

  /** The earliest injected verbatim answer for this path (under the service base URL, query aside), counted as used once. */
  takeVerbatim(service: SimulatedService, servicePath: string): VerbatimFault | undefined {
    const entry = this.faults.find(({ fault }) => fault.kind === 'verbatim' && fault.service === service && fault.path === servicePath);
    if (entry === undefined) return undefined;
    entry.remaining--;
    this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
    return entry.fault as VerbatimFault;
  }
}
