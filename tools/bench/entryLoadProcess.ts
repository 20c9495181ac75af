/*
 * Child process of `npm run bench`: what the Functions host does first in a fresh worker,
 * requiring `@azure/functions` and every file package.json `main` matches
 * (dist/src/functions/*.js), timed with performance.now() around the requires. Run with an
 * empty environment, as an app with no settings. Then lists the Azure client libraries
 * found in require.cache: loading one would mean a client is built (or paid for) at load.
 * Imports nothing but node built-ins itself. Prints one JSON line.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface EntryLoadMeasurement {
  loadMs: number;
  functionFiles: number;
  clientModules: string[];
}

const clientLibraries = /@azure[\\/](data-tables|identity|communication-email)[\\/]/;

function main(): void {
  const functionsDir = join(__dirname, '..', '..', 'src', 'functions');
  const files = readdirSync(functionsDir).filter((name) => name.endsWith('.js'));
  const load = createRequire(__filename);
  const started = performance.now();
  load('@azure/functions');
  for (const file of files) load(join(functionsDir, file));
  const loadMs = performance.now() - started;
  const clientModules = [...new Set(Object.keys(require.cache).filter((path) => clientLibraries.test(path)).map((path) => clientLibraries.exec(path)?.[0] ?? path))];
  const measurement: EntryLoadMeasurement = { loadMs, functionFiles: files.length, clientModules };
  console.log(JSON.stringify(measurement));
}

main();
