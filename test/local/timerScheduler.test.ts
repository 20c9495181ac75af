import { nextOccurrence } from '../../tools/timerScheduler';

describe('nextOccurrence', () => {
  test('when the schedule fires, then it is the next occurrence; when it never does, then the schedule is refused', () => {
    expect(nextOccurrence('0 15 5 * * *', new Date('2024-03-10T05:15:00.000Z')).toISOString()).toBe('2024-03-11T05:15:00.000Z');
    expect(() => nextOccurrence('0 0 0 30 2 *', new Date('2024-03-10T00:00:00.000Z'))).toThrow('never fires');
    expect(() => nextOccurrence('0 61 5 * * *', new Date())).toThrow('The schedule ("0 61 5 * * *") is not a valid NCRONTAB expression');
    expect(() => nextOccurrence('0 15 5 * *', new Date(), 'SCHEDULE_PARTNER_SECURITY')).toThrow('SCHEDULE_PARTNER_SECURITY ("0 15 5 * *") is not a 6-field NCRONTAB expression');
  });
});
