import type {
  CustomerMfaInsight,
  NonMfaPrincipal,
  PartnerSecurityScore,
  RegistrationCounts,
  ScoreHistoryEntry,
  SecurityRequirement,
  SnapshotSource,
} from './model';
import type { SnapshotRun, SnapshotRunCounts } from './snapshotRun';

/** Ports: the small interfaces the use cases talk to. Adapters implement them. */

export interface Signal {
  abortSignal?: AbortSignal;
}

export interface PartnerSecuritySource {
  score(options?: Signal): Promise<PartnerSecurityScore>;
  requirements(options?: Signal): Promise<SecurityRequirement[]>;
  scoreHistory(options?: Signal): Promise<ScoreHistoryEntry[]>;
  /** Customer insights one API page at a time, so storage can overlap fetching. */
  customerInsights(options?: Signal): AsyncIterable<CustomerMfaInsight[]>;
}

export interface NonMfaPrincipalSource {
  /** Partner Center's records, one API page at a time. */
  principals(options?: Signal): AsyncIterable<NonMfaPrincipal[]>;
}

export interface RegistrationCountSource {
  /** `fallbackReason` says why the replacement report was used, or is null when the legacy one answered. */
  registrationCounts(options?: Signal): Promise<{ counts: RegistrationCounts; fallbackReason: string | null }>;
}

/**
 * Writes one snapshot run. Rows may be written as they arrive; they only become data when
 * `complete` succeeds, which happens after every row is durably written.
 */
export interface SnapshotRunWriter {
  readonly runId: string;
  addCustomerInsights(insights: readonly CustomerMfaInsight[]): Promise<void>;
  addRequirements(requirements: readonly SecurityRequirement[]): Promise<void>;
  putScore(score: PartnerSecurityScore): Promise<void>;
  addScoreHistory(entries: readonly ScoreHistoryEntry[]): Promise<void>;
  addNonMfaPrincipals(principals: readonly NonMfaPrincipal[]): Promise<void>;
  putRegistrationCounts(counts: RegistrationCounts, fallbackReason: string | null): Promise<void>;
  /** Flushes every pending write, then marks the run complete. */
  complete(counts: SnapshotRunCounts): Promise<SnapshotRun>;
  /** Marks the run failed; pending writes are abandoned (a failed run is never read as data). */
  fail(error: { code: string; message: string }, counts: SnapshotRunCounts): Promise<SnapshotRun>;
}

export interface SnapshotStore {
  openRun(source: SnapshotSource, runId: string, startedAt: Date): Promise<SnapshotRunWriter>;
}

export interface Clock {
  now(): Date;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
