import type { StoredFinding } from '../core/findings';
import type { StoredWaiver } from '../ports';
import { describeWaiverTarget, isActive, waiverIndex, waiversExpiringWithin, type WaiverAuditEntry } from '../core/waivers';
import type { QueryDependencies, QueryResult } from './queries';

/**
 * A waiver's concurrency token as HTTP carries it: a strong entity tag (If-Match compares
 * strongly, RFC 9110), wrapping the stored row's ETag, which is a weak one.
 */
export function entityTag(storedEtag: string): string {
  return `"${Buffer.from(storedEtag).toString('base64url')}"`;
}

/** A waiver as admins read it: what it silences in words first, then who, why and until when. */
function describeWaiver(waiver: StoredWaiver, now: Date, customerNames: ReadonlyMap<string, string>, openFindings: readonly StoredFinding[]) {
  const active = isActive(waiver, now);
  const silencedBy = waiverIndex([waiver], now);
  return {
    id: waiver.id,
    description: describeWaiverTarget(waiver, customerNames),
    scope: waiver.scope,
    target: waiver.target,
    reason: waiver.reason,
    owner: waiver.owner,
    expiresAt: waiver.expiresAt,
    active,
    waivedFindings: active ? openFindings.filter((finding) => silencedBy(finding) !== null).length : 0,
    createdAt: waiver.createdAt,
    createdBy: waiver.createdBy,
    updatedAt: waiver.updatedAt,
    updatedBy: waiver.updatedBy,
    etag: entityTag(waiver.etag),
  };
}

type WaiverState = 'active' | 'expired' | 'all';

/**
 * Waivers, soonest to expire first: active ones by default, or those ending within a number of
 * days (what the weekly digest lists), each with the open findings it silences now; and the
 * longest a new one may last, so a form offers what the writes will accept.
 */
export async function waiverList({ waivers, reader, directory, clock, waiverMaxDays }: QueryDependencies, state: WaiverState, expiringWithinDays: number | undefined): Promise<QueryResult> {
  const now = clock.now();
  const [stored, { items: open }, names] = await Promise.all([waivers.listWaivers(), reader.findingsPage('open', null, Infinity), directory.customerNames()]);
  const inState = stored.filter((waiver) => state === 'all' || (state === 'active') === isActive(waiver, now));
  const chosen = expiringWithinDays === undefined ? inState : waiversExpiringWithin(inState, now, expiringWithinDays);
  const items = [...chosen].sort((left, right) => left.expiresAt.localeCompare(right.expiresAt)).map((waiver) => describeWaiver(waiver, now, names, open));
  return { body: { checkedAt: now.toISOString(), maxDays: waiverMaxDays(), items }, rows: items };
}

/** Every change to waivers, newest first: who, when, what, and the waiver before and after. */
export async function waiverAudit({ waivers, directory }: QueryDependencies, waiverId: string | undefined, top: number): Promise<QueryResult> {
  const [entries, names] = await Promise.all([waivers.auditTrail({ top, ...(waiverId === undefined ? {} : { waiverId }) }), directory.customerNames()]);
  const items = entries.map((entry: WaiverAuditEntry) => {
    const waiver = entry.after ?? entry.before;
    return { at: entry.at, actor: entry.actor, action: entry.action, waiverId: entry.waiverId, description: waiver === null ? '' : describeWaiverTarget(waiver, names), before: entry.before, after: entry.after };
  });
  return { body: { items }, rows: items };
}
