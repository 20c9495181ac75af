import { closeGraceMs } from '../core/adminScan';
import { storageUnavailable } from './problem';
import { isPlainObject } from '../core/payloadReader';
import type { CustomerDirectoryState } from '../core/customerNames';
import { snapshotSources, type SnapshotSource } from '../core/model';
import { judgeClientSecret, type ClientSecretRead } from '../core/clientSecretExpiry';
import type { ClientSecretStore, Delivery, DigestRecord, OutboxMessage } from '../ports';
import { causeChain, ConfigurationError, errorCode, toError } from '../core/errors';
import { judgeSchedule } from '../core/scheduleHealth';
import { deliveryTargetLabel } from '../core/alertRoutes';
import { isActive, unhonouredWaiverProblem } from '../core/waivers';
import type { SnapshotRun } from '../core/snapshotRun';
import type { QueryDependencies, QueryResult } from './queries';
import { ticketStatus } from './ticketStatus';

const runSummary = (run: SnapshotRun | undefined) =>
  run === undefined ? null : { runId: run.runId, status: run.status, startedAt: run.startedAt, finishedAt: run.finishedAt, errorCode: run.errorCode, warnings: run.warnings };

/**
 * Whether customer names are known: a refresh that could not read a source is a warning (the
 * monitor works by tenant id), never a failure of the monitor.
 */
function customerNameStatus(state: CustomerDirectoryState) {
  return {
    status: state.attemptedAt === null ? 'notRefreshed' : state.lastError === null ? 'ok' : 'warning',
    refreshedAt: state.refreshedAt,
    attemptedAt: state.attemptedAt,
    sources: state.sources,
    warning: state.lastError === null ? null : `${state.lastError.message} (names read earlier are kept; other customers are shown by tenant id)`,
  };
}

/**
 * The monitor's health, with every reason it is not healthy: a source without a complete run,
 * a source whose last run failed, a run that was abandoned since the last complete one, a source
 * or the detector without a complete run by the time its schedule says (or whose schedule cannot
 * be read), a detector run that failed, an alert waiting undelivered longer than the limit, a
 * client secret within 7 days of its expiry, expired or unreadable (30 days ahead it is a warning).
 * Unhealthy answers 503, so the availability test in Azure and any uptime monitor alert on it; so does
 * storage that cannot be read, since the monitor then cannot vouch for anything. Missing
 * customer names stay a warning beside it.
 */
