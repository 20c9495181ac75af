import { randomUUID } from 'node:crypto';
import { renderWeeklyDigest } from '../core/digestEmail';
import { MonitorError, toError } from '../core/errors';
import type { Clock, CustomerDirectory, DigestLedger, DigestRecord, EmailSender, Logger, SnapshotReader, WaiverStore } from '../ports';
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
}

export interface DigestDependencies {
  reader: Pick<QueryReader, 'listRuns' | 'scores' | 'requirements' | 'findings'>;
  snapshots: Pick<SnapshotReader, 'customersOfRun' | 'principalsOfRun'>;
  directory: CustomerDirectory;
  waivers: Pick<WaiverStore, 'listWaivers'>;
  ledger: DigestLedger;
  sender: EmailSender;
  clock: Clock;
  log: Logger;
  settings: DigestSettings;
}

interface DigestOutcome {
  week: string;
  /** `sent` by this run; `alreadySent` earlier in the week; `busy` when another run holds it. */
  result: 'sent' | 'alreadySent' | 'busy';
}

/**
 * The weekly digest, sent once per ISO week whatever the schedule or the number of runs: the
 * week's record is claimed (created, or taken over ETag-conditionally from a run that stopped)
 * before anything is sent, and the one ACS operation id it carries is looked up before a
 * resend. A failure leaves the claim with its error and fails the invocation; the function's
 * retry policy and the next run try again.
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
  const customerNames = await dependencies.directory.customerNames();
  const rendered = renderWeeklyDigest(await gather(dependencies, now, customerNames), { customerNames, publicBaseUrl: settings.publicBaseUrl });

  let claim: DigestRecord | null;
  if (existing === null) {
    claim = await ledger.create({ week, status: 'sending', operationId: randomUUID(), subject: rendered.subject, claimedAt: now.toISOString(), attempts: 1, sentAt: null, lastError: null });
  } else if (now.getTime() - Date.parse(existing.claimedAt) < settings.claimMs && existing.lastError === null) {
    claim = null;
  } else {
    claim = await ledger.update({ ...existing, claimedAt: now.toISOString(), attempts: existing.attempts + 1 });
  }
  if (claim === null) {
    log.info(`sendWeeklyDigest: another run is sending the digest of ${week}`);
    return { week, result: 'busy' };
  }

  let outcome: string;
  try {
    // An earlier attempt may have reached ACS before its run stopped: never send twice.
    const known = claim.attempts > 1 ? await dependencies.sender.status(claim.operationId) : 'NotFound';
    outcome = known === 'Succeeded' || known === 'Running' ? known : await dependencies.sender.send(rendered, claim.operationId);
  } catch (thrown) {
    const message = toError(thrown).message;
    await ledger.update({ ...claim, lastError: message.slice(0, 500) });
    throw new MonitorError('DigestUndelivered', `the digest of ${week} could not be sent: ${message}; it is retried`, { cause: thrown });
  }
  if (outcome === 'Succeeded') {
    await ledger.update({ ...claim, status: 'sent', sentAt: clock.now().toISOString(), lastError: null });
    log.info(`sendWeeklyDigest: the digest of ${week} was delivered to ACS`);
    return { week, result: 'sent' };
  }
  // Still Running after the send's wait: the next attempt looks the same operation up. Failed or
  // Canceled: ACS will not change its mind about that operation, so the next attempt gets a new one.
  const operationId = outcome === 'Running' ? claim.operationId : randomUUID();
  await ledger.update({ ...claim, operationId, lastError: `ACS reported ${outcome}` });
  throw new MonitorError('DigestUndelivered', `ACS reported ${outcome} for the digest of ${week}; it is retried`);
}

async function gather(dependencies: DigestDependencies, now: Date, customerNames: ReadonlyMap<string, string>): Promise<WeeklyDigest> {
  const { reader, snapshots, settings } = dependencies;
  const quarter = { from: new Date(now.getTime() - digestQuarterMs), to: now };
  const weekAgo = new Date(now.getTime() - digestWeekMs);
  const [securityRuns, [latestPrincipals], [olderRun], scores, requirements, findings, waivers] = await Promise.all([
    reader.listRuns('partnerSecurity', { ...quarter, status: 'complete' }),
    reader.listRuns('nonMfaPrincipals', { to: now, status: 'complete', top: 1 }),
    reader.listRuns('partnerSecurity', { to: weekAgo, status: 'complete', top: 1 }),
    reader.scores(quarter),
    reader.requirements(quarter),
    reader.findings(),
    dependencies.waivers.listWaivers(),
  ]);
  const waived = waiverIndex(waivers, now);
  // Rows of runs that never completed are not data.
  const complete = new Set(securityRuns.map((run) => run.runId));
  const latestRun = securityRuns[0];
  const [customersNow, customersWeekAgo, principals] = await Promise.all([
    latestRun === undefined ? null : snapshots.customersOfRun(latestRun.runId),
    olderRun === undefined ? null : snapshots.customersOfRun(olderRun.runId),
    latestPrincipals === undefined ? null : snapshots.principalsOfRun(latestPrincipals.runId),
  ]);
  return composeWeeklyDigest({
    now,
    scores: scores.filter((row) => complete.has(row.runId)).map((row) => ({ at: runStartedAt(row.runId), score: row.value.currentScore, maxScore: row.value.maxScore })),
    requirements: requirements
      .filter((row) => complete.has(row.runId))
      .map((row) => ({
        at: runStartedAt(row.runId),
        requirementType: row.value.requirementType,
        complianceStatus: row.value.complianceStatus,
        compliantTenantCount: row.value.compliantTenantCount,
        totalTenantCount: row.value.totalTenantCount,
      })),
    customersNow,
    customersWeekAgo,
    customerNames,
    // A waived problem is known and owned: the digest lists its waiver, not the problem again.
    openFindings: findings.filter((finding) => waived(finding) === null),
    waivedCount: findings.filter((finding) => finding.state === 'open' && !finding.event && waived(finding) !== null).length,
    principals,
    expiringWaivers: waiversExpiringWithin(waivers, now, settings.waiverNoticeDays).map((waiver) => ({
      description: describeWaiverTarget(waiver, customerNames),
      owner: waiver.owner,
      expiresAt: new Date(waiver.expiresAt),
    })),
    maxNamed: settings.maxNamed,
  });
}
