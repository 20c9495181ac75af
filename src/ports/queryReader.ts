import type { StoredFinding } from '../core/findings';
import type { CustomerMfaInsight, NonMfaPrincipal, PartnerSecurityScore, RegistrationCounts, SecurityRequirement, SnapshotSource } from '../core/model';
import type { Delivery, DetectorCompletion, DetectorSkip, OutboxMessage } from './index';
import type { SnapshotRun } from '../core/snapshotRun';

/** A range of run start times; either end may be open. */
export interface RunRange {
  from?: Date;
  to?: Date;
}

/** Where a page of a run's bucket partitions starts: bucket index, then row keys after `afterRowKey`. */
export interface BucketPosition {
  bucket: number;
  afterRowKey: string;
}

export interface BucketPage<T> {
  items: T[];
  /** Where the next page starts, or null after the last bucket. */
  next: BucketPosition | null;
}

export interface RunRow<T> {
  runId: string;
  value: T;
}

/** Told of each stored row a read skipped because it could not be read: its table, why, and which row (its keys). */
export type UnreadableRowSink = (table: string, reason: string, rowKeys: string) => void;

/**
 * What the query API reads, in the store's key design: run-ledger partitions, fixed partitions
 * by run-id range, a run's bucket partitions in key order, one customer's history range.
 * Series come newest first, as run ids sort; rows of runs that never completed may be included
 * (the use cases keep those of complete runs).
 */
export interface QueryReader {
  /** The same reads, skipping rows that cannot be read and telling `sink` of each, instead of failing. */
  skippingUnreadable(sink: UnreadableRowSink): QueryReader;
  listRuns(source: SnapshotSource, options: RunRange & { top?: number; status?: SnapshotRun['status'] }): Promise<SnapshotRun[]>;
  scores(range: RunRange): Promise<RunRow<PartnerSecurityScore>[]>;
  requirements(range: RunRange, requirementType?: string): Promise<RunRow<SecurityRequirement>[]>;
  registrations(range: RunRange): Promise<RunRow<RegistrationCounts & { fallbackReason: string | null }>[]>;
  customersPage(runId: string, start: BucketPosition | null, top: number, include?: (customer: CustomerMfaInsight) => boolean): Promise<BucketPage<CustomerMfaInsight>>;
  principalsPage(runId: string, start: BucketPosition | null, top: number, include?: (principal: NonMfaPrincipal) => boolean): Promise<BucketPage<NonMfaPrincipal>>;
  /** One customer's rows in the range, newest first (complete runs only). */
  customerHistory(tenantId: string, range: RunRange): Promise<RunRow<CustomerMfaInsight>[]>;
  /** Whether any snapshot ever listed the tenant. */
  customerKnown(tenantId: string): Promise<boolean>;
  findings(): Promise<StoredFinding[]>;
  /** Alerts composed and not yet delivered (nor given up on), oldest first. */
  undeliveredAlerts(): Promise<OutboxMessage[]>;
  /** Their deliveries not yet made (nor given up on), one per message and channel, oldest first. */
  undeliveredDeliveries(): Promise<Delivery[]>;
  /** The last detector run that did nothing because another held the lease. */
  lastSkippedDetectorRun(): Promise<DetectorSkip | null>;
  /** The detector's last run that did all its work. */
  lastCompletedDetectorRun(): Promise<DetectorCompletion | null>;
  /** The UPN each principal carries in a run (object id -> upn), for those that have one. */
  principalUpns(runId: string, objectIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}
