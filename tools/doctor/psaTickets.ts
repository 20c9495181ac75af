import { psaTicketClients } from '../../src/composition';
import { readConfig } from '../../src/config';
import { ConfigurationError, errorCode } from '../../src/core/errors';
import { psaNames, type PsaName } from '../../src/core/tickets';
import type { PsaSetupStep, PsaTickets } from '../../src/ports/psa';
import type { CheckName, CheckRow } from './diagnosis';

type Env = Readonly<Record<string, string | undefined>>;

/** Each PSA's row, by the name its vendor gives it (core/tickets psaLabels). */
const checkNames: Record<PsaName, CheckName> = { connectwise: 'ConnectWise PSA', autotask: 'Autotask', halopsa: 'HaloPSA' };

/** The setting that turns each PSA on (config.ts readTickets), and the prefix every one of its settings shares. */
const psaSettings: Record<PsaName, { first: string; prefix: string }> = {
  connectwise: { first: 'CONNECTWISE_BASE_URL', prefix: 'CONNECTWISE_' },
  autotask: { first: 'AUTOTASK_USERNAME', prefix: 'AUTOTASK_' },
  halopsa: { first: 'HALOPSA_BASE_URL', prefix: 'HALOPSA_' },
};

/**
 * One row per PSA: skipped when it is not configured; else its settings, then every step of its
 * client's own check (`checkSetup`: sign in, the board or queue, the statuses and priorities the
 * settings name, the fallback company), each failing one with the fix it names. The client is the
 * one the detector uses, so a row that passes means tickets can be kept there. Rows name settings,
 * never their values (the keys and secrets are credentials).
 */
export async function psaRows(env: Env): Promise<CheckRow[]> {
  const configured = psaNames.filter((psa) => (env[psaSettings[psa].first] ?? '').trim() !== '');
  const problems = settingProblems(env);
  let clients: PsaTickets[] = [];
  if (configured.length > 0 && problems.length === 0) clients = await psaTicketClients(env);
  return Promise.all(psaNames.map((psa) => psaRow(psa, configured.includes(psa), problems, clients)));
}

function settingProblems(env: Env): string[] {
  try {
    readConfig(env, ['tickets']);
    return [];
  } catch (error) {
    if (error instanceof ConfigurationError) return [...error.problems];
    throw error;
  }
}

async function psaRow(psa: PsaName, configured: boolean, problems: readonly string[], clients: readonly PsaTickets[]): Promise<CheckRow> {
  const check = checkNames[psa];
  const { first, prefix } = psaSettings[psa];
  if (!configured) return { check, token: 'n/a', read: 'n/a', verdict: 'skip', detail: `not configured: ${first} is not set` };
  // The PSA's own settings, then those every PSA shares (PSA_*): either keeps the client from being built.
  const own = problems.filter((problem) => problem.includes(prefix) || problem.includes('PSA_'));
  if (problems.length > 0) {
    const named = own.length > 0 ? own : problems;
    return { check, token: 'skipped', read: 'skipped', verdict: 'FAIL', detail: `Settings: ${named.join('; ')}.` };
  }
  const client = clients.find((candidate) => candidate.psa === psa);
  if (client === undefined) return { check, token: 'skipped', read: 'skipped', verdict: 'FAIL', detail: `${first} is set, but this version of the app has no ${check} client: update the app, or unset ${prefix}* settings` };
  let steps: PsaSetupStep[];
  try {
    steps = await client.checkSetup();
  } catch (error) {
    // checkSetup never throws by its contract: one that does is reported, not let through.
    return { check, token: 'no', read: 'skipped', verdict: 'FAIL', detail: `the check itself failed (${errorCode(error)}): report it` };
  }
  return setupRow(check, steps);
}

/** The row of a PSA's steps: `token` is signing in (the first step), `read` every later one; the detail lists every step, failures first. */
export function setupRow(check: CheckRow['check'], steps: readonly PsaSetupStep[]): CheckRow {
  const [signIn, ...reads] = steps;
  const failed = steps.filter((step) => !step.ok);
  const token = signIn === undefined ? 'n/a' : signIn.ok ? 'yes' : 'no';
  const read = signIn !== undefined && !signIn.ok ? 'skipped' : reads.length === 0 ? 'n/a' : reads.every((step) => step.ok) ? 'yes' : 'no';
  const described = (step: PsaSetupStep) => `${step.step}: ${step.detail}`;
  if (failed.length > 0) {
    const passed = steps.filter((step) => step.ok).map((step) => step.step);
    return { check, token, read, verdict: 'FAIL', detail: `${failed.map(described).join('; ')}${passed.length > 0 ? ` (passed: ${passed.join(', ')})` : ''}` };
  }
  return { check, token, read, verdict: 'ok', detail: steps.map(described).join('; ') };
}
