import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface LoadLocalSettingsOptions {
  /** Folder holding local.settings.json; the current directory by default, as for `func start`. */
  root?: string;
  env?: NodeJS.ProcessEnv;
}

interface LoadedLocalSettings {
  path: string;
  /** Settings copied into the environment. */
  applied: string[];
  /** Settings the environment already had, which win as they do with `func start`. */
  overridden: string[];
}

/**
 * Copies local.settings.json `Values` into the environment without overriding variables that
 * are already set. Returns undefined when there is no such file, which is not an error.
 */
export function loadLocalSettings(options: LoadLocalSettingsOptions = {}): LoadedLocalSettings | undefined {
  const path = resolve(options.root ?? process.cwd(), 'local.settings.json');
  if (!existsSync(path)) return undefined;
  const env = options.env ?? process.env;

  let file: { IsEncrypted?: unknown; Values?: unknown };
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as typeof file;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (file.IsEncrypted === true) throw new Error(`${path} is encrypted; decrypt it (func settings decrypt) to run locally`);
  if (file.Values === undefined) return { path, applied: [], overridden: [] };
  if (typeof file.Values !== 'object' || file.Values === null || Array.isArray(file.Values)) throw new Error(`${path}: "Values" must be an object`);

  const loaded: LoadedLocalSettings = { path, applied: [], overridden: [] };
  for (const [name, value] of Object.entries(file.Values)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new Error(`${path}: Values.${name} must be a string`);
    if (env[name] !== undefined) {
      loaded.overridden.push(name);
    } else {
      env[name] = String(value);
      loaded.applied.push(name);
    }
  }
  return loaded;
}
