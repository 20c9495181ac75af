import type { TicketReads } from '../api/queries';
import { randomUUID } from 'node:crypto';
import { deliveryTargetLabel, type ChannelName } from '../core/alertRoutes';
import { customersBefore } from '../core/customerChanges';
import { digestChannelPayload, renderWeeklyDigest } from '../core/digestMessage';
import { errorCode, MonitorError, toError } from '../core/errors';
import type { ChannelPoster, Clock, CustomerDirectory, DigestLedger, DigestRecord, EmailSender, Logger, SnapshotReader, WaiverStore, WebhookChannelName } from '../ports';
import { describeWaiverTarget, waiverIndex, waiversExpiringWithin } from '../core/waivers';
import { runStartedAt } from '../core/snapshotRun';
import { composeWeeklyDigest, digestQuarterMs, digestWeekMs, isoWeek, type WeeklyDigest } from '../core/weeklyDigest';
import type { QueryReader } from '../ports/queryReader';

interface DigestSettings {
  publicBaseUrl: string | null;
  /** Most customers, users and findings named per list. */
  maxNamed: number;
  /** A claim older than this belongs to a run that stopped: another may take the digest over. */
  claimMs: number;
  /** Waivers ending within this many days are listed, so their owners renew or let them lapse. */
  waiverNoticeDays: number;
  /** The webhook channels that receive the digest besides the email to ALERT_TO: every one a route names. */
  channels: readonly WebhookChannelName[];
  /** Budget of one post to a channel, retries included. */
  channelTimeoutMs: number;
}

export interface DigestDependencies {
  reader: Pick<QueryReader, 'listRuns' | 'scores' | 'requirements' | 'findingsPage' | 'lastCompletedDetectorRun'>;
  snapshots: Pick<SnapshotReader, 'customerChangesBetween' | 'principalsOfRun'>;
  directory: CustomerDirectory;
  waivers: Pick<WaiverStore, 'listWaivers'>;
  ledger: DigestLedger;
  sender: EmailSender;
  poster: ChannelPoster;
  clock: Clock;
  log: Logger;
  settings: DigestSettings;
  /** The configured PSAs and their last runs: the mapping gaps; absent or null without a PSA. */
  tickets?: TicketReads | null;
}

interface DigestOutcome {
  week: string;
  /** `sent` by this run; `alreadySent` earlier in the week; `busy` when another run holds it; `notReady` before the first detection. */
  result: 'sent' | 'alreadySent' | 'busy' | 'notReady';
}

/**
 * The weekly digest, sent to each target (the email to ALERT_TO and every routed webhook
 * channel) once per ISO week whatever the schedule or the number of runs: the week's record is
 * claimed (created, or taken over ETag-conditionally from a run that stopped) before anything is
 * sent, and each target's delivery is recorded in it as soon as it is known, so a target that
 * is down or refuses holds back no other and a retry sends only what is missing. The one ACS
 * operation id it carries is looked up before an email is sent again; the webhook channels get
 * a delivery id stable across attempts. A failure leaves the claim with its error and fails the
 * invocation; the function's retry policy and the next run try again.
 */
