import type { AlertRoute } from '../core/alertRoutes';
import type { Thresholds } from '../core/detectRegressions';
import type { Finding, StoredFinding } from '../core/findings';
import type { TicketPlanSettings } from '../core/ticketPlan';
import type { PsaTickets, ResolveCompany, TicketStore } from '../ports/psa';
import type { ChannelPoster, Clock, CustomerDirectory, DetectorStore, EmailSender, Logger, SnapshotReader, SnapshotStore, WaiverStore } from '../ports';

export interface DetectorSettings {
  thresholds: Thresholds;
  reminderDays: number;
  publicBaseUrl: string | null;
  /** Most lines an email lists per section. */
  alertMaxLines: number;
  /** How long an alert may wait undelivered through transient failures before invocations fail. */
  undeliveredAlertLimitMs: number;
  /** How long one send may wait for ACS: a send is only started when it can end before the deadline. */
  emailTimeoutMs: number;
  /** How long one post to Teams, Slack or the signed webhook may take, retries included. */
  channelTimeoutMs: number;
  /** Which findings go to which targets (ALERT_ROUTES). */
  routes: AlertRoute[];
}

/** The PSAs tickets are kept in, and where their records are; absent (or null) when no PSA is configured. */
export interface TicketDependencies {
  psas: PsaTickets[];
  store: TicketStore;
  /** A resolver for one run: it may remember what it looked up for the run's length, never longer (a mapping may change). */
  resolveCompany: () => ResolveCompany;
  settings: TicketPlanSettings & {
    /** One PSA call's budget (PSA_TIMEOUT_SECONDS): a step is started only when its calls can end before the deadline. */
    timeoutMs: number;
  };
}

export interface DetectorDependencies {
  /** The detector compares customers by what changed, never by whole snapshots. */
  snapshots: SnapshotReader;
  /** The run ledger, where runs left `running` by a stopped invocation are marked abandoned, and the detector's lease. */
  runs: Pick<SnapshotStore, 'markAbandonedRuns' | 'lease'>;
  store: DetectorStore;
  sender: EmailSender;
  /** Teams, Slack and the signed webhook. */
  poster: ChannelPoster;
  /** Customer names for emails; never read for detection, so a rename is never a regression. */
  directory: CustomerDirectory;
  /** Waivers admins set: read once per run, they decide which transitions are announced. */
  waivers: Pick<WaiverStore, 'listWaivers'>;
  clock: Clock;
  log: Logger;
  settings: DetectorSettings;
  tickets?: TicketDependencies | null;
}

/** One run: its dependencies, the findings, kept current in memory, and customer names read at most once. */
export interface RunContext extends DetectorDependencies {
  /** When the invocation must stop; a send that could outlast it is not started. */
  deadline?: Date | undefined;
  findings: Map<string, StoredFinding>;
  customerNames(): Promise<ReadonlyMap<string, string>>;
  /** Whether an active waiver covers the finding at the start of this run. */
  waived(finding: Pick<Finding, 'key' | 'subject'>): boolean;
}
