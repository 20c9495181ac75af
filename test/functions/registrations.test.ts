import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegisteredFunctions } from '../../tools/functionsCore';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

const root = join(__dirname, '../..');

describe('function registrations', () => {
  it('when the host loads src/functions, then every timer is registered under its file name with its schedule setting', () => {
    const timers = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' })
      .filter((fn) => fn.trigger.type === 'timer')
      .map((fn) => ({ name: fn.name, trigger: fn.trigger }));
    expect(timers).toEqual(
      expect.arrayContaining([
        { name: 'collectPartnerSecurity', trigger: { type: 'timer', schedule: '%SCHEDULE_PARTNER_SECURITY%', runOnStartup: false } },
        { name: 'collectNonMfaPrincipals', trigger: { type: 'timer', schedule: '%SCHEDULE_NON_MFA_PRINCIPALS%', runOnStartup: false } },
        { name: 'collectRegistrationCounts', trigger: { type: 'timer', schedule: '%SCHEDULE_REGISTRATION_COUNTS%', runOnStartup: false } },
        { name: 'detectRegressions', trigger: { type: 'timer', schedule: '%SCHEDULE_DETECT_REGRESSIONS%', runOnStartup: false } },
        { name: 'pruneSnapshots', trigger: { type: 'timer', schedule: '%SCHEDULE_PRUNE_SNAPSHOTS%', runOnStartup: false } },
        { name: 'sendWeeklyDigest', trigger: { type: 'timer', schedule: '%SCHEDULE_WEEKLY_DIGEST%', runOnStartup: false } },
      ]),
    );
  });

  it('when the host loads src/functions without sign-in, then the health check and the dashboard page (static, no data) are the only HTTP functions without a key', () => {
    const anonymous = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).filter((fn) => fn.trigger.type === 'http' && fn.trigger.authLevel === 'anonymous');
    expect(anonymous.map((fn) => ({ name: fn.name, route: fn.trigger.type === 'http' ? fn.trigger.route : null }))).toEqual([{ name: 'apiHealth', route: 'health' }, { name: 'dashboard', route: 'dashboard' }]);
  });

  it('when the health check is registered, then it takes HEAD as well as GET, as uptime monitors probe with HEAD', () => {
    // "Azure Functions HTTP trigger" (learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger):
    // `methods` is the array of HTTP methods the function responds to; a method not listed gets no function.
    // "Application Insights availability tests" (learn.microsoft.com/azure/azure-monitor/app/availability-overview):
    // a standard test may send GET or HEAD.
    const health = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).find((fn) => fn.name === 'apiHealth');
    expect(health?.trigger).toMatchObject({ type: 'http', methods: expect.arrayContaining(['GET', 'HEAD']) });
  });

  it('when a timer names its schedule by an app setting, then the local settings sample defines it, or the Functions host would not index the function', () => {
    const sample = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
    const placeholders = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' })
      .map((fn) => fn.trigger)
      .map((trigger) => (trigger.type === 'timer' ? /^%(\w+)%$/.exec(trigger.schedule)?.[1] : undefined))
      .filter((name): name is string => name !== undefined);
    expect(placeholders.length).toBeGreaterThanOrEqual(6);
    expect(placeholders.filter((name) => !(name in sample.Values))).toEqual([]);
  });

  it('when the compiled entry module and every function file load, then they load with no settings at all, and no Azure client library nor the schedule reader is loaded', () => {
    // A fresh process over dist/ (what Azure loads): an exception or client built at load would block every function.
    const script = `
      const { readdirSync } = require('node:fs');
      const dir = ${JSON.stringify(join(root, 'dist/src/functions'))};
      require(${JSON.stringify(join(root, 'dist/src/index.js'))});
      for (const file of readdirSync(dir).filter((name) => name.endsWith('.js'))) require(dir + '/' + file);
      const loaded = Object.keys(require.cache).filter((path) => /@azure[\\\\/](data-tables|identity|communication-email|keyvault-secrets)[\\\\/]|[\\\\/]croner[\\\\/]/.test(path));
      process.stdout.write(JSON.stringify(loaded));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: {}, encoding: 'utf8' })) as string[];
    expect(loaded).toEqual([]);
  });
});
