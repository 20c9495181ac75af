import type { TableEntity } from '@azure/data-tables';
import { customerNameSources, customerProfiles, emptyDirectoryState, type CustomerDirectoryState, type CustomerName, type CustomerProfile } from '../core/customerNames';
import { isOneOf } from '../core/text';
import type { CustomerDirectoryStore } from '../ports';
import { toTableKey } from './tableKey';
import { BatchWriter } from './batchWriter';
import { customerDirectoryStateKey, customerNamePartition, customerNamePartitionRange, inPartitions } from './tableLayout';
import type { Tables } from './tables';
import { optionalText, type Entity, type StoredRow } from './unreadableRows';

/** The directory's state row: each field left out when it has no value (Replace drops it, so it reads back absent). */
type StateEntity = { attemptedAt?: string; refreshedAt?: string; sources?: string; lastErrorCode?: string; lastErrorMessage?: string };

/** A name's row is the CustomerName itself, in the tenant's partition (see customerNamePartition); `domain` is left out when there is none. */
function nameToRow(entry: CustomerName): TableEntity<Entity<CustomerName>> {
  return { partitionKey: customerNamePartition(entry.tenantId), rowKey: toTableKey(entry.tenantId), ...entry };
}

/** A name as stored, or null for a row without a tenant, a name or a source the monitor knows. */
function nameFromRow(row: StoredRow<CustomerName>): CustomerName | null {
  const tenantId = optionalText(row, 'tenantId');
  const name = optionalText(row, 'name');
  if (tenantId === null || name === null || !isOneOf(customerNameSources, row.source)) return null;
  const domain = optionalText(row, 'domain');
  return { tenantId, name, source: row.source, namedAt: optionalText(row, 'namedAt') ?? '', ...(domain === null || domain === '' ? {} : { domain }) };
}

function stateToRow(state: CustomerDirectoryState): TableEntity<StateEntity> {
  const values: StateEntity = {
    attemptedAt: state.attemptedAt ?? undefined,
    refreshedAt: state.refreshedAt ?? undefined,
    sources: state.sources.length > 0 ? state.sources.join(',') : undefined,
    lastErrorCode: state.lastError?.code,
    lastErrorMessage: state.lastError?.message.slice(0, 2000),
  };
  return { ...customerDirectoryStateKey, ...Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) };
}

function stateFromRow(row: StoredRow<StateEntity>): CustomerDirectoryState {
  const text = (field: keyof StateEntity): string | null => optionalText(row, field) || null;
  const errorCode = text('lastErrorCode');
  return {
    attemptedAt: text('attemptedAt'),
    refreshedAt: text('refreshedAt'),
    sources: (text('sources') ?? '').split(',').filter((name) => isOneOf(customerNameSources, name)),
    lastError: errorCode === null ? null : { code: errorCode, message: text('lastErrorMessage') ?? '' },
  };
}

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
  entries(): Promise<CustomerName[]> {
    const select: (keyof CustomerName)[] = ['tenantId', 'name', 'source', 'namedAt', 'domain'];
    return this.tables.rows('customerNames', { filter: inPartitions(customerNamePartitionRange), select }, nameFromRow);
  }

  /** Read afresh each call: the resolver reads it once per detector run, the mapping list once per request. */
  async customerProfiles(): Promise<ReadonlyMap<string, CustomerProfile>> {
    return customerProfiles(await this.entries());
  }

  async readState(): Promise<CustomerDirectoryState> {
    return (await this.tables.point('customerNames', customerDirectoryStateKey, stateFromRow)) ?? emptyDirectoryState;
  }

  async writeState(state: CustomerDirectoryState): Promise<void> {
    await this.tables.clientFor('customerNames').upsertEntity(stateToRow(state), 'Replace');
  }

  async writeNames(names: readonly CustomerName[]): Promise<void> {
    const writer = new BatchWriter(4);
    for (const entry of names) await writer.upsert(this.tables.clientFor('customerNames'), nameToRow(entry));
    await writer.flush();
    this.cached = null;
  }
}
