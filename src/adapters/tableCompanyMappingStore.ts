import { randomBytes } from 'node:crypto';
import { odata, type TableClient, type TableEntity, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { companyMappingActions, type CompanyMapping, type CompanyMappingAuditEntry } from '../core/companyMappings';
import { psaNames, type PsaName } from '../core/tickets';
import type { CompanyMappingStore, StoredCompanyMapping } from '../ports/psa';
import { unlessRefused } from './storageErrors';
import { companyMappingRowKeys, fixedPartitions } from './tableLayout';
import type { Tables } from './tables';
import { jsonObject, oneOf, requiredText, type Entity, type StoredRow } from './unreadableRows';

const partitionKey = fixedPartitions.companyMappings;

/** A mapping's row: the mapping, field for field, and once deleted only the mark `deletedAt` (see delete). */
type MappingEntity = Entity<CompanyMapping> & { deletedAt?: string };

/** An audit row: the entry, with the whole mapping before and after as JSON. */
type AuditEntity = Entity<Omit<CompanyMappingAuditEntry, 'before' | 'after'>> & { before: string; after: string };

/** A change is refused when the mapping changed (412), went (404) or was created meanwhile (409). */
const staleStatuses = [412, 404, 409];

/**
 * Company mappings and their audit trail in one partition of `<prefix>CompanyMappings` (see
 * tableLayout): each change is one entity group transaction of the mapping's row and its audit
 * row, conditional on the mapping's ETag (or on there being none), so no change is stored
 * without its audit entry and a stale change is refused. The same design as the waiver store.
 */
export class TableCompanyMappingStore implements CompanyMappingStore {
  constructor(private readonly tables: Tables) {}

  private get table(): TableClient {
    return this.tables.clientFor('companyMappings');
  }

  list(): Promise<StoredCompanyMapping[]> {
    const { from, to } = companyMappingRowKeys.mappingRange;
    return this.tables.rows('companyMappings', { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${from} and RowKey lt ${to}` }, storedMappingFromRow);
  }

  read(psa: PsaName, tenantId: string): Promise<StoredCompanyMapping | null> {
    return this.tables.point('companyMappings', { partitionKey, rowKey: companyMappingRowKeys.mapping(psa, tenantId) }, storedMappingFromRow);
  }

  async put(mapping: CompanyMapping, etag: string | null, audit: CompanyMappingAuditEntry): Promise<StoredCompanyMapping | null> {
    const row = mappingToRow(mapping);
    const condition = etag ?? (await this.markedDeletedEtag(row.rowKey));
    const first: TransactionAction = condition === null ? ['create', row] : ['update', row, 'Replace', { etag: condition }];
    const stored = await unlessRefused(this.submit([first, ['create', auditToRow(audit)]], row.rowKey), ...staleStatuses);
    return stored === null ? null : { ...mapping, etag: stored };
  }

  /**
   * A transaction cannot delete conditionally (the SDK sends `If-Match: *` for a delete in a
   * batch), so the ETag-checked step is a Replace that marks the row deleted, with its audit row;
   * the marked row is then removed. A crash in between leaves a marked row, which reads as gone.
   */
  async delete(psa: PsaName, tenantId: string, etag: string, audit: CompanyMappingAuditEntry): Promise<boolean> {
    const mark: TableEntity<Pick<MappingEntity, 'deletedAt'>> = { partitionKey, rowKey: companyMappingRowKeys.mapping(psa, tenantId), deletedAt: audit.at };
    const marked = await unlessRefused(this.submit([['update', mark, 'Replace', { etag }], ['create', auditToRow(audit)]], mark.rowKey), ...staleStatuses);
    if (marked === null) return false;
    await unlessRefused(this.table.deleteEntity(partitionKey, mark.rowKey, { etag: marked }), ...staleStatuses);
    return true;
  }

  auditTrail({ top }: { top: number }): Promise<CompanyMappingAuditEntry[]> {
    const { from, to } = companyMappingRowKeys.auditRange;
    return this.tables.rows('companyMappings', { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${from} and RowKey lt ${to}` }, auditFromRow, { top });
  }

  /** The ETag of a row a crashed delete left marked (a new mapping replaces it), or null when there is no row. */
  private async markedDeletedEtag(rowKey: string): Promise<string | null> {
    const row = await unlessRefused(this.table.getEntity<{ deletedAt?: string }>(partitionKey, rowKey, { queryOptions: { select: ['deletedAt'] } }), 404);
    return row !== null && row.deletedAt !== undefined ? row.etag : null;
  }

  /** Runs the change as one transaction; answers the mapping row's new ETag (its action comes first). */
  private async submit(actions: TransactionAction[], rowKey: string): Promise<string> {
    const response = await this.table.submitTransaction(actions);
    const etag = response.subResponses[0]?.etag?.trim();
    if (etag !== undefined && etag !== '') return etag;
    // The service did not echo the ETag: read it back (the row is as this change left it, or newer).
    return (await this.table.getEntity(partitionKey, rowKey)).etag;
  }
}

function mappingToRow(mapping: CompanyMapping): TableEntity<MappingEntity> {
  return { partitionKey, rowKey: companyMappingRowKeys.mapping(mapping.psa, mapping.tenantId), ...mapping };
}

/** A mapping from its row, or from the JSON an audit row keeps of it (the same fields). */
function mappingFromRow(row: StoredRow<CompanyMapping>): CompanyMapping {
  const text = (field: keyof CompanyMapping): string => requiredText('companyMappings', row, field);
  return {
    psa: oneOf('companyMappings', row, 'psa', psaNames),
    tenantId: text('tenantId'),
    companyId: text('companyId'),
    companyName: text('companyName'),
    note: typeof row.note === 'string' ? row.note : '',
    changedBy: text('changedBy'),
    changedAt: text('changedAt'),
  };
}

/** A mapping as listed, with the ETag a change must match; null once marked deleted (it reads as gone). */
function storedMappingFromRow(row: TableEntityResult<StoredRow<MappingEntity>>): StoredCompanyMapping | null {
  return row.deletedAt !== undefined ? null : { ...mappingFromRow(row), etag: row.etag };
}

function auditToRow(entry: CompanyMappingAuditEntry): TableEntity<AuditEntity> {
  return {
    partitionKey,
    rowKey: companyMappingRowKeys.audit(new Date(entry.at), randomBytes(4).toString('hex')),
    ...entry,
    before: JSON.stringify(entry.before),
    after: JSON.stringify(entry.after),
  };
}

function auditFromRow(row: StoredRow<AuditEntity>): CompanyMappingAuditEntry {
  const text = (field: keyof AuditEntity): string => requiredText('companyMappings', row, field);
  return {
    at: text('at'),
    actor: text('actor'),
    action: oneOf('companyMappings', row, 'action', companyMappingActions),
    psa: oneOf('companyMappings', row, 'psa', psaNames),
    tenantId: text('tenantId'),
    before: jsonObject('companyMappings', row, 'before', mappingFromRow),
    after: jsonObject('companyMappings', row, 'after', mappingFromRow),
  };
}
