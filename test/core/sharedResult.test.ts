import { SharedResult } from '../../src/core/sharedResult';

describe('SharedResult', () => {
  let now = 0;
  const clock = (): number => now;
  const deferred = <T>() => {
    let resolve!: (value: T) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };
  beforeEach(() => (now = 0));

  it('when callers ask while the answer is being computed, then they all share the one computation', async () => {
    const shared = new SharedResult<number>(30_000, clock);
    const pending = deferred<number>();
    const compute = jest.fn(() => pending.promise);
    const answers = Array.from({ length: 16 }, () => shared.get('k', compute));
    pending.resolve(200);
    expect(await Promise.all(answers)).toEqual(Array(16).fill(200));
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('when the answer is younger than its maximum age, then it is served; once that old, it is computed again', async () => {
    const shared = new SharedResult<number>(30_000, clock);
    const compute = jest.fn(() => Promise.resolve(now));
    expect(await shared.get('k', compute)).toBe(0);
    now = 29_999;
    expect(await shared.get('k', compute)).toBe(0);
    now = 30_000;
    expect(await shared.get('k', compute)).toBe(30_000);
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it('when the computation fails, then the failure is shared for the same time, so a failing dependency is not asked again at once', async () => {
    const shared = new SharedResult<number>(30_000, clock);
    const compute = jest.fn(() => Promise.reject(new Error('storage down')));
    await expect(shared.get('k', compute)).rejects.toThrow('storage down');
    now = 10_000;
    await expect(shared.get('k', compute)).rejects.toThrow('storage down');
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('when an answer is put in from elsewhere, then callers get it from then on; other keys are computed apart', async () => {
    const shared = new SharedResult<number>(30_000, clock);
    await shared.get('k', () => Promise.resolve(200));
    shared.put('k', 503);
    expect(await shared.get('k', () => Promise.resolve(200))).toBe(503);
    expect(await shared.get('other', () => Promise.resolve(404))).toBe(404);
  });
});
