import { nextOccurrence } from '../../tools/ncrontab';

describe('nextOccurrence', () => {
  test('when the schedule has six fields, then seconds come first and the time is UTC', () => {
    expect(nextOccurrence('0 15 5 * * *', new Date('2024-03-10T05:15:00.000Z')).toISOString()).toBe('2024-03-11T05:15:00.000Z');
    expect(nextOccurrence('*/20 * * * * *', new Date('2024-03-10T05:15:20.000Z')).toISOString()).toBe('2024-03-10T05:15:40.000Z');
    expect(nextOccurrence('0 0 */6 * * *', new Date('2024-03-10T05:15:00.000Z')).toISOString()).toBe('2024-03-10T06:00:00.000Z');
  });

  test('when the schedule is not 6-field NCRONTAB, then it throws as Azure would refuse it', () => {
    expect(() => nextOccurrence('15 5 * * *', new Date())).toThrow('is not a 6-field NCRONTAB expression');
    expect(() => nextOccurrence('@daily', new Date())).toThrow('is not a 6-field NCRONTAB expression');
    expect(() => nextOccurrence('00:05:00', new Date())).toThrow('is not a 6-field NCRONTAB expression');
    expect(() => nextOccurrence('0 61 5 * * *', new Date())).toThrow('Schedule "0 61 5 * * *" is invalid');
  });
});
