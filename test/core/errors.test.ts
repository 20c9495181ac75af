import { causeChain, MonitorError } from '../../src/core/errors';

describe('causeChain', () => {
  it('when an error wraps others, then it lists the error and each cause, outermost first', () => {
    const innermost = Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
    const middle = new MonitorError('StorageUnavailable', 'table unreachable', { cause: innermost });
    const outer = new Error('query failed', { cause: middle });
    expect(causeChain(outer)).toEqual([outer, middle, innermost]);
  });

  it('when a cause chain loops back on itself, then it ends at the first repeat', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    expect(causeChain(first)).toEqual([first, second]);

    const selfWrapped = new Error('self');
    (selfWrapped as { cause?: unknown }).cause = selfWrapped;
    expect(causeChain(selfWrapped)).toEqual([selfWrapped]);
  });

  it('when a chain is longer than the bound, then it stops at the bound', () => {
    let error = new Error('0');
    for (let depth = 1; depth < 20; depth += 1) error = new Error(String(depth), { cause: error });
    expect(causeChain(error, 4).map((link) => (link as Error).message)).toEqual(['19', '18', '17', '16']);
  });

  it('when the thrown value is not an error, then it is the whole chain (and nothing is no chain)', () => {
    expect(causeChain('plain text')).toEqual(['plain text']);
    expect(causeChain(undefined)).toEqual([]);
    expect(causeChain(null)).toEqual([]);
  });
});
