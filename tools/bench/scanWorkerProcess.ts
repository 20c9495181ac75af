/*
 * Child process of `npm run bench -- --only scan`: one part of the customer-admin scan, alone in
 * its process, with the app settings in the environment (process.env, as in Azure).
 * Usage: node scanWorkerProcess.js timer|worker.
 * - timer: the registered scanCustomerAdmins function, invoked once (it reads the customers, opens
 *   the run and puts one message per tenant and the close message on the queue); exits when it returns.
 * - worker: the registered queue functions (scanCustomerTenant, recordPoisonedScan) through the
 *   local queue trigger (tools/queueTriggerListener.ts) with host.json's own queue settings, as
 *   one Functions instance runs them; until SIGTERM, when it stops polling, lets its invocations
 *   finish and reports.
 * Prints one JSON line: this process's table and queue traffic (storageTraffic.ts), its CPU and
 * peak RSS, and for a worker the tenants it recorded and when.
 */
import { TableAdminScanStore } from '../../src/adapters/tableAdminScanStore';
import { loadRegisteredFunctions } from '../functionsCore';
import { invokeFunction } from '../invokeFunction';
import { startQueueListeners } from '../queueTriggerListener';
import { countQueueTraffic, countStorageTraffic, type QueueTraffic, type StorageTraffic } from './storageTraffic';

export interface ScanProcessMeasurement {
  role: 'timer' | 'worker';
  /** From the process's start of work (the timer's invocation, the worker's first poll) to its end. */
  wallMs: number;
  cpuMs: number;
  maxRssBytes: number;
  storage: StorageTraffic;
  queue: QueueTraffic;
  /** Tenants whose result this process recorded (a first insert; a repeated one is not counted). */
  tenantsRecorded: number;
  /** From the start of work to this process's first scanCustomerTenant invocation and to its last recorded tenant. */
  firstInvocationMs: number | null;
  lastRecordedMs: number | null;
  /** Durations of the scanCustomerTenant invocations, as the host logs them. */
  invocations: { succeeded: number; failed: number; durationsMs: number[] };
  /** Warning and error lines the functions logged (the first 20). */
  problems: string[];
}

const endpoint = (connectionString: string | undefined, service: 'Table' | 'Queue'): string | undefined =>
  new RegExp(`${service}Endpoint=(https?://[^;]+)`, 'i').exec(connectionString ?? '')?.[1];

async function main(role: string | undefined): Promise<void> {
  if (role !== 'timer' && role !== 'worker') throw new Error(`usage: scanWorkerProcess timer|worker (got ${role})`);
  const storage = countStorageTraffic(endpoint(process.env.TABLES_CONNECTION_STRING, 'Table'));
  const queue = countQueueTraffic(endpoint(process.env.ADMIN_SCAN_QUEUE, 'Queue'));
  const functions = loadRegisteredFunctions();
  const invocations = { succeeded: 0, failed: 0, durationsMs: [] as number[] };
  const problems: string[] = [];
  let firstInvocationMs: number | null = null;
  let lastRecordedMs: number | null = null;
  let tenantsRecorded = 0;
  const started = performance.now();
  const log = (line: string): void => {
    if (line.includes('[scanCustomerTenant] Executing')) firstInvocationMs ??= performance.now() - started;
    const executed = /\[scanCustomerTenant\] Executed \((Succeeded|Failed), Id=[^,]+, Duration=(\d+)ms/.exec(line);
    if (executed) {
      invocations[executed[1] === 'Succeeded' ? 'succeeded' : 'failed'] += 1;
      invocations.durationsMs.push(Number(executed[2]));
    }
    if (/\] (warning|error): |Executed \(Failed/.test(line) && problems.length < 20) problems.push(line.slice(0, 400));
  };
  // Counts the first inserts of tenants' results in this process, wherever they come from (a scan, the poison queue, the run's close).
  const record = TableAdminScanStore.prototype.recordScan;
  TableAdminScanStore.prototype.recordScan = async function counted(this: TableAdminScanStore, ...args: Parameters<typeof record>) {
    const recorded = await record.apply(this, args);
    if (recorded) {
      tenantsRecorded += 1;
      lastRecordedMs = performance.now() - started;
    }
    return recorded;
  };

  if (role === 'timer') {
    const timer = functions.find((fn) => fn.name === 'scanCustomerAdmins');
    if (timer === undefined) throw new Error('scanCustomerAdmins is not registered');
    await invokeFunction(timer, { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: {} }, { log, reason: 'Timer fired by the bench' });
  } else {
    const listeners = startQueueListeners(functions, { env: process.env, log });
    await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
    await listeners.close();
  }
  const cpu = process.cpuUsage();
  const measurement: ScanProcessMeasurement = {
    role,
    wallMs: performance.now() - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    storage: storage.sinceReset(),
    queue: queue(),
    tenantsRecorded,
    firstInvocationMs,
    lastRecordedMs,
    invocations,
    problems,
  };
  console.log(JSON.stringify(measurement));
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
