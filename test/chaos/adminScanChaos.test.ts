import { setTimeout as sleep } from 'node:timers/promises';
import { QueueClient } from '@azure/storage-queue';
import { TableAdminScanStore } from '../../src/adapters/tableAdminScanStore';
import { TableRunLedger } from '../../src/adapters/tableRunLedger';
import { Tables } from '../../src/adapters/tables';
import { startAzuriteProcess, type AzuriteProcess } from '../../tools/azuriteProcess';
import { createQueue } from '../../tools/createQueue';
import { createTables } from '../../tools/createTables';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { appSettingsFor, channelSettingsFor, startSimulator, type Simulator } from '../../tools/simulator';
import { functionRunner, type FunctionRunner, type QueueWorker } from '../support/functionProcess';
import { startHoldingProxy, type HoldingProxy } from '../support/holdingProxy';
import { savedEnvironment } from '../support/processEnvironment';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * Chaos for the customer-admin scan (issue 20: "a worker killed mid-tenant loses no tenant and
 * duplicates no alert"). Queue workers run as Azure runs them, one process per instance
 * (dist/tools/queueWorker.js: the real registered functions under the local queue trigger), against
 * Azurite in its own process and the simulated customer tenants; the test kills a worker with
 * SIGKILL, as an instance is lost, at a moment it can prove:
 *
 * - mid-tenant: the simulator hangs one tenant's Graph answer, and the worker's request for it is in
 *   flight (the simulator lists it) when it dies;
 * - mid-close: the run's close message has counted every result and its write of the run's
 *   "complete" row is held by a proxy in front of the tables, never reaching storage.
 *
 * What the platform documents and the test relies on: the queue trigger hides a message while its
 * invocation runs and deletes it only when the function succeeds; a message whose instance died
 * reappears when that hold ends ("Azure Queue storage trigger for Azure Functions", Peek lock:
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#peek-lock;
 * the hold is 10 minutes, renewed half-way while the function runs, in the extension's
 * QueueListener.cs, Azure/azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.Storage.Queues).
 * Queues deliver at least once, so the scan must be idempotent per (run, tenant). The workers'
 * hold is 3 s instead of 10 minutes (--message-hold-seconds, a knob that compresses time only).
 *
 * One fixed simulator seed; the throttled tenant's jitter is the only randomness, and no assertion
 * depends on it.
 */
jest.setTimeout(150_000);

const seed = 20_207;
const customers = 14;
const functionKey = 'admin-scan-chaos-key-0123456789';
/** The workers' message hold: seconds instead of the extension's 10 minutes. */
const workerKnobs = ['--message-hold-seconds=3', '--max-polling-ms=500'];
/** Every wait of the test is bounded by this. */
const waitLimitMs = 60_000;

let azurite: AzuriteProcess;
let sim: Simulator;
let proxy: HoldingProxy;
let queueProxy: HoldingProxy;
let host: LocalHost;
let runner: FunctionRunner;
let settings: Record<string, string>;
let workerSettings: Record<string, string>;
let restoreEnvironment: () => void;
const workers: QueueWorker[] = [];
const timings: string[] = [];

beforeAll(async () => {
  [azurite, sim] = await Promise.all([startAzuriteProcess(), startSimulator({ customers, seed })]);
  const tablePort = Number(/TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(azurite.tablesConnectionString)?.[1]);
  const queuePort = Number(/QueueEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(azurite.queuesConnectionString)?.[1]);
  [proxy, queueProxy] = await Promise.all([startHoldingProxy({ hostname: '127.0.0.1', port: tablePort }), startHoldingProxy({ hostname: '127.0.0.1', port: queuePort })]);
  settings = {
    TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
    TABLE_PREFIX: 'adminchaos',
    ADMIN_SCAN_QUEUE: azurite.queuesConnectionString,
    ADMIN_SCAN_QUEUE_NAME: 'adminchaos',
    CUSTOMER_TENANT_AUTH: 'app',
    ...appSettingsFor(sim),
    ...channelSettingsFor(sim),
    ALERT_FROM: 'DoNotReply@monitor.example',
    ALERT_TO: 'admins@partner.example',
    PUBLIC_BASE_URL: 'https://monitor.example',
    // A hung Graph answer outlasts the kill: the worker must still be waiting on it when it dies.
    HTTP_TIMEOUT_SECONDS: '120',
  };
  // The workers reach the tables through the proxy, which can hold one of their writes.
  workerSettings = { ...settings, TABLES_CONNECTION_STRING: azurite.tablesConnectionString.replace(`:${tablePort}/`, `:${proxy.port}/`) };
  await Promise.all([createTables(azurite.tablesConnectionString, settings.TABLE_PREFIX!), createQueue(azurite.queuesConnectionString, settings.ADMIN_SCAN_QUEUE_NAME!)]);
  restoreEnvironment = savedEnvironment();
  // The HTTP functions read their settings from the environment, as in Azure; only they run in this process.
  Object.assign(process.env, settings);
  const http = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).filter((fn) => fn.trigger.type === 'http');
  host = await createLocalHost({ functions: http, port: 0, functionKey, scheduleTimers: false, env: settings, log: () => undefined });
  runner = functionRunner(60_000);
}, 60_000);

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  runner?.close();
  await Promise.all([host?.close(), proxy?.close(), queueProxy?.close(), sim?.close(), azurite?.close()]);
  restoreEnvironment?.();
  console.log(`admin-scan chaos (seed ${seed}, ${customers} customers):\n${timings.join('\n')}`);
});

