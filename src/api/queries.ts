import { invalidParameter, notFound, storageUnavailable } from './problem';
import type { ContinuationTokens, PagePosition } from './continuationToken';
import { matchesCustomerStatus, type CustomerStatus } from './customerStatus';
import { nameMatches, type CustomerDirectoryState } from '../core/customerNames';
import { describeRecovery, describeRegression } from '../core/alertEmail';
import { compareFindings, type FindingState, type StoredFinding } from '../core/findings';
import { nextStep } from '../core/nextStep';
import { hasNoCompliantAdmins, hasNoMfaPolicy, snapshotSources, type CustomerMfaInsight, type NonMfaPrincipal, type SnapshotSource } from '../core/model';
import { judgeClientSecret, type ClientSecretRead } from '../core/clientSecretExpiry';
import type { ClientSecretStore, Clock, Delivery, DigestLedger, DigestRecord, OutboxMessage, WaiverStore } from '../ports';
import { causeChain, ConfigurationError, errorCode, toError } from '../core/errors';
import { judgeSchedule, type ScheduledWork, type ScheduleVerdict } from '../core/scheduleHealth';
import { deliveryTargetLabel } from '../core/alertRoutes';
import { isOneOf } from '../core/text';
import { isActive, unhonouredWaiverProblem, waiverIndex, type Waiver } from '../core/waivers';
import { runStartedAt, type SnapshotRun } from '../core/snapshotRun';
import type { Page, QueryReader, RowPosition, RunRange, RunRow, UnreadableRowSink } from '../ports/queryReader';
import type { SettingProblem } from '../config';

/** What the query API reads of waivers; like the reader, it can skip rows that cannot be read. */
interface WaiverReader extends Pick<WaiverStore, 'listWaivers' | 'auditTrail'> {
  skippingUnreadable(sink: UnreadableRowSink): WaiverReader;
}

/**
 * The query API's use cases. Each returns a JSON body (shaped as `schemas.ts` describes) and
 * the rows a CSV answer lists. Series are oldest first, ready to chart; only complete runs count.
 */
export interface QueryDependencies {
  reader: QueryReader;
  tokens: ContinuationTokens;
  clock: Clock;
  /** Customer display names as last refreshed, and how that refresh went. */
  directory: { customerNames(): Promise<ReadonlyMap<string, string>>; readState(): Promise<CustomerDirectoryState> };
  /** How long an alert may wait undelivered before the monitor is unhealthy. */
  undeliveredAlertLimitMs: number;
  /** Waivers and their audit trail, read only. */
  waivers: WaiverReader;
  /** The weekly digest's ledger: the newest week's digest and how its delivery went. */
  digests: Pick<DigestLedger, 'latest'>;
  /** The schedules runs are expected on, and the grace; read only by the status, so a bad schedule setting touches no other endpoint. */
  health(): Promise<MonitorHealthSettings>;
  /** Where the app registration's client secret is kept, to judge its expiry; null when none is named. Read only by the status. */
  clientSecret(): Promise<ClientSecretStore | null>;
  /** Every setting some function cannot read (config.ts configurationProblems): each fails that function until fixed. */
  configurationProblems(): readonly SettingProblem[];
}

/** What the status judges runs against: each scheduled function's schedule (or why it cannot be read) and the grace. */
export interface MonitorHealthSettings {
  schedules: Record<SnapshotSource | 'detectRegressions', ScheduledWork['schedule']>;
  graceMs: number;
}

export interface QueryResult {
  body: Record<string, unknown>;
  rows: readonly object[];
  /** The HTTP status when not 200 (the status endpoint answers 503 when unhealthy). */
  httpStatus?: number;
}

const collectedAt = (runId: string): string => runStartedAt(runId).toISOString();

function runSummary(run: SnapshotRun | undefined) {
  return run === undefined
    ? null
    : { runId: run.runId, status: run.status, startedAt: run.startedAt, finishedAt: run.finishedAt, errorCode: run.errorCode, warnings: run.warnings };
}