export async function monitorStatus(dependencies: QueryDependencies): Promise<QueryResult> {
  const { reader, clock, directory, undeliveredAlertLimitMs, health: readHealth, clientSecret: openClientSecret, digests, waivers, configurationProblems } = dependencies;
  const now = clock.now();
  const [openFindings, stored, directoryState, undelivered, waitingDeliveries, lastSkippedRun, lastDetectorRun, completed, health, digest, clientSecret, scanQueue, tickets, runs] = await Promise.all([
    reader.openFindingCounts(),
    waivers.listWaivers(),
    directory.readState(),
    reader.undeliveredAlerts(),
    reader.undeliveredDeliveries(),
    reader.lastSkippedRun('detectRegressions'),
    reader.lastDetectorRun(),
    reader.lastCompletedDetectorRun(),
    // Settings that keep the schedules from being judged are reasons themselves.
    readHealth().catch((thrown: unknown): { problems: readonly string[] } => {
      if (thrown instanceof ConfigurationError) return { problems: thrown.problems };
      if (errorCode(thrown) === 'InvalidConfiguration') return { problems: [toError(thrown).message] };
      throw thrown;
    }),
    digests.latest(),
    clientSecretStatus(openClientSecret, now),
    scanQueueStatus(dependencies),
    ticketStatus(dependencies.tickets(), () => directory.customerNames(), now, undeliveredAlertLimitMs),
    // One element for every source, so each result above keeps its own type.
    Promise.all(
      // The customer-admin scan's ledger is read only while the scan may run (off: nothing to judge, nor to read).
      snapshotSources.filter((source) => source !== 'customerAdmins' || dependencies.customerAdminScanOn() !== false).map(async (source) => {
        const [{ lastRun, lastCompleteRun, lastFailedRun }, lastSkippedRun, applied] = await Promise.all([
          recentRuns(reader, source),
          reader.lastSkippedRun(source),
          // Only partnerSecurity's runs are applied to a current state (the customers').
          source === 'partnerSecurity' ? reader.customers.currentRunId() : undefined,
        ]);
        // Run ids sort newest first: a complete run newer than the one applied waits for its source's next run.
        const waitingToBeApplied = applied !== undefined && lastCompleteRun !== undefined && (applied === null || lastCompleteRun.runId < applied) ? lastCompleteRun.runId : null;
        return { source, lastRun, lastCompleteRun, lastFailedRun, lastSkippedRun, waitingToBeApplied };
      }),
    ),
  ]).catch((thrown: unknown) => {
    throw isStorageFailure(thrown) ? storageUnavailable(thrown) : thrown;
  });
  // A setting a function cannot read fails that function on every run: the first reasons, each naming its setting.
  const problems: string[] = [...configurationProblems().map(({ problem }) => problem), ...('problems' in health ? health.problems : [])];
  // A schedule as the status shows it: which setting, what it says, and when the next complete run is due by.
  const judge = (name: SnapshotSource | 'detectRegressions', lastCompleteStartedAt: string | undefined) => {
    if ('problems' in health) return null;
    const schedule = health.schedules[name];
    if (schedule === null) return null;
    const { problem, setting, expression, expectedBy } = judgeSchedule({ name, schedule, lastCompleteStartedAt: lastCompleteStartedAt === undefined ? null : new Date(lastCompleteStartedAt) }, now, health.graceMs);
    if (problem !== null) problems.push(problem);
    return { setting, expression, expectedBy };
  };
  // A source that is not collected (the customer-admin scan while off) is listed without judgement; unreadable settings leave it judged by its runs.
  const collected = (source: SnapshotSource, lastRun: SnapshotRun | undefined) => ('problems' in health ? source !== 'customerAdmins' || lastRun !== undefined : health.schedules[source] !== null);
  const sources = runs.filter(({ source, lastRun }) => collected(source, lastRun)).map(({ source, lastRun, lastCompleteRun, lastFailedRun, lastSkippedRun: skipped, waitingToBeApplied }) => {
    if (lastCompleteRun === undefined) problems.push(`${source}: no complete run yet`);
    if (lastRun?.status === 'failed') problems.push(`${source}: the last run failed (${lastRun.errorCode ?? 'no code'})`);
    // Run ids sort newest first: an abandoned run newer than the last complete one is unanswered.
    const abandoned = lastFailedRun?.errorCode === 'Abandoned' && (lastCompleteRun === undefined || lastFailedRun.runId < lastCompleteRun.runId);
    if (abandoned && lastFailedRun.runId !== lastRun?.runId) problems.push(`${source}: run ${lastFailedRun.runId} was abandoned (stopped without recording an end) and no run has completed since`);
    const schedule = judge(source, lastCompleteRun?.startedAt);
    const progress = source === 'customerAdmins' ? { ...fanOutProgress(lastRun, lastCompleteRun, 'problems' in health ? null : health.customerAdminsDeadlineMs, now, problems), queue: scanQueue.depths } : undefined;
    return { source, lastRun: runSummary(lastRun), lastCompleteRun: runSummary(lastCompleteRun), schedule, openFindings: openFindings[source], lastSkippedRun: skipped, waitingToBeApplied, ...(progress ? { progress } : {}) };
  });
  // Rows of an earlier layout stop the detector until the operator migrates them: the problem says how.
  const migrate = lastDetectorRun?.errorCode === 'MigrationNeeded' || lastDetectorRun?.errorCode === 'UnreadableRow' ? '; rows an earlier version wrote are brought to the current shape by `npm run migrate`' : '';
  if (lastDetectorRun?.status === 'failed') problems.push(`detectRegressions: the last run failed (${lastDetectorRun.errorCode ?? 'no code'})${migrate}`);
  if (completed === null) problems.push('detectRegressions: no completed run recorded yet');
  const detectorSchedule = judge('detectRegressions', completed?.startedAt);
  const alerts = undeliveredAlertState(undelivered, waitingDeliveries);
  if (alerts.oldestCreatedAt !== null && now.getTime() - Date.parse(alerts.oldestCreatedAt) > undeliveredAlertLimitMs) {
    problems.push(`an alert has waited undelivered since ${alerts.oldestCreatedAt}, longer than ${undeliveredAlertLimitMs / 3_600_000} h${alerts.lastError === null ? '' : ` (last error: ${alerts.lastError})`}`);
  }
  if (digest?.status === 'sending' && digest.lastError !== null) problems.push(`the weekly digest of ${digest.week} is undelivered (last error: ${digest.lastError})`);
  for (const channel of alerts.channels) {
    if (channel.refused) problems.push(`${channel.channel} refuses the monitor's alerts: ${channel.lastError ?? 'no detail'}`);
  }
  const activeWaivers = stored.filter((waiver) => isActive(waiver, now));
  for (const waiver of activeWaivers) {
    const problem = unhonouredWaiverProblem(waiver);
    if (problem !== null) problems.push(`waiver ${waiver.id} silences nothing until it is narrowed (PATCH cannot change a target: delete it and create one that names a domain or a user): its pattern ${problem}`);
  }
  problems.push(...clientSecret.problems, ...scanQueue.problems, ...tickets.problems);
  // The health and client-secret settings are part of the configuration too: a problem found twice is one reason.
  const reasons = [...new Set(problems)];
  const healthy = reasons.length === 0;
  return {
    body: {
      checkedAt: now.toISOString(),
      healthy,
      problems: reasons,
      openFindings: snapshotSources.reduce((sum, source) => sum + openFindings[source], 0),
      activeWaivers: activeWaivers.length,
      undeliveredAlerts: alerts,
      detector: { lastRun: lastDetectorRun, lastCompletedRun: completed, schedule: detectorSchedule, lastSkippedRun },
      digest: digestSummary(digest),
      customerNames: customerNameStatus(directoryState),
      clientSecret: clientSecret.section,
      tickets: tickets.section,
      sources,
    },
    rows: sources,
    ...(healthy ? {} : { httpStatus: 503 }),
  };
}

