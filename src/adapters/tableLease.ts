import type { TableClient, TableEntity } from '@azure/data-tables';
import type { Lease, LeaseName, SkippedRun } from '../ports';
import { unlessRefused } from './storageErrors';
import { leasePartitions } from './tableLayout';
import type { Tables } from './tables';
import { optionalText, type StoredRow } from './unreadableRows';

/** A lease's row: who holds it and until when; released, no one ('') since 1970. A skipped run's row is the SkippedRun. */
type LeaseEntity = { owner: string; expiresAt: string };

/**
 * One lease as a row of the Runs table, taken, renewed and released only with the ETag of the row
 * as read: of two runs racing for it, the service lets one write through and answers 412 (or 409
 * to a second create) to the other. A released or expired lease is free.
 */
export class TableLease implements Lease {
  constructor(
    private readonly tables: Tables,
    private readonly name: LeaseName,
  ) {}

  private get table(): TableClient {
    return this.tables.clientFor('runs');
  }

  async acquire(owner: string, now: Date, until: Date): Promise<boolean> {
    const current = await unlessRefused(this.read(), 404);
    if (current !== null && current.owner !== '' && Date.parse(current.expiresAt) > now.getTime()) return false;
    const taken = current === null ? this.table.createEntity(this.toRow(owner, until)) : this.table.updateEntity(this.toRow(owner, until), 'Replace', { etag: current.etag });
    return (await unlessRefused(taken, current === null ? 409 : 412)) !== null;
  }

  async renew(owner: string, until: Date): Promise<boolean> {
    const current = await unlessRefused(this.read(), 404);
    if (current?.owner !== owner) return false;
    return (await unlessRefused(this.table.updateEntity(this.toRow(owner, until), 'Replace', { etag: current.etag }), 404, 412)) !== null;
  }

  async release(owner: string): Promise<void> {
    const current = await this.read();
    if (current.owner !== owner) return;
    await unlessRefused(this.table.updateEntity(this.toRow('', new Date(0)), 'Replace', { etag: current.etag }), 412);
  }

  async recordSkipped(at: Date): Promise<void> {
    const lease = await this.read();
    await this.table.upsertEntity<SkippedRun>({ partitionKey: leasePartitions.skipped, rowKey: this.name, at: at.toISOString(), heldBy: lease.owner, heldUntil: lease.expiresAt }, 'Replace');
  }

  async lastSkipped(): Promise<SkippedRun | null> {
    const row = await unlessRefused(this.table.getEntity<StoredRow<SkippedRun>>(leasePartitions.skipped, this.name), 404);
    if (row === null) return null;
    const text = (field: keyof SkippedRun): string => optionalText(row, field) ?? '';
    return { at: text('at'), heldBy: text('heldBy'), heldUntil: text('heldUntil') };
  }

  private toRow(owner: string, until: Date): TableEntity<LeaseEntity> {
    return { partitionKey: leasePartitions.lease, rowKey: this.name, owner, expiresAt: until.toISOString() };
  }

  /** The lease's row read back (fromRow), with the ETag its next change is conditional on; a row without an owner is free. */
  private async read(): Promise<LeaseEntity & { etag: string }> {
    const row = await this.table.getEntity<StoredRow<LeaseEntity>>(leasePartitions.lease, this.name);
    return { owner: optionalText(row, 'owner') ?? '', expiresAt: optionalText(row, 'expiresAt') ?? '', etag: row.etag };
  }
}

