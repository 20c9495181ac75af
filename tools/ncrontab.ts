import { CronExpressionParser } from 'cron-parser';

/**
 * The first occurrence of an Azure Functions timer schedule strictly after `after`: NCRONTAB
 * with exactly six fields (seconds first), evaluated in UTC as the host does when
 * WEBSITE_TIME_ZONE is unset. Throws on anything Azure would refuse to index.
 */
export function nextOccurrence(schedule: string, after: Date): Date {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6 || schedule.trim().startsWith('@')) {
    throw new Error(`Schedule "${schedule}" is not a 6-field NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week})`);
  }
  try {
    return CronExpressionParser.parse(fields.join(' '), { currentDate: after, tz: 'UTC' }).next().toDate();
  } catch (error) {
    throw new Error(`Schedule "${schedule}" is invalid: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
