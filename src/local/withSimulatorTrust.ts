/*
 * Usage: node dist/src/local/withSimulatorTrust.js <command> [args...]
 *
 * Runs a command that trusts the simulator's self-signed certificate through
 * NODE_EXTRA_CA_CERTS, so Azure SDK clients (whose bearer-token policy refuses plain
 * http) talk HTTPS to the simulator with certificate checks left on.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot, simulatorCertificate } from './tls';

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function main(argv: string[]): void {
  const [command, ...args] = argv;
  if (!command) {
    console.error('usage: withSimulatorTrust <command> [args...]');
    process.exit(2);
  }
  const { certPath } = simulatorCertificate();
  const bin = path.join(repoRoot(), 'node_modules', '.bin');
  const env = {
    ...process.env,
    NODE_EXTRA_CA_CERTS: certPath,
    PATH: [bin, process.env.PATH].filter(Boolean).join(path.delimiter),
  };
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
