/*
 * `npm run sim`: the simulator on its own, for pointing a locally run app (or curl) at it.
 * Options: --port 7443 --seed 1 --customers 50 --non-mfa-per-day 5 --graph-page-size 100
 * --partner-center-page-size 500 --page-latency-ms 0 --day-length-ms 0 --start-date 2026-01-01
 * --token-lifetime-seconds 3600 --quirks true|false --churn 0.02 (share of customers changing a day)
 * --partner-center-next-link versionless|versioned|absolute, or the env SIM_PORT, SIM_SEED,
 * SIM_CUSTOMERS, SIM_NON_MFA_PER_DAY, SIM_GRAPH_PAGE_SIZE, SIM_PARTNER_CENTER_PAGE_SIZE,
 * SIM_PAGE_LATENCY_MS, SIM_DAY_LENGTH_MS, SIM_START_DATE, SIM_TOKEN_LIFETIME_SECONDS,
 * SIM_QUIRKS, SIM_CHURN, SIM_PARTNER_CENTER_NEXT_LINK (arguments win).
 */
import { simulatorCertificate } from '../tls';
import { appSettingsFor, channelSettingsFor } from './appSettings';
import { startSimulator } from './startSimulator';
import type { SimulatorOptions } from './types';

const OPTIONS: [keyof SimulatorOptions, string, 'number' | 'share' | 'string' | 'boolean'][] = [
  ['port', 'port', 'number'],
  ['seed', 'seed', 'number'],
  ['customers', 'customers', 'number'],
  ['churn', 'churn', 'share'],
  ['nonMfaSignInsPerDay', 'non-mfa-per-day', 'number'],
  ['graphPageSize', 'graph-page-size', 'number'],
  ['partnerCenterPageSize', 'partner-center-page-size', 'number'],
  ['pageLatencyMs', 'page-latency-ms', 'number'],
  ['dayLengthMs', 'day-length-ms', 'number'],
  ['startDate', 'start-date', 'string'],
  ['tokenLifetimeSeconds', 'token-lifetime-seconds', 'number'],
  ['quirks', 'quirks', 'boolean'],
  ['partnerCenterNextLink', 'partner-center-next-link', 'string'],
];

/** A fixed default port, so the printed settings stay valid from one run to the next. */
const DEFAULT_PORT = '7443';

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): SimulatorOptions {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i] ?? '');
    if (!match) throw new Error(`Unexpected argument ${argv[i]}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value`);
    given.set(match[1]!, value);
  }
  const options: Record<string, unknown> = {};
  for (const [name, flag, type] of OPTIONS) {
    const raw = given.get(flag) ?? env[`SIM_${flag.toUpperCase().replace(/-/g, '_')}`] ?? (name === 'port' ? DEFAULT_PORT : undefined);
    given.delete(flag);
    if (raw === undefined) continue;
    if (type === 'number') {
      if (!/^\d+$/.test(raw)) throw new Error(`--${flag} must be a whole number (got ${raw})`);
      options[name] = Number(raw);
    } else if (type === 'share') {
      if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(raw)) throw new Error(`--${flag} must be a number from 0 to 1 (got ${raw})`);
      options[name] = Number(raw);
    } else if (type === 'boolean') {
      if (!['true', 'false'].includes(raw)) throw new Error(`--${flag} must be true or false (got ${raw})`);
      options[name] = raw === 'true';
    } else options[name] = raw;
  }
  if (given.size > 0) throw new Error(`Unknown option(s): ${[...given.keys()].map((flag) => `--${flag}`).join(', ')}`);
  return options as SimulatorOptions;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const sim = await startSimulator(options);
  const settings: Record<string, string> = {
    ...appSettingsFor(sim),
    ...channelSettingsFor(sim),
    PARTNER_CENTER_REFRESH_TOKEN: sim.refreshToken,
    IDENTITY_ENDPOINT: sim.managedIdentity.endpoint,
    IDENTITY_HEADER: sim.managedIdentity.header,
    // The bundle `npm run sim` runs under: the caller's own CAs plus the simulator's certificate.
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? simulatorCertificate().certPath,
  };
  console.log(`Simulated Microsoft cloud at ${sim.url} (day ${sim.day}, ${sim.date()})`);
  console.log('Settings for the app (IDENTITY_* only to use the managed identity instead of the secret):');
  for (const [name, value] of Object.entries(settings)) console.log(`  ${name}=${value}`);
  console.log(`Control: GET ${sim.url}/_sim/state, POST ${sim.url}/_sim/advance?days=1, POST|DELETE ${sim.url}/_sim/faults`);
  console.log(`Inbox:   ${sim.url}/_sim/inbox`);
  console.log(`Teams:   ${sim.url}/_sim/teams, Slack: ${sim.url}/_sim/slack, signed webhook: ${sim.url}/_sim/webhook`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
