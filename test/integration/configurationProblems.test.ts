import { configurationProblems } from '../../src/config';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createTables } from '../../tools/createTables';
import { loadRegisteredFunctions, runAppStartHooks } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { savedEnvironment } from '../support/processEnvironment';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * A setting the detector or a waiver write cannot read fails that function on every run. It must
 * show where operators look: as a reason in /api/status naming the setting (never its value), in
 * the health answer, in the log when the app starts (an app.hook.appStart handler, which the
 * worker runs once the entry files have loaded: "Azure Functions Node.js developer guide", Hooks,
 * https://learn.microsoft.com/azure/azure-functions/functions-reference-node#hooks, and the worker's
 * own startApp.ts, Azure/azure-functions-nodejs-worker, which loads `main` then runs 'appStart'), and in the
 * answer of the request that needs it, while the app still loads (an exception at load blocks
 * every function: same guide, "Azure Functions runtime 4.25+").
 */
const functionKey = 'config-problems-key-0123456789';
const adminKey = 'config-problems-admin-0123456789';
/** Values that must never appear anywhere: each looks like something an operator would not want shown. */
const secretish = {
  teams: 'http://teams.example/workflows/Zq9X-sig-teams',
  webhookSecret: 'whsec_Zq9X-short',
  routes: 'critical -> email, teams; high -> Zq9X-channel',
};
const mainGlob = 'src/{index.ts,functions/*.ts}';

let azurite: Azurite;
let host: LocalHost;
let good: Record<string, string>;
const restoreEnvironment = savedEnvironment();

beforeAll(async () => {
  azurite = await startAzurite();
  await createTables(azurite.tablesConnectionString, 'cfg');
  good = {
    TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
    TABLE_PREFIX: 'cfg',
    ACS_CONNECTION_STRING: `endpoint=https://acs.example/;accesskey=${Buffer.from('key').toString('base64')}`,
    ALERT_FROM: 'DoNotReply@monitor.example',
    ALERT_TO: 'admins@partner.example',
  };
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob }), port: 0, functionKey, adminKey, scheduleTimers: false, env: good, log: () => undefined });
});
afterAll(async () => {
  await host?.close();
  await azurite?.close();
  restoreEnv();
});

function restoreEnv(): void {
  restoreEnvironment();
}

/** The functions read process.env, as in Azure. */
function useSettings(settings: Record<string, string>): void {
  restoreEnv();
  Object.assign(process.env, settings);
}

const bad = (): Record<string, string> => ({
  ...good,
  ALERT_ROUTES: secretish.routes,
  TEAMS_WEBHOOK_URL: secretish.teams,
  ALERT_WEBHOOK_URL: 'https://receiver.example/hook',
  ALERT_WEBHOOK_SECRET: secretish.webhookSecret,
  WAIVER_MAX_DAYS: '0',
});

const expectNoValue = (text: string): void => {
  for (const value of [...Object.values(secretish), 'Zq9X']) expect(text).not.toContain(value);
};

