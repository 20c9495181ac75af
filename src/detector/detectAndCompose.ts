import type { CustomerChangesBetween } from '../core/customerChanges';
import { detectRegressions, type ComplianceSnapshot } from '../core/detectRegressions';
import { countOpenFindings, type FindingTransition, type StoredFinding } from '../core/findings';
import { snapshotSources, type SnapshotSource } from '../core/model';
import type { SnapshotRun } from '../core/snapshotRun';
import { decideAnnouncement } from '../core/waivers';
import { markReady, newMessage, writeFindings } from './composeMessage';
import type { RunContext } from './detectorDependencies';

/** A run still `running` after this long crashed: it counts as a failure. */
export const abandonedRunMs = 2 * 60 * 60_000;

/**
 * Detects, and when there is something to say (or a reminder is due) composes the next message
 * in the same pass: its findings are written once, already claimed by the message. Messages
 * waiting for a channel that is down do not hold this one back: each channel takes its
 * messages in order once it is back, and the others are not kept waiting.
 */
export async function detectAndCompose(run: RunContext): Promise<{ transitions: FindingTransition[]; composedMessageId: string | null }> {
  const { snapshots, store, clock, settings, findings } = run;
  const now = clock.now();
  const state = await store.readState();
  const previous: ComplianceSnapshot = {};
  const current: ComplianceSnapshot = {};
  const consecutiveFailures: Partial<Record<SnapshotSource, number>> = {};
  const lastErrors: Partial<Record<SnapshotSource, string>> = {};
  let customerChanges: CustomerChangesBetween | undefined;
  const lastSeen = { ...state.lastSeen };
  await Promise.all(
    snapshotSources.map(async (source) => {
      const recent = await snapshots.listRuns(source, { top: settings.thresholds.sourceFailuresBeforeAlert + 1 });
      consecutiveFailures[source] = countFailures(recent, now);
      const failed = recent.find((snapshotRun) => snapshotRun.status === 'failed');
      if (failed?.errorCode) lastErrors[source] = `${failed.errorCode}: ${failed.errorMessage ?? ''}`.slice(0, 300);
      const latest = recent.find((snapshotRun) => snapshotRun.status === 'complete') ?? (await snapshots.latestCompleteRun(source));
      if (!latest || latest.runId === state.lastSeen[source]) return;
      const seen = state.lastSeen[source];
      const [, , changes] = await Promise.all([
        load(snapshots, source, latest.runId, current),
        // The admins' findings are conditions, not falls: the run before is never read.
        seen === undefined || source === 'customerAdmins' ? null : load(snapshots, source, seen, previous),
        // The customers are compared by what changed, never by two whole snapshots.
        source === 'partnerSecurity' ? snapshots.customerChangesBetween(seen ?? null, latest.runId) : undefined,
      ]);
      if (changes) customerChanges = changes;
      lastSeen[source] = latest.runId;
    }),
  );
  const result = detectRegressions({ previous, current, customerChanges, findings, consecutiveFailures, lastErrors, thresholds: settings.thresholds, now: now.toISOString() });
  const updated = decideAnnouncements(run, result);
  for (const finding of updated) findings.set(finding.key, finding);

  const pending = [...findings.values()].some((finding) => finding.pendingChange !== null);
  const message = await newMessage(run, state.lastEmailAt, !pending);
  // Findings first, then the pointer: a crash in between re-detects against the same
  // snapshots, and findings already moved produce no second transition.
  await writeFindings(run, updated, message?.messageId ?? null);
  // The summary the status reads goes with the pointer, after the findings it counts (see DetectorState).
  await store.writeState({ lastSeen, lastEmailAt: message ? now.toISOString() : state.lastEmailAt, openFindings: countOpenFindings(findings.values()) });
  if (message) await markReady(run, message);
  return { transitions: result.transitions, composedMessageId: message?.messageId ?? null };
}

/**
 * What every finding now has to announce: the latest transition, unless a waiver covers the
 * finding; an opening a waiver kept quiet once no waiver does (see decideAnnouncement). Returns
 * the findings whose stored state changes: those detection changed, and those a waiver created,
 * ended or deleted since the last run silences or wakes.
 */
function decideAnnouncements({ findings, waived }: RunContext, { changed, transitions }: ReturnType<typeof detectRegressions>): StoredFinding[] {
  const transitionsByKey = new Map(transitions.map((transition) => [transition.finding.key, transition.change]));
  const changedByKey = new Map(changed.map((finding) => [finding.key, finding]));
  const updated: StoredFinding[] = [];
  for (const key of new Set([...findings.keys(), ...changedByKey.keys()])) {
    const before = findings.get(key);
    const detected = changedByKey.get(key);
    // A detected finding replaces the stored one whole (a field it no longer has is gone); what was announced stays.
    const stored = detected === undefined ? before : { ...detected, announcedIn: before?.announcedIn ?? null, announcedChange: before?.announcedChange ?? null };
    if (stored === undefined) continue;
    const pendingChange = before?.pendingChange ?? null;
    const silencedChange = before?.silencedChange ?? null;
    const decided = decideAnnouncement({ state: stored.state, transition: transitionsByKey.get(key) ?? null, waived: waived(stored), pendingChange, silencedChange });
    if (detected === undefined && decided.pendingChange === pendingChange && decided.silencedChange === silencedChange) continue;
    updated.push({ ...stored, ...decided });
  }
  return updated;
}

/** Failed runs since the newest complete one; a run still `running` past the limit failed too. */
function countFailures(recentNewestFirst: SnapshotRun[], now: Date): number {
  const complete = recentNewestFirst.findIndex((run) => run.status === 'complete');
  const since = complete < 0 ? recentNewestFirst : recentNewestFirst.slice(0, complete);
  return since.filter((run) => run.status === 'failed' || now.getTime() - Date.parse(run.startedAt) > abandonedRunMs).length;
}

async function load(snapshots: RunContext['snapshots'], source: SnapshotSource, runId: string, into: ComplianceSnapshot): Promise<void> {
  if (source === 'partnerSecurity') {
    const [score, requirements] = await Promise.all([snapshots.scoreOfRun(runId), snapshots.requirementsOfRun(runId)]);
    Object.assign(into, { score, requirements });
  } else if (source === 'nonMfaPrincipals') {
    into.principals = await snapshots.principalsOfRun(runId);
  } else if (source === 'customerAdmins') {
    into.adminScans = await snapshots.adminScansOfRun(runId);
  } else {
    into.registration = await snapshots.registrationCountsOfRun(runId);
  }
}