export async function sendWeeklyDigest(dependencies: DigestDependencies): Promise<DigestOutcome> {
  const { ledger, clock, log, settings } = dependencies;
  const now = clock.now();
  const week = isoWeek(now);
  const existing = await ledger.read(week);
  if (existing?.status === 'sent') {
    log.info(`sendWeeklyDigest: the digest of ${week} went out at ${existing.sentAt}`);
    return { week, result: 'alreadySent' };
  }
  if (existing === null) {
    const notReady = await whyNotReady(dependencies.reader);
    if (notReady !== null) {
      log.warn(`sendWeeklyDigest: the digest of ${week} is not sent yet: ${notReady}; the week is not used, so the first run after the first detection sends it`);
      return { week, result: 'notReady' };
    }
  }
  const customerNames = await dependencies.directory.customerNames();
  const digest = await gather(dependencies, now, customerNames);
  const rendered = renderWeeklyDigest(digest, { customerNames, publicBaseUrl: settings.publicBaseUrl });
  const targets: ChannelName[] = ['email', ...settings.channels];

  // A recent claim that recorded no error belongs to a run still sending.
  const busy = existing !== null && existing.lastError === null && now.getTime() - Date.parse(existing.claimedAt) < settings.claimMs;
  const deliveries = Object.fromEntries(targets.map((target) => [target, { sentAt: null, lastError: null }]));
  let claim = busy
    ? null
    : existing === null
      ? await ledger.create({ week, status: 'sending', operationId: randomUUID(), subject: rendered.subject, claimedAt: now.toISOString(), attempts: 1, sentAt: null, lastError: null, deliveries, digestId: randomUUID() })
      : await ledger.update({ ...existing, claimedAt: now.toISOString(), attempts: existing.attempts + 1 });
  if (claim === null) {
    log.info(`sendWeeklyDigest: another run is sending the digest of ${week}`);
    return { week, result: 'busy' };
  }

  const send = async (target: ChannelName, record: DigestRecord): Promise<void> => {
    if (target === 'email') return sendEmail(dependencies, record, rendered, week);
    const deliveryId = `digest-${record.digestId}-${target}`;
    await dependencies.poster.post(target, digestChannelPayload(target, digest, { publicBaseUrl: settings.publicBaseUrl, deliveryId }), deliveryId, settings.channelTimeoutMs);
  };
  const failures: { target: ChannelName; thrown: unknown }[] = [];
  for (const target of targets) {
    if (claim.deliveries[target]?.sentAt) continue;
    const failure = await send(target, claim).then(() => null, (thrown: unknown) => ({ target, thrown }));
    if (failure !== null) failures.push(failure);
    // ACS will not change its mind about a Failed or Canceled operation: the next attempt gets a new one.
    const operationId = target === 'email' && errorCode(failure?.thrown) === 'DigestEmailFailed' ? randomUUID() : claim.operationId;
    const delivery = failure === null ? { sentAt: clock.now().toISOString(), lastError: null } : { sentAt: null, lastError: toError(failure.thrown).message.slice(0, 300) };
    const recorded = await ledger.update({ ...claim, operationId, deliveries: { ...claim.deliveries, [target]: delivery } });
    if (recorded === null) throw new MonitorError('DigestClaimLost', `another run took the digest of ${week} over while ${deliveryTargetLabel(target)} was being sent; that run sends the rest`);
    claim = recorded;
    if (failure === null) log.info(`sendWeeklyDigest: the digest of ${week} went to ${deliveryTargetLabel(target)}`);
  }

  if (failures.length === 0) {
    await ledger.update({ ...claim, status: 'sent', sentAt: clock.now().toISOString(), lastError: null });
    return { week, result: 'sent' };
  }
  const summary = failures.map(({ target, thrown }) => `${deliveryTargetLabel(target)}: ${toError(thrown).message}`).join('; ');
  await ledger.update({ ...claim, lastError: summary.slice(0, 500) });
  // A refusal is a wrong URL or credential: retrying changes nothing until someone fixes it, so it is named apart.
  const refused = failures.some(({ thrown }) => errorCode(thrown) === 'ChannelRefused');
  throw new MonitorError(refused ? 'DigestUndeliverable' : 'DigestUndelivered', `the digest of ${week} did not reach ${summary}; the targets it reached are not sent it again, the others are retried`, {
    cause: failures[0]?.thrown,
  });
}

/**
 * Why a digest would say nothing yet (null when it has something to say): before the first
 * complete snapshot it has no score, before the first completed detection no findings ("score
 * unknown, 0 open problems"). It is not claimed then, so the week's digest is still to come: a
 * demo started just before its digest's minute, or a deployment whose first Monday comes before
 * its first detection, sends it once the monitor has looked.
 */
async function whyNotReady(reader: DigestDependencies['reader']): Promise<string | null> {
  const [[snapshot], detection] = await Promise.all([reader.listRuns('partnerSecurity', { status: 'complete', top: 1 }), reader.lastCompletedDetectorRun()]);
  if (snapshot === undefined) return 'no partnerSecurity snapshot has completed, so it would report no score';
  if (detection === null) return 'no detectRegressions run has completed, so it would report no findings';
  return null;
}

