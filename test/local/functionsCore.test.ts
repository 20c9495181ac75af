import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadRegisteredFunctions, runAppStartHooks } from '../../tools/functionsCore';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

const fixtures = resolve(__dirname, 'fixtures');
const registerTs = join(fixtures, 'registerTs.js');

describe('loadRegisteredFunctions', () => {
  test('when the app root is given, then its package.json main is loaded and every app.timer/app.http registration is returned', () => {
    const functions = loadRegisteredFunctions({ root: fixtures });

    expect(functions.map(({ name, trigger }) => ({ name, trigger }))).toEqual([
      { name: 'customerHistory', trigger: { type: 'http', route: 'customers/{tenantId}/history', methods: ['GET', 'POST'], authLevel: 'function' } },
      { name: 'ping', trigger: { type: 'http', route: 'ping', methods: ['GET'], authLevel: 'anonymous' } },
      { name: 'shapes', trigger: { type: 'http', route: 'shapes', methods: ['GET'], authLevel: 'anonymous' } },
      { name: 'broken', trigger: { type: 'http', route: 'broken', methods: ['GET'], authLevel: 'anonymous' } },
      { name: 'dashboard', trigger: { type: 'http', route: 'dashboard', methods: ['GET'], authLevel: 'function' } },
      { name: 'fixtureTimer', trigger: { type: 'timer', schedule: '%FIXTURE_TIMER_SCHEDULE%', runOnStartup: false } },
    ]);
    // The handler is the function the file registered, not a wrapper.
    expect(functions.find((fn) => fn.name === 'fixtureTimer')?.handler).toBe(jest.requireActual('./fixtures/functions/fixtureTimer').fixtureTimer);
  });

  test('when a file registers app.storageQueue, then its queue (with %SETTING% references as registered) and connection setting are recorded', () => {
    // The binding `@azure/functions` hands the worker: type queueTrigger, queueName, connection
    // ("Azure Queue storage trigger for Azure Functions", Configuration:
    // https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#configuration).
    const functions = loadRegisteredFunctions({ root: fixtures, mainGlob: 'queueFunctions/fixtureQueue.ts' });
    expect(functions.map(({ name, trigger }) => ({ name, trigger }))).toEqual([{ name: 'fixtureQueue', trigger: { type: 'queue', queueName: '%FIXTURE_QUEUE_NAME%-in', connection: 'FIXTURE_QUEUE' } }]);
  });

  test('when called again, then the same registrations come back although Node loads each file once', () => {
    const first = loadRegisteredFunctions({ root: fixtures });
    const second = loadRegisteredFunctions({ root: fixtures });
    expect(second.map((fn) => fn.name)).toEqual(first.map((fn) => fn.name));
    expect(second.length).toBeGreaterThan(0);
  });

  test('when the entry files register appStart hooks, then they run in order once the files have loaded, as the worker runs them, and a failing one is logged without stopping the host', async () => {
    // The worker loads the entry files, then runs the appStart hooks ("Azure Functions Node.js developer
    // guide", Hooks: https://learn.microsoft.com/azure/azure-functions/functions-reference-node#hooks).
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const saved = { setting: process.env.FIXTURE_START_SETTING, failure: process.env.FIXTURE_START_FAILURE };
    Object.assign(process.env, { FIXTURE_START_SETTING: 'read at start', FIXTURE_START_FAILURE: 'the hook failed' });
    try {
      await runAppStartHooks({ root: fixtures, log: (line) => lines.push(line) });
    } finally {
      log.mockRestore();
      for (const [name, value] of [['FIXTURE_START_SETTING', saved.setting], ['FIXTURE_START_FAILURE', saved.failure]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(lines).toEqual(['fixtureApp: started (FIXTURE_START_SETTING=read at start)', 'An appStart hook failed: the hook failed']);
  });

  test('when the glob lists files in braces, then they load in that order', () => {
    const functions = loadRegisteredFunctions({ root: fixtures, mainGlob: 'functions/{fixtureTimer.ts,fixtureHttp.ts}' });
    expect(functions.map((fn) => fn.name)).toEqual(['fixtureTimer', 'customerHistory', 'ping', 'shapes', 'broken', 'dashboard']);
  });

  test('when no file matches, then it throws naming the glob', () => {
    expect(() => loadRegisteredFunctions({ root: fixtures, mainGlob: 'missing/*.js' })).toThrow('No file matches "missing/*.js"');
  });

  test('when the files register nothing, then it throws instead of hosting an empty app', () => {
    expect(() => loadRegisteredFunctions({ root: fixtures, mainGlob: 'noFunctions/*.ts' })).toThrow(/No function registered by 1 file/);
  });

  test('when run by plain Node (as npm start and npm run invoke are), then the worker core module is provided without any mock', () => {
    const script = `
      const { loadRegisteredFunctions } = require(${JSON.stringify(resolve(__dirname, '../../tools/functionsCore.ts'))});
      const functions = loadRegisteredFunctions({ root: ${JSON.stringify(fixtures)} });
      process.stdout.write(JSON.stringify(functions.map((fn) => [fn.name, fn.trigger.type, typeof fn.handler])));`;
    const output = execFileSync(process.execPath, ['-r', registerTs, '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual([
      ['customerHistory', 'http', 'function'],
      ['ping', 'http', 'function'],
      ['shapes', 'http', 'function'],
      ['broken', 'http', 'function'],
      ['dashboard', 'http', 'function'],
      ['fixtureTimer', 'timer', 'function'],
    ]);
  });
});
