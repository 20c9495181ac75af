import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';

const fixtures = resolve(__dirname, 'fixtures');
const functionKey = 'host-test-key-0123456789';

/** `npm start` minus the build: the real entry point in a plain Node process, on the fixture app. */
function startHostProcess(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', join(fixtures, 'registerTs.js'), resolve(__dirname, '../../tools/host.ts')], {
    cwd: fixtures,
    env: { ...process.env, PUBLIC_BASE_URL: undefined, TABLES_CONNECTION_STRING: undefined, TABLES_ENDPOINT: undefined, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match !== null) return match;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${pattern}; output:\n${output()}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
}

describe('npm start (tools/host.ts)', () => {
  test('when started against real endpoints, then it hosts Azurite, the timers and the HTTP functions, and stops cleanly on SIGINT', async () => {
    const host = startHostProcess({ GRAPH_BASE_URL: 'https://graph.microsoft.com', PORT: '0', LOCAL_FUNCTION_KEY: functionKey, FIXTURE_TIMER_SCHEDULE: '*/1 * * * * *' });
    try {
      const [, url] = await waitForOutput(host.output, /Host running at (http:\/\/127\.0\.0\.1:\d+) \(this machine only; set HOST to listen elsewhere\)\./, 10_000);
      expect(host.output()).toMatch(/Tables: Azurite in this process at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1, in memory/);
      // The app's start hooks ran, with the settings in place, before the host took requests.
      expect(host.output()).toMatch(/fixtureApp: started \(FIXTURE_START_SETTING=unset\)[\s\S]*Host running at/);
      expect(host.output()).toContain('Function key: LOCAL_FUNCTION_KEY (x-functions-key header or ?code=)');
      expect(host.output()).not.toContain(functionKey);
      expect(host.output()).toContain(`customerHistory: [GET,POST] ${url}/api/customers/{tenantId}/history (function key)`);

      expect((await fetch(`${url}/api/customers/t1/history`)).status).toBe(401);
      expect((await fetch(`${url}/api/customers/t1/history?code=${functionKey}`)).status).toBe(200);
      await waitForOutput(host.output, /\[fixtureTimer\] Executed \(Succeeded/, 2500);

      host.child.kill('SIGINT');
      expect(await host.exited).toBe(0);
      expect(host.output()).toContain('SIGINT: waiting for running functions, then stopping');
    } finally {
      host.child.kill('SIGKILL');
    }
  });

  test('when started with the simulator, then the last lines link the dashboard and the inbox on the ports really served, with the certificate warning explained', async () => {
    const host = startHostProcess({ PORT: '0', FIXTURE_TIMER_SCHEDULE: '0 0 0 1 1 *' });
    try {
      const [, url] = await waitForOutput(host.output, /Host running at (http:\/\/127\.0\.0\.1:\d+) /, 20_000);
      const [, key] = await waitForOutput(host.output, /Function key: (\S+) \(generated/, 1000);
      const [, dashboard] = await waitForOutput(host.output, /^ {2}Dashboard: (\S+) \(the key after # stays in the browser\)$/m, 1000);
      const [, inbox] = await waitForOutput(host.output, /^ {2}Alert e-mails: (https:\/\/127\.0\.0\.1:\d+\/_sim\/inbox)$/m, 1000);
      expect(dashboard).toBe(`${url}/api/dashboard#code=${key}`);
      // The ports printed are the ones served: the page behind the key, the simulator's inbox (trusted here as the test's CA).
      expect((await fetch(`${url}/api/dashboard`, { headers: { 'x-functions-key': String(key) } })).status).toBe(200);
      expect((await fetch(String(inbox))).status).toBe(200);
      expect(host.output()).toMatch(/self-signed certificate: the browser warns/);
      expect(host.output()).toMatch(/First alert: alerts are changes between two snapshots of a source/);
      host.child.kill('SIGINT');
      expect(await host.exited).toBe(0);
    } finally {
      host.child.kill('SIGKILL');
    }
  });

  test('when LOCAL_FUNCTION_KEY is empty or short, then it says so without the key and exits 1 before listening', async () => {
    for (const key of ['', 'short-key']) {
      const host = startHostProcess({ GRAPH_BASE_URL: 'https://graph.microsoft.com', PORT: '0', LOCAL_FUNCTION_KEY: key });
      expect(await host.exited).toBe(1);
      expect(host.output()).toContain(`Host failed to start: LOCAL_FUNCTION_KEY must be at least 16 characters (it has ${key.length})`);
      expect(host.output()).not.toMatch(/Host running at/);
      if (key !== '') expect(host.output()).not.toContain(key);
    }
  });

  test('when PORT is not a port, then it says so and exits 1', async () => {
    const host = startHostProcess({ GRAPH_BASE_URL: 'https://graph.microsoft.com', PORT: 'seventy' });
    expect(await host.exited).toBe(1);
    expect(host.output()).toContain('Host failed to start: PORT must be a port number, not "seventy"');
  });
});
