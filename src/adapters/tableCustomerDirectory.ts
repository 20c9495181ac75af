import { odata, type TableClient } from '@azure/data-tables';
import { customerNameSources, emptyDirectoryState, type CustomerDirectoryState, type CustomerName } from '../core/customerNames';
import { isOneOf } from '../core/text';
import type { CustomerDirectoryStore } from '../ports';
import { toTableKey } from './tableKey';
import { BatchWriter } from './batchWriter';
import { isNotFound } from './storageErrors';
import { customerDirectoryStateKey, customerNamePartition, customerNamePartitionRange } from './tableLayout';
import type { Tables } from './tables';

/**
 * The customer directory in Table Storage (`<prefix>CustomerNames`): one row per named customer,
 * spread over 16 partitions by tenant id (see customerNamePartition) and read whole as one key
 * range, and one state row in its own partition. Implements CustomerDirectory for the detector and the query API.
 */
export class TableCustomerDirectory implements CustomerDirectoryStore {
  private cached: { names: Promise<ReadonlyMap<string, string>>; readAt: number } | null = null;

  /** `namesMaxAgeMs`: how long names read once are answered again without a query (the query API; names change daily at most). */
  constructor(
    private readonly tables: Tables,
    private readonly options: { namesMaxAgeMs: number } = { namesMaxAgeMs: 0 },
  ) {}

  customerNames(): Promise<ReadonlyMap<string, string>> {
    const now = Date.now();
    if (this.cached === null || now - this.cached.readAt >= this.options.namesMaxAgeMs) {
      const names = this.entries().then((entries) => new Map(entries.map((entry) => [entry.tenantId, entry.name])));
      // A failed read is not remembered.
      names.catch(() => {
        this.cached = null;
      });
      this.cached = { names, readAt: now };
    }
    return this.cached.names;
  }

  /** Every stored name with where it came from and when it was last listed. */
  async entries(): Promise<CustomerName[]> {
    const table = await this.table();
    const entries: CustomerName[] = [];
    const rows = table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey ge ${customerNamePartitionRange.from} and PartitionKey lt ${customerNamePartitionRange.to}`, select: ['tenantId', 'name', 'source', 'namedAt'] },
    });
    for await (const row of rows) {
      if (typeof row.tenantId === 'string' && typeof row.name === 'string' && isOneOf(customerNameSources, row.source)) {
        entries.push({ tenantId: row.tenantId, name: row.name, source: row.source, namedAt: String(row.namedAt ?? '') });
      }
    }
    return entries;
  }

  async readState(): Promise<CustomerDirectoryState> {
    const table = await this.table();
    try {
      const row = await table.getEntity<Record<string, unknown>>(customerDirectoryStateKey.partitionKey, customerDirectoryStateKey.rowKey);
      const errorCode = text(row.lastErrorCode);
      const sources = text(row.sources);
      return {
        attemptedAt: text(row.attemptedAt),
        refreshedAt: text(row.refreshedAt),
        sources: sources === null ? [] : sources.split(',').filter((name) => isOneOf(customerNameSources, name)),
        lastError: errorCode === null ? null : { code: errorCode, message: text(row.lastErrorMessage) ?? '' },
      };
    } catch (error) {
      if (isNotFound(error)) return emptyDirectoryState;
      throw error;
    }
  }

  async writeState(state: CustomerDirectoryState): Promise<void> {
    const table = await this.table();
    // Replace drops a property left out: an absent one reads back as null.
    const values = {
      attemptedAt: state.attemptedAt,
      refreshedAt: state.refreshedAt,
      sources: state.sources.length > 0 ? state.sources.join(',') : null,
      lastErrorCode: state.lastError?.code ?? null,
      lastErrorMessage: state.lastError?.message.slice(0, 2000) ?? null,
    };
    await table.upsertEntity({ ...customerDirectoryStateKey, ...Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null)) }, 'Replace');
  }

  async writeNames(names: readonly CustomerName[]): Promise<void> {
    const table = await this.table();
    const writer = new BatchWriter(4);
    for (const entry of names) {
      await writer.upsert(table, {
        partitionKey: customerNamePartition(entry.tenantId),
        rowKey: toTableKey(entry.tenantId),
        tenantId: entry.tenantId,
        name: entry.name,
        source: entry.source,
        namedAt: entry.namedAt,
      });
    }
    await writer.flush();
    this.cached = null;
  }

  private table(): Promise<TableClient> {
    return this.tables.client('customerNames');
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
