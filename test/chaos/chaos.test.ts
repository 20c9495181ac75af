import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { abandonedRunMarginMs } from '../../src/core/invocationDeadline';
import { startAzuriteProcess, type AzuriteProcess } from '../../tools/azuriteProcess';
import { createTables } from '../../tools/createTables';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { appSettingsFor, startSimulator, type Simulator } from '../../tools/simulator';
import { AlertOracle, announcedLines, type AnnouncedLines } from '../support/alertOracle';
import { functionRunner, type FunctionOutcome, type FunctionRunner } from '../support/functionProcess';
import { setClockOffset } from '../support/shiftedClock';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * Chaos: seeded rounds of one fault each (a collector or the detector killed with SIGKILL at a
 * random moment, Azurite frozen with SIGSTOP or stopped, the token endpoint or ACS hanging),
 * striking the real functions run as `npm run invoke` runs them, each in its own process, against
 * Azurite in its own process and the simulated Microsoft cloud. After each fault everything
 * recovers and runs again, and the round checks what an admin relies on: nothing left
 * `running`, every finding's change announced exactly once, no email lost, and /api/status
 * telling the truth during the fault, after it and after recovery.
 *
 * CI plays one fixed seed, so a red build is a change in the monitor, never the luck of the draw;
 * CHAOS_SEED=random explores new ones, CHAOS_SEED=<n> replays a run (the seed is printed first); CHAOS_ROUNDS=<n> runs more or fewer
 * rounds (10 by default: each kind of fault once in a seeded order, then seeded picks). Between a fault and recovery the clock of every process moves
 * past the abandon margin, so runs killed mid-way are found without waiting it out.
 */

/** The seed CI plays: every kind of fault, and rounds that strike mid-run. */
const ciSeed = 814128175;
const seed = process.env.CHAOS_SEED === 'random' ? randomInt(1, 2 ** 31) : Number(process.env.CHAOS_SEED ?? ciSeed);
const roundCount = Number(process.env.CHAOS_ROUNDS ?? 10);
console.log(`chaos: CHAOS_SEED=${seed} CHAOS_ROUNDS=${roundCount}`);

