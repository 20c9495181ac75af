import { odata, TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import { BatchWriter } from '../../src/adapters/batchWriter';
import { TableDetectorStore } from '../../src/adapters/tableDetectorStore';
import { Tables } from '../../src/adapters/tables';
import { appliedRunKey, customerHistoryKey, customerHistoryRange, customerKey, customerPartitionRange } from '../../src/adapters/tableLayout';
import { countOpenFindings, type StoredFinding } from '../../src/core/findings';
import type { CustomerMfaInsight } from '../../src/core/model';
import { readConfig } from '../../src/config';
import { newRunId } from '../../src/core/snapshotRun';
import { createTables } from '../createTables';
import { loadRegisteredFunctions } from '../functionsCore';
import { createLocalHost } from '../localHost';
import { startSimulator } from '../simulator';
import { startAzuriteProcess } from '../azuriteProcess';
import { count } from './benchFormat';
import { printBenchTable, type BenchRow } from './benchRow';
import type { QueryLoadMeasurement } from './queryLoadProcess';
import { runChild } from './runChild';
import { countStorageTraffic, onAzure, type StorageTraffic } from './storageTraffic';

/**
 * `GET /api/customers` (first page of 100) and `GET /api/customers/{id}/history` through the
 * local host, on daily runs of 10,000 customers with the simulator's own daily changes, seeded
 * straight into the tables as the store lays them out (a change point per changed customer, the
 * current state, the ledger), not by running the collector day after day. Azurite, the host and
 * the client (queryLoadProcess) each run in a process of their own. Storage requests per read
 * are counted in the host's process (every HTTP request it sends to Azurite), a figure the
 * machine cannot distort; so are, for one call sent alone, its requests in sequence and rows read.
 * `GET /api/status` (503 here: the seeded runs are overdue) and `GET /api/findings`, whole and
 * a first page of 100 (open findings: the customers left with no MFA policy on the last day,
 * written through the detector's store with its summary) run as an admin's dashboard and scripts hit them: LOAD_CLIENTS clients for
 * LOAD_SECONDS each, reporting requests a second, p95, p99 and the worst.
 * Days: QUERY_BENCH_DAYS (1-365), 30 by default. Azurite evaluates every query against every row
 * of its table, so its time grows with the history table (about 6,900 change points a day at the
 * simulator's churn: 2.5 million at 365 days, more than it holds in memory on a bench machine);
 * Azure reads a key range at the same cost whatever the table's size. The figures say how many
 * history rows Azurite held.
 */
const CUSTOMERS = 10_000;
const DAYS = dayCount(process.env.QUERY_BENCH_DAYS);
const REQUESTS = 200;
const CONCURRENCY = 8;
const LOAD_CLIENTS = 16;
const LOAD_SECONDS = 20;
const targets = { customersPageP95Ms: 150, historyP95Ms: 50 };

export async function benchQueryApi(): Promise<{ rows: BenchRow[]; note: string }> {
  const azurite = await startAzuriteProcess();
  const saved = { ...process.env };
  try {
    const settings = { TABLES_CONNECTION_STRING: azurite.tablesConnectionString, TABLE_PREFIX: 'bench', API_TOKEN_SECRET: 'bench' };
    Object.assign(process.env, settings);
    await createTables(azurite.tablesConnectionString, 'bench');
    const seedStarted = Date.now();
    const seeded = await seed(settings);
    const note = `query API: seeded ${DAYS} daily runs of ${count(CUSTOMERS)} customers (${count(seeded.historyRows)} change points in the history table) into Azurite in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`;

    const storage = countStorageTraffic(/TableEndpoint=([^;]+)/.exec(azurite.tablesConnectionString)?.[1]);
    const host = await createLocalHost({ functions: loadRegisteredFunctions(), port: 0, scheduleTimers: false, env: process.env, log: () => undefined });
    try {
      const get = async (path: string, accepted = [200]): Promise<unknown> => {
        const response = await fetch(`${host.url}/api/${path}`, { headers: { 'x-functions-key': host.functionKey } });
        if (!accepted.includes(response.status)) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
        return response.json();
      };
      const page = (await get('customers?top=100')) as { items: unknown[] };
      const history = (await get(`customers/${seeded.tenants[0]}/history`)) as { items: unknown[] };
      if (page.items.length !== 100 || history.items.length !== seeded.pointsOfFirst) throw new Error(`Unexpected answers: ${page.items.length} customers, ${history.items.length} history points (${seeded.pointsOfFirst} seeded)`);

      const load = async (paths: string[]): Promise<{ times: number[]; requestsPerRead: number }> => {
        storage.mark();
        const { latenciesMs } = await runChild<QueryLoadMeasurement>('queryLoadProcess', [`${host.url}/api/`, String(REQUESTS), String(CONCURRENCY), ...paths], {
          env: { FUNCTION_KEY: host.functionKey },
        });
        // The client's warm-up round is served too.
        return { times: latenciesMs, requestsPerRead: storage.sinceMark().requests / (REQUESTS + CONCURRENCY) };
      };
      const sustained = async (path: string, accepted = [200]): Promise<Sustained> => {
        storage.mark();
        const alone = await get(path, accepted);
        const oneCall = storage.sinceMark();
        storage.mark();
        const { latenciesMs, elapsedMs } = await runChild<QueryLoadMeasurement>('queryLoadProcess', [`${host.url}/api/`, `${LOAD_SECONDS}s`, String(LOAD_CLIENTS), path], {
          env: { FUNCTION_KEY: host.functionKey, ACCEPTED_STATUSES: accepted.join(',') },
          timeoutMs: (LOAD_SECONDS + 120) * 1000,
        });
        const items = (alone as { items?: unknown[] }).items;
        return { times: latenciesMs, elapsedMs, oneCall, requestsPerCall: storage.sinceMark().requests / (latenciesMs.length + LOAD_CLIENTS), items: items?.length ?? null };
      };
      const pages = await load(['customers?top=100']);
      // A different customer each time.
      const tenantAt = (index: number): string => seeded.tenants[(index * 7919) % seeded.tenants.length] ?? '';
      const histories = await load(Array.from({ length: REQUESTS + CONCURRENCY }, (_, index) => `customers/${tenantAt(index)}/history`));
      // The emulator's own share: the same key-range queries, sent straight to Azurite from here.
      const customersTable = TableClient.fromConnectionString(azurite.tablesConnectionString, 'benchCustomers', { allowInsecureConnection: true });
      const historyTable = TableClient.fromConnectionString(azurite.tablesConnectionString, 'benchCustomerHistory', { allowInsecureConnection: true });
      const pageAlone = await storageAlone(() => firstPage(customersTable, odata`PartitionKey ge ${customerPartitionRange.from} and PartitionKey le ${customerPartitionRange.to}`, 100));
      const historyAlone = await storageAlone((index) => {
        const range = customerHistoryRange(tenantAt(index));
        return firstPage(historyTable, odata`PartitionKey eq ${range.partitionKey} and RowKey gt ${range.from} and RowKey lt ${range.to}`, 1000);
      });
      // The seeded runs lie in the past, so the status answers 503 (overdue) with its full body: the same reads as a 200.
      const status = await sustained('status', [200, 503]);
      const findings = await sustained('findings');
      const findingsPage = await sustained('findings?top=100');
      return {
        rows: [
          ...rows('GET /api/customers first page of 100', pages, targets.customersPageP95Ms),
          aloneRow('of which Azurite answering its key-range query of the Customers table (10,000 rows), sent alone', pageAlone),
          ...rows(`GET /api/customers/{id}/history (${DAYS} days, about ${Math.round(seeded.historyRows / CUSTOMERS)} change points each)`, histories, targets.historyP95Ms),
          aloneRow(`of which Azurite answering its key-range query of the CustomerHistory table (${count(seeded.historyRows)} rows), sent alone`, historyAlone),
          ...sustainedRows('GET /api/status', status),
          ...sustainedRows(`GET /api/findings, every one (${count(seeded.findings)} open findings)`, findings),
          ...sustainedRows(`GET /api/findings?top=100, a first page (${count(seeded.findings)} open findings)`, findingsPage),
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

interface Sustained {
  times: number[];
  elapsedMs: number;
  /** One call sent alone: its storage requests, their depth in sequence, the rows it read. */
  oneCall: StorageTraffic;
  /** Storage requests per call under load (a cache shared by concurrent calls shows here). */
  requestsPerCall: number;
  items: number | null;
}

function sustainedRows(measure: string, { times, elapsedMs, oneCall, requestsPerCall }: Sustained): BenchRow[] {
  const detail = `(${LOAD_CLIENTS} clients for ${LOAD_SECONDS} s, ${count(CUSTOMERS)} customers)`;
  return [
    {
      measure: `${measure} ${detail}`,
      value: `${(times.length / (elapsedMs / 1000)).toFixed(0)} requests/s, p95 ${percentile(times, 95).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, worst ${Math.max(...times).toFixed(0)} ms`,
      target: '(for reference: issue 18 saw the earlier layout serve status 116-123/s, findings 214-224/s under npm start)',
      met: true,
    },
    {
      measure: `${measure} storage per call`,
      value: `alone: ${onAzure(oneCall)}, ${count(oneCall.rowsRead)} rows read (${count(oneCall.rowsReadFrom.benchFindings ?? 0)} of them findings); under load: ${requestsPerCall.toFixed(2)} requests a call`,
      target: '(for reference)',
      met: true,
    },
  ];
}

function dayCount(setting: string | undefined): number {
  const value = Number(setting ?? 30);
  if (!Number.isInteger(value) || value < 1 || value > 365) throw new Error('QUERY_BENCH_DAYS must be a whole number from 1 to 365');
  return value;
}

function rows(measure: string, { times, requestsPerRead }: { times: number[]; requestsPerRead: number }, p95TargetMs: number): BenchRow[] {
  const p50 = percentile(times, 50);
  const p95 = percentile(times, 95);
  const detail = `(${REQUESTS} requests, ${CONCURRENCY} at once, ${count(CUSTOMERS)} customers x ${DAYS} days)`;
  return [
    { measure: `${measure} p50 ${detail}`, value: `${p50.toFixed(1)} ms`, target: '(for reference)', met: true },
    { measure: `${measure} p95 ${detail}`, value: `${p95.toFixed(1)} ms`, target: `< ${p95TargetMs} ms`, met: p95 < p95TargetMs },
    { measure: `${measure} storage requests per read (counted)`, value: requestsPerRead.toFixed(2), target: '(for reference)', met: true },
  ];
}

/** Latencies of REQUESTS storage queries, CONCURRENCY at a time, sent from this process. */
async function storageAlone(query: (index: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < REQUESTS) {
        const index = issued++;
        const started = performance.now();
        await query(index);
        times.push(performance.now() - started);
      }
    }),
  );
  return times;
}

async function firstPage(table: TableClient, filter: string, top: number): Promise<void> {
  await table.listEntities({ queryOptions: { filter } }).byPage({ maxPageSize: top }).next();
}

function aloneRow(measure: string, times: number[]): BenchRow {
  return { measure: `${measure}, p95`, value: `${percentile(times, 95).toFixed(1)} ms`, target: "(the emulator's share)", met: true };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Writes what DAYS daily runs leave, from the simulator's own population and its day-to-day
 * changes: a history point for each customer whose insight changed (every customer on the first
 * day), each customer's current state, a complete ledger row per run and the run the current
 * state is of.
 */
async function seed(settings: Record<string, string>): Promise<{ tenants: string[]; historyRows: number; pointsOfFirst: number; findings: number }> {
  const sim = await startSimulator({ customers: CUSTOMERS });
  const client = (name: string) => TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING ?? '', `${settings.TABLE_PREFIX}${name}`, { allowInsecureConnection: true });
  const [history, customers, runs] = [client('CustomerHistory'), client('Customers'), client('Runs')];
  const writer = new BatchWriter(16);
  const today = Date.UTC(2026, 0, 31, 5, 15);
  const current = new Map<string, { state: string; runId: string; insight: CustomerMfaInsight }>();
  let historyRows = 0;
  let findings = 0;
  let runId = '';
  const started = Date.now();
  try {
    for (let day = 0; day < DAYS; day += 1) {
      if (day > 0 && day % 30 === 0) console.error(`bench: query API, ${day}/${DAYS} days seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const startedAt = new Date(today - (DAYS - 1 - day) * 86_400_000);
      runId = newRunId(startedAt, `bench${String(day).padStart(3, '0')}`);
      for (const served of sim.expected(day).customerInsights) {
        const insight: CustomerMfaInsight = { tenantId: served.tenantId.toLowerCase(), ...served.mfa };
        const state = JSON.stringify(served.mfa);
        if (current.get(insight.tenantId)?.state === state) continue;
        current.set(insight.tenantId, { state, runId, insight });
        const { tenantId: _tenantId, ...point } = insight;
        await writer.upsert(history, { ...customerHistoryKey(insight.tenantId, runId), tenantId: insight.tenantId, runId, point: JSON.stringify(point) });
        historyRows += 1;
      }
      await runs.upsertEntity({ partitionKey: 'partnerSecurity', rowKey: runId, source: 'partnerSecurity', runId, status: 'complete', startedAt: startedAt.toISOString(), finishedAt: startedAt.toISOString(), counts: JSON.stringify({ customers: CUSTOMERS }) }, 'Replace');
    }
    for (const { runId: since, insight } of current.values()) {
      await writer.upsert(customers, { ...customerKey(insight.tenantId), runId: since, ...Object.fromEntries(Object.entries(insight).filter(([, value]) => value !== null)) });
    }
    await writer.flush();
    await runs.upsertEntity({ ...appliedRunKey, runId }, 'Replace');
    findings = await seedFindings([...current.values()].map(({ insight }) => insight), new Date(today).toISOString());
  } finally {
    await sim.close();
  }
  const tenants = [...current.keys()];
  const first = tenants[0] ?? '';
  let pointsOfFirst = 0;
  for await (const _ of history.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${customerHistoryKey(first, runId).partitionKey} and tenantId eq ${first}` } })) pointsOfFirst += 1;
  return { tenants, historyRows, pointsOfFirst, findings };
}

/**
 * An open finding for each customer left with no MFA policy, as the detector would hold them,
 * written through its store, then its state with the summary of them, as the detector writes it.
 */
async function seedFindings(insights: readonly CustomerMfaInsight[], openedAt: string): Promise<number> {
  const noCredential = (): TokenCredential => {
    throw new Error('the bench uses a connection string');
  };
  const store = new TableDetectorStore(new Tables(readConfig(process.env, ['storage']).storage, noCredential));
  const policies = ['securityDefaultsStatus', 'mfaConditionalAccessPolicyStatus', 'legacyPerUserMfaStatus'] as const;
  const findings: StoredFinding[] = insights
    .filter((insight) => policies.every((policy) => insight[policy] !== 'enabled'))
    .map((insight) => ({
      key: `customer/${insight.tenantId}/securityDefaultsStatus`,
      kind: 'customerPolicyDisabled',
      severity: 'critical',
      subject: { type: 'customer', id: insight.tenantId },
      measure: 'securityDefaultsStatus',
      state: 'open',
      baseline: 'enabled',
      current: 'disabled',
      openedAt,
      resolvedAt: null,
      event: false,
      pendingChange: null,
      announcedIn: null,
      announcedChange: null,
    }));
  await store.writeFindings(findings);
  await store.writeState({ lastSeen: {}, lastEmailAt: null, openFindings: countOpenFindings(findings) });
  return findings.length;
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
