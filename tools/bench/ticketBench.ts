/*
 * Tickets in the three simulated PSAs on a first day of 5,000 findings, and the days after.
 * Method: collectPartnerSecurity runs once against 1,000 simulated customers (it names them and
 * keeps their domains, which the PSAs' companies are matched by). Then the ticket sync of the
 * detector (syncTickets, through the composition root: the real adapters, the Tickets table on
 * Azurite, the company resolver) runs on 5,000 open findings — five admins without an MFA
 * method at each customer — four times: the first day under PSA_TICKETS_PER_RUN's default, the
 * next run with the cap raised to 1,000 (an admin asking for every ticket at once), a day on
 * which one admin is fixed at ten ticketed customers, and a run with nothing new. Each PSA's
 * requests are counted by its client, attempts included, and set against what its vendor
 * documents: ConnectWise about 60 a minute per API member, Autotask 10,000 an hour per database,
 * HaloPSA (hosted) 300 in a rolling 5 minutes. The monitor's pace and the simulated PSAs' limits
 * are lifted for the bench, so that a run's requests, not the pace, are measured; the time a run
 * takes at the documented pace is projected from them (a run longer than an invocation's 10
 * minutes goes on in the next run: the steps left wait, none is lost).
 */
import { psaTicketClients, regressionDetector } from '../../src/composition';
import type { StoredFinding } from '../../src/core/findings';
import { psaLabels, type PsaName } from '../../src/core/tickets';
import type { RunContext } from '../../src/detector/detectorDependencies';
import { syncTickets } from '../../src/tickets/syncTickets';
import { psaSettingsFor } from '../simulator';
import { customerTenantId } from '../simulator/population';
import type { BenchCloud } from './benchCloud';
import type { BenchRow } from './benchRow';
import { measureCollector, type BenchSection } from './collectorBench';
import { count, seconds } from './benchFormat';

const adminsPerCustomer = 5;
const fixedPerDay = 10;
const raisedCap = 1_000;

/** What each vendor documents as its limit, as requests a minute where it is one. */
const documentedLimits: Record<PsaName, { perMinute: number; words: string }> = {
  connectwise: { perMinute: 60, words: 'about 60 a minute per API member' },
  autotask: { perMinute: 10_000 / 60, words: '10,000 an hour per database' },
  halopsa: { perMinute: 300 / 5, words: '300 per rolling 5 minutes (hosted)' },
};

function adminFinding(tenantId: string, admin: number, state: 'open' | 'resolved'): StoredFinding {
  const userId = `00000000-0000-4000-8000-${String(admin).padStart(12, '0')}`;
  return {
    key: `admins/${tenantId}/${userId}/methodsRegistered`,
    kind: 'adminWithoutMfaMethod',
    severity: 'critical',
    subject: { type: 'customer', id: tenantId },
    measure: 'methodsRegistered',
    state,
    baseline: null,
    current: state === 'open' ? 0 : 1,
    openedAt: '2026-12-07T06:00:00Z',
    resolvedAt: state === 'open' ? null : '2026-12-08T06:00:00Z',
    event: false,
    admin: { userId, userPrincipalName: `admin${admin}@customer.example`, displayName: `Admin ${admin}` },
    pendingChange: null,
    announcedIn: null,
    announcedChange: null,
  };
}

interface RunFigures {
  label: string;
  wallMs: number;
  requests: Record<PsaName, number>;
  done: Record<PsaName, number>;
  heldBack: Record<PsaName, number>;
}

export async function benchTickets(cloud: BenchCloud, customers: number): Promise<BenchSection> {
  const collected = await measureCollector(cloud, 'collectPartnerSecurity');
  const pace = { CONNECTWISE_REQUESTS_PER_MINUTE: '6000', AUTOTASK_REQUESTS_PER_MINUTE: '6000', HALOPSA_REQUESTS_PER_MINUTE: '6000' };
  const env = { ...cloud.settings(collected.tablePrefix), ...psaSettingsFor(cloud.sim), ...pace };
  const findings = new Map<string, StoredFinding>();
  for (let index = 0; index < customers; index++) {
    for (let admin = 0; admin < adminsPerCustomer; admin++) {
      const finding = adminFinding(customerTenantId(1, index), admin, 'open');
      findings.set(finding.key, finding);
    }
  }
  const runs: RunFigures[] = [];
  const run = async (label: string, settings: Record<string, string>) => {
    const started = performance.now();
    const dependencies = await regressionDetector({ info: () => undefined, warn: () => undefined, error: (message) => console.error(message) }, { ...env, ...settings });
    const names = await dependencies.directory.customerNames();
    const context: RunContext = { ...dependencies, findings, customerNames: () => Promise.resolve(names), waived: () => false };
    const outcome = await syncTickets(context);
    if (outcome.failures.length > 0) throw new Error(`bench: the ticket sync failed: ${String(outcome.failures[0])}`);
    // One summary per configured PSA: the three, keyed by their names.
    const by = (figure: 'requests' | 'done' | 'heldBack') => Object.fromEntries(outcome.summaries.map((summary) => [summary.psa, summary[figure]])) as Record<PsaName, number>;
    runs.push({ label, wallMs: performance.now() - started, requests: by('requests'), done: by('done'), heldBack: by('heldBack') });
  };
  await run(`first day, ${count(findings.size)} findings at ${count(customers)} customers, PSA_TICKETS_PER_RUN default (20)`, {});
  await run(`next run, PSA_TICKETS_PER_RUN=${raisedCap}`, { PSA_TICKETS_PER_RUN: String(raisedCap) });
  for (let index = 0; index < fixedPerDay; index++) {
    const fixed = adminFinding(customerTenantId(1, index), 0, 'resolved');
    findings.set(fixed.key, fixed);
  }
  await run(`a day with one admin fixed at ${fixedPerDay} ticketed customers`, { PSA_TICKETS_PER_RUN: String(raisedCap) });
  await run('a run with nothing new', { PSA_TICKETS_PER_RUN: String(raisedCap) });
  const clients = await psaTicketClients(env);
  const rows: BenchRow[] = runs.flatMap((figures) =>
    clients.map((client) => {
      const { perMinute, words } = documentedLimits[client.psa];
      const requests = figures.requests[client.psa] ?? 0;
      const minutes = requests / perMinute;
      return {
        measure: `${psaLabels[client.psa]}: ${figures.label}`,
        value: `${requests} requests, ${figures.done[client.psa] ?? 0} steps, ${figures.heldBack[client.psa] ?? 0} held back (${minutes.toFixed(1)} min at the documented pace)`,
        target: `<= 60 min at ${words}`,
        met: minutes <= 60,
      };
    }),
  );
  return {
    rows,
    notes: [
      `ticket runs, wall time on the simulator and Azurite (the three PSAs in parallel, the pace raised): ${runs.map((figures) => `${figures.label}: ${seconds(figures.wallMs)}`).join('; ')}`,
      `companies: the simulated PSAs list 70 % of customers by name, 15 % under another name with their domain, 15 % not at all (mapping gaps, filed under the fallback company)`,
    ],
  };
}
