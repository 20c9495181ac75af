import { isRunId, newRunId, runIdRange, runStartedAt } from '../../src/core/snapshotRun';

describe('run ids', () => {
  it('when runs start later, then their ids sort first', () => {
    const older = newRunId(new Date('2026-01-01T00:00:00Z'), 'aaaaaa');
    const newer = newRunId(new Date('2026-01-02T00:00:00Z'), 'aaaaaa');
    expect([older, newer].sort()).toEqual([newer, older]);
    expect(isRunId(newer)).toBe(true);
    expect(runStartedAt(newer).toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('when a range is asked for, then exactly the runs started inside it fall between the bounds', () => {
    const from = new Date('2026-01-02T00:00:00Z');
    const to = new Date('2026-01-03T00:00:00Z');
    const { lowest, highest } = runIdRange(from, to);
    const inside = (time: string) => {
      const id = newRunId(new Date(time), 'zzzzzz');
      return id >= lowest && id <= highest;
    };
    expect(inside('2026-01-02T00:00:00Z')).toBe(true);
    expect(inside('2026-01-02T12:00:00Z')).toBe(true);
    expect(inside('2026-01-03T00:00:00Z')).toBe(true);
    expect(inside('2026-01-01T23:59:59Z')).toBe(false);
    expect(inside('2026-01-03T00:00:01Z')).toBe(false);
  });

  it.each(['', '123', '1234567890123-UPPER', '1234567890123-ab/c'])('when %p is given as a run id, then it is refused', (value) => {
    expect(isRunId(value)).toBe(false);
  });
});
