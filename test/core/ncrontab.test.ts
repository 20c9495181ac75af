import { readSchedule } from '../../src/core/ncrontab';

const next = (expression: string, after: string): string | undefined => readSchedule('SCHEDULE_TEST', expression).nextAfter(new Date(after))?.toISOString();

describe('readSchedule', () => {
  test('when the schedule has six fields, then seconds come first and the time is UTC', () => {
    expect(next('0 15 5 * * *', '2024-03-10T05:15:00.000Z')).toBe('2024-03-11T05:15:00.000Z');
    expect(next('*/20 * * * * *', '2024-03-10T05:15:20.000Z')).toBe('2024-03-10T05:15:40.000Z');
    expect(next('0 0 */6 * * *', '2024-03-10T05:15:00.000Z')).toBe('2024-03-10T06:00:00.000Z');
  });

  test('when a step starts from a value, then it runs from that value to the end of the range, as NCRONTAB reads 5/20', () => {
    expect(next('5/20 * * * * *', '2024-03-10T05:15:25.000Z')).toBe('2024-03-10T05:15:45.000Z');
    expect(next('5/20 * * * * *', '2024-03-10T05:15:45.000Z')).toBe('2024-03-10T05:16:05.000Z');
  });

  test('when both the day of the month and the day of the week are given, then both must match (NCRONTAB, unlike classic cron)', () => {
    // Friday the 13th: the next one after 2024-03-10 is 2024-09-13.
    expect(next('0 0 9 13 * 5', '2024-03-10T00:00:00.000Z')).toBe('2024-09-13T09:00:00.000Z');
  });

  test('when the schedule names days and months, then they are read as NCRONTAB names', () => {
    expect(next('0 30 9 * Jan-Mar Mon-Fri', '2024-03-29T10:00:00.000Z')).toBe('2025-01-01T09:30:00.000Z');
  });

  test('when the schedule can never fire, then it has no next occurrence', () => {
    expect(next('0 0 0 30 2 *', '2024-03-10T00:00:00.000Z')).toBeUndefined();
  });

  test('when the schedule is not 6-field NCRONTAB, then it is a configuration error naming the setting, as Azure would refuse it', () => {
    for (const expression of ['15 5 * * *', '@daily', '00:05:00', '0 0 12 ? * MON', '0 0 12 L * *', '0 0 12 * * 5#3']) {
      expect(() => readSchedule('SCHEDULE_TEST', expression)).toThrow(`SCHEDULE_TEST ("${expression}") is not a 6-field NCRONTAB expression`);
    }
    expect(() => readSchedule('SCHEDULE_TEST', '0 61 5 * * *')).toThrow(expect.objectContaining({ code: 'InvalidConfiguration', message: expect.stringContaining('SCHEDULE_TEST ("0 61 5 * * *") is not a valid NCRONTAB expression') }));
  });
});
