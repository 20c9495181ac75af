import type {
  CustomerMfaInsight,
  NonMfaPrincipal,
  PartnerSecurityScore,
  RegistrationCounts,
  ScoreHistoryEntry,
  SecurityRequirement,
  SnapshotSource,
} from '../core/model';
import type { TenantAdminScan } from '../core/adminScan';
import type { CustomerChangesBetween } from '../core/customerChanges';
import type { CustomerDirectoryState, CustomerName, CustomerNameSourceName, CustomerProfile, ListedCustomer } from '../core/customerNames';
import type { OpenFindingCounts, StoredFinding } from '../core/findings';
import type { SnapshotRun, SnapshotRunCounts } from '../core/snapshotRun';
import type { Waiver, WaiverAuditEntry } from '../core/waivers';
import type { ClientSecretLocation, StoredSecretProperties } from '../core/clientSecretExpiry';

/**
 * Ports: every small interface the app's use cases (and the Partner Center credential) talk to,
 * in this folder and nowhere else. Adapters implement them; the query API's reader is in
 * `queryReader.ts` beside this file.
 */

export interface Signal {
  abortSignal?: AbortSignal;
}

export interface PartnerSecuritySource {
  score(options?: Signal): Promise<PartnerSecurityScore>;
  /** The collections, one API page at a time, so storage can overlap fetching. */
  requirements(options?: Signal): AsyncIterable<SecurityRequirement[]>;
  scoreHistory(options?: Signal): AsyncIterable<ScoreHistoryEntry[]>;
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
 * Display names of customer tenants as last resolved (GDAP relationships, then Partner Center).
 * A name is for people to read: it is never part of a finding's key, so a rename is never a regression.
 */
export interface CustomerDirectory {
  /** tenantId -> display name, for every customer whose name is known; empty when none is. */
  customerNames(): Promise<ReadonlyMap<string, string>>;
}

/** One place customer display names are read from (GDAP customers, Partner Center customers). */
export interface CustomerNameSource {
  readonly source: CustomerNameSourceName;
  /** Lower-case tenant id -> display name (and domain, where the source gives it) of every customer the source lists (all pages). */
  listNames(options?: Signal): Promise<ReadonlyMap<string, ListedCustomer>>;
}

/** What a ticket's company is matched by: each named customer's name and domains. */
export interface CustomerProfiles {
  /** tenantId -> name and domains (none when no source gave one), for every named customer. */
  customerProfiles(): Promise<ReadonlyMap<string, CustomerProfile>>;
}

/** The stored customer directory: one row per named customer, and how its last refresh went. */
export interface CustomerDirectoryStore extends CustomerDirectory, CustomerProfiles {
  /** Every stored name with its source and when it was last listed. */
  entries(): Promise<CustomerName[]>;
  readState(): Promise<CustomerDirectoryState>;
  writeState(state: CustomerDirectoryState): Promise<void>;
  /** Upserts these names; names not given are left as stored. */
  writeNames(names: readonly CustomerName[]): Promise<void>;
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
  /** Flushes every pending write, then marks the run complete; `warnings` say what it could not do without failing (missing names). */
  complete(counts: SnapshotRunCounts, warnings?: readonly string[]): Promise<SnapshotRun>;
  /** Marks the run failed; pending writes are abandoned (a failed run is never read as data). */
  fail(error: { code: string; message: string }, counts: SnapshotRunCounts): Promise<SnapshotRun>;
}

export interface SnapshotStore {
  openRun(source: SnapshotSource, runId: string, startedAt: Date): Promise<SnapshotRunWriter>;
  /**
   * Records as `failed` (code `Abandoned`, with `reason`) every run of `source` still `running`
   * that started before `startedBefore`, unless its row changed meanwhile; returns those marked.
   */
  markAbandonedRuns(source: SnapshotSource, startedBefore: Date, reason: string, markedAt: Date): Promise<SnapshotRun[]>;
  /** The lease that keeps runs of one kind from overlapping, kept beside the ledger. */
  lease(name: LeaseName): Lease;
}

export interface Clock {
  now(): Date;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Reads complete snapshots back (the detector's and the query API's view of the store). */
export interface SnapshotReader {
  /** Runs of a source newest first: started in `from`..`to` (either end open), of `status`, at most `top`. */
  listRuns(source: SnapshotSource, options?: { from?: Date; to?: Date; top?: number; status?: SnapshotRun['status'] }): Promise<SnapshotRun[]>;
  latestCompleteRun(source: SnapshotSource): Promise<SnapshotRun | null>;
  scoreOfRun(runId: string): Promise<PartnerSecurityScore | null>;
  requirementsOfRun(runId: string): Promise<SecurityRequirement[]>;
  /** The customers whose state differs between two complete runs: what the detector compares (see CustomerChangesBetween). */
  customerChangesBetween(fromRunId: string | null, toRunId: string): Promise<CustomerChangesBetween>;
  principalsOfRun(runId: string): Promise<NonMfaPrincipal[]>;
  registrationCountsOfRun(runId: string): Promise<RegistrationCounts | null>;
  /** Every tenant's result in a customer-admin run. */
  adminScansOfRun(runId: string): Promise<TenantAdminScan[]>;
}

export interface DetectorState {
  /** The run id of each source the detector last compared. */
  lastSeen: Partial<Record<SnapshotSource, string>>;
  /** When the last email (alert or reminder) was composed. */
  lastEmailAt: string | null;
  /**
   * Open findings per source, written with the pointer after the findings they count: what the
   * status shows, in one row instead of the whole Findings partition. Null before the first run
   * that wrote it. A run stopped between the two leaves it a run behind, as it leaves the
   * pointer, until the next run rewrites both; the stopped run never completed, which the status shows.
   */
  openFindings: OpenFindingCounts | null;
}

/** `ready` while any of its deliveries waits; `sent` once one reached its target, `abandoned` when none can. */
type OutboxStatus = 'composing' | 'ready' | 'sent' | 'abandoned';

/** An alert as composed: what it says is rendered from the findings it claimed; its deliveries carry each target's send state. */
export interface OutboxMessage {
  messageId: string;
  status: OutboxStatus;
  createdAt: string;
  reminder: boolean;
  /** The subject as composed; bodies are rendered from the findings the message announces. */
  subject: string;
  lastError: string | null;
  sentAt: string | null;
  /** Concurrency token of the stored row; an update with a stale one fails. */
  etag: string;
}

/** A run that did nothing because another run of its kind held the lease. */
export interface SkippedRun {
  at: string;
  /** The run that held the lease (a collector's run id, a random id per detector run) and until when. */
  heldBy: string;
  heldUntil: string;
}

/** What runs one at a time: each source's collector, and the detector. */
export type LeaseName = SnapshotSource | 'detectRegressions';

/** The lease of one kind of run: at most one run holds it at a time, until it expires. */
export interface Lease {
  /** Takes the lease until `until`, or answers false when another run holds it. */
  acquire(owner: string, now: Date, until: Date): Promise<boolean>;
  /** Extends the lease to `until` if `owner` still holds it; false when it was lost (expired and taken). */
  renew(owner: string, until: Date): Promise<boolean>;
  release(owner: string): Promise<void>;
  /** Records that a run did nothing at `at` because another held the lease, with that holder (shown by the status). */
  recordSkipped(at: Date): Promise<void>;
  /** The last run skipped for the lease, if any. */
  lastSkipped(): Promise<SkippedRun | null>;
}

/** The detector's last run, for the status: a run still `running` has not ended, or was stopped before it could say. */
export interface DetectorRun {
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'complete' | 'failed';
  errorCode: string | null;
}

/** The detector's last run that completed (its health is judged by it against its schedule). */
export interface DetectorCompletion {
  startedAt: string;
  finishedAt: string;
}

/** Where a delivery stands; `sending` means an attempt may have reached the channel. */
type DeliveryStatus = 'ready' | 'sending' | 'sent' | 'abandoned';

/**
 * One outbox message to one target (a channel, or email to a route's recipients), with its own
 * state: a channel that is down keeps its delivery waiting without resending the others.
 */
export interface Delivery {
  messageId: string;
  /** The target's id (see DeliveryTarget): `email`, `email-<hash>`, `teams`, `slack` or `webhook`. */
  target: string;
  status: DeliveryStatus;
  /** Stable across retries: the ACS operation id of an email, the `webhook-id` of a signed webhook. */
  operationId: string;
  createdAt: string;
  attempts: number;
  /** Times the channel took the message and refused it (ACS Failed, a 4xx about the payload). */
  refusals: number;
  firstAttemptAt: string | null;
  lastError: string | null;
  /** The stable code of the last failure; `AlertUndeliverable` when the channel refuses the monitor. */
  lastErrorCode: string | null;
  sentAt: string | null;
  etag: string;
}

export interface DetectorStore {
  /** Records the start, then the end, of a run that holds the lease: the last run, as the status shows it. */
  recordRun(run: DetectorRun): Promise<void>;
  lastRun(): Promise<DetectorRun | null>;
  /** Records a run that did all its work (detect, compose, deliver), replacing the previous record. */
  recordCompletedRun(completion: DetectorCompletion): Promise<void>;
  lastCompletedRun(): Promise<DetectorCompletion | null>;
  readState(): Promise<DetectorState>;
  writeState(state: DetectorState): Promise<void>;
  readFindings(): Promise<StoredFinding[]>;
  writeFindings(findings: readonly StoredFinding[]): Promise<void>;
  /** Messages not yet sent or abandoned, oldest first. */
  unsentMessages(): Promise<OutboxMessage[]>;
  createMessage(message: Omit<OutboxMessage, 'etag'>): Promise<OutboxMessage>;
  /** Optimistic update: null when the row changed since it was read (someone else has it). */
  updateMessage(message: OutboxMessage): Promise<OutboxMessage | null>;
  /** Deliveries not yet sent or abandoned, oldest message first. */
  unsentDeliveries(): Promise<Delivery[]>;
  /** Every delivery of one message, whatever its status. */
  deliveriesOf(messageId: string): Promise<Delivery[]>;
  /** Creates the deliveries a message does not have yet; one it already has is left as it is. */
  createDeliveries(deliveries: readonly Omit<Delivery, 'etag'>[]): Promise<void>;
  /** Optimistic update: null when the row changed since it was read. */
  updateDelivery(delivery: Delivery): Promise<Delivery | null>;
}

/** The channels that take an HTTP POST of JSON. */
export type WebhookChannelName = 'teams' | 'slack' | 'webhook';

export interface ChannelPoster {
  /**
   * Posts one message body to a channel, retrying 429 and 5xx (after `Retry-After`) until it
   * answers 2xx or `budgetMs` is spent; `deliveryId` is stable across retries and runs (the
   * signed webhook's `webhook-id`). Throws a MonitorError: ChannelRefused (401/403/404/410: the
   * URL or its secret is wrong), ChannelRejected (another 4xx: the payload), ChannelUnavailable
   * or ChannelTimeout (worth retrying later).
   */
  post(channel: WebhookChannelName, body: unknown, deliveryId: string, budgetMs: number): Promise<void>;
}

export type EmailOperationStatus = 'NotFound' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';

export interface EmailSender {
  /** Sends under the caller's operation id and waits until ACS reports the outcome; `to` overrides ALERT_TO. */
  send(email: { subject: string; plainText: string; html: string }, operationId: string, to?: readonly string[]): Promise<EmailOperationStatus>;
  /** What ACS knows of an operation id (NotFound when it never received it). */
  status(operationId: string): Promise<EmailOperationStatus>;
}

/** A waiver as stored, with the concurrency token an admin's change must match. */
export interface StoredWaiver extends Waiver {
  etag: string;
}

/**
 * Waivers and their audit trail. Every change is stored together with its audit entry, or not at
 * all; a change or deletion with a stale `etag` is refused (null), so two admins never overwrite
 * each other. Audit entries are never deleted.
 */
export interface WaiverStore {
  listWaivers(): Promise<StoredWaiver[]>;
  readWaiver(id: string): Promise<StoredWaiver | null>;
  createWaiver(waiver: Waiver, audit: WaiverAuditEntry): Promise<StoredWaiver>;
  /** Null when the waiver changed or went since `etag` was read (`*` matches any). */
  updateWaiver(waiver: Waiver, etag: string, audit: WaiverAuditEntry): Promise<StoredWaiver | null>;
  /** False when the waiver changed or went since `etag` was read. */
  deleteWaiver(id: string, etag: string, audit: WaiverAuditEntry): Promise<boolean>;
  /** Audit entries newest first, at most `top`, of one waiver or of all. */
  auditTrail(options: { top: number; waiverId?: string }): Promise<WaiverAuditEntry[]>;
}

/**
 * What the findings recorded so far (open or resolved) name: a finding waiver must name one, and a
 * requirement waiver a type Microsoft documents or one a finding is about.
 */
export interface RecordedFindings {
  hasFinding(key: string): Promise<boolean>;
  hasRequirementFinding(requirementType: string): Promise<boolean>;
}

/** What retention needs from the store: the ledger, and deleting one run with every row it wrote. */
export interface SnapshotPruner extends Pick<SnapshotReader, 'listRuns' | 'latestCompleteRun'> {
  /**
   * Deletes the run's rows, then its ledger row (so a crash leaves it listed, to finish next time);
   * resolves to the rows deleted. Once `signal` aborts it starts no more deletes and rejects.
   */
  deleteRun(run: SnapshotRun, signal?: AbortSignal): Promise<number>;
}

/** The refresh token as stored: its value and the id of the version it came from. */
export interface StoredRefreshToken {
  value: string;
  version: string;
}

/** Where the partner admin's refresh token lives (Key Vault in Azure). Versions are append-only. */
export interface RefreshTokenStore {
  /** Names the store in messages, e.g. "Key Vault secret 'partner-center-refresh-token'". */
  readonly description: string;
  /** The newest version, or null when nothing was ever stored. */
  latest(): Promise<StoredRefreshToken | null>;
  /** Stores a new version; resolves to its id. */
  write(value: string): Promise<string>;
}

/** Where the app registration's client secret is kept (Key Vault), read for its properties only, never its value. */
export interface ClientSecretStore {
  readonly location: ClientSecretLocation;
  /** Its current version's properties, or null when no version is stored. */
  currentProperties(): Promise<StoredSecretProperties | null>;
}

/** One week's digest as delivered (or being delivered): claimed by one run, sent once. */
export interface DigestRecord {
  /** ISO week, e.g. `2026-W49`. */
  week: string;
  status: 'sending' | 'sent';
  /** The ACS operation id the digest is sent under, the same on every attempt, so a retry can look it up. */
  operationId: string;
  subject: string;
  /** When the current attempt claimed it: a claim older than the lease may be taken over. */
  claimedAt: string;
  attempts: number;
  sentAt: string | null;
  lastError: string | null;
  /** Chosen when the week is first claimed: the webhook channels' delivery ids derive from it, the same on every attempt. */
  digestId: string;
  /** Each target's state, by target id (`email`, `teams`, `slack`, `webhook`): a target sent is never sent again. */
  deliveries: Record<string, DigestDelivery>;
  etag: string;
}

/** One target's delivery of the week's digest. */
interface DigestDelivery {
  sentAt: string | null;
  /** Why the last attempt failed; null once sent or before the first attempt. */
  lastError: string | null;
}

export interface DigestLedger {
  read(week: string): Promise<DigestRecord | null>;
  /** Creates the week's record; null when another run created it first. */
  create(record: Omit<DigestRecord, 'etag'>): Promise<DigestRecord | null>;
  /** Optimistic update: null when the record changed since it was read. */
  update(record: DigestRecord): Promise<DigestRecord | null>;
  /** The newest week's record, for the status endpoint. */
  latest(): Promise<DigestRecord | null>;
}

/** A person an Entra access token names, and the app roles (the token's `roles` claim) Entra assigned them. */
export interface SignedInPerson {
  /** As the audit names them: `preferred_username`, else `name`, else the object id. */
  name: string;
  roles: readonly string[];
}

/**
 * Checks an Entra access token for this app (signature, issuer, tenant, audience, lifetime):
 * the person it names, or a MonitorError coded `TokenRejected` (a bad token) or
 * `SignInUnavailable` (Entra's keys cannot be read).
 */
export interface AccessTokenVerifier {
  verify(token: string): Promise<SignedInPerson>;
}


export type { AdminScanStore, QueueDepths, QueueSender, TenantAdminSource, TenantOutcome } from './customerAdmins';
