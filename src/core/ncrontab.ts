import { Cron } from 'croner';
import { ConfigurationError } from './errors';

/**
 * An Azure Functions timer schedule: NCRONTAB with exactly six fields (seconds first),
 * evaluated in UTC as the host does when WEBSITE_TIME_ZONE is unset.
 */
export interface Schedule {
  /** The app setting it was read from, named in every message about it. */
  readonly setting: string;
  readonly expression: string;
  /** The first occurrence strictly after `after`, or null when the schedule never fires again. */
  nextAfter(after: Date): Date | null;
}

/**
 * One field as NCRONTAB reads it: `*`, a number or a three-letter name, a range, a step, or a
 * list of those. Quartz's `?`, `L`, `W` and `#` are not NCRONTAB, and Azure refuses them.
 */
const field = /^(\*|(\d+|[a-z]{3})(-(\d+|[a-z]{3}))?)(\/\d+)?(,(\*|(\d+|[a-z]{3})(-(\d+|[a-z]{3}))?)(\/\d+)?)*$/i;

/**
 * Reads `expression` (from app setting `setting`) as Azure would index it, or throws a
 * ConfigurationError naming the setting. NCRONTAB requires both the day of the month and the
 * day of the week to match when both are restricted (classic cron accepts either).
 */
export function readSchedule(setting: string, expression: string): Schedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 || !fields.every((text) => field.test(text))) {
    throw new ConfigurationError([`${setting} ("${expression}") is not a 6-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week}, UTC)`]);
  }
  let cron: Cron;
  try {
    // `5/20` is NCRONTAB for "from 5 in steps of 20" (sloppyRanges).
    cron = new Cron(fields.join(' '), { mode: '6-part', timezone: 'UTC', domAndDow: true, sloppyRanges: true, paused: true });
  } catch (error) {
    throw new ConfigurationError([`${setting} ("${expression}") is not a valid NCRONTAB expression: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return {
    setting,
    expression,
    nextAfter: (after) => cron.nextRun(after),
  };
}
