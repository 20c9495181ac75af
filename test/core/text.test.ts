import { isOneOf } from '../../src/core/text';

describe('isOneOf', () => {
  const severities = ['critical', 'warning'] as const;

  it('when a value is one of the words, then it is (and is typed as) that word', () => {
    const value: unknown = 'warning';
    expect(isOneOf(severities, value)).toBe(true);
    if (isOneOf(severities, value)) {
      const severity: (typeof severities)[number] = value;
      expect(severity).toBe('warning');
    }
  });

  it('when a value is another word, another case or not text, then it is not', () => {
    for (const value of ['info', 'Critical', '', null, undefined, 1, ['critical']]) expect(isOneOf(severities, value)).toBe(false);
  });
});