/** mulberry32: a small seeded generator, so a seed replays the same faults at the same moments. */
function seededRandom(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = seededRandom(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const collectors = ['collectPartnerSecurity', 'collectNonMfaPrincipals', 'collectRegistrationCounts'] as const;
const functions = [...collectors, 'detectRegressions'] as const;
type FunctionName = (typeof functions)[number];
const sourceOf: Record<string, string> = { collectPartnerSecurity: 'partnerSecurity', collectNonMfaPrincipals: 'nonMfaPrincipals', collectRegistrationCounts: 'registrationCounts' };

const faultKinds = ['killCollector', 'killDetector', 'freezeStorage', 'stopStorage', 'hangTokenEndpoint', 'hangAcs'] as const;
type FaultKind = (typeof faultKinds)[number];

interface Fault {
  kind: FaultKind;
  /** The function the fault strikes. */
  target: FunctionName;
  /** When, as a share of the target's fault-free duration from its start (killings and storage faults). */
  at: number;
  /** How long a storage fault lasts at least (it lasts until /api/status has answered under it). */
  forMs: number;
}

/** Each kind of fault once in a seeded order, then seeded picks. */
function planFaults(count: number): Fault[] {
  const order = [...faultKinds].sort(() => random() - 0.5);
  return Array.from({ length: count }, (_, index) => {
    const kind = index < order.length ? order[index]! : pick(faultKinds);
    const at = random();
    switch (kind) {
      case 'killCollector':
      case 'hangTokenEndpoint':
        return { kind, target: pick(collectors), at, forMs: 0 };
      case 'killDetector':
      case 'hangAcs':
        return { kind, target: 'detectRegressions', at, forMs: 0 };
      case 'freezeStorage':
        return { kind, target: pick(functions), at, forMs: 3_000 + Math.round(random() * 6_000) };
      case 'stopStorage':
        return { kind, target: pick(functions), at, forMs: 2_000 + Math.round(random() * 5_000) };
    }
  });
}
const faults = planFaults(roundCount);

/** Short limits, so a fault ends a run in seconds rather than minutes. */
const deadlineSeconds = 10;
const limits = {
  INVOCATION_DEADLINE_SECONDS: String(deadlineSeconds),
  AZURE_REQUEST_TIMEOUT_SECONDS: '2',
  HTTP_TIMEOUT_SECONDS: '2',
  HTTP_MAX_RETRIES: '2',
  EMAIL_TIMEOUT_SECONDS: '3',
  // Every announced line comes from the data, not from a failing source or a reminder.
  SOURCE_FAILURES_BEFORE_ALERT: '100',
  ALERT_REMINDER_DAYS: '0',
  ALERT_MAX_LINES: '1000',
};
/** Small, slow pages: a run reads and writes in many steps, and a fault can strike between any two. */
const pages = { graphPageSize: 8, partnerCenterPageSize: 3, pageLatencyMs: 60 };
/** What moves the clock between a fault and recovery: a run started before is past its deadline and the abandon margin. */
const timePassesMs = deadlineSeconds * 1000 + abandonedRunMarginMs + 5_000;
/** No invocation may run longer than its deadline and its margins; past this the test kills it and fails. */
const functionTimeLimitMs = 60_000;
const functionKey = 'chaos-test-key-0123456789';

interface StatusAnswer {
  httpStatus: number;
  /** What the keyless health check Azure calls (/api/health) answered right after it. */
  healthCheck: number;
  healthy: boolean | null;
  problems: string[];
  undelivered: number;
  /** The detector's last run as the status shows it. */
  detectorRun: { status: string; errorCode: string | null } | null;
  ms: number;
  /** The problem title of an answer that is not a status (a 500). */
  title: string | null;
}

interface RunRow {
  runId: string;
  source: string;
  status: string;
  errorCode: string | null;
}

interface Outcome {
  name: FunctionName;
  result: FunctionOutcome;
  /** The run it opened, read from its log. */
  runId: string | null;
}

interface TableRow {
  round: string;
  fault: string;
  moment: string;
  outcome: string;
  during: string;
  after: string;
  recovered: string;
  seconds: string;
}

let azurite: AzuriteProcess;
let sim: Simulator;
let host: LocalHost;
let runner: FunctionRunner;
let oracle: AlertOracle;
let settings: Record<string, string>;
let clockOffsetMs = 0;
let day = 10 + (seed % 50);
const savedEnv = { ...process.env };
const fastest = new Map<FunctionName, number>();
const table: TableRow[] = [];

beforeAll(async () => {
  [azurite, sim] = await Promise.all([startAzuriteProcess({ persistent: true }), startSimulator({ customers: 40, nonMfaSignInsPerDay: 2, seed, ...pages })]);
  settings = {
    TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
    TABLE_PREFIX: 'chaos',
    ...appSettingsFor(sim),
    ALERT_FROM: 'DoNotReply@monitor.example',
    ALERT_TO: 'admins@partner.example',
    PUBLIC_BASE_URL: 'https://monitor.example',
    ...limits,
  };
  // As the deployment does: the app opens its tables, it does not create them.
  await createTables(azurite.tablesConnectionString, settings.TABLE_PREFIX!);
  // The HTTP functions read their settings from the environment, as in Azure.
  Object.assign(process.env, settings);
  host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey, scheduleTimers: false, env: settings, log: () => undefined });
  runner = functionRunner(functionTimeLimitMs);
  oracle = new AlertOracle(sim);
}, 60_000);

afterAll(async () => {
  runner?.close();
  await Promise.all([host?.close(), sim?.close(), azurite?.close()]);
  setClockOffset(0);
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  printTable();
});

