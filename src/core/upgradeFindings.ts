import type { FindingTransition, MeasureValue, ShareOfWhole, StoredFinding } from './findings';

/**
 * Brings findings stored in an older shape to the current one, keeping their lifecycle.
 *
 * A count and its share used to be two findings, each with its own line:
 * `requirement/<type>/compliantTenantCount` + `requirement/<type>/compliantTenantShare`, and
 * `registration/mfaRegisteredUserCount` + `registration/mfaRegisteredShare`. They are now one
 * (`requirement/<type>/compliantTenants`, `registration/mfaRegisteredUsers`). The merged finding:
 * - is open when either part is open, with the parts that are open as its baseline (the count's
 *   baseline, the share's baseline: the older rows never stored the total, so it is derived from
 *   the two for display when both are known);
 * - is announced as opened only when no open part has been announced yet: an open pair already
 *   in an email is not news, and a part that recovered while the other stayed open is not a
 *   recovery of the one finding;
 * - keeps the latest announcement of its parts that agrees with its state, so an email composed
 *   and not yet sent still carries it (once, as one line).
 * Pure and idempotent: when the merged finding already exists (a crash after it was written and
 * before the old rows were deleted), it stands and the old keys are only retired.
 */
interface FindingUpgrade {
  /** Findings to write (merged ones). */
  upgraded: StoredFinding[];
  /** Keys of the rows the upgraded findings replace. */
  retired: string[];
}

interface Pair {
  count: string;
  share: string;
  merged: string;
  kind: StoredFinding['kind'];
  measure: string;
}

function legacyPairs(findings: ReadonlyMap<string, StoredFinding>): Pair[] {
  const pairs = new Map<string, Pair>();
  for (const key of findings.keys()) {
    const requirement = /^requirement\/(.+)\/(compliantTenantCount|compliantTenantShare)$/.exec(key);
    if (requirement) {
      const prefix = `requirement/${requirement[1]}`;
      pairs.set(prefix, { count: `${prefix}/compliantTenantCount`, share: `${prefix}/compliantTenantShare`, merged: `${prefix}/compliantTenants`, kind: 'compliantTenantsFell', measure: 'compliantTenantCount' });
    }
    if (key === 'registration/mfaRegisteredUserCount' || key === 'registration/mfaRegisteredShare') {
      pairs.set('registration', { count: 'registration/mfaRegisteredUserCount', share: 'registration/mfaRegisteredShare', merged: 'registration/mfaRegisteredUsers', kind: 'mfaRegisteredUsersFell', measure: 'mfaRegisteredUserCount' });
    }
  }
  return [...pairs.values()];
}

export function upgradeFindings(findings: ReadonlyMap<string, StoredFinding>): FindingUpgrade {
  const upgraded: StoredFinding[] = [];
  const retired: string[] = [];
  for (const pair of legacyPairs(findings)) {
    const count = findings.get(pair.count);
    const share = findings.get(pair.share);
    retired.push(...[count, share].filter((part) => part !== undefined).map((part) => part.key));
    if (findings.has(pair.merged)) continue;
    upgraded.push(merge(pair, count, share));
  }
  return { upgraded, retired };
}

const opening = new Set<FindingTransition['change'] | null>(['opened', 'reopened']);

function merge(pair: Pair, count: StoredFinding | undefined, share: StoredFinding | undefined): StoredFinding {
  const parts = [count, share].filter((part) => part !== undefined);
  const open = parts.filter((part) => part.state === 'open');
  // The open parts say what is wrong now; when all are resolved, all of them say what was.
  const active = open.length > 0 ? open : parts;
  const activeCount = count !== undefined && active.includes(count) ? count : undefined;
  const activeShare = share !== undefined && active.includes(share) ? share : undefined;
  const state = open.length > 0 ? 'open' : 'resolved';
  const first = parts[0] as StoredFinding;

  const pendingChange =
    state === 'open'
      ? // Opened only if no open part was ever announced as opened.
        active.every((part) => opening.has(part.pendingChange)) ? (active.some((part) => part.pendingChange === 'reopened') ? 'reopened' : 'opened') : null
      : parts.some((part) => part.pendingChange === 'resolved')
        ? 'resolved'
        : null;
  const agreeing = parts
    .filter((part) => part.announcedIn !== null && (state === 'open' ? opening.has(part.announcedChange) : part.announcedChange === 'resolved'))
    .sort((left, right) => (right.announcedIn as string).localeCompare(left.announcedIn as string))[0];

  return {
    key: pair.merged,
    kind: pair.kind,
    severity: 'warning',
    subject: first.subject,
    measure: pair.measure,
    state,
    baseline: activeCount?.baseline ?? null,
    current: activeCount?.current ?? null,
    baselineOfWhole: whole(activeCount?.baseline ?? null, activeShare?.baseline ?? null),
    currentOfWhole: whole(activeCount?.current ?? null, activeShare?.current ?? null),
    openedAt: active.map((part) => part.openedAt).sort()[0] as string,
    resolvedAt: state === 'resolved' ? (parts.map((part) => part.resolvedAt ?? '').sort().pop() ?? null) : null,
    event: false,
    ...(first.actionUrl ? { actionUrl: first.actionUrl } : {}),
    ...(first.helpUrl ? { helpUrl: first.helpUrl } : {}),
    pendingChange,
    announcedIn: agreeing?.announcedIn ?? null,
    announcedChange: agreeing?.announcedChange ?? null,
  };
}

/** The share as the older row stored it (percent, 0.01), and the total it implies when the count is known too. */
function whole(count: MeasureValue, share: MeasureValue): ShareOfWhole {
  const knownShare = typeof share === 'number' ? share : null;
  const total = typeof count === 'number' && knownShare !== null && knownShare > 0 ? Math.round((count * 100) / knownShare) : null;
  return { total, share: knownShare };
}
