import { bucketedTables, bucketOf, bucketsOf, bucketTableName, historyBucketOf } from '../../src/adapters/tableLayout';

describe('table layout', () => {
  const tenantIds = Array.from({ length: 5000 }, (_, index) => `${index.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);

  it('when ids are bucketed, then the same id always lands in the same bucket, and every bucket is one the layout lists', () => {
    expect(bucketOf('4f1c2a3e-0000-4000-8000-000000000000')).toBe(bucketOf('4f1c2a3e-0000-4000-8000-000000000000'));
    for (const tenantId of tenantIds) {
      expect(bucketsOf('customers')).toContain(bucketOf(tenantId));
      expect(bucketsOf('customerHistory')).toContain(historyBucketOf(tenantId));
    }
  });

  it('when 5,000 customers are spread, then every bucket gets some and none gets more than twice its share', () => {
    for (const [buckets, bucketFor] of [
      [bucketsOf('customers'), bucketOf],
      [bucketsOf('customerHistory'), historyBucketOf],
    ] as const) {
      const counts = new Map<string, number>();
      for (const tenantId of tenantIds) counts.set(bucketFor(tenantId), (counts.get(bucketFor(tenantId)) ?? 0) + 1);
      expect(counts.size).toBe(buckets.length);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual((2 * tenantIds.length) / buckets.length);
    }
  });

  it('when a bucket table is named, then the name is a valid Azure table name even under the longest prefix', () => {
    const longestPrefix = 'a'.repeat(40);
    for (const kind of bucketedTables) {
      for (const bucket of bucketsOf(kind)) expect(`${longestPrefix}${bucketTableName(kind, bucket)}`).toMatch(/^[A-Za-z][A-Za-z0-9]{2,62}$/);
    }
  });
});
