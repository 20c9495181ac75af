import { firstMinutes } from './firstMinutes';
import { loadRegisteredFunctions, runAppStartHooks } from './functionsCore';
import { createLocalHost, type LocalHost } from './localHost';
import { fillMissingSchedules, startLocalEnvironment, type LocalEnvironment } from './localEnvironment';
import { loadLocalSettings } from './settings';

/**
 * `npm start`: the function app on this machine, with what `func start` would need supplied
 * in-process (Azurite, and the simulated Microsoft cloud unless real endpoints are configured).
 */
async function main(): Promise<void> {
  const log = (line: string): void => console.log(line);
  const env = process.env;

  const settings = loadLocalSettings();
  log(settings === undefined ? 'Settings: no local.settings.json, environment only' : `Settings: ${settings.path} (${settings.applied.length} applied; the environment wins for ${settings.overridden.join(', ') || 'none'})`);

  const functions = loadRegisteredFunctions();
  let environment: LocalEnvironment | undefined;
  let host: LocalHost | undefined;
  const shutDown = async (): Promise<void> => {
    await host?.close();
    await environment?.close();
  };

  try {
    environment = await startLocalEnvironment({ env, log });
    for (const [name, schedule] of Object.entries(fillMissingSchedules(functions, env, environment.simulated))) {
      log(`Schedule: ${name} = ${schedule} (${environment.simulated ? 'demo' : 'documented default'}; set ${name} to change)`);
    }
    // As the worker does once the app has loaded, before any function runs: the app checks its settings there.
    await runAppStartHooks({ log });
    host = await createLocalHost({ functions, port: portSetting(env.PORT), env, log });
  } catch (error) {
    await shutDown();
    throw error;
  }
  env.PUBLIC_BASE_URL ??= host.url;
  // A key someone chose is theirs to know and stays out of the output; a generated one exists
  // only in this process, so it is shown: on its own, and in the dashboard link's fragment,
  // which the browser never sends (see firstMinutes).
  log(
    host.functionKeyConfigured
      ? 'Function key: LOCAL_FUNCTION_KEY (x-functions-key header or ?code=)'
      : `Function key: ${host.functionKey} (generated for this run; x-functions-key header or ?code=; set LOCAL_FUNCTION_KEY to fix it)`,
  );
  log(
    host.adminKeyConfigured
      ? 'Admin key: LOCAL_ADMIN_KEY (x-functions-key header; the waiver writes take only this key)'
      : `Admin key: ${host.adminKey} (generated for this run; the waiver writes take only this key; set LOCAL_ADMIN_KEY to fix it)`,
  );
  log(`Host running at ${host.url}${env.HOST ? '' : ' (this machine only; set HOST to listen elsewhere)'}. Ctrl+C stops it.`);
  const dashboard = functions.some((fn) => fn.trigger.type === 'http' && fn.trigger.route === 'dashboard');
  for (const line of firstMinutes({ hostUrl: host.url, functionKey: host.functionKey, functionKeyConfigured: host.functionKeyConfigured, dashboard, inbox: environment.inbox, env, now: new Date() })) log(line);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: waiting for running functions, then stopping`);
    shutDown().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** PORT as `func start` uses it: 7071 unless set; 0 picks a free port. */
function portSetting(value: string | undefined): number {
  const port = Number(value ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${value}"`);
  return port;
}

main().catch((error: unknown) => {
  console.error(`Host failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
