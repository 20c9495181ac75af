import type { Lease, LeaseName, SkippedRun } from '../ports';
import { storageStatus } from './storageErrors';
import { leasePartitions } from './tableLayout';
import type { Tables } from './tables';

type Row = Record<string, unknown>;

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

  async acquire(owner: string, now: Date, until: Date): Promise<boolean> {
    const table = this.tables.clientFor('runs');
    const lease = { partitionKey: leasePartitions.lease, rowKey: this.name, owner, expiresAt: until.toISOString() };
    try {
      const current = await table.getEntity<Row>(lease.partitionKey, lease.rowKey);
      if (current.owner !== '' && Date.parse(String(current.expiresAt)) > now.getTime()) return false;
      await table.updateEntity(lease, 'Replace', { etag: current.etag });
      return true;
    } catch (error) {
      if (storageStatus(error) === 404) {
        try {
          await table.createEntity(lease);
          return true;
        } catch (createError) {
          if (storageStatus(createError) === 409) return false;
          throw createError;
        }
      }
      if (storageStatus(error) === 412) return false;
      throw error;
    }
  }

  async renew(owner: string, until: Date): Promise<boolean> {
    const table = this.tables.clientFor('runs');
    try {
      const current = await table.getEntity<Row>(leasePartitions.lease, this.name);
      if (current.owner !== owner) return false;
      await table.updateEntity({ partitionKey: leasePartitions.lease, rowKey: this.name, owner, expiresAt: until.toISOString() }, 'Replace', { etag: current.etag });
      return true;
    } catch (error) {
      if (storageStatus(error) === 404 || storageStatus(error) === 412) return false;
      throw error;
    }
  }

  async release(owner: string): Promise<void> {
    const table = this.tables.clientFor('runs');
    const current = await table.getEntity<Row>(leasePartitions.lease, this.name);
    if (current.owner !== owner) return;
    try {
      await table.updateEntity({ partitionKey: leasePartitions.lease, rowKey: this.name, owner: '', expiresAt: new Date(0).toISOString() }, 'Replace', { etag: current.etag });
    } catch (error) {
      if (storageStatus(error) !== 412) throw error;
    }
  }

  async recordSkipped(at: Date): Promise<void> {
    const table = this.tables.clientFor('runs');
    const lease = await table.getEntity<Row>(leasePartitions.lease, this.name);
    await table.upsertEntity({ partitionKey: leasePartitions.skipped, rowKey: this.name, at: at.toISOString(), heldBy: String(lease.owner), heldUntil: String(lease.expiresAt) }, 'Replace');
  }

  async lastSkipped(): Promise<SkippedRun | null> {
    try {
      const row = await this.tables.clientFor('runs').getEntity<Row>(leasePartitions.skipped, this.name);
      return { at: String(row.at), heldBy: String(row.heldBy), heldUntil: String(row.heldUntil) };
    } catch (error) {
      if (storageStatus(error) === 404) return null;
      throw error;
    }
  }
}
