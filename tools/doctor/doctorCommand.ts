import { loadLocalSettings } from '../settings';
import { runChecks } from './checks';
import { exitCodeOf, renderReport } from './diagnosis';

interface DoctorCommandOptions {
  /** The function app root, where local.settings.json lives; the current directory by default. */
  root?: string;
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

const USAGE = 'Usage: npm run doctor [-- --send-test-email] [--send-test-message] [--customer-tenant=<tenant id>]';
const customerTenantFlag = /^--customer-tenant=([0-9a-fA-F-]{36})$/;
const FLAGS = ['--send-test-email', '--send-test-message'];

/**
 * `npm run doctor`: checks the configured settings (local.settings.json under the environment,
 * as `npm run invoke` reads them) against the real services and prints one table. Resolves to
 * the exit code: 0 every check passed (warnings allowed), 1 a check failed, 2 usage.
 */
export async function runDoctorCommand(args: readonly string[], options: DoctorCommandOptions = {}): Promise<number> {
  const out = options.out ?? ((text: string) => console.log(text));
  const err = options.err ?? ((text: string) => console.error(text));
  const env = options.env ?? process.env;
  const unknown = args.filter((arg) => !FLAGS.includes(arg) && !customerTenantFlag.test(arg));
  if (unknown.length > 0) {
    err(`Unexpected arguments: ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  const sendTestEmail = args.includes('--send-test-email');
  const sendTestMessage = args.includes('--send-test-message');
  let source: string;
  try {
    const loaded = loadLocalSettings({ root: options.root, env });
    source = loaded === undefined ? 'the environment (no local.settings.json)' : `${loaded.path} and the environment`;
  } catch (error) {
    err(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const sends = [sendTestEmail ? 'a test email goes to ALERT_TO' : null, sendTestMessage ? 'a test message goes to each configured channel' : null].filter((part) => part !== null);
  out(`Checking the settings from ${source}${sends.map((part) => `; ${part}`).join('')}.\n`);
  const customerTenant = args.map((arg) => customerTenantFlag.exec(arg)?.[1]).find((tenantId) => tenantId !== undefined) ?? null;
  const rows = await runChecks(env, { sendTestEmail, sendTestMessage, customerTenant });
  out(renderReport(rows));
  return exitCodeOf(rows);
}
