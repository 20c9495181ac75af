import { createHash, createHmac } from 'node:crypto';
import { continuationTokens } from '../../src/api/continuationToken';
import { toCsv } from '../../src/api/csv';
import { ProblemError } from '../../src/api/problem';
import { parseDate, parseTenantId, parseTimeRange, parseTop } from '../../src/api/queryParameters';
import { csvColumns } from '../../src/api/schemas';

const query = (search: string) => new URLSearchParams(search);

function problemOf(action: () => unknown): ProblemError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
  throw new Error('no problem thrown');
}

describe('query parameters', () => {
  it('when a bare date is an upper bound, then it means the end of that day; as a lower bound, its start', () => {
    expect(parseTimeRange(query('from=2026-01-31&to=2026-01-31'))).toEqual({ from: new Date('2026-01-31T00:00:00.000Z'), to: new Date('2026-01-31T23:59:59.999Z') });
    expect(parseDate(query('since=2026-01-31T08:00:00%2B02:00'), 'since', 'start')).toEqual(new Date('2026-01-31T06:00:00Z'));
  });

  it.each(['2026-1-31', '2026-02-29', '2026-01-31T24:00:00Z', '2026-01-31 08:00Z', '20260131', ''])('when a date is "%s", then it is a 400 naming the parameter', (value) => {
    expect(problemOf(() => parseDate(query(`from=${encodeURIComponent(value)}`), 'from', 'start')).problem).toMatchObject({ status: 400, 'invalid-params': [{ name: 'from' }] });
  });

  // RFC 3339 section 5.6 (https://www.rfc-editor.org/rfc/rfc3339#section-5.6): "T" and "Z" may be
  // lower case; section 5.7: a day beyond its month's last does not exist. The same reader as a waiver's expiry.
  it('when a date uses the lower-case t and z RFC 3339 allows, then it is read; when the day does not exist, then the 400 says so', () => {
    expect(parseDate(query('since=2026-01-31t08:00:00z'), 'since', 'start')).toEqual(new Date('2026-01-31T08:00:00Z'));
    expect(problemOf(() => parseDate(query('from=2026-02-30'), 'from', 'start')).problem['invalid-params']).toEqual([{ name: 'from', reason: 'must be a date that exists: 2026-02 has days 01 to 28' }]);
  });

  it('when from or to is just outside the times a run id holds, then it is a 400 naming the range; at the edges it passes', () => {
    expect(parseTimeRange(query('from=1970-01-01&to=2286-11-20T17:46:39.999Z'))).toEqual({ from: new Date(0), to: new Date(9_999_999_999_999) });
    for (const [search, name] of [['from=1969-12-31T23:59:59.999Z', 'from'], ['to=2286-11-20T17:46:40Z', 'to'], ['to=2286-11-20', 'to']] as const) {
      expect(problemOf(() => parseTimeRange(query(search))).problem).toMatchObject({
        status: 400,
        'invalid-params': [{ name, reason: 'must be from 1970-01-01T00:00:00.000Z to 2286-11-20T17:46:39.999Z, the times a run can have started' }],
      });
    }
  });

  it('when top is at its bounds it passes, and just past them it is a 400', () => {
    expect(parseTop(query('top=1'), 5)).toBe(1);
    expect(parseTop(query('top=1000'), 5)).toBe(1000);
    expect(parseTop(query(''), 5)).toBe(5);
    for (const value of ['0', '1001', '01e2', ' 5', 'x']) expect(problemOf(() => parseTop(query(`top=${encodeURIComponent(value)}`), 5)).problem.status).toBe(400);
  });

  it('when a tenant id is a GUID in any case it is lower-cased, otherwise a 400', () => {
    expect(parseTenantId('AAAAAAAA-bbbb-4ccc-8ddd-EEEEEEEEEEEE')).toBe('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
    expect(problemOf(() => parseTenantId("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee'")).problem['invalid-params']).toEqual([{ name: 'tenantId', reason: expect.any(String) }]);
  });
});

describe('continuation tokens', () => {
  const position = { query: 'customers:all', runId: '8230000000000-abcdef12', partitionKey: '3', rowKey: "tenant'with_quote" };

  it('when a token round-trips under the same key, then the position comes back; under another key it is refused', () => {
    const tokens = continuationTokens('key one');
    expect(tokens.decode(tokens.encode(position))).toEqual(position);
    expect(continuationTokens('key two').decode(tokens.encode(position))).toBeNull();
    expect(continuationTokens(null).decode(tokens.encode(position))).toBeNull();
  });

  it('when any character of a token changes, then it is refused', () => {
    const tokens = continuationTokens('key');
    const token = tokens.encode(position);
    for (let index = 0; index < token.length; index += 5) {
      const altered = token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);
      expect(tokens.decode(altered)).toBeNull();
    }
  });

  it('when a signed payload holds an impossible position, then it is refused all the same', () => {
    const tokens = continuationTokens('key');
    expect(tokens.decode(tokens.encode({ ...position, rowKey: 'k'.repeat(1025) }))).toBeNull();
    expect(tokens.decode(tokens.encode({ ...position, runId: "x' or 'a' eq 'a" }))).toBeNull();
  });


  it('when a genuine token of the earlier bucket layout comes back, then it is told apart from a forged one', () => {
    const secret = 'key';
    const key = createHash('sha256').update('mfa-monitor continuation token v1\0').update(secret).digest();
    const payload = Buffer.from(JSON.stringify({ q: 'customers:all', r: position.runId, b: 3, k: 'tenant' })).toString('base64url');
    const earlier = `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
    expect(continuationTokens(secret).decode(earlier)).toBe('otherVersion');
    expect(continuationTokens('another key').decode(earlier)).toBeNull();
  });
});

describe('CSV', () => {
  it('when fields hold commas, quotes, line breaks or formulas, then they are quoted and defused', () => {
    const csv = toCsv(['name', 'count', 'subject.id', 'counts'], [
      { name: 'a,b "c"\nd', count: 3, subject: { id: '=HYPERLINK("x")' }, counts: { a: 1 } },
      { name: null, count: -2, subject: null },
    ]);
    expect(csv).toBe('name,count,subject.id,counts\r\n"a,b ""c""\nd",3,"\'=HYPERLINK(""x"")","{""a"":1}"\r\n,-2,,\r\n');
  });

  it('when columns come from a schema, then nested objects become parent.child columns', () => {
    expect(csvColumns('SourceStatus')).toEqual([
      'source', 'lastRun.runId', 'lastRun.status', 'lastRun.startedAt', 'lastRun.finishedAt', 'lastRun.errorCode', 'lastRun.warnings',
      'lastCompleteRun.runId', 'lastCompleteRun.status', 'lastCompleteRun.startedAt', 'lastCompleteRun.finishedAt', 'lastCompleteRun.errorCode', 'lastCompleteRun.warnings',
      'schedule.setting', 'schedule.expression', 'schedule.expectedBy', 'openFindings', 'lastSkippedRun.at', 'lastSkippedRun.heldBy', 'lastSkippedRun.heldUntil', 'waitingToBeApplied',
    ]);
  });
});
