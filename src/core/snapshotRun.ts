import { MonitorError } from './errors';
import type { SnapshotSource } from './model';

/**
 * A snapshot run id sorts newest first: 13 digits of (max - start time in ms), then a random
 * suffix so two runs started in the same millisecond never collide. Row keys that start with
 * a run id therefore list the latest snapshot first, and a time range is a key range.
 */
const maxTime = 9_999_999_999_999;
const runIdPattern = /^\d{13}-[0-9a-z]{6,16}$/;

/**
 * The start times a run id can hold: 13 inverted digits reach from the Unix epoch to
 * 2286-11-20T17:46:39.999Z. A time outside would not sort with the others.
 */
export const runTimeRange = { earliest: new Date(0), latest: new Date(maxTime) } as const;

export function newRunId(startedAt: Date, suffix: string): string {
  return `${invertedTime(startedAt)}-${suffix}`;
}

export function isRunId(value: string): boolean {
  return runIdPattern.test(value);
}

export function runStartedAt(runId: string): Date {
  return new Date(maxTime - Number(runId.slice(0, 13)));
}

/** The 13-digit prefix shared by every run id started at `time`. */
function invertedTime(time: Date): string {
  return String(maxTime - time.getTime()).padStart(13, '0');
}

/**
 * Row-key bounds selecting run ids started within [from, to]: newer runs have smaller keys,
 * so `to` gives the lower bound and `from` the upper one.
 */
export function runIdRange(from: Date | undefined, to: Date | undefined): { lowest: string; highest: string } {
  return {
    lowest: to === undefined ? '0' : invertedTime(to),
    highest: from === undefined ? '~' : `${invertedTime(from)}~`,
  };
}

/** What a run counted, by measure (`customers`, `pages`, ...). */
export type SnapshotRunCounts = Record<string, number>;

/** One row of the ledger: a run is data only once its status is `complete`. */
export interface SnapshotRun {
  source: SnapshotSource;
  runId: string;
  status: 'running' | 'complete' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  counts: SnapshotRunCounts;
  errorCode: string | null;
  errorMessage: string | null;
  /** What a complete run could not do without failing, e.g. why customer names are missing. */
  warnings: string[];
}

/**
 * A run that is complete (its ledger row says so, and stays so) but whose completion could not
 * finish what follows it, e.g. applying its change points to the customers' current state. The
 * invocation fails with it; the source's next run finishes that work.
 */
export class CompleteRunFollowUpError extends MonitorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CustomerStateNotApplied', message, options);
    this.name = 'CompleteRunFollowUpError';
  }
}
