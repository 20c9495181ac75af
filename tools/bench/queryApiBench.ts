import { Tables, TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { readConfig } from '../../src/config';
import type { CustomerMfaInsight } from '../../src/core/model';
import { newRunId } from '../../src/core/snapshotRun';
import { loadRegisteredFunctions } from '../functionsCore';
import { createLocalHost } from '../localHost';
import { startAzuriteProcess } from '../azuriteProcess';
import { printBenchTable, type BenchRow } from './benchRow';
import type { QueryLoadMeasurement } from './queryLoadProcess';
import { runChild } from './runChild';

/**
 * `GET /api/customers` (first page of 100) and `GET /api/customers/{id}/history` through the
 * local host, on 30 daily snapshots of 10,000 customers (600,000 entities) written by the real
 * store. Azurite, the host and the client (queryLoadProcess) each run in a process of their
 * own, so none of them shares an event loop with another. Seeding takes a few minutes: Azurite
 * applies one batch at a time and keeps every entity in memory. QUERY_BENCH_SNAPSHOTS (1-30)
 * seeds fewer, for a quick look.
 */
const CUSTOMERS = 10_000;
const SNAPSHOTS = snapshotCount(process.env.QUERY_BENCH_SNAPSHOTS);
const REQUESTS = 200;
const CONCURRENCY = 8;
const targets = { customersPageP95Ms: 150, historyP95Ms: 50 };

export async function benchQueryApi(): Promise<{ rows: BenchRow[]; note: string }> {
  const azurite = await startAzuriteProcess();
  const saved = { ...process.env };
  try {
    const settings = { TABLES_CONNECTION_STRING: azurite.tablesConnectionString, TABLE_PREFIX: 'bench', API_TOKEN_SECRET: 'bench' };
    Object.assign(process.env, settings);
    const seedStarted = Date.now();
    const tenants = await seed(settings);
    const note = `query API: seeded ${SNAPSHOTS} daily snapshots of ${CUSTOMERS.toLocaleString('en-US')} customers into Azurite in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`;

    const host = await createLocalHost({ functions: loadRegisteredFunctions(), port: 0, scheduleTimers: false, env: process.env, log: () => undefined });
    try {
      const get = async (path: string): Promise<unknown> => {
        const response = await fetch(`${host.url}/api/${path}`, { headers: { 'x-functions-key': host.functionKey } });
        if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
        return response.json();
      };
      const page = (await get('customers?top=100')) as { items: unknown[] };
      const history = (await get(`customers/${tenants[0]}/history`)) as { items: unknown[] };
      if (page.items.length !== 100 || history.items.length !== SNAPSHOTS) throw new Error(`Unexpected answers: ${page.items.length} customers, ${history.items.length} history points`);

      const load = async (paths: string[]): Promise<number[]> =>
        (
          await runChild<QueryLoadMeasurement>('queryLoadProcess', [`${host.url}/api/`, String(REQUESTS), String(CONCURRENCY), ...paths], {
            env: { FUNCTION_KEY: host.functionKey },
          })
        ).latenciesMs;
      const pageTimes = await load(['customers?top=100']);
      // A different customer each time, spread over every history bucket.
      const historyTimes = await load(Array.from({ length: REQUESTS + CONCURRENCY }, (_, index) => `customers/${tenants[(index * 7919) % tenants.length]}/history`));
      return {
        rows: [
          ...rows('GET /api/customers first page of 100', pageTimes, targets.customersPageP95Ms),
          ...rows(`GET /api/customers/{id}/history (${SNAPSHOTS} points)`, historyTimes, targets.historyP95Ms),
        ],
        note,
      };
    } finally {
      await host.close();
    }
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await azurite.close();
  }
}

function snapshotCount(setting: string | undefined): number {
  const value = Number(setting ?? 30);
  if (!Number.isInteger(value) || value < 1 || value > 30) throw new Error('QUERY_BENCH_SNAPSHOTS must be a whole number from 1 to 30');
  return value;
}

function rows(measure: string, times: number[], p95TargetMs: number): BenchRow[] {
  const p50 = percentile(times, 50);
  const p95 = percentile(times, 95);
  const detail = `(${REQUESTS} requests, ${CONCURRENCY} at once, ${CUSTOMERS.toLocaleString('en-US')} customers x ${SNAPSHOTS} snapshots)`;
  return [
    { measure: `${measure} p50 ${detail}`, value: `${p50.toFixed(1)} ms`, target: '(for reference)', met: true },
    { measure: `${measure} p95 ${detail}`, value: `${p95.toFixed(1)} ms`, target: `< ${p95TargetMs} ms`, met: p95 < p95TargetMs },
  ];
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function tenantId(index: number): string {
  const hex = (index * 2654435761 + 0x9e3779b9).toString(16).padStart(12, '0').slice(-12);
  return `0000${index.toString(16).padStart(4, '0')}-b0b0-4000-8000-${hex}`;
}

function insight(index: number, day: number): CustomerMfaInsight {
  const enabled = (index + day) % 9 !== 0;
  return {
    tenantId: tenantId(index),
    compliantAdminsCount: (index * 7 + day) % 11 === 0 ? 0 : 1 + (index % 5),
    compliantNonAdminsCount: 10 + ((index * 13 + day) % 90),
    totalUsersCount: 120 + (index % 400),
    securityDefaultsStatus: enabled && index % 2 === 0 ? 'enabled' : 'disabled',
    mfaConditionalAccessPolicyStatus: enabled && index % 2 === 1 ? 'enabled' : 'disabled',
    legacyPerUserMfaStatus: 'disabled',
  };
}

/** 30 daily runs through the real store, a few at a time; returns the tenant ids. */
async function seed(settings: Record<string, string>): Promise<string[]> {
  const tables = new Tables(readConfig(settings, ['storage']).storage, () => {
    throw new Error('The bench uses a connection string');
  });
  const store = new TableSnapshotStore(tables, { maxTransactionsInFlight: 16 });
  const today = Date.UTC(2026, 0, 31, 5, 15);
  const days = Array.from({ length: SNAPSHOTS }, (_, day) => day);
  const runsAtOnce = 5;
  const started = Date.now();
  for (let first = 0; first < days.length; first += runsAtOnce) {
    if (first > 0) console.error(`bench: query API, ${first}/${SNAPSHOTS} snapshots seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await Promise.all(
      days.slice(first, first + runsAtOnce).map(async (day) => {
        const startedAt = new Date(today - (SNAPSHOTS - 1 - day) * 86_400_000);
        const writer = await store.openRun('partnerSecurity', newRunId(startedAt, `bench${day.toString().padStart(2, '0')}`), startedAt);
        for (let start = 0; start < CUSTOMERS; start += 500) {
          await writer.addCustomerInsights(Array.from({ length: Math.min(500, CUSTOMERS - start) }, (_, offset) => insight(start + offset, day)));
        }
        await writer.complete({ customers: CUSTOMERS });
      }),
    );
  }
  return Array.from({ length: CUSTOMERS }, (_, index) => tenantId(index));
}

if (require.main === module) {
  benchQueryApi().then(
    ({ rows: benchRows, note }) => {
      printBenchTable(benchRows);
      console.log(`- ${note}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
