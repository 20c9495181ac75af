import { jsonObject, oneOf, optionalText, readRow, requiredText, type StoredRow } from '../../src/adapters/unreadableRows';

const scopes = ['finding', 'customer'] as const;

describe('oneOf', () => {
  it('when a field holds one of the words, then it is that word, typed as the union', () => {
    const scope: (typeof scopes)[number] = oneOf('waivers', { scope: 'customer' }, 'scope', scopes);
    expect(scope).toBe('customer');
  });

  it('when a field holds another word or nothing, then the row is unreadable, naming the field and the words, never the stored value', () => {
    expect(() => oneOf('waivers', { scope: 'everything-secret' }, 'scope', scopes)).toThrow(expect.objectContaining({ code: 'UnreadableRow', message: 'A row of the waivers table cannot be read: field "scope" is not one of finding, customer' }));
    const missing: StoredRow<{ scope: string }> = {};
    expect(() => oneOf('waivers', missing, 'scope', scopes)).toThrow(/field "scope" is missing or not text/);
  });

  it('when a reader with a handler meets such a row, then the row is skipped and reported', () => {
    const reported: string[] = [];
    const read = readRow('waivers', { partitionKey: 'p', rowKey: 'r', scope: 'x' }, (row) => oneOf('waivers', row, 'scope', scopes), (_table, reason) => reported.push(reason));
    expect(read).toBeUndefined();
    expect(reported).toEqual(['field "scope" is not one of finding, customer']);
  });
});

describe('jsonObject', () => {
  const read = (row: StoredRow<{ before: string }>) => jsonObject('waivers', row, 'before', (value) => requiredText('waivers', value, 'id'));

  it('when a field holds the JSON of an object, then the converter reads it; when it holds null or nothing, then null', () => {
    expect(read({ before: '{"id":"w1"}' })).toBe('w1');
    expect(read({ before: 'null' })).toBeNull();
    expect(read({})).toBeNull();
  });

  it('when a field holds JSON that is no object, or an object without what the converter needs, then the row is unreadable (never a value of the wrong shape)', () => {
    expect(() => read({ before: '[1,2]' })).toThrow('A row of the waivers table cannot be read: field "before" is not a JSON object');
    expect(() => read({ before: '{"name":"x"}' })).toThrow('A row of the waivers table cannot be read: field "id" is missing or not text');
    expect(() => read({ before: '{' })).toThrow('A row of the waivers table cannot be read: field "before" is not JSON');
  });
});

describe('optionalText', () => {
  it('when a field is text, then it is that text; otherwise null', () => {
    expect(optionalText({ lastError: 'timed out' }, 'lastError')).toBe('timed out');
    expect(optionalText({ lastError: 42 }, 'lastError')).toBeNull();
    const missing: StoredRow<{ lastError: string }> = {};
    expect(optionalText(missing, 'lastError')).toBeNull();
  });
});
