import { connect } from 'node:net';
import { resolve } from 'node:path';
import { createLocalHost, type LocalHost, type LocalHostOptions } from '../../tools/localHost';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

const root = resolve(__dirname, 'fixtures');
const functionKey = 'test-key-0123456789';
let hosts: LocalHost[] = [];
let lines: string[] = [];

async function startHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const host = await createLocalHost({ root, port: 0, functionKey, scheduleTimers: false, env: {}, log: (line) => lines.push(line), ...options });
  hosts.push(host);
  return host;
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out; host logged:\n${lines.join('\n')}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

const logged = (pattern: RegExp): string[] => lines.filter((line) => pattern.test(line));

beforeEach(() => {
  lines = [];
  delete process.env.FIXTURE_TIMER_DURATION_MS;
  delete process.env.FIXTURE_TIMER_FAILURE;
});

afterEach(async () => {
  await Promise.all(hosts.map((host) => host.close()));
  hosts = [];
});

describe('local host timers', () => {
  test('when a timer runs every second, then it fires within two seconds with a Timer and a logging context', async () => {
    await startHost({ scheduleTimers: true, env: { FIXTURE_TIMER_SCHEDULE: '*/1 * * * * *' } });

    await waitFor(() => logged(/\[fixtureTimer\] Executed \(Succeeded/).length > 0, 2200);
    expect(logged(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[fixtureTimer\] tick isPastDue=false runId=-$/)).not.toHaveLength(0);
    expect(logged(/fixtureTimer: timerTrigger %FIXTURE_TIMER_SCHEDULE% = \*\/1 \* \* \* \* \* \(UTC\)/)).toHaveLength(1);
  });

  test('when a run outlasts the next tick, then that tick is skipped and said so, never run alongside', async () => {
    process.env.FIXTURE_TIMER_DURATION_MS = '2300';
    const host = await startHost({ scheduleTimers: true, env: { FIXTURE_TIMER_SCHEDULE: '*/1 * * * * *' } });

    await waitFor(() => logged(/\[fixtureTimer\] Skipped the .* occurrence: the previous run is still going/).length > 0, 3500);
    await host.close();
    const executions = logged(/\[fixtureTimer\] Execut(ing|ed)/).map((line) => (line.includes('Executing') ? 'start' : 'end'));
    expect(executions.slice(0, 2)).toEqual(['start', 'end']);
    expect(executions.join()).not.toMatch(/start,start/);
  });

  test('when a schedule setting is missing, then that timer is reported as not scheduled and the host still serves', async () => {
    const host = await startHost({ scheduleTimers: true, env: {} });

    expect(logged(/\[fixtureTimer\] Not scheduled: '%FIXTURE_TIMER_SCHEDULE%' does not resolve/)).toHaveLength(1);
    expect((await fetch(`${host.url}/api/ping`)).status).toBe(200);
  });

  test('when a schedule setting is not NCRONTAB, then that timer is reported as not scheduled, naming the setting, and the host still serves', async () => {
    const host = await startHost({ scheduleTimers: true, env: { FIXTURE_TIMER_SCHEDULE: '0 15 5 * *' } });

    expect(logged(/\[fixtureTimer\] Not scheduled: FIXTURE_TIMER_SCHEDULE \("0 15 5 \* \*"\) is not a 6-field NCRONTAB expression/)).toHaveLength(1);
    expect((await fetch(`${host.url}/api/ping`)).status).toBe(200);
  });

  test('when a timer asks to run on startup, then it runs once as the host starts', async () => {
    const runs: string[] = [];
    await startHost({
      scheduleTimers: true,
      functions: [{ name: 'warmUp', trigger: { type: 'timer', schedule: '0 0 5 1 1 *', runOnStartup: true }, handler: () => void runs.push('ran') }],
    });

    await waitFor(() => runs.length > 0, 1000);
    expect(logged(/\[warmUp\] Executing \(Reason='Timer fired at startup \(runOnStartup\)'/)).toHaveLength(1);
  });

  test('when invoked, then the timer runs once with the given trigger metadata and resolves to its result', async () => {
    const host = await startHost({ env: { FIXTURE_TIMER_SCHEDULE: '0 0 5 * * *' } });

    await expect(host.invoke('fixtureTimer', { runId: 'run-7' })).resolves.toBe('done');
    expect(logged(/\[fixtureTimer\] tick isPastDue=false runId=run-7$/)).toHaveLength(1);
  });

  test('when an invoked run fails, then invoke rejects with its error and the failure is logged', async () => {
    process.env.FIXTURE_TIMER_FAILURE = 'Graph said no';
    const host = await startHost({ env: { FIXTURE_TIMER_SCHEDULE: '0 0 5 * * *' } });

    await expect(host.invoke('fixtureTimer')).rejects.toThrow('Graph said no');
    expect(logged(/\[fixtureTimer\] Executed \(Failed, .*\): Graph said no$/)).toHaveLength(1);
  });

  test('when invoked by an unknown name, then it rejects', async () => {
    const host = await startHost();
    await expect(host.invoke('nope')).rejects.toThrow('No timer function named "nope"');
  });
});

describe('local host HTTP functions', () => {
  test('when a function-level route is called without a key or with a wrong one, then it answers 401', async () => {
    const host = await startHost();

    expect((await fetch(`${host.url}/api/customers/t1/history`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/customers/t1/history`, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    expect((await fetch(`${host.url}/api/customers/t1/history?code=wrong`)).status).toBe(401);
  });

  test('when the key comes as x-functions-key, then the handler gets route params and query and its response comes back', async () => {
    const host = await startHost();

    const response = await fetch(`${host.url}/api/customers/t%201/history?from=2024-01-01`, { headers: { 'x-functions-key': functionKey } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fixture')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ tenantId: 't 1', from: '2024-01-01', method: 'GET', body: '' });
    expect(logged(/\[customerHistory\] history of t 1$/)).toHaveLength(1);
  });

  test('when the key comes as ?code= on a POST, then the body reaches the handler', async () => {
    const host = await startHost();

    const response = await fetch(`${host.url}/api/customers/t2/history?code=${functionKey}`, { method: 'POST', body: '{"x":1}' });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ tenantId: 't2', method: 'POST', body: '{"x":1}' });
  });

  test('when an anonymous function is called, then no key is needed and literal segments ignore case', async () => {
    const host = await startHost();

    const response = await fetch(`${host.url}/api/PING`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('pong');
  });

  test('when a handler answers with a plain object or with HttpResponse, then the client sees the same status, headers and body', async () => {
    const host = await startHost();
    const seen = async (query: string) => {
      const response = await fetch(`${host.url}/api/shapes?${query}`);
      return { status: response.status, type: response.headers.get('content-type'), shape: response.headers.get('x-shape'), length: response.headers.get('content-length'), body: await response.text() };
    };

    expect(await seen('')).toEqual({ status: 200, type: 'text/plain;charset=UTF-8', shape: null, length: '4', body: 'pong' });
    expect(await seen('class')).toEqual(await seen(''));
    expect(await seen('typed')).toEqual({ status: 202, type: 'text/csv; charset=utf-8', shape: 'typed', length: '7', body: 'a,b\n1,2' });
    expect(await seen('typed&class')).toEqual(await seen('typed'));
  });

  test('when no function has the route or the method, then it answers 404', async () => {
    const host = await startHost();

    expect((await fetch(`${host.url}/api/nothing-here?code=${functionKey}`)).status).toBe(404);
    expect((await fetch(`${host.url}/ping`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/ping`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.url}/api/customers/t1/history/extra?code=${functionKey}`)).status).toBe(404);
  });

  test('when a handler throws, then it answers 500 without the error and logs the failure', async () => {
    const host = await startHost();

    const response = await fetch(`${host.url}/api/broken`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('');
    expect(logged(/\[broken\] Executed \(Failed, .*\): secret detail$/)).toHaveLength(1);
  });

  test('when no key is configured, then a random one is generated and required', async () => {
    const host = await startHost({ functionKey: undefined });

    expect(host.functionKey).toMatch(/^[\w-]{32}$/);
    expect((await fetch(`${host.url}/api/customers/t1/history`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/customers/t1/history`, { headers: { 'x-functions-key': host.functionKey } })).status).toBe(200);
  });

  test('when HOST is unset, then only the loopback address it binds answers', async () => {
    const host = await startHost();
    const open = await startHost({ hostname: '0.0.0.0' });

    expect(host.url).toBe(`http://127.0.0.1:${host.port}`);
    // 127.0.0.2 is this machine too, but not the address bound: a wildcard bind answers it.
    await expect(fetch(`http://127.0.0.2:${host.port}/api/ping`)).rejects.toThrow();
    expect((await fetch(`http://127.0.0.2:${open.port}/api/ping`)).status).toBe(200);
  });

  test('when HOST is set in the settings, then the host listens there', async () => {
    const host = await startHost({ env: { HOST: '127.0.0.2' } });

    expect(host.url).toBe(`http://127.0.0.2:${host.port}`);
    expect((await fetch(`${host.url}/api/ping`)).status).toBe(200);
  });

  test('when the function key is empty or shorter than 16 characters, then the host refuses to start and names the setting', async () => {
    await expect(startHost({ functionKey: '' })).rejects.toMatchObject({ code: 'WeakFunctionKey', message: expect.stringContaining('LOCAL_FUNCTION_KEY must be at least 16 characters (it has 0)') });
    await expect(startHost({ functionKey: undefined, env: { LOCAL_FUNCTION_KEY: '' } })).rejects.toMatchObject({ code: 'WeakFunctionKey' });
    await expect(startHost({ functionKey: undefined, env: { LOCAL_FUNCTION_KEY: '123456789012345' } })).rejects.toMatchObject({ code: 'WeakFunctionKey' });
    expect(hosts).toHaveLength(0);
  });

  test('when the Host header or the request target cannot be read, then it answers 400 before the key check', async () => {
    const host = await startHost();

    for (const head of ['GET /api/customers/t1/history HTTP/1.1\r\nHost: [bad', 'GET /api/customers/t1/history HTTP/1.1\r\nHost: a b@c', 'GET http://elsewhere/api/ping HTTP/1.1\r\nHost: localhost', 'GET //elsewhere/api/ping HTTP/1.1\r\nHost: localhost']) {
      expect(await rawStatus(host.port, `${head}\r\nConnection: close\r\n\r\n`)).toBe(400);
    }
    expect(await rawStatus(host.port, 'GET /api/customers/t1/history HTTP/1.1\r\nHost: 127.0.0.1:80\r\nConnection: close\r\n\r\n')).toBe(401);
  });

  test('when a request with ?code= fails in the host or in the handler, then no log line carries the key', async () => {
    const host = await startHost();

    expect((await fetch(`${host.url}/api/broken?code=${functionKey}`)).status).toBe(500);
    // A client that goes away mid-body fails the host's own read of the request.
    const socket = connect(host.port, '127.0.0.1');
    await new Promise((resolveConnect) => socket.once('connect', resolveConnect));
    socket.write(`POST /api/customers/t2/history?code=${functionKey} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"x":`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    socket.destroy();

    await waitFor(() => logged(/\[http\] POST \/api\/customers\/t2\/history failed/).length > 0, 2000);
    expect(logged(/\[broken\] Executed \(Failed/)).toHaveLength(1);
    expect(lines.filter((line) => line.includes(functionKey) || line.includes('code='))).toEqual([]);
  });
});

/** The status line's code of a hand-written request, for what fetch refuses to send. */
async function rawStatus(port: number, request: string): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.write(request);
  await new Promise((resolveClose) => socket.once('close', resolveClose));
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}