const tables = () =>
  new Tables({ connectionString: settings.TABLES_CONNECTION_STRING!, endpoint: null, tablePrefix: settings.TABLE_PREFIX! }, () => {
    throw new Error('a connection string needs no token');
  });
const scans = () => new TableAdminScanStore(tables());
const ledger = () => new TableRunLedger(tables());

/** Polls `check` until it holds, at most waitLimitMs; the error says what never happened. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const limit = Date.now() + waitLimitMs;
  while (!(await check())) {
    if (Date.now() > limit) throw new Error(`waited ${waitLimitMs / 1000} s for ${what}; worker output:\n${workers.map((worker) => worker.output().split('\n').slice(-15).join('\n')).join('\n---\n')}`);
    await sleep(100);
  }
}

async function runFunction(name: string): Promise<void> {
  const { exitCode, stderr } = await runner.start(name, settings, 0).outcome;
  expect({ name, exitCode, stderr }).toEqual({ name, exitCode: 0, stderr: '' });
}

function startWorker(clockOffsetMs = 0): QueueWorker {
  const worker = runner.startWorker(workerSettings, workerKnobs, clockOffsetMs);
  workers.push(worker);
  return worker;
}

/** Stops a worker as the platform scales in (SIGTERM: it finishes what it holds). */
async function stopWorker(worker: QueueWorker): Promise<void> {
  worker.kill('SIGTERM');
  expect((await worker.outcome).exitCode).toBe(0);
}

async function newestScanRun(): Promise<string> {
  const [run] = await ledger().list('customerAdmins', { top: 1 });
  if (run === undefined) throw new Error('scanCustomerAdmins opened no run');
  return run.runId;
}

interface ScanProgress {
  runId: string;
  tenants: number;
  scanned: number;
  cannotSee: number;
  poisoned: number;
}

async function status(): Promise<{ httpStatus: number; problems: string[]; running: ScanProgress | null; lastComplete: ScanProgress | null }> {
  const response = await fetch(`${host.url}/api/status`, { headers: { 'x-functions-key': functionKey }, signal: AbortSignal.timeout(30_000) });
  const body = (await response.json()) as { problems: string[]; sources: { source: string; progress?: { running: ScanProgress | null; lastComplete: ScanProgress | null } }[] };
  const progress = body.sources.find((source) => source.source === 'customerAdmins')?.progress;
  return { httpStatus: response.status, problems: body.problems, running: progress?.running ?? null, lastComplete: progress?.lastComplete ?? null };
}

/** How often the run's close logged "complete", over every worker's output. */
function completions(runId: string): number {
  return workers.reduce((sum, worker) => sum + worker.output().split('\n').filter((line) => line.includes(`run ${runId} complete`)).length, 0);
}

type Announced = Record<'emails' | 'emailLines' | 'teams' | 'slack' | 'webhook', number>;

