/*
 * `npm run migrate [-- --dry-run] [-- --drop-old]`: brings a deployment's stored rows from every
 * earlier layout to the current one (see migrations.ts). Run by an operator with their own identity:
 * TABLES_CONNECTION_STRING, or TABLES_ENDPOINT with DefaultAzureCredential (az login, azd auth
 * login, environment credentials), read from local.settings.json under the environment as the
 * other commands do. Exits 0 when done (and the moved runs verified), 1 otherwise, 2 on a usage error.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { readConfig } from '../../src/config';
import { loadLocalSettings } from '../settings';
import { runMigrations } from './migrations';

const usage = 'Usage: npm run migrate [-- --dry-run] [-- --drop-old]';

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--dry-run' && arg !== '--drop-old');
  if (unknown.length > 0) {
    console.error(`Unexpected arguments: ${unknown.join(' ')}\n${usage}`);
    return 2;
  }
  loadLocalSettings({ env: process.env });
  const { storage } = readConfig(process.env, ['storage']);
  let credential: DefaultAzureCredential | undefined;
  await runMigrations({
    storage,
    credential: () => (credential ??= new DefaultAzureCredential()),
    dryRun: args.includes('--dry-run'),
    dropOld: args.includes('--drop-old'),
    log: (line) => console.log(line),
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`migrate failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
