import type { CannotSeeReason, TenantAdminScan, TenantScanResult } from '../core/adminScan';
/**
 * One customer tenant's admins as Microsoft Graph shows them there, through the partner's GDAP
 * relationship or the app's consent (see core/adminScan.ts).
 */
export interface TenantAdminSource {
  /**
   * A tenant the monitor cannot see into is a result (`cannotSee`, with the reason), not an
   * error. Throws TenantThrottledError when Graph or Entra answered 429 (the caller reschedules
   * the tenant), and other errors for faults worth another attempt (5xx, timeouts).
   */
  scanTenant(tenantId: string): Promise<TenantScanResult>;
}

/** Sends messages to one Azure Storage queue, encoded as the Functions queue trigger reads them. */
export interface QueueSender {
  /** Sends one JSON message; `visibleAfterSeconds` keeps it hidden that long first (the queue allows up to 7 days). */
  send(message: object, options?: { visibleAfterSeconds?: number }): Promise<void>;
}

/** How many messages a queue and its poison queue hold, as the service counts them (approximately, hidden ones included). */
export interface QueueDepths {
  /** `queued`: still to be handled or being handled; `poisoned`: moved to `<queue>-poison` after their last failed attempt. */
  queueDepths(): Promise<{ queued: number; poisoned: number }>;
}

/** A tenant's outcome in a run, without its admins: what progress and closing count. */
export interface TenantOutcome {
  tenantId: string;
  outcome: TenantScanResult['outcome'];
  reason: CannotSeeReason | null;
}

/**
 * The customer-admin scans of each run: one row per (run, tenant), written once. A run's list of
 * tenants (its manifest) is written before any message is sent, so closing it knows who is missing.
 */
export interface AdminScanStore {
  writeManifest(runId: string, tenantIds: readonly string[]): Promise<void>;
  readManifest(runId: string): Promise<string[]>;
  /** Insert-only: the first result of (run, tenant) stays, so a message handled twice writes the same row; false when one was there. */
  recordScan(scan: TenantAdminScan): Promise<boolean>;
  /** Notes that Graph throttled the tenant in this run (what tells "throttled past the deadline" from "not reached"). */
  markThrottled(runId: string, tenantId: string): Promise<void>;
  throttledTenants(runId: string): Promise<Set<string>>;
  outcomesOfRun(runId: string): Promise<TenantOutcome[]>;
  scansOfRun(runId: string): Promise<TenantAdminScan[]>;
  scanOf(runId: string, tenantId: string): Promise<TenantAdminScan | null>;
}
