/*
 * What the simulated HaloPSA holds besides its clients: the lookups an instance is set up with
 * (statuses, priorities, ticket types, teams), its tickets and their actions, as the Halo API
 * serves them (snake_case fields, ids as numbers). The ids are those of a new instance, which
 * the HALOPSA_* settings default to: status 1 New, 9 Closed; priorities 1-4.
 */

interface HaloStatus {
  id: number;
  name: string;
  /** Whether tickets in it are closed (Halo's closed status type). */
  closed: boolean;
}

/** GET /api/Status. */
export const haloStatuses: readonly HaloStatus[] = [
  { id: 1, name: 'New', closed: false },
  { id: 2, name: 'In Progress', closed: false },
  { id: 3, name: 'Action Required', closed: false },
  { id: 8, name: 'Resolved', closed: false },
  { id: 9, name: 'Closed', closed: true },
];

/** GET /api/Priority: priorities are listed per SLA; a ticket's `priority_id` is a `priorityid`. */
export const haloPriorities = [
  { id: 1, slaid: 1, priorityid: 1, name: 'Critical' },
  { id: 2, slaid: 1, priorityid: 2, name: 'High' },
  { id: 3, slaid: 1, priorityid: 3, name: 'Medium' },
  { id: 4, slaid: 1, priorityid: 4, name: 'Low' },
] as const;

/** GET /api/TicketType. */
export const haloTicketTypes = [
  { id: 1, name: 'Incident' },
  { id: 3, name: 'Problem' },
  { id: 21, name: 'Security Alert' },
] as const;

/** GET /api/Team. */
export const haloTeams = [
  { id: 1, name: '1st Line Support' },
  { id: 2, name: 'Security' },
] as const;

/**
 * Halo's summary limit is not in the documents this simulator is built from; this one (and the
 * adapter's) is an assumption, so that a long title is cut at some limit and the marker survives.
 */
export const HALO_SUMMARY_MAX = 250;

export interface HaloTicket {
  id: number;
  summary: string;
  details: string;
  client_id: number;
  client_name: string;
  status_id: number;
  priority_id: number;
  tickettype_id: number;
  team: string;
  dateoccurred: string;
  lastactiondate: string;
}

export interface HaloAction {
  id: number;
  ticket_id: number;
  note: string;
  outcome: string;
  hiddenfromuser: boolean;
  datetime: string;
}

export function statusOf(id: number): HaloStatus | undefined {
  return haloStatuses.find((status) => status.id === id);
}

/** A JSON body as parsed, or undefined when it is not JSON. */
export function parsedJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A whole number from a JSON field or query value, or undefined. */
export function wholeNumber(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(number) ? number : undefined;
}

/** One page of a list, as Halo pages with `pageinate`, `page_size` and `page_no` (1-based); else the first `count` (default all). */
export function paged<T>(items: readonly T[], query: URLSearchParams): T[] {
  if (query.get('pageinate') === 'true') {
    const size = Math.max(1, wholeNumber(query.get('page_size')) ?? 50);
    const page = Math.max(1, wholeNumber(query.get('page_no')) ?? 1);
    return items.slice((page - 1) * size, page * size);
  }
  const count = wholeNumber(query.get('count'));
  return count === undefined ? [...items] : items.slice(0, Math.max(0, count));
}
