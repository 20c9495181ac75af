import { compileRoute } from '../../tools/httpRoute';

describe('compileRoute', () => {
  test('when the path fits the template, then parameters are decoded and literals ignore case', () => {
    const match = compileRoute('customers/{tenantId}/history');
    expect(match('customers/abc%20d/history')).toEqual({ tenantId: 'abc d' });
    expect(match('Customers/x/HISTORY')).toEqual({ tenantId: 'x' });
  });

  test('when the path has too few or too many segments or a malformed escape, then nothing matches', () => {
    const match = compileRoute('customers/{tenantId}/history');
    expect(match('customers/history')).toBeUndefined();
    expect(match('customers/x/history/more')).toBeUndefined();
    expect(match('customers/%E0%A4%A/history')).toBeUndefined();
  });

  test('when the template ends with an optional or catch-all parameter, then it may be absent or span segments', () => {
    expect(compileRoute('runs/{runId?}')('runs')).toEqual({});
    expect(compileRoute('runs/{runId?}')('runs/r1')).toEqual({ runId: 'r1' });
    expect(compileRoute('files/{*path}')('files/a/b.txt')).toEqual({ path: 'a/b.txt' });
    expect(compileRoute('items/{id:int}')('items/7')).toEqual({ id: '7' });
  });
});