/** For each admin of these customer tenants whom anything announced: the emails and email lines that name them, and the posts of each channel that do. */
function announcements(tenantIds: readonly string[]): Record<string, Announced> {
  const emails = sim.inbox().map((email) => email.plainText);
  const posts = (channel: 'teams' | 'slack' | 'webhook') => sim.received(channel).map((post) => JSON.stringify(post.body));
  const [teams, slack, webhook] = [posts('teams'), posts('slack'), posts('webhook')];
  const counted: Record<string, Announced> = {};
  for (const { userPrincipalName: upn } of tenantIds.flatMap((tenantId) => sim.customerTenants.admins(tenantId))) {
    const naming = (texts: string[]) => texts.filter((text) => text.includes(upn)).length;
    const announced = { emails: naming(emails), emailLines: emails.flatMap((text) => text.split('\n')).filter((line) => line.includes(upn)).length, teams: naming(teams), slack: naming(slack), webhook: naming(webhook) };
    if (Object.values(announced).some((count) => count > 0)) counted[upn] = announced;
  }
  return counted;
}

/** `notScanned`: the tenants expected "not scanned (deadline)" (none unless the run lost their messages). */
async function expectEveryTenantOnce(runId: string, notScanned: readonly string[] = []): Promise<void> {
  const [manifest, results, read] = await Promise.all([scans().readManifest(runId), scans().scansOfRun(runId), ledger().read('customerAdmins', runId)]);
  expect(manifest).toHaveLength(customers);
  // No tenant lost, none twice: one result row per tenant of the manifest.
  expect(results.map((scan) => scan.tenantId).sort()).toEqual([...manifest].sort());
  // Every tenant whose message was sent had its turn before the deadline: only those expected are "not scanned (deadline)".
  const unscanned = results.filter((scan) => scan.outcome === 'cannotSee' && (scan.reason === 'notScannedDeadline' || scan.reason === 'throttledPastDeadline' || scan.reason === 'failedRepeatedly'));
  expect(unscanned.map((scan) => `${scan.tenantId}: ${scan.outcome === 'cannotSee' ? scan.reason : ''}`).sort()).toEqual(notScanned.map((tenantId) => `${tenantId}: notScannedDeadline`).sort());
  const scanned = results.filter((scan) => scan.outcome === 'scanned').length;
  expect(read?.run).toMatchObject({ status: 'complete', counts: { tenants: customers, scanned, cannotSee: customers - scanned } });
  expect(completions(runId)).toBe(1);
}

