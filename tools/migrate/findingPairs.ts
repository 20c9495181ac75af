import { odata, type TransactionAction } from '@azure/data-tables';
import { entityGroupTransactions } from '../../src/adapters/batchWriter';
import { findingToRow } from '../../src/adapters/tableDetectorStore';
import { fromTableKey, toTableKey } from '../../src/adapters/tableKey';
import { fixedPartitions } from '../../src/adapters/tableLayout';
import { jsonField, oneOf, optionalText, requiredText } from '../../src/adapters/unreadableRows';
import { findingChanges, findingStates, subjectTypes, type FindingTransition, type MeasureValue, type ShareOfWhole, type StoredFinding } from '../../src/core/findings';
import type { Migration } from './migrations';

/**
 * Migration 1: a count and its share are one finding. Until 2026-12-03 they were two, each with
 * its own line: `requirement/<type>/compliantTenantCount` + `requirement/<type>/compliantTenantShare`,
 * and `registration/mfaRegisteredUserCount` + `registration/mfaRegisteredShare`. They are now one
 * (`requirement/<type>/compliantTenants`, `registration/mfaRegisteredUsers`), keeping their lifecycle.
 * Each pair is replaced in one entity group transaction (the merged row written, the parts
 * deleted: every finding is in one partition), so a migration stopped between two pairs leaves
 * each pair either old or merged, and the next run merges the rest.
 */
export const findingPairsMigration: Migration = {
  id: 1,
  name: 'a count and its share are one finding',
  async run({ tables, dryRun, log, afterStep }) {
    const table = tables.clientFor('findings');
    const findings = new Map<string, LegacyFinding>();
    const filter = odata`PartitionKey eq ${fixedPartitions.findings}`;
    for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const key = fromTableKey(requiredText('findings', row, 'rowKey'));
      findings.set(key, legacyFinding(key, row));
    }
    const merges = mergeFindingPairs(findings);
    for (const { merged, retired } of merges) {
      log(`   ${dryRun ? 'would merge' : 'merging'} ${retired.join(' and ')} into ${merged?.key ?? 'the finding already written'}`);
      if (dryRun) continue;
      const actions: TransactionAction[] = retired.map((key) => ['delete', { partitionKey: fixedPartitions.findings, rowKey: toTableKey(key) }]);
      if (merged !== null) actions.unshift(['upsert', findingToRow(merged), 'Replace']);
      for (const transaction of entityGroupTransactions(actions)) await table.submitTransaction(transaction);
      afterStep?.();
    }
    return merges.length;
  },
};

/** A finding as the two-finding form stored it: what the merge reads of its parts. */
type LegacyFinding = Pick<StoredFinding, 'key' | 'subject' | 'state' | 'baseline' | 'current' | 'openedAt' | 'resolvedAt' | 'actionUrl' | 'helpUrl' | 'pendingChange' | 'announcedIn' | 'announcedChange'>;

function legacyFinding(key: string, row: Record<string, unknown>): LegacyFinding {
  const text = (field: string): string | null => optionalText(row, field);
  const change = (field: string) => (text(field) === null ? null : oneOf('findings', row, field, findingChanges));
  return {
    key,
    subject: { type: oneOf('findings', row, 'subjectType', subjectTypes), id: requiredText('findings', row, 'subjectId') },
    state: oneOf('findings', row, 'state', findingStates),
    baseline: jsonField<MeasureValue>('findings', row, 'baseline', null),
    current: jsonField<MeasureValue>('findings', row, 'current', null),
    openedAt: requiredText('findings', row, 'openedAt'),
    resolvedAt: text('resolvedAt'),
    actionUrl: text('actionUrl'),
    helpUrl: text('helpUrl'),
    pendingChange: change('pendingChange'),
    announcedIn: text('announcedIn'),
    announcedChange: change('announcedChange'),
  };
}

/** One pair's replacement: the merged finding (null when a stopped migration already wrote it) and the keys it retires. */
interface PairMerge {
  merged: StoredFinding | null;
  retired: string[];
}

interface Pair {
  count: string;
  share: string;
  merged: string;
  kind: StoredFinding['kind'];
  measure: string;
}

function legacyPairs(keys: Iterable<string>): Pair[] {
  const pairs = new Map<string, Pair>();
  for (const key of keys) {
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

/**
 * The merged finding of each stored pair:
 * - open when either part is open, with the parts that are open as its baseline (the count's
 *   baseline, the share's baseline: the older rows never stored the total, so it is derived from
 *   the two for display when both are known);
 * - announced as opened only when no open part has been announced yet: an open pair already
 *   in an email is not news, and a part that recovered while the other stayed open is not a
 *   recovery of the one finding;
 * - keeping the latest announcement of its parts that agrees with its state, so an email composed
 *   and not yet sent still carries it (once, as one line).
 * Pure: when the merged finding already exists, it stands and the old keys are only retired.
 */
export function mergeFindingPairs(findings: ReadonlyMap<string, LegacyFinding>): PairMerge[] {
  return legacyPairs(findings.keys()).map((pair) => {
    const parts = [findings.get(pair.count), findings.get(pair.share)];
    return { merged: findings.has(pair.merged) ? null : merge(pair, parts[0], parts[1]), retired: parts.filter((part) => part !== undefined).map((part) => part.key) };
  });
}

const opening = new Set<FindingTransition['change'] | null>(['opened', 'reopened']);

function merge(pair: Pair, count: LegacyFinding | undefined, share: LegacyFinding | undefined): StoredFinding {
  const parts = [count, share].filter((part) => part !== undefined);
  const open = parts.filter((part) => part.state === 'open');
  // The open parts say what is wrong now; when all are resolved, all of them say what was.
  const active = open.length > 0 ? open : parts;
  const activeCount = count !== undefined && active.includes(count) ? count : undefined;
  const activeShare = share !== undefined && active.includes(share) ? share : undefined;
  const state = open.length > 0 ? 'open' : 'resolved';
  const first = parts[0] as LegacyFinding;

  const pendingChange =
    state === 'open'
      ? // Opened only if no open part was ever announced as opened.
        active.every((part) => opening.has(part.pendingChange)) ? (active.some((part) => part.pendingChange === 'reopened') ? 'reopened' : 'opened') : null
      : parts.some((part) => part.pendingChange === 'resolved')
        ? 'resolved'
        : null;
  const agreeing = parts
    .filter((part) => part.announcedIn !== null && (state === 'open' ? opening.has(part.announcedChange) : part.announcedChange === 'resolved'))
    .sort((left, right) => (right.announcedIn ?? '').localeCompare(left.announcedIn ?? ''))[0];

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
