import { fromTableKey, toTableKey } from '../../src/adapters/tableKey';

describe('toTableKey', () => {
  it('when a value holds every forbidden character, then none remains and the value round-trips', () => {
    const value = 'a/b\\c#d?e%f\u0001g\u007fh\u0085i';
    const key = toTableKey(value);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(key).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
    expect(fromTableKey(key)).toBe(value);
  });

  it('when a value is a GUID, then it is unchanged', () => {
    expect(toTableKey('d90cb160-123d-0608-3fd6-c53551dcc20c')).toBe('d90cb160-123d-0608-3fd6-c53551dcc20c');
  });
});
