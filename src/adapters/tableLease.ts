import type { TableClient, TableEntity } from '@azure/data-tables';
import type { Lease, LeaseName, SkippedRun } from '../ports';
import { storageStatus } from './storageErrors';
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
    try {
      const current = await this.read();
      if (current.owner !== '' && Date.parse(current.expiresAt) > now.getTime()) return false;
      await this.table.updateEntity(this.toRow(owner, until), 'Replace', { etag: current.etag });
    } catch (error) {
      if (storageStatus(error) !== 404) return refusedOrThrown(error, 412);
      try {
        await this.table.createEntity(this.toRow(owner, until));
      } catch (createError) {
        return refusedOrThrown(createError, 409);
      }
    }
    return true;
  }

  async renew(owner: string, until: Date): Promise<boolean> {
    try {
      const current = await this.read();
      if (current.owner !== owner) return false;
      await this.table.updateEntity(this.toRow(owner, until), 'Replace', { etag: current.etag });
      return true;
    } catch (error) {
      return refusedOrThrown(error, 404, 412);
    }
  }

  async release(owner: string): Promise<void> {
    const current = await this.read();
    if (current.owner !== owner) return;
    await this.table.updateEntity(this.toRow('', new Date(0)), 'Replace', { etag: current.etag }).catch((error: unknown) => refusedOrThrown(error, 412));
  }

  async recordSkipped(at: Date): Promise<void> {
    const lease = await this.read();
    await this.table.upsertEntity<SkippedRun>({ partitionKey: leasePartitions.skipped, rowKey: this.name, at: at.toISOString(), heldBy: lease.owner, heldUntil: lease.expiresAt }, 'Replace');
  }

  async lastSkipped(): Promise<SkippedRun | null> {
    try {
      const row = await this.table.getEntity<StoredRow<SkippedRun>>(leasePartitions.skipped, this.name);
      const text = (field: keyof SkippedRun): string => optionalText(row, field) ?? '';
      return { at: text('at'), heldBy: text('heldBy'), heldUntil: text('heldUntil') };
    } catch (error) {
      refusedOrThrown(error, 404);
      return null;
    }
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

/** False when the service refused with one of `statuses` (another run won the race, or there is no row); any other failure is thrown. */
function refusedOrThrown(error: unknown, ...statuses: number[]): false {
  if (statuses.includes(storageStatus(error) ?? 0)) return false;
  throw error;
}