/** A customer's display name, or null when no source has named it (people then see the tenant id). */
function nameOf(names: ReadonlyMap<string, string>, tenantId: string): string | null {
  return names.get(tenantId.toLowerCase()) ?? null;
}

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

/** The source whose snapshots a finding is about. */
function sourceOfFinding(finding: StoredFinding): SnapshotSource {
  switch (finding.subject.type) {
    case 'principal':
      return 'nonMfaPrincipals';
    case 'registration':
      return 'registrationCounts';
    case 'source':
      return isOneOf(snapshotSources, finding.subject.id) ? finding.subject.id : 'partnerSecurity';
    default:
      return 'partnerSecurity';
  }
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
export async function monitorStatus({ reader, clock, directory, undeliveredAlertLimitMs, health: readHealth, clientSecret: openClientSecret, digests, waivers, configurationProblems }: QueryDependencies): Promise<QueryResult> {
  const now = clock.now();
  const [findings, stored, directoryState, undelivered, waitingDeliveries, lastSkippedRun, lastDetectorRun, completed, health, digest, clientSecret, runs] = await Promise.all([
    reader.findings(),
    waivers.listWaivers(),
    directory.readState(),
    reader.undeliveredAlerts(),
    reader.undeliveredDeliveries(),
    reader.lastSkippedRun('detectRegressions'),
    reader.lastDetectorRun(),
    reader.lastCompletedDetectorRun(),
    healthSettings(readHealth),
    digests.latest(),
    clientSecretStatus(openClientSecret, now),
    // One element for every source, so each result above keeps its own type.
    Promise.all(
      snapshotSources.map(async (source) => {
        const [[lastRun], [lastCompleteRun], [lastFailedRun], lastSkippedRun, applied] = await Promise.all([
          reader.listRuns(source, { top: 1 }),
          reader.listRuns(source, { status: 'complete', top: 1 }),
          reader.listRuns(source, { status: 'failed', top: 1 }),
          reader.lastSkippedRun(source),
          // Only partnerSecurity's runs are applied to a current state (the customers').
          source === 'partnerSecurity' ? reader.customersRunId() : undefined,
        ]);
        // Run ids sort newest first: a complete run newer than the one applied waits for its source's next run.
        const waitingToBeApplied = applied !== undefined && lastCompleteRun !== undefined && (applied === null || lastCompleteRun.runId < applied) ? lastCompleteRun.runId : null;
        return { source, lastRun, lastCompleteRun, lastFailedRun, lastSkippedRun, waitingToBeApplied };
      }),
    ),
  ]).catch((thrown: unknown) => {
    throw isStorageFailure(thrown) ? storageUnavailable(thrown) : thrown;
  });
  const open = findings.filter((finding) => finding.state === 'open');
  // A setting a function cannot read fails that function on every run: the first reasons, each naming its setting.
  const problems: string[] = [...configurationProblems().map(({ problem }) => problem), ...('problems' in health ? health.problems : [])];
  const judge = (name: SnapshotSource | 'detectRegressions', lastCompleteStartedAt: string | undefined): ReturnType<typeof scheduleSummary> | null => {
    if ('problems' in health) return null;
    const verdict = judgeSchedule({ name, schedule: health.schedules[name], lastCompleteStartedAt: lastCompleteStartedAt === undefined ? null : new Date(lastCompleteStartedAt) }, now, health.graceMs);
    if (verdict.problem !== null) problems.push(verdict.problem);
    return scheduleSummary(verdict);
  };
  const sources = runs.map(({ source, lastRun, lastCompleteRun, lastFailedRun, lastSkippedRun: skipped, waitingToBeApplied }) => {
    if (lastCompleteRun === undefined) problems.push(`${source}: no complete run yet`);
    if (lastRun?.status === 'failed') problems.push(`${source}: the last run failed (${lastRun.errorCode ?? 'no code'})`);
    // Run ids sort newest first: an abandoned run newer than the last complete one is unanswered.
    const abandoned = lastFailedRun?.errorCode === 'Abandoned' && (lastCompleteRun === undefined || lastFailedRun.runId < lastCompleteRun.runId);
    if (abandoned && lastFailedRun.runId !== lastRun?.runId) problems.push(`${source}: run ${lastFailedRun.runId} was abandoned (stopped without recording an end) and no run has completed since`);
    return {
      source,
      lastRun: runSummary(lastRun),
      lastCompleteRun: runSummary(lastCompleteRun),
      schedule: judge(source, lastCompleteRun?.startedAt),
      openFindings: open.filter((finding) => sourceOfFinding(finding) === source).length,
      lastSkippedRun: skipped,
      waitingToBeApplied,
    };
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
  problems.push(...clientSecret.problems);
  // The health and client-secret settings are part of the configuration too: a problem found twice is one reason.
  const reasons = [...new Set(problems)];
  const healthy = reasons.length === 0;
  const customerNames = customerNameStatus(directoryState);
  return {
    body: {
      checkedAt: now.toISOString(),
      healthy,
      problems: reasons,
      openFindings: open.length,
      activeWaivers: activeWaivers.length,
      undeliveredAlerts: alerts,
      detector: { lastRun: lastDetectorRun, lastCompletedRun: completed, schedule: detectorSchedule, lastSkippedRun },
      digest: digestSummary(digest),
      customerNames,
      clientSecret: clientSecret.section,
      sources,
    },
    rows: sources,
    ...(healthy ? {} : { httpStatus: 503 }),
  };
}

function digestSummary(digest: DigestRecord | null) {
  if (digest === null) return null;
  // Named for people: which target is still waiting for this week's digest, and why.
  const targets = Object.entries(digest.deliveries).map(([target, delivery]) => ({ target: deliveryTargetLabel(target), sentAt: delivery.sentAt, lastError: delivery.lastError }));
  return { week: digest.week, status: digest.status, sentAt: digest.sentAt, attempts: digest.attempts, lastError: digest.lastError, targets };
}

/** Table Storage failing (an SDK error, or a table that could not be opened), rather than code that did. */
function isStorageFailure(thrown: unknown): boolean {
  return causeChain(thrown).some((error) => (error as { name?: unknown }).name === 'RestError' || errorCode(error) === 'StorageUnavailable');
}

/** The health settings, or the configuration problems that keep schedules from being judged (themselves reasons). */
async function healthSettings(health: QueryDependencies['health']): Promise<MonitorHealthSettings | { problems: readonly string[] }> {
  try {
    return await health();
  } catch (thrown) {
    if (thrown instanceof ConfigurationError) return { problems: thrown.problems };
    if (errorCode(thrown) === 'InvalidConfiguration') return { problems: [toError(thrown).message] };
    throw thrown;
  }
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
  let read: ClientSecretRead;
  try {
    read = { properties: await store.currentProperties() };
  } catch (thrown) {
    const status = (thrown as { statusCode?: unknown }).statusCode;
    read = { unreadable: [typeof status === 'number' ? status : null, errorCode(thrown)].filter((part) => part !== null).join(' ') };
  }
  const { state, expiresOn, daysLeft, problem, warning } = judgeClientSecret(read, store.location, now);
  return { problems: problem === null ? [] : [problem], section: { secret: store.location.secretName, vault: store.location.vaultName, state, expiresOn, daysLeft, warning } };
}

/** A schedule as the status shows it: which setting, what it says, and when the next complete run is due by. */
function scheduleSummary({ setting, expression, expectedBy }: ScheduleVerdict) {
  return { setting, expression, expectedBy };
}

/**
 * The outbox as people need it: how many alerts wait, since when, and why the last attempt
 * failed; and per channel, what waits for it and whether it refuses the monitor.
 */
function undeliveredAlertState(messages: readonly OutboxMessage[], deliveries: readonly Delivery[]) {
  const oldest = messages[0];
  const lastTried = [...messages, ...deliveries].filter((row) => row.lastError !== null).pop();
  const byTarget = new Map<string, Delivery[]>();
  for (const delivery of deliveries) byTarget.set(delivery.target, [...(byTarget.get(delivery.target) ?? []), delivery]);
  const channels = [...byTarget].map(([target, waiting]) => {
    const first = waiting[0] as Delivery;
    const failed = [...waiting].filter((delivery) => delivery.lastError !== null).pop();
    return {
      channel: deliveryTargetLabel(target),
      target,
      waiting: waiting.length,
      oldestCreatedAt: first.createdAt,
      attempts: first.attempts,
      lastError: failed?.lastError ?? null,
      refused: waiting.some((delivery) => delivery.lastErrorCode === 'AlertUndeliverable'),
    };
  });
  return { count: messages.length, oldestCreatedAt: oldest?.createdAt ?? null, lastError: lastTried?.lastError ?? null, channels };
}

/** Rows of complete runs only, oldest first. */
async function completeSeries<T>(reader: QueryReader, source: SnapshotSource, range: RunRange, rows: Promise<RunRow<T>[]>): Promise<RunRow<T>[]> {
  const [complete, found] = await Promise.all([reader.listRuns(source, { status: 'complete', ...range }), rows]);
  const completeIds = new Set(complete.map((run) => run.runId));
  return found.filter((row) => completeIds.has(row.runId)).reverse();
}

export async function scoreSeries({ reader }: QueryDependencies, range: RunRange): Promise<QueryResult> {
  const rows = await completeSeries(reader, 'partnerSecurity', range, reader.scores(range));
  const items = rows.map(({ runId, value }) => ({ runId, collectedAt: collectedAt(runId), currentScore: value.currentScore, maxScore: value.maxScore }));
  return { body: { items }, rows: items };
}

export async function requirementSeries({ reader }: QueryDependencies, range: RunRange, requirementType: string | undefined): Promise<QueryResult> {
  const rows = await completeSeries(reader, 'partnerSecurity', range, reader.requirements(range, requirementType));
  const items = rows.map(({ runId, value }) => ({ runId, collectedAt: collectedAt(runId), ...value }));
  return { body: { items }, rows: items };
}

export async function registrationSeries({ reader }: QueryDependencies, range: RunRange): Promise<QueryResult> {
  const rows = await completeSeries(reader, 'registrationCounts', range, reader.registrations(range));
  const items = rows.map(({ runId, value }) => ({
    runId,
    collectedAt: collectedAt(runId),
    report: value.report,
    totalUserCount: value.totalUserCount,
    mfaRegisteredUserCount: value.mfaRegisteredUserCount,
    fallbackReason: value.fallbackReason,
    countsByStatus: value.countsByStatus,
  }));
  return { body: { items }, rows: items };
}

function describeCustomer({ tenantId, ...insight }: CustomerMfaInsight, customerName: string | null) {
  return { tenantId, customerName, ...insight, noMfaPolicy: hasNoMfaPolicy({ tenantId, ...insight }), adminsNotCompliant: hasNoCompliantAdmins({ tenantId, ...insight }) };
}

/**
 * One page of a paged listing of a run (the latest one of `latestRunId` on a first page). A
 * continuation token pins the run it started on, so pages never mix two snapshots.
 */
async function runPage<T>(
  { tokens }: QueryDependencies,
  latestRunId: () => Promise<string | null>,
  query: string,
  continuationToken: string | undefined,
  read: (runId: string, start: RowPosition | null) => Promise<Page<T>>,
): Promise<{ runId: string | null; page: Page<T>; continuationToken: string | null }> {
  let position: PagePosition | null = null;
  if (continuationToken !== undefined) {
    const decoded = tokens.decode(continuationToken);
    if (decoded === 'otherVersion') throw invalidParameter('continuationToken', 'was issued by an earlier version of this API, whose positions no longer apply: start again without it');
    if (decoded === null) throw invalidParameter('continuationToken', 'is not a token this API issued (altered, truncated, or from an earlier deployment key): start again without it');
    if (decoded.query !== query) throw invalidParameter('continuationToken', 'belongs to a listing with other filters: pass the same filters as on the first page');
    position = decoded;
  }
  const runId = position?.runId ?? (await latestRunId());
  if (runId === null) return { runId, page: { items: [], next: null }, continuationToken: null };
  const page = await read(runId, position === null ? null : { partitionKey: position.partitionKey, rowKey: position.rowKey });
  const next = page.next === null ? null : tokens.encode({ query, runId, ...page.next });
  return { runId, page, continuationToken: next };
}

/**
 * Customers of the latest complete snapshot, optionally those whose name contains `name` (any
 * case). Table Storage compares text exactly, so the name filter is matched here, against the
 * directory read once per page: it selects tenant ids, which then filter the run's rows.
 */
export async function customerPage(
  dependencies: QueryDependencies,
  status: CustomerStatus,
  name: string | undefined,
  top: number,
  continuationToken: string | undefined,
): Promise<QueryResult> {
  const names = await dependencies.directory.customerNames();
  const byStatus = status === 'all' ? undefined : matchesCustomerStatus(status);
  const byName = name === undefined ? undefined : (customer: CustomerMfaInsight) => nameMatches(nameOf(names, customer.tenantId), name);
  const include = byStatus === undefined && byName === undefined ? undefined : (customer: CustomerMfaInsight) => (byStatus?.(customer) ?? true) && (byName?.(customer) ?? true);
  const query = JSON.stringify(['customers', status, name ?? null]);
  // The customers' current state is of the newest applied run: a first page lists it as it is.
  const { runId, page, continuationToken: next } = await runPage(dependencies, () => dependencies.reader.customersRunId(), query, continuationToken, (run, start) =>
    dependencies.reader.customersPage(run, start, top, include),
  );
  const items = page.items.map((customer) => describeCustomer(customer, nameOf(names, customer.tenantId)));
  return { body: { runId, collectedAt: runId === null ? null : collectedAt(runId), status, name: name ?? null, items, continuationToken: next }, rows: items };
}

/**
 * One customer over time, as change points: each state with the run that first saw it (a point
 * with `gone` when the customer was no longer listed), oldest first, the first being the state in
 * force when the range begins. The last point holds unchanged up to `asOfRunId`.
 */
export async function customerHistory({ reader, directory }: QueryDependencies, tenantId: string, range: RunRange): Promise<QueryResult> {
  const [history, names] = await Promise.all([reader.customerHistory(tenantId, range), directory.customerNames()]);
  if (history.points.length === 0 && !(await reader.customerKnown(tenantId))) throw notFound(`No snapshot has listed tenant ${tenantId}.`);
  const customerName = nameOf(names, tenantId);
  const items = [...history.points].reverse().map(({ runId, value }) => ({
    runId,
    collectedAt: collectedAt(runId),
    gone: value === null,
    ...(value === null ? goneCustomer(tenantId, customerName) : describeCustomer(value, customerName)),
  }));
  const asOf = history.asOfRunId === null ? null : { runId: history.asOfRunId, collectedAt: collectedAt(history.asOfRunId) };
  return { body: { tenantId, customerName, asOf, items }, rows: items };
}

/** A history point of a customer no longer listed: every measure unknown. */
function goneCustomer(tenantId: string, customerName: string | null) {
  return {
    tenantId, customerName, compliantAdminsCount: null, compliantNonAdminsCount: null, totalUsersCount: null,
    securityDefaultsStatus: null, mfaConditionalAccessPolicyStatus: null, legacyPerUserMfaStatus: null, noMfaPolicy: null, adminsNotCompliant: null,
  };
}

export async function principalPage(dependencies: QueryDependencies, since: Date | undefined, top: number, continuationToken: string | undefined): Promise<QueryResult> {
  const include = since === undefined ? undefined : (principal: NonMfaPrincipal) => Date.parse(principal.lastNonMfaRequestDateTime) >= since.getTime();
  const latest = async (): Promise<string | null> => (await dependencies.reader.listRuns('nonMfaPrincipals', { status: 'complete', top: 1 }))[0]?.runId ?? null;
  const { runId, page, continuationToken: next } = await runPage(dependencies, latest, `principals:${since?.toISOString() ?? ''}`, continuationToken, (run, start) =>
    dependencies.reader.principalsPage(run, start, top, include),
  );
  return { body: { runId, collectedAt: runId === null ? null : collectedAt(runId), items: page.items, continuationToken: next }, rows: page.items };
}

/** The active waiver a finding is silenced by, as the findings list shows it. */
function findingWaiver(waiver: Waiver | null) {
  return waiver === null ? null : { id: waiver.id, reason: waiver.reason, owner: waiver.owner, expiresAt: waiver.expiresAt };
}

/**
 * The findings, each customer finding with the customer's current name and each principal finding
 * with the UPN its principal has in the latest snapshot (a finding's key holds neither).
 */
export async function findingList({ reader, directory, waivers, clock }: QueryDependencies, state: FindingState | 'all'): Promise<QueryResult> {
  const now = clock.now();
  const [all, stored] = await Promise.all([reader.findings(), waivers.listWaivers()]);
  const findings = all.filter((finding) => state === 'all' || finding.state === state).sort(compareFindings);
  const silencer = waiverIndex(stored, now);
  const principalIds = findings.filter((finding) => finding.subject.type === 'principal').map((finding) => finding.subject.id);
  const [names, upns] = await Promise.all([
    findings.some((finding) => finding.subject.type === 'customer') ? directory.customerNames() : new Map<string, string>(),
    principalUpns(reader, principalIds),
  ]);
  const items = findings.map((finding) => {
    // Links into this API stay relative: the API does not know the address it is reached by.
    const step = nextStep(finding, '');
    return {
      key: finding.key,
      kind: finding.kind,
      severity: finding.severity,
      subject: { type: finding.subject.type, id: finding.subject.id, name: finding.subject.name ?? null },
      customerName: finding.subject.type === 'customer' ? nameOf(names, finding.subject.id) : null,
      upn: finding.subject.type === 'principal' ? (upns.get(finding.subject.id) ?? null) : null,
      measure: finding.measure,
      state: finding.state,
      baseline: finding.baseline,
      current: finding.current,
      openedAt: finding.openedAt,
      resolvedAt: finding.resolvedAt,
      // The line an alert shows, and what to do about it: the same words as the email.
      description: finding.state === 'open' ? describeRegression(finding, names) : describeRecovery(finding, names),
      nextStep: step.text,
      nextStepUrl: step.url,
      // Still detected and listed, only not alerted: which waiver silences it, why, and until when.
      waiver: findingWaiver(silencer(finding)),
    };
  });
  return { body: { items }, rows: items };
}

async function principalUpns(reader: QueryReader, objectIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
  if (objectIds.length === 0) return new Map();
  const [latest] = await reader.listRuns('nonMfaPrincipals', { status: 'complete', top: 1 });
  return latest === undefined ? new Map() : reader.principalUpns(latest.runId, objectIds);
}

export async function runLedger({ reader }: QueryDependencies, source: SnapshotSource | undefined, top: number): Promise<QueryResult> {
  const perSource = await Promise.all((source === undefined ? snapshotSources : [source]).map((one) => reader.listRuns(one, { top })));
  // Run ids sort newest first whatever the source.
  const items = perSource.flat().sort((left, right) => left.runId.localeCompare(right.runId)).slice(0, top);
  return { body: { items }, rows: items };
}
