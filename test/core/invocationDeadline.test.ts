import { DeadlineExceededError, invocationBudgetMs, parseFunctionTimeout } from '../../src/core/invocationDeadline';

describe('invocation deadline', () => {
  it.each([
    ['00:10:00', 600_000],
    ['00:05:30', 330_000],
    ['1.02:00:00', 26 * 3_600_000],
    ['-1', null],
    [-1, null],
    [undefined, undefined],
    ['ten minutes', undefined],
  ])('when host.json says functionTimeout %p, then it is read as %p ms', (value, expected) => {
    expect(parseFunctionTimeout(value)).toBe(expected);
  });

  it('when no override is set, then the budget is the function timeout less 10 %, at least a minute', () => {
    expect(invocationBudgetMs(600_000, null)).toBe(540_000);
    expect(invocationBudgetMs(3_600_000, null)).toBe(3_240_000);
    expect(invocationBudgetMs(undefined, null)).toBe(30 * 60_000 - 180_000);
    expect(invocationBudgetMs(null, null)).toBe(60 * 60_000);
  });

  it('when an override leaves the margin, then it is the budget; when it does not, then it is refused naming the setting', () => {
    expect(invocationBudgetMs(600_000, 540)).toBe(540_000);
    expect(invocationBudgetMs(null, 7200)).toBe(7_200_000);
    expect(() => invocationBudgetMs(600_000, 541)).toThrow(expect.objectContaining({ code: 'InvalidConfiguration', message: expect.stringContaining('INVOCATION_DEADLINE_SECONDS (541) must leave at least 60 s') }));
  });

  it('when the deadline passes, then the error says so with the budget and what was awaited', () => {
    expect(new DeadlineExceededError(540_000, 'while waiting for: Graph GET /x')).toMatchObject({ code: 'DeadlineExceeded', message: "the invocation's deadline (540 s) passed while waiting for: Graph GET /x" });
  });
});
