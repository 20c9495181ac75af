import type { CannotSeeReason, TenantAdminScan } from '../core/adminScan';
import type { FindingState, FindingSubject, OpenFindingCounts, Severity, StoredFinding } from '../core/findings';
import type { CustomerMfaInsight, NonMfaPrincipal, PartnerSecurityScore, RegistrationCounts, SecurityRequirement } from '../core/model';
import type { Delivery, DetectorCompletion, DetectorRun, LeaseName, OutboxMessage, SkippedRun, SnapshotReader } from './index';

/** A range of run start times; either end may be open. */
export interface RunRange {
  from?: Date;
  to?: Date;
}

/** Where the next page starts: after this row of the table the listing reads (opaque to the API's callers). */
export interface RowPosition {
  partitionKey: string;
  rowKey: string;
}

export interface Page<T, Position = RowPosition> {
  items: T[];
  /** Where the next page starts, or null after the last row. */
  next: Position | null;
}

/** Where the next page of findings starts: after this finding, listed among those of its severity. */
export interface FindingPosition {
  severity: Severity;
  key: string;
}

export interface RunRow<T> {
  runId: string;
  value: T;
}

/**
 * Told of each stored row a read skipped because it could not be read: its table, why, and which
 * row (its keys, to tell one row read twice from two; not for logs, as keys hold tenant and object ids).
 */
export type UnreadableRowSink = (table: string, reason: string, rowKeys: string) => void;

/** One customer's change points, newest first, and the newest run they are known up to. */
export interface CustomerChangePoints {
  /** Each change point with the run that first saw it; a null value: the customer was gone. */
  points: RunRow<CustomerMfaInsight | null>[];
  /** The run the current state is of: the last point holds unchanged up to it. */
  asOfRunId: string | null;
}

/** The customers' state as reads see it (its writes are CustomerState's, in customerState.ts). */
export interface CustomerReads {
  /** The run the current state is of (the newest applied complete run), or null before the first. */
  currentRunId(): Promise<string | null>;
  /** Customers as complete run `runId` saw them, in key order from `start`. */
  page(runId: string, start: RowPosition | null, top: number, include?: (customer: CustomerMfaInsight) => boolean): Promise<Page<CustomerMfaInsight>>;
  /** One customer's change points: those of runs in the range, and the one in force at its start. */
  history(tenantId: string, range: RunRange): Promise<CustomerChangePoints>;
  /** Whether any snapshot still kept listed the tenant. */
  known(tenantId: string): Promise<boolean>;
}

/** A customer's result in a customer-admin run, in the few numbers a list of customers shows (null: not scanned). */
export interface AdminScanSummary {
  outcome: TenantAdminScan['outcome'];
  reason: CannotSeeReason | null;
  admins: number | null;
  withoutMfaMethod: number | null;
  notRequiredMfa: number | null;
}

/** Which findings a listing wants, each part optional: the store answers it in its query, not after reading. */
export interface FindingFilter {
  severity?: Severity;
  subject?: { type: FindingSubject['type']; id?: string };
  /** Opened (or reopened) or resolved at or after this time. */
  changedSince?: Date;
}

/**
 * What the query API reads, in the store's key design: run-ledger partitions, fixed partitions
 * by run-id range, the customers' current state in key order, a run's principals in key order,
 * one customer's change points.
 * Series come newest first, as run ids sort; rows of runs that never completed may be included
 * (the use cases keep those of complete runs).
 */
export interface QueryReader extends Pick<SnapshotReader, 'listRuns'> {
  /** The same reads, skipping rows that cannot be read and telling `sink` of each, instead of failing. */
  skippingUnreadable(sink: UnreadableRowSink): QueryReader;
  readonly customers: CustomerReads;
  scores(range: RunRange): Promise<RunRow<PartnerSecurityScore>[]>;
  requirements(range: RunRange, requirementType?: string): Promise<RunRow<SecurityRequirement>[]>;
  registrations(range: RunRange): Promise<RunRow<RegistrationCounts & { fallbackReason: string | null }>[]>;
  principalsPage(runId: string, start: RowPosition | null, top: number, include?: (principal: NonMfaPrincipal) => boolean): Promise<Page<NonMfaPrincipal>>;
  /** Findings in a state (or all) that pass `filter`, critical first and then in key order, after `start`, up to `top`. */
  findingsPage(state: FindingState | 'all', start: FindingPosition | null, top: number, filter?: FindingFilter): Promise<Page<StoredFinding, FindingPosition>>;
  /** Open findings per source, as the detector last summarised them (or counted, before it has). */
  openFindingCounts(): Promise<OpenFindingCounts>;
  /** Alerts composed and not yet delivered (nor given up on), oldest first. */
  undeliveredAlerts(): Promise<OutboxMessage[]>;
  /** Their deliveries not yet made (nor given up on), one per message and channel, oldest first. */
  undeliveredDeliveries(): Promise<Delivery[]>;
  /** The last run of a kind (a source's collector, the detector) that did nothing because another held its lease. */
  lastSkippedRun(name: LeaseName): Promise<SkippedRun | null>;
  /** The detector's last run that held the lease: started, and how it ended. */
  lastDetectorRun(): Promise<DetectorRun | null>;
  /** The detector's last run that did all its work. */
  lastCompletedDetectorRun(): Promise<DetectorCompletion | null>;
  /** One customer's result in a customer-admin run, or null when the run has none for it. */
  adminScan(runId: string, tenantId: string): Promise<TenantAdminScan | null>;
  /** Some customers' results in a customer-admin run, summarised, by tenant id (lower-case); a tenant without one is absent. */
  adminScanSummaries(runId: string, tenantIds: readonly string[]): Promise<ReadonlyMap<string, AdminScanSummary>>;
  /** The UPN each principal carries in a run (object id -> upn), for those that have one. */
  principalUpns(runId: string, objectIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}
