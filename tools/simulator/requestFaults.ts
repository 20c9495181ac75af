import { faultErrorBody } from './errorBodies';
import type { Exchange } from './exchange';
import type { FaultBook, RequestFault } from './faultBook';

type DriftFault = Extract<RequestFault, { kind: 'drift' }>;

/** What is left for the route to do after the faults acted. */
interface FaultOutcome {
  drift: DriftFault[];
  malformed: boolean;
  emptyCollection: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Applies the faults matching this request: waits for delays, answers status faults,
 * leaves hung requests unanswered (close() ends them). Undefined when the request is
 * done with; otherwise the body faults for the route to apply.
 */
export async function applyRequestFaults(ex: Exchange, faults: FaultBook, page: number): Promise<FaultOutcome | undefined> {
  const matched = faults.take(ex.service, ex.pathAndQuery, page);
  for (const fault of matched) if (fault.kind === 'delay') await sleep(fault.ms);
  if (matched.some((fault) => fault.kind === 'hang')) return undefined;
  if (matched.some((fault) => fault.kind === 'loseAnswer')) ex.loseAnswer();
  if (matched.some((fault) => fault.kind === 'holdAnswer')) ex.holdAnswer();
  const status = matched.find((fault) => fault.kind === 'status');
  if (status) {
    const headers: Record<string, string> = status.retryAfter === undefined ? {} : { 'retry-after': String(status.retryAfter) };
    if (status.status === 401) headers['www-authenticate'] = 'Bearer error="invalid_token"';
    ex.send(status.status, faultErrorBody(ex, ex.service, status.status), headers);
    return undefined;
  }
  return {
    drift: matched.filter((fault): fault is DriftFault => fault.kind === 'drift'),
    malformed: matched.some((fault) => fault.kind === 'malformed'),
    emptyCollection: matched.some((fault) => fault.kind === 'emptyCollection'),
  };
}

/** A 200 whose JSON stops half-way, as when a connection drops mid-body behind a proxy. */
export function truncated(json: string): string {
  return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
}

/**
 * Answers with an injected verbatim body when one matches (true), after authentication and
 * before the route reads any paging header: a documented example's continuation token means
 * nothing to the simulator.
 */
export function answerVerbatim(ex: Exchange, faults: FaultBook, servicePath: string, headers: Record<string, string>): boolean {
  const verbatim = faults.takeVerbatim(ex.service, servicePath);
  if (verbatim === undefined) return false;
  ex.sendRaw(verbatim.status, verbatim.body, { 'content-type': 'application/json; charset=utf-8', ...headers, ...(verbatim.contentType === undefined ? {} : { 'content-type': verbatim.contentType }) });
  return true;
}
