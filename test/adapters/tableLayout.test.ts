import { customerChangeKey, customerHistoryKey, customerHistoryRange, customerKey, principalKey, runPartitionRange, spreadOf, spreads, tableNames } from '../../src/adapters/tableLayout';
import { newRunId } from '../../src/core/snapshotRun';

describe('table layout', () => {
  const tenantIds = Array.from({ length: 5000 }, (_, index) => `${(index * 2654435761 >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);

  it('when ids are spread, then a GUID lands in the partition of its first hex digit and any other id in one of the same 16', () => {
    expect(spreadOf('4F1C2A3E-0000-4000-8000-000000000000')).toBe('4');
    for (const id of ['not-a-guid', 'Zeta', '']) expect(spreads).toContain(spreadOf(id));
    const counts = new Map<string, number>();
    for (const tenantId of tenantIds) counts.set(spreadOf(tenantId), (counts.get(spreadOf(tenantId)) ?? 0) + 1);
    expect(counts.size).toBe(16);
  });

  it("when a customer's history is keyed, then every change point of it lies in its one key range and no other customer's does", () => {
    const [one = '', other = ''] = tenantIds;
    const range = customerHistoryRange(one);
    for (const runId of [newRunId(new Date('2026-01-01T00:00:00Z'), 'aaaaaa'), newRunId(new Date('2030-06-01T00:00:00Z'), 'zzzzzzzzzzzzzzzz')]) {
      const key = customerHistoryKey(one, runId);
      expect(key.partitionKey).toBe(range.partitionKey);
      expect(key.rowKey > range.from && key.rowKey < range.to).toBe(true);
      const foreign = customerHistoryKey(other, runId).rowKey;
      expect(foreign > range.from && foreign < range.to).toBe(false);
    }
    expect(customerKey(one.toUpperCase())).toEqual(customerKey(one));
  });

  it("when a run's change points or principals are keyed, then they lie in the run's partition range and no run with a similar id's", () => {
    const runId = newRunId(new Date('2026-01-01T00:00:00Z'), 'abc123');
    const longer = newRunId(new Date('2026-01-01T00:00:00Z'), 'abc1234');
    const { from, to } = runPartitionRange(runId);
    for (const tenantId of tenantIds.slice(0, 50)) {
      for (const key of [customerChangeKey(runId, tenantId).partitionKey, principalKey(runId, tenantId, '2026-01-01T00:00:00Z').partitionKey]) expect(key >= from && key <= to).toBe(true);
      const foreign = customerChangeKey(longer, tenantId).partitionKey;
      expect(foreign >= from && foreign <= to).toBe(false);
    }
  });

  it('when a table is named, then the name is a valid Azure table name even under the longest prefix', () => {
    for (const name of Object.values(tableNames)) expect(`${'a'.repeat(40)}${name}`).toMatch(/^[A-Za-z][A-Za-z0-9]{2,62}$/);
  });
});
