import { randomBytes } from 'node:crypto';
import { odata, type TableClient, type TableEntity, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import type { UnreadableRowSink } from '../ports/queryReader';
import type { StoredWaiver, WaiverStore } from '../ports';
import { waiverActions, waiverScopes, type Waiver, type WaiverAuditEntry } from '../core/waivers';
import { unlessRefused } from './storageErrors';
import { fixedPartitions, waiverRowKeys } from './tableLayout';
import type { Tables } from './tables';
import { jsonObject, oneOf, requiredText, type Entity, type StoredRow } from './unreadableRows';

const partitionKey = fixedPartitions.waivers;

/** A waiver's row: the waiver, field for field, and once deleted only the mark `deletedAt` (see deleteWaiver). */
type WaiverEntity = Entity<Waiver> & { deletedAt?: string };

/** An audit row: the entry, with the whole waiver before and after as JSON (what changed is read from the pair). */
type AuditEntity = Entity<Omit<WaiverAuditEntry, 'before' | 'after'>> & { before: string; after: string };

/** A change is refused when the waiver changed (412) or went (404) since its ETag was read. */
const staleStatuses = [412, 404];

/**
 * Waivers and their audit trail in one partition of the waivers table (see tableLayout): each
 * change is one entity group transaction of the waiver's row and its audit row, conditional on
 * the waiver's ETag, so a change is never stored without its audit entry, and a stale change is
 * refused (412) rather than overwriting another admin's. Audit rows are only ever inserted.
 */
export class TableWaiverStore implements WaiverStore {
  /** Without a sink a row that cannot be read fails the read (the detector must not act on what it cannot see). */
  constructor(
    private readonly tables: Tables,
    private readonly onUnreadable?: UnreadableRowSink,
  ) {}

  /** The same reads, skipping rows that cannot be read and telling `sink` of each (the query API). */
  skippingUnreadable(sink: UnreadableRowSink): TableWaiverStore {
    return new TableWaiverStore(this.tables, sink);
  }

  private get table(): TableClient {
    return this.tables.clientFor('waivers');
  }

  listWaivers(): Promise<StoredWaiver[]> {
    const { from, to } = waiverRowKeys.waiverRange;
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${from} and RowKey lt ${to}`;
    return this.tables.rows('waivers', { filter }, storedWaiverFromRow, { onUnreadable: this.onUnreadable });
  }

  readWaiver(id: string): Promise<StoredWaiver | null> {
    return this.tables.point('waivers', { partitionKey, rowKey: waiverRowKeys.waiver(id) }, storedWaiverFromRow);
  }

  async createWaiver(waiver: Waiver, audit: WaiverAuditEntry): Promise<StoredWaiver> {
    const etag = await this.submit([['create', waiverToRow(waiver)], ['create', auditToRow(audit)]], waiver.id);
    return { ...waiver, etag };
  }

  async updateWaiver(waiver: Waiver, etag: string, audit: WaiverAuditEntry): Promise<StoredWaiver | null> {
    const updated = await unlessRefused(this.submit([['update', waiverToRow(waiver), 'Replace', { etag }], ['create', auditToRow(audit)]], waiver.id), ...staleStatuses);
    return updated === null ? null : { ...waiver, etag: updated };
  }

  /**
   * A transaction cannot delete conditionally (the SDK sends `If-Match: *` for a delete in a
   * batch), so the ETag-checked step is a Replace that marks the row deleted, with its audit row;
   * the marked row is then removed. A crash in between leaves a marked row, which reads as gone.
   */
  async deleteWaiver(id: string, etag: string, audit: WaiverAuditEntry): Promise<boolean> {
    const mark: TableEntity<Pick<WaiverEntity, 'deletedAt'>> = { partitionKey, rowKey: waiverRowKeys.waiver(id), deletedAt: audit.at };
    const marked = await unlessRefused(this.submit([['update', mark, 'Replace', { etag }], ['create', auditToRow(audit)]], id), ...staleStatuses);
    if (marked === null) return false;
    await unlessRefused(this.table.deleteEntity(partitionKey, mark.rowKey, { etag: marked }), ...staleStatuses);
    return true;
  }

  auditTrail({ top, waiverId }: { top: number; waiverId?: string }): Promise<WaiverAuditEntry[]> {
    const { from, to } = waiverRowKeys.auditRange;
    // Each filter whole from the SDK's odata template, never pieces joined: what it quotes stays quoted.
    const filter =
      waiverId === undefined
        ? odata`PartitionKey eq ${partitionKey} and RowKey ge ${from} and RowKey lt ${to}`
        : odata`PartitionKey eq ${partitionKey} and RowKey ge ${from} and RowKey lt ${to} and waiverId eq ${waiverId}`;
    return this.tables.rows('waivers', { filter }, auditFromRow, { top, onUnreadable: this.onUnreadable });
  }

  /** Runs the change as one transaction; answers the waiver row's new ETag (its action comes first). */
  private async submit(actions: TransactionAction[], waiverId: string): Promise<string> {
    const response = await this.table.submitTransaction(actions);
    const etag = response.subResponses[0]?.etag?.trim();
    if (etag !== undefined && etag !== '') return etag;
    // The service did not echo the ETag: read it back (the row is as this change left it, or newer).
    return (await this.table.getEntity(partitionKey, waiverRowKeys.waiver(waiverId))).etag;
  }
}

function waiverToRow(waiver: Waiver): TableEntity<WaiverEntity> {
  return { partitionKey, rowKey: waiverRowKeys.waiver(waiver.id), ...waiver };
}

/** A waiver from its row, or from the JSON an audit row keeps of it (the same fields). */
function waiverFromRow(row: StoredRow<Waiver>): Waiver {
  const text = (field: keyof Waiver): string => requiredText('waivers', row, field);
  return {
    id: text('id'),
    scope: oneOf('waivers', row, 'scope', waiverScopes),
    target: text('target'),
    reason: text('reason'),
    owner: text('owner'),
    expiresAt: text('expiresAt'),
    createdAt: text('createdAt'),
    createdBy: text('createdBy'),
    updatedAt: text('updatedAt'),
    updatedBy: text('updatedBy'),
  };
}

/** A waiver as listed, with the ETag a change must match; null once marked deleted (it reads as gone). */
function storedWaiverFromRow(row: TableEntityResult<StoredRow<WaiverEntity>>): StoredWaiver | null {
  return row.deletedAt !== undefined ? null : { ...waiverFromRow(row), etag: row.etag };
}

function auditToRow(entry: WaiverAuditEntry): TableEntity<AuditEntity> {
  return {
    partitionKey,
    rowKey: waiverRowKeys.audit(new Date(entry.at), randomBytes(4).toString('hex')),
    ...entry,
    before: JSON.stringify(entry.before),
    after: JSON.stringify(entry.after),
  };
}

function auditFromRow(row: StoredRow<AuditEntity>): WaiverAuditEntry {
  const text = (field: keyof AuditEntity): string => requiredText('waivers', row, field);
  return {
    at: text('at'),
    actor: text('actor'),
    action: oneOf('waivers', row, 'action', waiverActions),
    waiverId: text('waiverId'),
    before: jsonObject('waivers', row, 'before', waiverFromRow),
    after: jsonObject('waivers', row, 'after', waiverFromRow),
  };
}
