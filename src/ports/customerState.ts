import type { CustomerChangesBetween } from '../core/customerChanges';
import type { CustomerMfaInsight } from '../core/model';
import type { SnapshotRun } from '../core/snapshotRun';
import type { CustomerReads } from './queryReader';

/**
 * The customers' state: what each complete partnerSecurity run observed, kept as one current
 * state per customer, each run's own change records (the diff with the run before it) and each
 * customer's history of change points. Everything about how (change points, tombstones, what
 * retention may delete, a run stopped midway) stays behind this port; docs/storage.md has it.
 */
export interface CustomerState extends CustomerReads {
  /**
   * Starts recording run `runId`: first applies any complete run its invocation stopped before
   * applying, and forgets what an earlier failed attempt under this id recorded. Only the
   * source's collector calls it, under the source's lease.
   */
  record(runId: string): CustomerRecording;
  /** The customers whose state differs between two complete runs, read from the change records of the runs between. */
  changesBetween(fromRunId: string | null, toRunId: string): Promise<CustomerChangesBetween>;
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
