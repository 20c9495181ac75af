/*
 * The query API bench's client: a script calling the API from a process of its own, as admins'
 * scripts do, so its requests and the host answering them do not share an event loop. Sends
 * `requests` GETs (or, given `<n>s`, as many as fit in n seconds), `concurrency` at a time, over
 * keep-alive connections, cycling through the paths it is given, and prints each request's
 * latency (sent to last byte) and the time they took together as JSON.
 *   queryLoadProcess <base url> <requests>|<seconds>s <concurrency> <path> [<path> ...]
 * The function key comes from FUNCTION_KEY, so it never appears in a process listing;
 * ACCEPTED_STATUSES (default 200) lists the answers that count as served, e.g. 200,503 for
 * /api/status, which answers 503 with its full body while a source is overdue.
 */
import { Agent, request } from 'node:http';

export interface QueryLoadMeasurement {
  latenciesMs: number[];
  /** From the first measured request sent to the last answered. */
  elapsedMs: number;
  /** CPU this client spent per measured request, in ms: on two cores it competes with the rest. */
  clientCpuMsPerRequest: number;
}

const accepted = new Set((process.env.ACCEPTED_STATUSES ?? '200').split(',').map(Number));

function get(agent: Agent, url: URL, functionKey: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent, headers: { 'x-functions-key': functionKey } }, (response) => {
      let length = 0;
      response.on('data', (chunk: Buffer) => (length += chunk.length));
      response.on('end', () => (accepted.has(response.statusCode ?? 0) && length > 0 ? resolve() : reject(new Error(`GET ${url.pathname} answered ${response.statusCode}`))));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function main([base, requestsArg, concurrencyArg, ...paths]: string[]): Promise<void> {
  const durationMs = requestsArg?.endsWith('s') === true ? Number(requestsArg.slice(0, -1)) * 1000 : Infinity;
  const requests = durationMs === Infinity ? Number(requestsArg) : Infinity;
  const concurrency = Number(concurrencyArg);
  const functionKey = process.env.FUNCTION_KEY ?? '';
  if (base === undefined || !(requests > 0) || !(durationMs > 0) || !(concurrency > 0) || paths.length === 0) {
    throw new Error('usage: queryLoadProcess <base url> <requests>|<seconds>s <concurrency> <path>...');
  }
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const urls = paths.map((path) => new URL(path, base));
  const at = (index: number): URL => urls[index % urls.length] as URL;
  // Warm-up: one round at full concurrency, not measured (connections, JIT, first look-ups),
  // on the paths after those measured.
  await Promise.all(Array.from({ length: concurrency }, (_, index) => get(agent, at((Number.isFinite(requests) ? requests : 0) + index), functionKey)));
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + durationMs;
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < requests && performance.now() < deadline) {
        const url = at(issued);
        issued += 1;
        const started = performance.now();
        await get(agent, url, functionKey);
        latenciesMs.push(performance.now() - started);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  const measurement: QueryLoadMeasurement = { latenciesMs, elapsedMs, clientCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / latenciesMs.length };
  console.log(JSON.stringify(measurement));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
