import { createServer, type Server, type Socket } from 'node:net';
import { openApiDocument } from '../../src/api/openApi';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { validate } from '../api/jsonSchema';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * /api/status when Table Storage does not answer (frozen) or refuses connections (stopped): the
 * monitor cannot vouch for anything, so it says it is unhealthy and why, within its request
 * timeouts, rather than a bare 500.
 */
const functionKey = 'status-test-key-0123456789';
const sockets: Socket[] = [];
let silent: Server;
let host: LocalHost;
const logs: string[] = [];
const savedEnv = { ...process.env };

function connectionString(port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('key').toString('base64')};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  // Accepts connections and never answers, as a frozen storage endpoint does.
  silent = createServer((socket) => void sockets.push(socket));
  await listen(silent);
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey, scheduleTimers: false, env: {}, log: (line) => logs.push(line) });
});

afterAll(async () => {
  await host?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

async function statusWith(tablesConnectionString: string, prefix: string): Promise<{ status: number; contentType: string | null; body: Record<string, unknown>; seconds: number }> {
  Object.assign(process.env, { TABLES_CONNECTION_STRING: tablesConnectionString, TABLE_PREFIX: prefix, AZURE_REQUEST_TIMEOUT_SECONDS: '1' });
  const started = Date.now();
  const response = await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey }, signal: AbortSignal.timeout(60_000) });
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown>, seconds: (Date.now() - started) / 1000 };
}

describe('/api/status without storage', () => {
  it('when Table Storage never answers, then status answers 503 within its request timeouts, unhealthy, naming Table Storage and the timeout, and logs the failure', async () => {
    const answer = await statusWith(connectionString((silent.address() as { port: number }).port), 'frozen');

    expect(answer).toMatchObject({ status: 503, contentType: expect.stringContaining('application/problem+json') });
    expect(answer.body).toMatchObject({
      type: 'urn:mfa-monitor:problem:storage-unavailable',
      status: 503,
      healthy: false,
      problems: ['Table Storage cannot be read (ETIMEDOUT): the monitor cannot see its runs, findings or outbox'],
    });
    expect(validate(answer.body, { $ref: '#/components/schemas/Problem' }, (openApiDocument().components as { schemas: Record<string, Record<string, unknown>> }).schemas)).toEqual([]);
    expect(answer.seconds).toBeLessThan(20);
    expect(logs.filter((line) => /Request failed \(StorageUnavailable\): .*ETIMEDOUT/.test(line))).not.toEqual([]);
  });

  it('when Table Storage refuses connections, then status answers 503, unhealthy, naming Table Storage and the refusal', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const answer = await statusWith(connectionString(port), 'stopped');

    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ healthy: false, problems: [expect.stringMatching(/^Table Storage cannot be read \((ECONNREFUSED|REQUEST_SEND_ERROR)\)/)] });
    expect(answer.seconds).toBeLessThan(20);
  });
});
