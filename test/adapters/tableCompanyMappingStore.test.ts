import { TableClient } from '@azure/data-tables';
import { TableCompanyMappingStore } from '../../src/adapters/tableCompanyMappingStore';
import { Tables } from '../../src/adapters/tables';
import type { CompanyMapping, CompanyMappingAuditEntry } from '../../src/core/companyMappings';
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

async function freshStore() {
  prefix += 1;
  const tablePrefix = `cm${prefix}`;
  await createTables(azurite.tablesConnectionString, tablePrefix);
  const tables = new Tables({ connectionString: azurite.tablesConnectionString, endpoint: null, tablePrefix }, () => {
    throw new Error('no credential with a connection string');
  });
  return { store: new TableCompanyMappingStore(tables), table: TableClient.fromConnectionString(azurite.tablesConnectionString, `${tablePrefix}CompanyMappings`, { allowInsecureConnection: true }) };
}

const tenantId = '4fdbff88-9d6b-42e0-9713-45c922ba8001';
const mapping = (overrides: Partial<CompanyMapping> = {}): CompanyMapping => ({
  psa: 'connectwise', tenantId, companyId: '250', companyName: 'Contoso Inc', note: 'the billing company', changedBy: 'admin key', changedAt: '2026-12-07T10:00:00.000Z', ...overrides,
});
const audit = (action: CompanyMappingAuditEntry['action'], before: CompanyMapping | null, after: CompanyMapping | null, at = '2026-12-07T10:00:00.000Z'): CompanyMappingAuditEntry => ({
  at, actor: 'admin key', action, psa: 'connectwise', tenantId, before, after,
});

describe('company mappings in Table Storage', () => {
  it('when a mapping is set, then it is stored with its audit entry, and read, listed and audited as stored', async () => {
    const { store } = await freshStore();
    const stored = await store.put(mapping(), null, audit('set', null, mapping()));
    expect(stored).toMatchObject({ ...mapping(), etag: expect.any(String) });
    expect(await store.read('connectwise', tenantId.toUpperCase())).toEqual(stored);
    expect(await store.read('autotask', tenantId)).toBeNull();
    expect(await store.list()).toEqual([stored]);
    expect(await store.auditTrail({ top: 10 })).toEqual([audit('set', null, mapping())]);
  });

  it('when a mapping is set again without an etag (another admin set it meanwhile), then it is refused and no audit entry is written', async () => {
    const { store } = await freshStore();
    await store.put(mapping(), null, audit('set', null, mapping()));
    expect(await store.put(mapping({ companyId: '251' }), null, audit('set', null, mapping({ companyId: '251' })))).toBeNull();
    expect(await store.auditTrail({ top: 10 })).toHaveLength(1);
    expect((await store.read('connectwise', tenantId))?.companyId).toBe('250');
  });

  it('when a change carries a stale etag, then it is refused and neither the mapping nor the audit trail changes; with the current one it is stored, newest audit first', async () => {
    const { store } = await freshStore();
    const first = (await store.put(mapping(), null, audit('set', null, mapping())))!;
    const changed = mapping({ companyId: '251', companyName: 'Contoso Group', changedAt: '2026-12-07T11:00:00.000Z' });
    const second = (await store.put(changed, first.etag, audit('changed', mapping(), changed, changed.changedAt)))!;
    expect(second.etag).not.toBe(first.etag);
    expect(await store.put(mapping({ companyId: '252' }), first.etag, audit('changed', mapping(), mapping({ companyId: '252' }), '2026-12-07T12:00:00.000Z'))).toBeNull();
    expect(await store.delete('connectwise', tenantId, first.etag, audit('cleared', mapping(), null, '2026-12-07T12:00:00.000Z'))).toBe(false);
    expect((await store.read('connectwise', tenantId))?.companyId).toBe('251');
    expect((await store.auditTrail({ top: 10 })).map((entry) => entry.action)).toEqual(['changed', 'set']);
  });

  it('when a mapping is cleared with its etag, then it is gone, the audit keeps it before, and it can be set again', async () => {
    const { store } = await freshStore();
    const stored = (await store.put(mapping(), null, audit('set', null, mapping())))!;
    expect(await store.delete('connectwise', tenantId, stored.etag, audit('cleared', mapping(), null, '2026-12-07T11:00:00.000Z'))).toBe(true);
    expect(await store.read('connectwise', tenantId)).toBeNull();
    expect(await store.list()).toEqual([]);
    expect(await store.auditTrail({ top: 1 })).toEqual([audit('cleared', mapping(), null, '2026-12-07T11:00:00.000Z')]);
    expect(await store.put(mapping({ companyId: '260' }), null, audit('set', null, mapping({ companyId: '260' }), '2026-12-07T12:00:00.000Z'))).toMatchObject({ companyId: '260' });
  });

  it('when a delete stopped after marking the row (a crash), then the mapping reads as gone and a new one replaces the mark', async () => {
    const { store, table } = await freshStore();
    const stored = (await store.put(mapping(), null, audit('set', null, mapping())))!;
    // What the delete's transaction leaves before its second step removes the row.
    await table.updateEntity({ partitionKey: 'mappings', rowKey: `mapping_connectwise_${tenantId}`, deletedAt: '2026-12-07T11:00:00.000Z' }, 'Replace', { etag: stored.etag });
    expect(await store.read('connectwise', tenantId)).toBeNull();
    expect(await store.list()).toEqual([]);
    expect(await store.put(mapping({ companyId: '270' }), null, audit('set', null, mapping({ companyId: '270' }), '2026-12-07T12:00:00.000Z'))).toMatchObject({ companyId: '270' });
    expect((await store.read('connectwise', tenantId))?.companyId).toBe('270');
  });
});
