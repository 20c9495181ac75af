import type { Timer } from '@azure/functions';
import type { RegisteredFunction } from './functionsCore';
import { invokeFunction, type HostLog } from './invokeFunction';
import { ConfigurationError } from '../src/core/errors';
import { readSchedule, type Schedule } from '../src/core/ncrontab';
import { resolveAppSettings } from './resolveAppSettings';

interface TimerSchedulerOptions {
  /** App settings `%NAME%` schedules are read from. */
  env: Readonly<Record<string, string | undefined>>;
  log: HostLog;
  /** Arm the schedules; without it, timers only run through runNow(). */
  schedule: boolean;
}

interface TimerScheduler {
  /** Resolved schedule of each timer function, or why it is not scheduled. */
  readonly schedules: ReadonlyMap<string, { schedule: string } | { error: string }>;
  /** Runs a timer function now; rejects if it is already running, like a skipped tick. */
  runNow(name: string, triggerMetadata?: Record<string, unknown>): Promise<unknown>;
  /** Stops the schedules and waits for runs in progress. */
  close(): Promise<void>;
}

/** setTimeout overflows past ~24.8 days; longer waits are taken in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** A tick this late counts as past due (the host was busy or asleep). */
const PAST_DUE_MS = 1000;
/** The host's value for "never ran", `DateTime.MinValue`. */
const NEVER = '0001-01-01T00:00:00.000Z';

/**
 * The first occurrence of a timer schedule strictly after `after`. Throws, as Azure refuses to
 * index such a function, on anything but 6-field NCRONTAB and on a schedule that never fires.
 */
export function nextOccurrence(schedule: string, after: Date, setting = 'The schedule'): Date {
  let read: Schedule;
  try {
    read = readSchedule(setting, schedule);
  } catch (error) {
    // One line for the host's log, as each of its events is.
    throw error instanceof ConfigurationError ? new Error(error.problems.join('; '), { cause: error }) : error;
  }
  const next = read.nextAfter(after);
  if (next === null) throw new Error(`The schedule "${schedule}" never fires after ${after.toISOString()}`);
  return next;
}

/** The Timer a timer function receives; `next` is computed from the resolved schedule, if any. */
export function timerInput(options: { isPastDue: boolean; lastRun?: string; schedule?: string; after: Date }): Timer {
  return {
    isPastDue: options.isPastDue,
    // NCRONTAB schedules adjust for DST in the host; in UTC there is none to adjust for.
    schedule: { adjustForDST: true },
    scheduleStatus: {
      last: options.lastRun ?? NEVER,
      next: options.schedule === undefined ? '' : nextOccurrence(options.schedule, options.after).toISOString(),
      lastUpdated: new Date().toISOString(),
    },
  };
}

interface TimerState {
  fn: RegisteredFunction;
  schedule?: string;
  timeout?: NodeJS.Timeout;
  running?: Promise<unknown>;
  lastRun?: string;
}

/**
 * Runs timer functions on their NCRONTAB schedules (UTC, seconds first), one invocation of a
 * function at a time: a tick that comes while the previous run is still going is skipped, and
 * logged, rather than run concurrently.
 */
export function startTimerScheduler(functions: readonly RegisteredFunction[], options: TimerSchedulerOptions): TimerScheduler {
  const timers = new Map<string, TimerState>();
  const schedules = new Map<string, { schedule: string } | { error: string }>();
  let closed = false;

  const logFor = (name: string, message: string): void => options.log(`${new Date().toISOString()} [${name}] ${message}`);

  const run = (state: TimerState, timer: Timer, reason: string, triggerMetadata?: Record<string, unknown>): Promise<unknown> => {
    const running = invokeFunction(state.fn, timer, { log: options.log, reason, triggerMetadata }).finally(() => {
      state.running = undefined;
    });
    state.running = running;
    return running;
  };

  const timerFor = (state: TimerState, isPastDue: boolean, after: Date): Timer => {
    const timer = timerInput({ isPastDue, lastRun: state.lastRun, schedule: state.schedule, after });
    state.lastRun = timer.scheduleStatus.lastUpdated;
    return timer;
  };

  const fire = (state: TimerState, schedule: string, slot: Date): void => {
    const firedAt = Date.now();
    arm(state, schedule, new Date(Math.max(slot.getTime(), firedAt)));
    if (state.running !== undefined) {
      logFor(state.fn.name, `Skipped the ${slot.toISOString()} occurrence: the previous run is still going`);
      return;
    }
    // Failures are logged by invokeFunction; the schedule carries on, as in Azure.
    run(state, timerFor(state, firedAt - slot.getTime() > PAST_DUE_MS, slot), `Timer fired at ${new Date(firedAt).toISOString()}`).catch(() => undefined);
  };

  const arm = (state: TimerState, schedule: string, after: Date): void => {
    if (closed) return;
    const slot = nextOccurrence(schedule, after);
    const wait = (): void => {
      const delay = slot.getTime() - Date.now();
      state.timeout = setTimeout(() => (Date.now() >= slot.getTime() ? fire(state, schedule, slot) : wait()), Math.min(Math.max(delay, 0), MAX_TIMEOUT_MS));
    };
    wait();
  };

  for (const fn of functions) {
    if (fn.trigger.type !== 'timer') continue;
    const state: TimerState = { fn };
    timers.set(fn.name, state);
    try {
      state.schedule = resolveAppSettings(fn.trigger.schedule, options.env);
      // Named by its app setting (`%SCHEDULE_...%`), as the fix is made there.
      nextOccurrence(state.schedule, new Date(), /^%(\w+)%$/.exec(fn.trigger.schedule)?.[1]);
      schedules.set(fn.name, { schedule: state.schedule });
    } catch (error) {
      // Azure indexes the other functions and reports this one as errored; so does the local host.
      const message = error instanceof Error ? error.message : String(error);
      schedules.set(fn.name, { error: message });
      logFor(fn.name, `Not scheduled: ${message}`);
      continue;
    }
    if (!options.schedule) continue;
    arm(state, state.schedule, new Date());
    if (fn.trigger.runOnStartup) {
      run(state, timerFor(state, false, new Date()), 'Timer fired at startup (runOnStartup)').catch(() => undefined);
    }
  }

  return {
    schedules,
    runNow: async (name, triggerMetadata) => {
      const state = timers.get(name);
      if (state === undefined) throw new Error(`No timer function named "${name}"`);
      if (state.running !== undefined) throw new Error(`${name} is already running`);
      return run(state, timerFor(state, false, new Date()), 'Manual', triggerMetadata);
    },
    close: async () => {
      closed = true;
      for (const state of timers.values()) clearTimeout(state.timeout);
      await Promise.allSettled([...timers.values()].map((state) => state.running));
    },
  };
}