describe(`customer-admin scan chaos (seed ${seed})`, () => {
  let manifest: string[] = [];
  let announcedFirst: Record<string, Announced> = {};

  it("when a worker is killed inside a tenant's scan, then its message comes back, the tenant is scanned once, the run closes with every tenant, and each admin is announced once on every channel", async () => {
    let started = performance.now();
    for (const name of ['collectPartnerSecurity', 'collectNonMfaPrincipals', 'collectRegistrationCounts', 'detectRegressions']) await runFunction(name);
    await runFunction('scanCustomerAdmins');
    const runId = await newestScanRun();
    manifest = await scans().readManifest(runId);
    timings.push(`collectors, the detector's baseline and the scan's timer: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();

    // The tenant without Entra ID P1: its scan reads each role member's methods, and Lee Gu's answer
    // hangs (the path names an admin of that tenant only, so no other tenant is touched).
    const killedTenant = manifest.find((tenantId) => sim.customerTenants.profile(tenantId) === 'noPremium') ?? '';
    const leeGu = sim.customerTenants.admins(killedTenant).find((admin) => admin.displayName === 'Lee Gu');
    const hungPath = `/users/${leeGu?.id}/authentication/methods`;
    sim.injectFault({ kind: 'hang', service: 'graph', path: hungPath });
    const hung = <Entry extends { path: string }>(entries: Entry[]): Entry[] => entries.filter((entry) => entry.path.includes(hungPath));

    const first = startWorker();
    await until('worker 1 to ask for the hung answer', () => hung(sim.requestsInFlight()).length === 1);
    // Every other tenant recorded, and counted by a close check (what /api/status shows).
    await until('every other tenant to be counted', async () => {
      const { running } = await status();
      return running !== null && running.scanned + running.cannotSee === customers - 1;
    });
    // Still inside that tenant, seconds after its 3 s hold began: the hold was renewed, so no other invocation took the message.
    expect(hung(sim.requestsInFlight())).toHaveLength(1);
    expect(hung(sim.requestLog())).toEqual([]);
    expect(await scans().scanOf(runId, killedTenant)).toBeNull();
    first.kill('SIGKILL');
    expect(await first.outcome).toMatchObject({ signal: 'SIGKILL' });
    // The request it died waiting on: never answered.
    await until('the killed request to close', () => hung(sim.requestLog()).length === 1);
    expect(hung(sim.requestLog())[0]?.status).toBe(0);
    timings.push(`worker 1 killed inside tenant ${killedTenant} (noPremium, waiting on ${hungPath}) after ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // While no worker runs: the run is in progress, its counts as last counted; the only problem is that no run has completed yet.
    const during = await status();
    expect(during).toMatchObject({ httpStatus: 503, problems: ['customerAdmins: no complete run yet'], running: { runId, tenants: customers } });
    expect(during.running!.scanned + during.running!.cannotSee).toBe(customers - 1);

    sim.clearFaults();
    const recovered = performance.now();
    const second = startWorker();
    await until('the run to complete', async () => (await ledger().read('customerAdmins', runId))?.run.status === 'complete');
    await stopWorker(second);
    timings.push(`worker 2: the killed tenant's message back and the run closed ${((performance.now() - recovered) / 1000).toFixed(1)} s after it started`);

    await expectEveryTenantOnce(runId);
    // The killed tenant's result is a real scan, as its profile answers (directory roles, without P1).
    expect(await scans().scanOf(runId, killedTenant)).toMatchObject({ outcome: 'scanned', source: 'directoryRoles' });
    // Asked again after the kill: the tenant's second attempt read Lee Gu's methods once more, and was answered.
    expect(hung(sim.requestLog()).map((entry) => entry.status)).toEqual([0, 200]);

    await runFunction('detectRegressions');
    await runFunction('detectRegressions');
    announcedFirst = announcements(manifest);
    // The killed tenant's admins without a method are named, each in exactly one email and one post per channel.
    const killedAdmins = sim.customerTenants.admins(killedTenant).filter((admin) => admin.methodsRegistered.length === 0);
    expect(killedAdmins.map((admin) => admin.displayName).sort()).toEqual(['Break Glass', 'Lee Gu']);
    for (const admin of killedAdmins) expect(announcedFirst[admin.userPrincipalName]).toBeDefined();
    for (const [upn, announced] of Object.entries(announcedFirst)) expect({ upn, ...announced }).toMatchObject({ upn, emails: 1, teams: 1, slack: 1, webhook: 1 });
    expect(await status()).toMatchObject({ httpStatus: 200, problems: [], running: null, lastComplete: { runId, tenants: customers, poisoned: 0 } });
    timings.push(`run 1 end to end: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  it("when a worker is killed while the close message completes the run, then the next closes it once with the right counts and nothing is announced again", async () => {
    const started = performance.now();
    await runFunction('scanCustomerAdmins');
    const runId = await newestScanRun();
    // The close's write of the run's "complete" row: after it counted every result, before the row says so.
    const completing = proxy.holdNext(({ method, path, body }) => method === 'PUT' && decodeURIComponent(path).toLowerCase().endsWith(`runs(partitionkey='customeradmins',rowkey='${runId}')`) && body.includes('"status":"complete"'));
    const third = startWorker();
    let caught = false;
    void completing.then(() => (caught = true));
    await until(`the close to try to complete run ${runId}`, () => caught);
    third.kill('SIGKILL');
    expect(await third.outcome).toMatchObject({ signal: 'SIGKILL' });
    timings.push(`worker 3 killed while completing run ${runId} after ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Every tenant has its result, the run's row still says running: what /api/status shows, and no problem (the deadline is far).
    const results = await scans().scansOfRun(runId);
    expect(results).toHaveLength(customers);
    expect((await ledger().read('customerAdmins', runId))?.run.status).toBe('running');
    expect(await status()).toMatchObject({ httpStatus: 200, problems: [], running: { runId, tenants: customers } });
    expect(completions(runId)).toBe(0);

    const recovered = performance.now();
    const fourth = startWorker();
    await until('the run to complete', async () => (await ledger().read('customerAdmins', runId))?.run.status === 'complete');
    await stopWorker(fourth);
    timings.push(`worker 4: the close message back and the run closed ${((performance.now() - recovered) / 1000).toFixed(1)} s after it started`);
    await expectEveryTenantOnce(runId);

    // The same admins, the same state: nothing announced again on any channel.
    await runFunction('detectRegressions');
    expect(announcements(manifest)).toEqual(announcedFirst);
    expect(await status()).toMatchObject({ httpStatus: 200, problems: [], running: null, lastComplete: { runId, tenants: customers, poisoned: 0 } });
    timings.push(`run 2 end to end: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  it('when the detector runs while a scan is still within its deadline but longer than one invocation may last, then it leaves the run running, and the run completes', async () => {
    await runFunction('scanCustomerAdmins');
    const runId = await newestScanRun();
    // 20 minutes into a run whose deadline is 30 (CUSTOMER_ADMINS_DEADLINE_MINUTES' default): past
    // what one invocation may last (host.json's 10-minute functionTimeout and the abandon margin), which
    // is how the detector finds runs whose invocation died; this run's work is on the queue, not in an invocation.
    const { exitCode, stderr } = await runner.start('detectRegressions', settings, 20 * 60_000).outcome;
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect((await ledger().read('customerAdmins', runId))?.run).toMatchObject({ status: 'running', errorCode: null });
    const worker = startWorker();
    await until('the run to complete', async () => (await ledger().read('customerAdmins', runId))?.run.status !== 'running');
    await stopWorker(worker);
    await expectEveryTenantOnce(runId);
  });

  it('when the timer is killed while it queues the tenants, then the run still closes at its deadline, each tenant whose message was never sent recorded "not scanned (deadline)"', async () => {
    const started = performance.now();
    const deadlineMinutes = 5;
    // The timer reaches the queue through a proxy that holds one tenant's message half-way through the tenants: the timer is killed while it waits on that send.
    const timerSettings = { ...settings, CUSTOMER_ADMINS_DEADLINE_MINUTES: String(deadlineMinutes), ADMIN_SCAN_QUEUE: azurite.queuesConnectionString.replace(/:(\d+)\//, `:${queueProxy.port}/`) };
    const messageOf = (text: string) => Buffer.from(text, 'base64').toString('utf8');
    let tenantMessages = 0;
    const held = queueProxy.holdNext(({ method, body }) => method === 'POST' && messageOf(/<MessageText>([^<]*)<\/MessageText>/.exec(body)?.[1] ?? '').includes('"kind":"scanTenant"') && ++tenantMessages === customers / 2);
    const timer = runner.start('scanCustomerAdmins', timerSettings, 0);
    await held;
    timer.kill('SIGKILL');
    expect(await timer.outcome).toMatchObject({ signal: 'SIGKILL' });
    const runId = await newestScanRun();
    // What reached the queue (the proxy forwards what it had received before the kill): the other tenants never will.
    await queueProxy.idle();
    const queue = new QueueClient(settings.ADMIN_SCAN_QUEUE!, settings.ADMIN_SCAN_QUEUE_NAME!);
    const waiting = (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((item) => JSON.parse(messageOf(item.messageText)) as { kind: string; runId: string; tenantId: string });
    const queued = waiting.filter((message) => message.kind === 'scanTenant' && message.runId === runId).map((message) => message.tenantId);
    const neverSent = (await scans().readManifest(runId)).filter((tenantId) => !queued.includes(tenantId));
    expect(neverSent.length).toBeGreaterThan(0);
    timings.push(`the timer killed while queueing run ${runId} after ${((performance.now() - started) / 1000).toFixed(1)} s: ${queued.length} tenants queued, ${neverSent.length} never`);

    // A worker scans every tenant that was queued; the close keeps looking until the deadline.
    const worker = startWorker();
    await until('every queued tenant to be scanned', async () => (await scans().scansOfRun(runId)).length === queued.length);
    await stopWorker(worker);
    // Past the deadline (the next worker's clock moved on): the close records the tenants never queued and completes the run.
    const late = startWorker(deadlineMinutes * 60_000 + 10_000);
    await until('the run to complete', async () => (await ledger().read('customerAdmins', runId))?.run.status === 'complete');
    await stopWorker(late);
    await expectEveryTenantOnce(runId, neverSent);
    timings.push(`run 4 end to end: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
});