describe('configuration problems, one mechanism for the status, the start of the app and the requests that need the setting', () => {
  it('when every setting reads cleanly, then there is no problem', () => {
    expect(configurationProblems(good)).toEqual([]);
  });

  it('when channel URLs, the webhook secret, ALERT_ROUTES and WAIVER_MAX_DAYS are wrong, then each problem names its setting and never its value', () => {
    const problems = configurationProblems(bad());
    expect(problems.map(({ setting }) => setting)).toEqual(expect.arrayContaining(['ALERT_ROUTES', 'TEAMS_WEBHOOK_URL', 'ALERT_WEBHOOK_SECRET', 'WAIVER_MAX_DAYS']));
    for (const { setting, problem } of problems) expect(problem.startsWith(setting)).toBe(true);
    expectNoValue(JSON.stringify(problems));
  });

  it('when every setting is wrong at once, then every problem still begins with a documented setting', () => {
    const everything = Object.fromEntries(
      ['TABLES_ENDPOINT', 'TABLE_PREFIX', 'GRAPH_BASE_URL', 'PARTNER_CENTER_BASE_URL', 'APP_CREDENTIAL', 'PARTNER_CENTER_AUTH', 'KEY_VAULT_URL', 'AZURE_AUTHORITY_HOST', 'HTTP_TIMEOUT_SECONDS', 'HTTP_MAX_RETRIES',
        'HTTP_MAX_CONCURRENCY', 'HTTP_MAX_RETRY_AFTER_SECONDS', 'AZURE_REQUEST_TIMEOUT_SECONDS', 'INVOCATION_DEADLINE_SECONDS', 'RETENTION_DAYS', 'ACS_ENDPOINT', 'ALERT_FROM', 'ALERT_TO', 'PUBLIC_BASE_URL',
        'EMAIL_TIMEOUT_SECONDS', 'SLACK_WEBHOOK_URL', 'WEBHOOK_TIMEOUT_SECONDS', 'ALERT_REMINDER_DAYS', 'ALERT_MAX_LINES', 'NON_ADMIN_SHARE_DROP_POINTS', 'SOURCE_FAILURES_BEFORE_ALERT', 'ALERT_UNDELIVERED_HOURS',
        'HEALTH_GRACE_MINUTES', 'WAIVER_MAX_DAYS', 'SIGN_IN_CLIENT_ID', 'PARTNER_CENTER_REFRESH_TOKEN_SECRET'].map((name) => [name, 'Zq9X value'])
    );
    const problems = configurationProblems({ ...everything, ALERT_WEBHOOK_URL: 'https://receiver.example/hook', ALERT_WEBHOOK_SECRET: 'Zq9X', ALERT_ROUTES: 'Zq9X' });
    expect(problems.length).toBeGreaterThan(25);
    expect(problems.filter(({ setting }) => setting === 'configuration')).toEqual([]);
    expectNoValue(JSON.stringify(problems.filter(({ setting }) => setting !== 'ALERT_ROUTES')));
  });

  it('when settings are wrong, then /api/status lists each as a reason naming the setting without its value, and /api/health answers 503', async () => {
    useSettings(bad());
    const response = await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey } });
    const status = (await response.json()) as { healthy: boolean; problems: string[] };
    expect(response.status).toBe(503);
    expect(status.healthy).toBe(false);
    for (const setting of ['ALERT_ROUTES', 'TEAMS_WEBHOOK_URL', 'ALERT_WEBHOOK_SECRET', 'WAIVER_MAX_DAYS']) {
      expect(status.problems.filter((problem) => problem.startsWith(`${setting} `))).not.toEqual([]);
    }
    expectNoValue(JSON.stringify(status));
    expect((await fetch(`${host.url}/api/health`)).status).toBe(503);
    // HEAD is GET without the content (RFC 9110, 9.3.2).
    const head = await fetch(`${host.url}/api/health`, { method: 'HEAD' });
    expect({ status: head.status, body: await head.text() }).toEqual({ status: 503, body: '' });
  });

  it('when WAIVER_MAX_DAYS is wrong, then a waiver write answers a 503 problem naming the setting, not a bare 500', async () => {
    useSettings({ ...good, WAIVER_MAX_DAYS: 'ninety' });
    const response = await fetch(`${host.url}/api/waivers`, {
      method: 'POST',
      headers: { 'x-functions-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'requirement', target: 'mfaOnAdmins', reason: 'test', owner: 'Security team', expiresAt: new Date(Date.now() + 86_400_000).toISOString() }),
    });
    const problem = (await response.json()) as { type: string; status: number; detail: string; problems: string[] };
    expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status: 503, type: 'application/problem+json; charset=utf-8' });
    expect(problem).toMatchObject({ type: 'urn:mfa-monitor:problem:misconfigured', status: 503, problems: ['WAIVER_MAX_DAYS must be a whole number from 1 to 3650'] });
    expect(problem.detail).not.toContain('ninety');
  });

  it('when the app starts with wrong settings, then its start hook logs one line per problem naming the setting, and every function still loads', async () => {
    useSettings(bad());
    const warnings: string[] = [];
    const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
    const hostLog: string[] = [];
    try {
      await runAppStartHooks({ mainGlob, log: (line) => hostLog.push(line) });
    } finally {
      warn.mockRestore();
    }
    expect(hostLog).toEqual([]);
    expect(warnings).toEqual(configurationProblems(bad()).map(({ problem }) => `Configuration problem: ${problem}`));
    expect(warnings.filter((line) => /^Configuration problem: (ALERT_ROUTES|TEAMS_WEBHOOK_URL|ALERT_WEBHOOK_SECRET|WAIVER_MAX_DAYS) /.test(line)).length).toBe(warnings.length);
    expectNoValue(warnings.join('\n'));
    expect(host.functions.length).toBeGreaterThan(20);
  });
});
