import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import { monitorStatus } from '../../src/api/monitorStatus';
import { queryApi } from '../../src/composition';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createTables } from '../../tools/createTables';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { savedEnvironment } from '../support/processEnvironment';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * /api/health is anonymous (availability tests and uptime monitors call it without a key: "Application
 * Insights availability tests", https://learn.microsoft.com/azure/azure-monitor/app/availability-overview,
 * standard tests send GET or HEAD every 5 to 15 minutes from several locations). An anonymous caller
 * must not multiply storage reads: every caller within 30 s shares one status computation, a
 * failed one too. Storage requests are counted where they leave this process (every HTTP request
 * Node sends to the storage host), whatever the code that sends them.
 */
const functionKey = 'health-cache-key-0123456789';
let azurite: Azurite;
let host: LocalHost;
let refusing: Server;
let refusingPort: number;
let base: Record<string, string>;
const sent = new Map<string, number>();
const restoreEnvironment = savedEnvironment();
const onRequest = (message: unknown): void => {
  const hostHeader = String((message as { request: { getHeader(name: string): unknown } }).request.getHeader('host'));
  sent.set(hostHeader, (sent.get(hostHeader) ?? 0) + 1);
};

beforeAll(async () => {
  azurite = await startAzurite();
  await createTables(azurite.tablesConnectionString, 'hc');
  // Storage that refuses every request at once (403 is not retried): a failing dependency.
  refusing = createServer((request, response) => {
    request.resume();
    response.writeHead(403, { 'content-type': 'application/json', 'x-ms-error-code': 'AuthorizationFailure' }).end('{"odata.error":{"code":"AuthorizationFailure","message":{"value":"refused"}}}');
  });
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  refusingPort = (refusing.address() as { port: number }).port;
  base = {
    TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
    TABLE_PREFIX: 'hc',
    ACS_CONNECTION_STRING: `endpoint=https://acs.example/;accesskey=${Buffer.from('key').toString('base64')}`,
    ALERT_FROM: 'DoNotReply@monitor.example',
    ALERT_TO: 'admins@partner.example',
  };
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey, scheduleTimers: false, env: base, log: () => undefined });
  subscribe('http.client.request.start', onRequest);
});
afterAll(async () => {
  unsubscribe('http.client.request.start', onRequest);
  await host?.close();
  await azurite?.close();
  await new Promise<void>((resolve) => refusing?.close(() => resolve()));
  restoreEnvironment();
});

/** The functions read process.env, as in Azure; a setting the status does not read keeps its answer apart per test. */
function useSettings(settings: Record<string, string>): void {
  restoreEnvironment();
  Object.assign(process.env, settings);
}

const storageHost = (): string => new URL(/TableEndpoint=([^;]+)/.exec(azurite.tablesConnectionString)![1]!).host;

async function storageRequestsDuring(hostHeader: string, work: () => Promise<unknown>): Promise<number> {
  const before = sent.get(hostHeader) ?? 0;
  await work();
  return (sent.get(hostHeader) ?? 0) - before;
}

const healthCalls = (count: number, method = 'GET'): Promise<number[]> =>
  Promise.all(Array.from({ length: count }, () => fetch(`${host.url}/api/health`, { method }).then((response) => response.status)));

describe('the health check shares one status computation', () => {
  it('when 16 clients ask /api/health at once, then storage sees the requests of one status computation, and none for the next 16', async () => {
    useSettings({ ...base, ALERT_REMINDER_DAYS: '6' });
    // One status computation, as the health check makes it, on a reader already warm.
    const dependencies = await queryApi(process.env);
    await monitorStatus(dependencies);
    const one = await storageRequestsDuring(storageHost(), () => monitorStatus({ ...dependencies, reader: dependencies.reader.skippingUnreadable(() => undefined) }));
    expect(one).toBeGreaterThan(5);

    let statuses: number[] = [];
    const sixteen = await storageRequestsDuring(storageHost(), async () => (statuses = await healthCalls(16)));
    // No run has completed: unhealthy, 16 times, from one computation.
    expect(statuses).toEqual(Array(16).fill(503));
    expect(sixteen).toBe(one);

    const again = await storageRequestsDuring(storageHost(), async () => (statuses = [...(await healthCalls(8)), ...(await healthCalls(8, 'HEAD'))]));
    expect(statuses).toEqual(Array(16).fill(503));
    expect(again).toBe(0);
  });

  it('when storage refuses the monitor, then 16 concurrent health checks reach it once, and the failure is served for the next ones', async () => {
    const tables = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('key').toString('base64')};TableEndpoint=http://127.0.0.1:${refusingPort}/devstoreaccount1;`;
    useSettings({ ...base, TABLES_CONNECTION_STRING: tables });
    const dependencies = await queryApi(process.env);
    const one = await storageRequestsDuring(`127.0.0.1:${refusingPort}`, () => monitorStatus(dependencies).catch(() => undefined));
    expect(one).toBeGreaterThan(0);

    let statuses: number[] = [];
    const sixteen = await storageRequestsDuring(`127.0.0.1:${refusingPort}`, async () => (statuses = await healthCalls(16)));
    expect(statuses).toEqual(Array(16).fill(503));
    expect(sixteen).toBe(one);
    expect(await storageRequestsDuring(`127.0.0.1:${refusingPort}`, () => healthCalls(16))).toBe(0);
  });

  it('when /api/status is asked with the key, then it is computed afresh each time, and the health check answers with its verdict', async () => {
    useSettings({ ...base, ALERT_REMINDER_DAYS: '5' });
    expect(await healthCalls(1)).toEqual([503]);
    const status = (): Promise<Response> => fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey } });
    const twice = await storageRequestsDuring(storageHost(), async () => {
      expect((await status()).status).toBe(503);
      expect((await status()).status).toBe(503);
    });
    const once = await storageRequestsDuring(storageHost(), async () => expect((await status()).status).toBe(503));
    expect(twice).toBe(2 * once);
    expect(await storageRequestsDuring(storageHost(), () => healthCalls(4))).toBe(0);
  });
});