/**
 * Where the customer-admin fan-out stands, as its close message last counted it (no worker
 * writes the run's row): tenants queued, scanned, not seen into, and those whose every attempt
 * failed. A run past its deadline that has not closed, and tenants that failed every attempt,
 * are the monitor failing: reasons. Tenants it cannot see into are findings, not reasons.
 */
function fanOutProgress(lastRun: SnapshotRun | undefined, lastComplete: SnapshotRun | undefined, deadlineMs: number | null, now: Date, problems: string[]) {
  const counts = (run: SnapshotRun) => ({ tenants: run.counts.tenants ?? 0, scanned: run.counts.scanned ?? 0, cannotSee: run.counts.cannotSee ?? 0, poisoned: run.counts.failedRepeatedly ?? 0 });
  if (lastRun?.status === 'running' && deadlineMs !== null) {
    const deadline = Date.parse(lastRun.startedAt) + deadlineMs;
    if (now.getTime() > deadline + closeGraceMs) {
      problems.push(`customerAdmins: run ${lastRun.runId} passed its deadline (${new Date(deadline).toISOString()}) without closing: the queue trigger is not running, or its close message failed (look for scanCustomerTenant failures, and messages in the scan queue's poison queue)`);
    }
  }
  if (lastComplete !== undefined && (lastComplete.counts.failedRepeatedly ?? 0) > 0) {
    problems.push(`customerAdmins: ${lastComplete.counts.failedRepeatedly} customer tenants failed every attempt in run ${lastComplete.runId} (their messages went to the poison queue): read scanCustomerTenant's failures in Application Insights`);
  }
  return { running: lastRun?.status === 'running' ? { runId: lastRun.runId, ...counts(lastRun) } : null, lastComplete: lastComplete === undefined ? null : { runId: lastComplete.runId, ...counts(lastComplete) } };
}

/**
 * A source's last run, last complete run and last failed run (which matters only when newer than
 * the last complete one): the top of its ledger in one request, unless none of those is complete.
 */
async function recentRuns(reader: QueryDependencies['reader'], source: SnapshotSource): Promise<Record<'lastRun' | 'lastCompleteRun' | 'lastFailedRun', SnapshotRun | undefined>> {
  const recent = await reader.listRuns(source, { top: 10 });
  const lastCompleteRun = recent.find((run) => run.status === 'complete');
  if (lastCompleteRun !== undefined) return { lastRun: recent[0], lastCompleteRun, lastFailedRun: recent.find((run) => run.status === 'failed') };
  const [[complete], [failed]] = await Promise.all([reader.listRuns(source, { status: 'complete', top: 1 }), reader.listRuns(source, { status: 'failed', top: 1 })]);
  return { lastRun: recent[0], lastCompleteRun: complete, lastFailedRun: failed };
}

