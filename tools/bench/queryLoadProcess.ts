/*
 * The query API bench's client: a script calling the API from a process of its own, as admins'
 * scripts do, so its requests and the host answering them do not share an event loop. Sends
 * `requests` GETs, `concurrency` at a time, over keep-alive connections, cycling through the
 * paths it is given, and prints each request's latency (sent to last byte) as JSON.
 *   queryLoadProcess <base url> <requests> <concurrency> <path> [<path> ...]
 * The function key comes from FUNCTION_KEY, so it never appears in a process listing.
 */
import { Agent, request } from 'node:http';

export interface QueryLoadMeasurement {
  latenciesMs: number[];
  /** CPU this client spent per measured request, in ms: on two cores it competes with the rest. */
  clientCpuMsPerRequest: number;
}

function get(agent: Agent, url: URL, functionKey: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent, headers: { 'x-functions-key': functionKey } }, (response) => {
      let length = 0;
      response.on('data', (chunk: Buffer) => (length += chunk.length));
      response.on('end', () => (response.statusCode === 200 && length > 0 ? resolve() : reject(new Error(`GET ${url.pathname} answered ${response.statusCode}`))));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function main([base, requestsArg, concurrencyArg, ...paths]: string[]): Promise<void> {
  const requests = Number(requestsArg);
  const concurrency = Number(concurrencyArg);
  const functionKey = process.env.FUNCTION_KEY ?? '';
  if (base === undefined || !(requests > 0) || !(concurrency > 0) || paths.length === 0) throw new Error('usage: queryLoadProcess <base url> <requests> <concurrency> <path>...');
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const urls = paths.map((path) => new URL(path, base));
  const at = (index: number): URL => urls[index % urls.length] as URL;
  // Warm-up: one round at full concurrency, not measured (connections, JIT, first look-ups),
  // on the paths after those measured.
  await Promise.all(Array.from({ length: concurrency }, (_, index) => get(agent, at(requests + index), functionKey)));
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < requests) {
        const url = at(issued);
        issued += 1;
        const started = performance.now();
        await get(agent, url, functionKey);
        latenciesMs.push(performance.now() - started);
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  const measurement: QueryLoadMeasurement = { latenciesMs, clientCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / requests };
  console.log(JSON.stringify(measurement));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
