/*
 * Usage: node dist/tools/withSimulatorTrust.js [--when=always|host|settings] <command> [args...]
 *
 * Runs a command that trusts the simulator's self-signed certificate through
 * NODE_EXTRA_CA_CERTS, so Azure SDK clients (whose bearer-token policy refuses plain
 * http) talk HTTPS to the simulator with certificate checks left on. The caller's own
 * NODE_EXTRA_CA_CERTS (a corporate CA) is kept: the simulator's certificate is added to it,
 * and only when the command uses the simulator (see simulatorInUse).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { loadLocalSettings } from './settings';
import { combinedTrustBundle, simulatorInUse, trustModes, type TrustMode } from './simulatorTrust';
import { repoRoot, simulatorCertificate } from './tls';

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const USAGE = `usage: withSimulatorTrust [--when=${trustModes.join('|')}] <command> [args...]`;

function parseMode(argv: string[]): { mode: TrustMode; rest: string[] } {
  const [first, ...rest] = argv;
  if (first === undefined || !first.startsWith('--when=')) return { mode: 'always', rest: argv };
  const mode = first.slice('--when='.length) as TrustMode;
  if (!trustModes.includes(mode)) {
    console.error(USAGE);
    process.exit(2);
  }
  return { mode, rest };
}

/** What the command will read: the environment over local.settings.json, as the command itself resolves them. */
function effectiveSettings(): NodeJS.ProcessEnv {
  const settings = { ...process.env };
  loadLocalSettings({ env: settings });
  return settings;
}

function main(argv: string[]): void {
  const { mode, rest } = parseMode(argv);
  const [command, ...args] = rest;
  if (!command) {
    console.error(USAGE);
    process.exit(2);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: [path.join(repoRoot(), 'node_modules', '.bin'), process.env.PATH].filter(Boolean).join(path.delimiter) };
  if (simulatorInUse(mode, mode === 'always' ? process.env : effectiveSettings())) {
    const bundle = combinedTrustBundle(simulatorCertificate().certPath, process.env.NODE_EXTRA_CA_CERTS, path.join(repoRoot(), '.local', 'tls'));
    if (bundle.warning) console.error(`withSimulatorTrust: ${bundle.warning}`);
    env.NODE_EXTRA_CA_CERTS = bundle.path;
  }
  // The same Node binary as ours, whatever `node` PATH would find first.
  const executable = command === 'node' ? process.execPath : command;
  const child = spawn(executable, args, { stdio: 'inherit', env });

  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);

  child.on('error', (error) => {
    console.error(`withSimulatorTrust: cannot run ${command}: ${error.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    if (signal) {
      // Die of the same signal, so our parent sees what happened to the command.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

main(process.argv.slice(2));