/**
 * The scan queue while the customer-admin scan is on: how many messages wait, and how many sit in
 * its poison queue, which recordPoisonedScan empties as it records them: any left there were not
 * recorded, so the runs cannot account for those tenants. A queue that cannot be read is a reason too.
 */
async function scanQueueStatus({ customerAdminScanOn, scanQueueDepths }: QueryDependencies): Promise<{ depths: { queued: number; poisoned: number } | null; problems: string[] }> {
  if (customerAdminScanOn() !== true) return { depths: null, problems: [] };
  try {
    const depths = await scanQueueDepths();
    const problems = depths.poisoned > 0 ? [`customerAdmins: ${depths.poisoned} messages wait in the scan queue's poison queue: recordPoisonedScan has not recorded them (look for its failures in Application Insights)`] : [];
    return { depths, problems };
  } catch (thrown) {
    return { depths: null, problems: [`customerAdmins: the scan queue cannot be read (${errorCode(thrown)})`] };
  }
}

function digestSummary(digest: DigestRecord | null) {
  if (digest === null) return null;
  // Named for people: which target is still waiting for this week's digest, and why.
  const targets = Object.entries(digest.deliveries).map(([target, delivery]) => ({ target: deliveryTargetLabel(target), sentAt: delivery.sentAt, lastError: delivery.lastError }));
  return { week: digest.week, status: digest.status, sentAt: digest.sentAt, attempts: digest.attempts, lastError: digest.lastError, targets };
}

/** Table Storage failing (an SDK error, or a table that could not be opened), rather than code that did. */
function isStorageFailure(thrown: unknown): boolean {
  return causeChain(thrown).some((error) => (error instanceof Error && error.name === 'RestError') || errorCode(error) === 'StorageUnavailable');
}

/**
 * The client secret's expiry as the status shows it (null when no secret is named), and the
 * reasons it gives. It never fails the status: settings that cannot be read are reasons, and so
 * is a vault that cannot be (by its status and code, never its message).
 */
async function clientSecretStatus(open: QueryDependencies['clientSecret'], now: Date): Promise<{ problems: readonly string[]; section: Record<string, unknown> | null }> {
  let store: ClientSecretStore | null;
  try {
    store = await open();
  } catch (thrown) {
    // A credential that cannot even be built (a malformed tenant id) is a reason too, by its code.
    return { problems: thrown instanceof ConfigurationError ? thrown.problems : [`the client secret's expiry cannot be checked: its Key Vault client cannot be built (${errorCode(thrown)})`], section: null };
  }
  if (store === null) return { problems: [], section: null };
  const read: ClientSecretRead = await store.currentProperties().then(
    (properties) => ({ properties }),
    (thrown: unknown) => {
      const status = isPlainObject(thrown) && typeof thrown.statusCode === 'number' ? `${thrown.statusCode} ` : '';
      return { unreadable: `${status}${errorCode(thrown)}` };
    },
  );
  const { state, expiresOn, daysLeft, problem, warning } = judgeClientSecret(read, store.location, now);
  return { problems: problem === null ? [] : [problem], section: { secret: store.location.secretName, vault: store.location.vaultName, state, expiresOn, daysLeft, warning } };
}

/**
 * The outbox as people need it: how many alerts wait, since when, and why the last attempt
 * failed; and per channel, what waits for it and whether it refuses the monitor.
 */
function undeliveredAlertState(messages: readonly OutboxMessage[], deliveries: readonly Delivery[]) {
  const lastTried = [...messages, ...deliveries].filter((row) => row.lastError !== null).pop();
  // The first delivery listed for each target is its oldest: the outbox lists them oldest first.
  const firsts = deliveries.filter((delivery, index) => deliveries.findIndex((other) => other.target === delivery.target) === index);
  const channels = firsts.map((first) => {
    const waiting = deliveries.filter((delivery) => delivery.target === first.target);
    return {
      channel: deliveryTargetLabel(first.target),
      target: first.target,
      waiting: waiting.length,
      oldestCreatedAt: first.createdAt,
      attempts: first.attempts,
      lastError: waiting.filter((delivery) => delivery.lastError !== null).pop()?.lastError ?? null,
      refused: waiting.some((delivery) => delivery.lastErrorCode === 'AlertUndeliverable'),
    };
  });
  return { count: messages.length, oldestCreatedAt: messages[0]?.createdAt ?? null, lastError: lastTried?.lastError ?? null, channels };
}

