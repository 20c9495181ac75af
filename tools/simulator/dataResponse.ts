import type { SimulatorContext } from './context';
import { applyDrift, FUTURE_REQUIREMENT } from './drift';
import type { Exchange } from './exchange';
import { applyRequestFaults, truncated } from './requestFaults';
import type { JsonObject } from './wireFormat';

interface DataDocument {
  /** The items of a collection, or the one object of a singleton. */
  items: () => JsonObject[];
  /** The response body around the (possibly drifted) items. */
  render: (items: JsonObject[]) => unknown;
  /** Whether unknownFutureValue drift also adds an item of an unknown subtype (requirements). */
  acceptsFutureSubtype?: boolean;
  headers?: Record<string, string>;
}

/** The configured latency (SimulatorOptions.pageLatencyMs), for answers that are not data responses: a refusal takes the service as long as a page. */
export async function simulatedLatency(ctx: SimulatorContext): Promise<void> {
  if (ctx.pageLatencyMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, ctx.pageLatencyMs));
}

/** Serves a Graph or Partner Center data response, after its faults and the configured latency. */
export async function serveData(ex: Exchange, ctx: SimulatorContext, page: number, document: DataDocument): Promise<void> {
  const outcome = await applyRequestFaults(ex, ctx.faults, page);
  if (!outcome) return;
  await simulatedLatency(ctx);
  let items = outcome.emptyCollection ? [] : document.items();
  for (const drift of outcome.drift) {
    items = applyDrift(items, drift.mode, drift.field);
    if (drift.mode === 'unknownFutureValue' && document.acceptsFutureSubtype) items = [...items, FUTURE_REQUIREMENT];
  }
  const json = JSON.stringify(document.render(items));
  ex.sendRaw(200, outcome.malformed ? truncated(json) : json, { 'content-type': 'application/json; charset=utf-8', ...document.headers });
}
