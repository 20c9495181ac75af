import { app } from '@azure/functions';

/*
 * The app's entry module beside the function files (package.json `main`). Settings are checked
 * once the app has started, never while it loads: a throw at load would block every function.
 * Each problem is one warning naming its setting, before the first run that would fail on it;
 * outside an invocation the worker's console is the function app's log.
 */
app.hook.appStart(async () => {
  const { configurationProblems } = await import('./config');
  for (const { problem } of configurationProblems()) console.warn(`Configuration problem: ${problem}`);
});