/** Sends the email unless an earlier attempt's operation got through. */
async function sendEmail(dependencies: DigestDependencies, claim: DigestRecord, rendered: ReturnType<typeof renderWeeklyDigest>, week: string): Promise<void> {
  // An earlier attempt may have reached ACS before its run stopped: never send twice.
  const known = claim.attempts > 1 ? await dependencies.sender.status(claim.operationId) : 'NotFound';
  const outcome = known === 'Succeeded' || known === 'Running' ? known : await dependencies.sender.send(rendered, claim.operationId);
  if (outcome === 'Succeeded') return;
  // Still Running after the send's wait: the next attempt looks the same operation up.
  if (outcome === 'Running') throw new MonitorError('DigestEmailPending', `ACS has not confirmed the email of ${week} yet`);
  throw new MonitorError('DigestEmailFailed', `ACS reported ${outcome} for the email of ${week}`);
}

async function gather(dependencies: DigestDependencies, now: Date, customerNames: ReadonlyMap<string, string>): Promise<WeeklyDigest> {
  const { reader, snapshots, settings } = dependencies;
  const quarter = { from: new Date(now.getTime() - digestQuarterMs), to: now };
  const weekAgo = new Date(now.getTime() - digestWeekMs);
  const [securityRuns, [latestPrincipals], [olderRun], scores, requirements, { items: findings }, waivers, psaRuns] = await Promise.all([
    reader.listRuns('partnerSecurity', { ...quarter, status: 'complete' }),
    reader.listRuns('nonMfaPrincipals', { to: now, status: 'complete', top: 1 }),
    reader.listRuns('partnerSecurity', { to: weekAgo, status: 'complete', top: 1 }),
    reader.scores(quarter),
    reader.requirements(quarter),
    // The digest lists open findings only: those are all it reads, not the resolved ones that pile up.
    reader.findingsPage('open', null, Infinity),
    dependencies.waivers.listWaivers(),
    dependencies.tickets ? dependencies.tickets.lastRuns() : [],
  ]);
  const configured = new Set(dependencies.tickets?.configured ?? []);
  const waived = waiverIndex(waivers, now);
  // Rows of runs that never completed are not data.
  const complete = new Set(securityRuns.map((run) => run.runId));
  const points = <T>(rows: readonly { runId: string; value: T }[]) => rows.filter((row) => complete.has(row.runId)).map((row) => ({ ...row.value, at: runStartedAt(row.runId) }));
  const latestRun = securityRuns[0];
  // Every customer now (the counts need them all); a week ago is now with the week's changes undone.
  const [everyCustomer, weekChanges, principals] = await Promise.all([
    latestRun === undefined ? null : snapshots.customerChangesBetween(null, latestRun.runId),
    latestRun === undefined || olderRun === undefined ? null : snapshots.customerChangesBetween(olderRun.runId, latestRun.runId),
    latestPrincipals === undefined ? null : snapshots.principalsOfRun(latestPrincipals.runId),
  ]);
  const customersNow = everyCustomer === null ? null : everyCustomer.changes.flatMap((change) => (change.after === null ? [] : [change.after]));
  // A week-ago run since pruned compares with nothing: the digest then has no week-ago figures.
  const customersWeekAgo = customersNow === null || weekChanges === null || weekChanges.fromRunId === null ? null : customersBefore(customersNow, weekChanges.changes);
  return composeWeeklyDigest({
    now,
    scores: points(scores),
    requirements: points(requirements),
    customersNow,
    customersWeekAgo,
    customerNames,
    // A waived problem is known and owned: the digest lists its waiver, not the problem again.
    openFindings: findings.filter((finding) => waived(finding) === null),
    waivedCount: findings.filter((finding) => !finding.event && waived(finding) !== null).length,
    principals,
    expiringWaivers: waiversExpiringWithin(waivers, now, settings.waiverNoticeDays).map((waiver) => ({
      description: describeWaiverTarget(waiver, customerNames),
      owner: waiver.owner,
      expiresAt: new Date(waiver.expiresAt),
    })),
    mappingGaps: psaRuns.filter((run) => configured.has(run.psa)).map((run) => ({ psa: run.psa, tenantIds: run.mappingGaps.map((gap) => gap.tenantId), count: run.mappingGapCount })),
    maxNamed: settings.maxNamed,
  });
}
