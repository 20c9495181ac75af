import { readSchedule } from '../../src/core/ncrontab';
import { healthGraceMs, judgeSchedule, type ScheduledWork } from '../../src/core/scheduleHealth';

const grace = 14 * 60_000;
const weekdays = readSchedule('SCHEDULE_PARTNER_SECURITY', '0 15 5 * * 1-5');
const work = (lastCompleteStartedAt: string | null, schedule: ScheduledWork['schedule'] = weekdays): ScheduledWork => ({
  name: 'partnerSecurity',
  schedule,
  lastCompleteStartedAt: lastCompleteStartedAt === null ? null : new Date(lastCompleteStartedAt),
});
const at = (iso: string): Date => new Date(iso);

describe('judgeSchedule', () => {
  test("when the last complete run is the latest scheduled one, then the next is expected by its own occurrence plus the grace", () => {
    // Wednesday 2026-12-02 05:15 ran; Thursday 05:15 is next.
    const verdict = judgeSchedule(work('2026-12-02T05:15:03.000Z'), at('2026-12-02T18:00:00.000Z'), grace);
    expect(verdict).toEqual({ setting: 'SCHEDULE_PARTNER_SECURITY', expression: '0 15 5 * * 1-5', expectedBy: '2026-12-03T05:29:00.000Z', problem: null });
  });

  test('when the next run is scheduled but still within the grace, then it is not late yet', () => {
    expect(judgeSchedule(work('2026-12-02T05:15:03.000Z'), at('2026-12-03T05:29:00.000Z'), grace).problem).toBeNull();
  });

  test('when the grace after the scheduled run has passed without a complete run, then it is late, naming the run, its schedule and the time it was due by', () => {
    const verdict = judgeSchedule(work('2026-12-02T05:15:03.000Z'), at('2026-12-03T05:29:01.000Z'), grace);
    expect(verdict.problem).toBe(
      'partnerSecurity: no complete run since the one started at 2026-12-02T05:15:03.000Z; the run scheduled for 2026-12-03T05:15:00.000Z (SCHEDULE_PARTNER_SECURITY "0 15 5 * * 1-5") was due to complete by 2026-12-03T05:29:00.000Z (14 min of grace)',
    );
  });

  test("when a weekdays-only schedule ran on Friday, then nothing is expected over the weekend, and Monday's run is expected by Monday", () => {
    // Friday 2026-12-04 ran; the gap to Monday is three days, not the one day between Thursday and Friday.
    const friday = work('2026-12-04T05:15:02.000Z');
    expect(judgeSchedule(friday, at('2026-12-06T12:00:00.000Z'), grace)).toMatchObject({ expectedBy: '2026-12-07T05:29:00.000Z', problem: null });
    expect(judgeSchedule(friday, at('2026-12-07T05:30:00.000Z'), grace).problem).toContain('the run scheduled for 2026-12-07T05:15:00.000Z');
  });

  test("when Friday's run failed and Thursday's is the last complete one, then it is late from Friday's grace on, all weekend", () => {
    const thursday = work('2026-12-03T05:15:02.000Z');
    expect(judgeSchedule(thursday, at('2026-12-04T05:29:30.000Z'), grace).problem).toContain('the run scheduled for 2026-12-04T05:15:00.000Z');
    expect(judgeSchedule(thursday, at('2026-12-06T12:00:00.000Z'), grace).problem).toContain('was due to complete by 2026-12-04T05:29:00.000Z');
  });

  test('when a run was started by hand between occurrences, then the next scheduled occurrence after it is the one expected', () => {
    const hourly = readSchedule('SCHEDULE_DETECT_REGRESSIONS', '0 45 * * * *');
    const verdict = judgeSchedule({ name: 'detectRegressions', schedule: hourly, lastCompleteStartedAt: at('2026-12-02T10:50:00.000Z') }, at('2026-12-02T11:58:00.000Z'), grace);
    expect(verdict).toMatchObject({ expectedBy: '2026-12-02T11:59:00.000Z', problem: null });
  });

  test('when the schedule runs more often than the grace, then a run is still expected within the grace of the first occurrence after the last complete one', () => {
    const everyFiveMinutes = readSchedule('SCHEDULE_NON_MFA_PRINCIPALS', '0 */5 * * * *');
    const verdict = judgeSchedule(work('2026-12-02T10:00:01.000Z', everyFiveMinutes), at('2026-12-02T10:19:00.000Z'), grace);
    expect(verdict).toMatchObject({ expectedBy: '2026-12-02T10:19:00.000Z', problem: null });
    expect(judgeSchedule(work('2026-12-02T10:00:01.000Z', everyFiveMinutes), at('2026-12-02T10:19:01.000Z'), grace).problem).not.toBeNull();
  });

  test('when no run has completed yet, then nothing is expected by a time (that reason is stated with the runs)', () => {
    expect(judgeSchedule(work(null), at('2026-12-02T10:00:00.000Z'), grace)).toMatchObject({ expectedBy: null, problem: null });
  });

  test('when the schedule never fires again, then no run is expected', () => {
    const never = readSchedule('SCHEDULE_REGISTRATION_COUNTS', '0 0 0 30 2 *');
    expect(judgeSchedule(work('2026-12-02T10:00:00.000Z', never), at('2030-01-01T00:00:00.000Z'), grace)).toMatchObject({ expectedBy: null, problem: null });
  });

  test("when the schedule's setting cannot be read, then that is the reason, naming the setting", () => {
    const broken = { setting: 'SCHEDULE_PARTNER_SECURITY', problem: 'SCHEDULE_PARTNER_SECURITY ("0 15 5 * *") is not a 6-field NCRONTAB expression' };
    expect(judgeSchedule(work('2026-12-02T05:15:00.000Z', broken), at('2026-12-02T06:00:00.000Z'), grace)).toEqual({
      setting: 'SCHEDULE_PARTNER_SECURITY',
      expression: null,
      expectedBy: null,
      problem: 'partnerSecurity: SCHEDULE_PARTNER_SECURITY ("0 15 5 * *") is not a 6-field NCRONTAB expression',
    });
  });
});

describe('healthGraceMs', () => {
  test('when HEALTH_GRACE_MINUTES is unset, then the grace is the invocation time limit plus the 5-minute abandon margin', () => {
    expect(healthGraceMs(540_000, null)).toBe(840_000);
  });

  test('when HEALTH_GRACE_MINUTES is set at or above the time limit, then it is the grace', () => {
    expect(healthGraceMs(540_000, 60)).toBe(3_600_000);
    expect(healthGraceMs(540_000, 9)).toBe(540_000);
  });

  test('when HEALTH_GRACE_MINUTES is shorter than an invocation may work, then it is a configuration error naming it', () => {
    expect(() => healthGraceMs(540_000, 5)).toThrow(expect.objectContaining({ code: 'InvalidConfiguration', message: expect.stringContaining('HEALTH_GRACE_MINUTES (5) is shorter than an invocation may work (540 s)') }));
  });
});
