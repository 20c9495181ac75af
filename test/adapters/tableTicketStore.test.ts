import { TableClient } from '@azure/data-tables';
import { TableTicketStore } from '../../src/adapters/tableTicketStore';
import { Tables } from '../../src/adapters/tables';
import { ticketStanding } from '../../src/core/ticketStanding';
import type { TicketRecord } from '../../src/core/tickets';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createTables } from '../../tools/createTables';

let azurite: Azurite;
let prefix = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});

async function freshStore(): Promise<{ store: TableTicketStore; tablePrefix: string }> {
  prefix += 1;
  const tablePrefix = `tk${prefix}`;
  await createTables(azurite.tablesConnectionString, tablePrefix);
  const tables = new Tables({ connectionString: azurite.tablesConnectionString, endpoint: null, tablePrefix }, () => {
    throw new Error('no credential with a connection string');
  });
  return { store: new TableTicketStore(tables), tablePrefix };
}

const tenantId = '3f9a1c02-0000-4000-8000-000000000001';

function record(overrides: Partial<TicketRecord> = {}): Omit<TicketRecord, 'etag'> {
  return {
    psa: 'connectwise',
    groupKey: `${tenantId}/customerPolicyDisabled`,
    tenantId,
    kind: 'customerPolicyDisabled',
    severity: 'critical',
    reference: 'MFA-MONITOR 3f9a1c02',
    ticketId: null,
    state: 'creating',
    company: null,
    lines: [`customers/${tenantId}/policy`],
    pending: null,
    notes: 0,
    openedAt: '2026-12-01T10:00:00.000Z',
    closedAt: null,
    updatedAt: '2026-12-01T10:00:00.000Z',
    attempts: 1,
    lastError: null,
    lastErrorCode: null,
    ...overrides,
  };
}

describe('TableTicketStore', () => {
  test('when a record is created, then it reads back field for field, its group key made safe for the row key', async () => {
    const { store, tablePrefix } = await freshStore();
    const created = await store.create(record({ company: { companyId: '250', companyName: null, matchedBy: 'fallback' } }));
    expect(created?.etag).toBeTruthy();
    const [listed] = await store.list('connectwise');
    expect(listed).toEqual({ ...record({ company: { companyId: '250', companyName: null, matchedBy: 'fallback' } }), etag: created?.etag });
    const rows: { rowKey?: string }[] = [];
    for await (const row of TableClient.fromConnectionString(azurite.tablesConnectionString, `${tablePrefix}Tickets`, { allowInsecureConnection: true }).listEntities()) rows.push(row);
    expect(rows.map((row) => row.rowKey)).toEqual([`${tenantId}%2FcustomerPolicyDisabled`]);
    expect(await store.list('autotask')).toEqual([]);
  });

  test('when a second run creates the same PSA and group, then it is refused (null) and the first stands', async () => {
    const { store } = await freshStore();
    await store.create(record());
    expect(await store.create(record({ reference: 'MFA-MONITOR 00000000' }))).toBeNull();
    expect((await store.list('connectwise')).map((stored) => stored.reference)).toEqual(['MFA-MONITOR 3f9a1c02']);
    // The same group in another PSA is another ticket.
    expect(await store.create(record({ psa: 'halopsa' }))).not.toBeNull();
  });

  test('when a record changed since it was read, then an update with the old ETag is refused (null)', async () => {
    const { store } = await freshStore();
    const created = await store.create(record());
    if (created === null) throw new Error('not created');
    const opened = await store.update({ ...created, state: 'open', ticketId: '101', pending: { step: 'note', noteReference: 'MFA-MONITOR 3f9a1c02-n1', lines: [] } });
    expect(opened?.ticketId).toBe('101');
    expect(await store.update({ ...created, state: 'closed' })).toBeNull();
    expect((await store.list('connectwise'))[0]).toMatchObject({ state: 'open', ticketId: '101', pending: { step: 'note', noteReference: 'MFA-MONITOR 3f9a1c02-n1', lines: [] } });
  });

  test("when each PSA's run is recorded, then the last one per PSA reads back, and none is listed as a record", async () => {
    const { store } = await freshStore();
    const standing = ticketStanding([{ ...record({ state: 'open', ticketId: '7', company: { companyId: '250', companyName: null, matchedBy: 'fallback' } }), etag: '' }]);
    const run = { psa: 'autotask' as const, finishedAt: '2026-12-01T10:05:00.000Z', heldBack: 3, steps: 4, done: 4, requests: 12, failureCode: null, failure: null, ...standing };
    await store.recordRun({ ...run, heldBack: 9 });
    await store.recordRun(run);
    expect(await store.lastRuns()).toEqual([run]);
    expect(run.mappingGaps).toEqual([{ tenantId, tickets: 1 }]);
    expect(await store.list('autotask')).toEqual([]);
  });
});
