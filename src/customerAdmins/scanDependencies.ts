import { PayloadError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';
import type { SnapshotRun } from '../core/snapshotRun';
import type { AdminScanStore, Clock, Lease, Logger, QueueSender, TenantAdminSource } from '../ports';
import type { CustomerReads } from '../ports/queryReader';

/**
 * The customer-admin scan fans out over one Azure Storage queue: a timer puts one `scanTenant`
 * message per customer tenant on it, and one `closeRun` message that comes back every minute
 * until every tenant has a result or the deadline passes. The Functions queue trigger and its
 * scale controller spread the messages over instances; the queue gives retries, visibility and
 * the poison queue. No shared counter: each tenant's result is its own row, and only the close
 * message (one at a time) writes the run's row.
 */
export type AdminScanMessage = { kind: 'scanTenant'; runId: string; tenantId: string; deadline: string } | { kind: 'closeRun'; runId: string; deadline: string };

/** A queue message as the trigger hands it over (JSON already parsed), checked: a malformed one is a PayloadError, which the queue retries and then poisons. */
export function readAdminScanMessage(value: unknown): AdminScanMessage {
  const text = (name: string): string => {
    const field = isPlainObject(value) ? value[name] : undefined;
    if (typeof field !== 'string' || field === '') throw new PayloadError(`the scan queue's message has no "${name}"`);
    return field;
  };
  const kind = text('kind');
  if (kind === 'scanTenant') return { kind, runId: text('runId'), tenantId: text('tenantId').toLowerCase(), deadline: text('deadline') };
  if (kind === 'closeRun') return { kind, runId: text('runId'), deadline: text('deadline') };
  throw new PayloadError(`the scan queue's message is of an unknown kind "${kind.slice(0, 40)}"`);
}

/** The run ledger as the scan writes it: a run is opened by the timer and ended by its close message. */
interface ScanRunLedger {
  open(run: SnapshotRun): Promise<string>;
  read(source: 'customerAdmins', runId: string): Promise<{ run: SnapshotRun; etag: string } | null>;
  replaceIfUnchanged(run: SnapshotRun, etag: string): Promise<string | null>;
  list(source: 'customerAdmins', options: { top?: number; status?: SnapshotRun['status'] }): Promise<SnapshotRun[]>;
}

export interface AdminScanDependencies {
  scans: AdminScanStore;
  runs: ScanRunLedger;
  /** The lease that lets one timer at a time start a run (a manual `npm run invoke` beside the schedule's). */
  lease: Lease;
  queue: QueueSender;
  /** Built on first use: a close message never needs Graph. */
  tenants: () => Promise<TenantAdminSource>;
  customers: Pick<CustomerReads, 'currentRunId' | 'page'>;
  clock: Clock;
  log: Logger;
  /** How long a run may take; how many attempts the queue makes before a message is poisoned (host.json's maxDequeueCount). */
  settings: { deadlineMs: number; maxDequeueCount: number };
}
