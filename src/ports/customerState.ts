import type { CustomerChangesBetween } from '../core/customerChanges';
import type { CustomerMfaInsight } from '../core/model';
import type { SnapshotRun } from '../core/snapshotRun';
import type { CustomerChangePoints, Page, RowPosition, RunRange } from './queryReader';

/**
 * The customers' state: what each complete partnerSecurity run observed, kept as one current
 * state per customer, each run's own change records (the diff with the run before it) and each
 * customer's history of change points. Everything about how (change points, tombstones, what
 * retention may delete, a run stopped midway) stays behind this port; docs/storage.md has it.
 */
export interface CustomerState {
  /**
   * Starts recording run `runId`: first applies any complete run its invocation stopped before
   * applying, and forgets what an earlier failed attempt under this id recorded. Only the
   * source's collector calls it, under the source's lease.
   */
  record(runId: string): CustomerRecording;
  /** The run the current state is of (the newest applied complete run), or null before the first. */
  currentRunId(): Promise<string | null>;
  /** The customers whose state differs between two complete runs, read from the change records of the runs between. */
  changesBetween(fromRunId: string | null, toRunId: string): Promise<CustomerChangesBetween>;
  /** Customers as complete run `runId` saw them, in key order from `start`. */
  page(runId: string, start: RowPosition | null, top: number, include?: (customer: CustomerMfaInsight) => boolean): Promise<Page<CustomerMfaInsight>>;
  /** One customer's change points: those of runs in the range, and the one in force at its start. */
  history(tenantId: string, range: RunRange): Promise<CustomerChangePoints>;
  /** Whether any snapshot still kept listed the tenant. */
  known(tenantId: string): Promise<boolean>;
  /** Deletes what no read at or after `run` can need once `run` is older than retention; answers the rows deleted. */
  prune(run: SnapshotRun, signal?: AbortSignal): Promise<number>;
}

/** One run's observations of the customers, recorded as they arrive. */
export interface CustomerRecording {
  /** Records a change for each customer whose insight differs from the current state. */
  observe(insights: readonly CustomerMfaInsight[]): Promise<void>;
  /** Records every customer not observed as gone and makes every record durable: the run may then be marked complete. */
  close(): Promise<{ customerChanges: number; customersGone: number; entitiesWritten: number }>;
  /** Applies a closed run's records to the current state and history, once its ledger row says complete; answers the rows written. */
  commit(): Promise<number>;
  /** Drops what is not yet written: a failed run's records are never read. */
  abandon(): Promise<void>;
}