function printTable(): void {
  const header: TableRow = { round: 'round', fault: 'fault', moment: 'moment', outcome: 'how the invocations ended', during: 'status during', after: 'status after', recovered: 'after recovery', seconds: 's' };
  const rows = [header, ...table];
  const columns = Object.keys(header) as (keyof TableRow)[];
  const widths = columns.map((column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: TableRow): string => columns.map((column, index) => row[column].padEnd(widths[index]!)).join(' | ');
  const durations = [...fastest].map(([name, ms]) => `${name} ${Math.round(ms)} ms`).join(', ');
  console.log([`chaos rounds (CHAOS_SEED=${seed}; fault-free, from start to exit: ${durations}):`, ...rows.map(line)].join('\n'));
}

async function get(path: string): Promise<{ httpStatus: number; body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${host.url}/api/${path}`, { headers: { 'x-functions-key': functionKey }, signal: AbortSignal.timeout(60_000) });
  return { httpStatus: response.status, body: (await response.json()) as Record<string, unknown>, ms: performance.now() - started };
}

async function status(): Promise<StatusAnswer> {
  const { httpStatus, body, ms } = await get('status');
  // After the status: the health check shares its verdicts for 30 s, and follows the status's as soon as it is reached.
  const healthCheck = (await fetch(`${host.url}/api/health`, { signal: AbortSignal.timeout(60_000) })).status;
  const undelivered = body.undeliveredAlerts as { count: number } | undefined;
  return {
    httpStatus,
    healthCheck,
    healthy: typeof body.healthy === 'boolean' ? body.healthy : null,
    problems: (body.problems as string[] | undefined) ?? [],
    undelivered: undelivered?.count ?? 0,
    detectorRun: (body.detector as { lastRun: StatusAnswer['detectorRun'] } | undefined)?.lastRun ?? null,
    ms,
    title: typeof body.title === 'string' ? body.title : null,
  };
}

async function runs(): Promise<RunRow[]> {
  const { httpStatus, body } = await get('runs?top=1000');
  expect(httpStatus).toBe(200);
  return body.items as RunRow[];
}

function describeStatus(answer: StatusAnswer): string {
  const what = answer.healthy === true ? 'healthy' : answer.healthy === false ? `unhealthy: ${answer.problems.join('; ')}` : (answer.title ?? 'no status');
  return `${answer.httpStatus} ${what}${answer.undelivered > 0 ? ` (${answer.undelivered} alert waiting)` : ''} in ${(answer.ms / 1000).toFixed(1)} s`;
}

function describeOutcome({ name, result }: Outcome): string {
  const short = name.replace(/^collect/, '').replace('Regressions', '');
  if (result.signal !== null) return `${short} killed`;
  if (result.exitCode === 0) return `${short} ok`;
  const reason = /failed: (?:\w+ run \S+ failed: )?(.*)/.exec(result.stderr)?.[1] ?? result.stderr.trim();
  return `${short} failed (${reason.slice(0, 70)})`;
}

function start(name: FunctionName): { child: ReturnType<FunctionRunner['start']>; done: Promise<Outcome> } {
  const child = runner.start(name, settings, clockOffsetMs);
  const done = child.outcome.then((result) => ({ name, result, runId: new RegExp(`${sourceOf[name] ?? '-'} run (\\S+) started`).exec(result.stdout)?.[1] ?? null }));
  return { child, done };
}

/** Runs every function once, in schedule order, with the fault striking its target. */
async function faultPhase(fault: Fault): Promise<{ outcomes: Outcome[]; during: StatusAnswer[] }> {
  const outcomes: Outcome[] = [];
  const during: StatusAnswer[] = [];
  let strike: Promise<void> = Promise.resolve();
  for (const name of functions) {
    if (name === fault.target && fault.kind === 'hangTokenEndpoint') sim.injectFault({ kind: 'hang', service: 'login' });
    if (name === fault.target && fault.kind === 'hangAcs') sim.injectFault({ kind: 'hang', service: 'acs' });
    const { child, done } = start(name);
    if (name === fault.target) {
      const atMs = Math.round(fault.at * (fastest.get(name) ?? 0));
      strike = (async () => {
        // A process that ends before it starts the function (it cannot) leaves the fault unstruck.
        if ((await Promise.race([child.executing.then(() => true), done.then(() => false)])) === false) return;
        await sleep(atMs);
        if (fault.kind === 'killCollector' || fault.kind === 'killDetector') child.kill('SIGKILL');
        if (fault.kind === 'freezeStorage' || fault.kind === 'stopStorage') {
          if (fault.kind === 'freezeStorage') azurite.freeze();
          else await azurite.stop();
          // The fault lasts until the status has answered under it.
          const [answer] = await Promise.all([status(), sleep(fault.forMs)]);
          during.push(answer);
          if (fault.kind === 'freezeStorage') azurite.thaw();
          else await azurite.start();
        }
      })();
    }
    outcomes.push(await done);
  }
  await strike;
  return { outcomes, during };
}

/** What /api/status must say after the fault phase: each run recorded failed (a collector's, the detector's), with its code. */
function expectedProblems(outcomes: Outcome[], ledger: RunRow[], detectorRun: StatusAnswer['detectorRun']): string[] {
  const collectorProblems = outcomes.flatMap(({ name, runId }) => {
    const run = ledger.find((row) => row.runId === runId && row.source === sourceOf[name]);
    return run?.status === 'failed' ? [`${run.source}: the last run failed (${run.errorCode ?? 'no code'})`] : [];
  });
  return [...collectorProblems, ...(detectorRun?.status === 'failed' ? [`detectRegressions: the last run failed (${detectorRun.errorCode ?? 'no code'})`] : [])];
}

/** Runs every function once more with no fault; the detector again while an alert waits (at most twice). */
async function recover(): Promise<Outcome[]> {
  sim.clearFaults();
  azurite.thaw();
  await azurite.start();
  clockOffsetMs += timePassesMs;
  setClockOffset(clockOffsetMs);
  const outcomes: Outcome[] = [];
  for (const name of functions) outcomes.push(await start(name).done);
  for (let retry = 0; retry < 2 && (await status()).undelivered > 0; retry += 1) outcomes.push(await start('detectRegressions').done);
  return outcomes;
}

/** The next simulated day that changes something, so each round has findings to announce. */
function nextDayWithNews(): number {
  let next = day + 1;
  while (next < day + 6 && oracle.preview(next).opened.length + oracle.preview(next).resolved.length === 0) next += 1;
  return next;
}

function sortedLines(lines: AnnouncedLines): AnnouncedLines {
  return { opened: [...lines.opened].sort(), resolved: [...lines.resolved].sort() };
}

function linesOf(emails: ReturnType<Simulator['inbox']>): AnnouncedLines {
  const all = emails.map((email) => announcedLines(email.plainText));
  return sortedLines({ opened: all.flatMap((lines) => lines.opened), resolved: all.flatMap((lines) => lines.resolved) });
}

function describeFault(fault: Fault): { fault: string; moment: string } {
  const atMs = Math.round(fault.at * (fastest.get(fault.target) ?? 0));
  switch (fault.kind) {
    case 'killCollector':
    case 'killDetector':
      return { fault: `SIGKILL ${fault.target}`, moment: `${atMs} ms after its start` };
    case 'freezeStorage':
      return { fault: `SIGSTOP Azurite >=${fault.forMs / 1000} s`, moment: `${atMs} ms into ${fault.target}` };
    case 'stopStorage':
      return { fault: `stop Azurite >=${fault.forMs / 1000} s`, moment: `${atMs} ms into ${fault.target}` };
    case 'hangTokenEndpoint':
      return { fault: 'token endpoint hangs', moment: `from ${fault.target} on` };
    case 'hangAcs':
      return { fault: 'ACS hangs', moment: `from ${fault.target} on` };
  }
}

describe(`chaos (CHAOS_SEED=${seed})`, () => {
  it('when nothing fails, then every function succeeds, the detector sets its baseline without an email, and the monitor is healthy', async () => {
    sim.setDay(day);
    oracle.baseline(day);
    // Twice, so each function's fault-free duration is measured warm.
    for (let pass = 0; pass < 2; pass += 1) {
      for (const name of functions) {
        const { result } = await start(name).done;
        expect({ name, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ name, exitCode: 0, stderr: '' });
        fastest.set(name, Math.min(fastest.get(name) ?? Infinity, result.ms ?? Infinity));
      }
    }
    expect(sim.inbox()).toEqual([]);
    const answer = await status();
    expect(answer).toMatchObject({ httpStatus: 200, healthCheck: 200, healthy: true, problems: [], undelivered: 0, detectorRun: { status: 'complete' } });
  }, 120_000);

  faults.forEach((fault, index) => {
    const round = index + 1;
    it(`when round ${round} strikes (${describeFault(fault).fault}, at ${Math.round(fault.at * 100)}% of ${fault.target}), then the monitor says so, recovers, leaves nothing running and announces each change exactly once`, async () => {
      const started = performance.now();
      day = nextDayWithNews();
      sim.setDay(day);
      const expected = sortedLines(oracle.advance(day));
      const inboxBefore = sim.inbox().length;
      const row: TableRow = { round: String(round), ...describeFault(fault), outcome: '', during: '-', after: '', recovered: '', seconds: '' };
      table.push(row);

      // The fault, and what /api/status says during it and after it; then, whatever happened,
      // recovery, so that a failing round leaves the next one a monitor that works.
      let phase: { outcomes: Outcome[]; during: StatusAnswer[] } | undefined;
      let ledgerAfterFault: RunRow[] = [];
      let after: StatusAnswer | undefined;
      let inboxAfterFault = inboxBefore;
      let recovery: Outcome[];
      try {
        phase = await faultPhase(fault);
        row.outcome = phase.outcomes.map(describeOutcome).join(', ');
        row.during = phase.during.map(describeStatus).join('; ') || '-';
        inboxAfterFault = sim.inbox().length;
        ledgerAfterFault = await runs();
        after = await status();
        const running = ledgerAfterFault.filter((run) => run.status === 'running').length;
        row.after = `${describeStatus(after)}${running > 0 ? `; ${running} run left running` : ''}`;
      } finally {
        recovery = await recover();
      }
      row.recovered = recovery.map(describeOutcome).join(', ');
      const ledger = await runs();
      const healthy = await status();
      row.recovered += ` -> ${describeStatus(healthy)}`;
      const sent = sim.inbox().slice(inboxBefore);
      row.seconds = ((performance.now() - started) / 1000).toFixed(1);

      // During a storage fault: unhealthy, naming Table Storage, within the request timeouts.
      for (const answer of phase.during) {
        expect(answer).toMatchObject({ httpStatus: 503, healthCheck: 503, healthy: false, problems: [expect.stringMatching(/^Table Storage cannot be read/)] });
        expect(answer.ms).toBeLessThan(30_000);
      }
      // After the fault: every collector run recorded failed is a problem with its code, and nothing else is.
      const { outcomes } = phase;
      expect(after!.problems.sort()).toEqual(expectedProblems(outcomes, ledgerAfterFault, after!.detectorRun).sort());
      // The detector's result and its status agree; a failure goes unrecorded only when storage was what failed.
      const detector = outcomes.find(({ name }) => name === 'detectRegressions')!.result;
      if (detector.exitCode === 0) expect(after!.detectorRun).toMatchObject({ status: 'complete' });
      if (detector.exitCode === 1 && fault.kind !== 'freezeStorage' && fault.kind !== 'stopStorage') expect(after!.detectorRun).toMatchObject({ status: 'failed' });
      expect(after).toMatchObject({ healthy: after!.problems.length === 0, httpStatus: after!.problems.length === 0 ? 200 : 503, healthCheck: after!.problems.length === 0 ? 200 : 503 });
      if (fault.kind === 'hangTokenEndpoint') expect(outcomes.find(({ name }) => name === fault.target)?.result.exitCode).toBe(1);
      if (fault.kind === 'hangAcs' && expected.opened.length + expected.resolved.length > 0) {
        // ACS took nothing: the email waits in the outbox, and status shows it.
        expect(inboxAfterFault).toBe(inboxBefore);
        expect(after!.undelivered).toBe(1);
      }
      // Only the fault kills (a kill may come after its target ended); nothing outlived the time limit.
      const mayBeKilled: string[] = fault.kind === 'killCollector' || fault.kind === 'killDetector' ? [fault.target] : [];
      expect(outcomes.filter(({ result }) => result.signal !== null).map(({ name }) => name).filter((name) => !mayBeKilled.includes(name))).toEqual([]);
      // The invocation result and the ledger agree: a run recorded failed failed its invocation, a succeeded one is complete.
      for (const { name, runId, result } of outcomes.filter((outcome) => outcome.runId !== null)) {
        const recorded = ledgerAfterFault.find((run) => run.runId === runId)?.status;
        if (recorded === 'failed') expect({ name, exitCode: result.exitCode }).toEqual({ name, exitCode: 1 });
        if (result.exitCode === 0) expect({ name, recorded }).toEqual({ name, recorded: 'complete' });
      }
      // A run still `running` belongs to a process that was killed or could not record its failure.
      const leftRunning = ledgerAfterFault.filter((run) => run.status === 'running').map((run) => run.runId);
      for (const runId of leftRunning) expect(outcomes.find((outcome) => outcome.runId === runId)?.result.exitCode).not.toBe(0);

      // After recovery: every function succeeded, nothing is running, what was left running is Abandoned, all is healthy.
      for (const { name, result } of recovery) expect({ name, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ name, exitCode: 0, stderr: '' });
      expect(ledger.filter((run) => run.status === 'running')).toEqual([]);
      for (const runId of leftRunning) expect(ledger.find((run) => run.runId === runId)).toMatchObject({ status: 'failed', errorCode: 'Abandoned' });
      expect(healthy).toMatchObject({ httpStatus: 200, healthCheck: 200, healthy: true, problems: [], undelivered: 0, detectorRun: { status: 'complete' } });

      // Every change announced exactly once: the round's emails hold exactly the lines the rules decide.
      expect(linesOf(sent)).toEqual(expected);
      expect(new Set(sim.inbox().map((email) => email.operationId)).size).toBe(sim.inbox().length);
    }, 180_000);
  });
});
