import { PayloadReader } from './payloadReader';

/**
 * Customer display names, for people to read. A tenant's name comes from the first source that
 * lists it: Graph's GDAP `delegatedAdminCustomers`, then Partner Center's `customers`; without
 * either, people see the tenant id. Names are never part of a finding's key.
 */

/** The order in which the sources are asked, and in which a name is preferred. */
export const customerNameSources = ['delegatedAdminCustomers', 'partnerCenterCustomers'] as const;
export type CustomerNameSourceName = (typeof customerNameSources)[number];

export interface CustomerName {
  tenantId: string;
  name: string;
  source: CustomerNameSourceName;
  /** When the directory took this name: first listed, or renamed, or moved to another source. */
  namedAt: string;
}

/** How the stored directory stands: what the last refresh did and what went wrong. */
export interface CustomerDirectoryState {
  /** When a refresh last ran, successful or not: refreshes run at most daily from this. */
  attemptedAt: string | null;
  /** When a refresh last read at least one source. */
  refreshedAt: string | null;
  /** The sources the last successful refresh read, in order. */
  sources: CustomerNameSourceName[];
  /** Why the last refresh could not read a source (null when it read every source it asked). */
  lastError: { code: string; message: string } | null;
}

export const emptyDirectoryState: CustomerDirectoryState = { attemptedAt: null, refreshedAt: null, sources: [], lastError: null };

const refreshIntervalMs = 24 * 60 * 60 * 1000;

/** A refresh is due when none ran in the last day (a failed one counts: a missing permission is not retried hourly). */
export function isRefreshDue(state: CustomerDirectoryState, now: Date): boolean {
  return state.attemptedAt === null || now.getTime() - Date.parse(state.attemptedAt) >= refreshIntervalMs;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Tenant ids are GUIDs, compared in lower case (the insights and the directory may differ in case). */
export function normaliseTenantId(value: string): string | null {
  const trimmed = value.trim();
  return guidPattern.test(trimmed) ? trimmed.toLowerCase() : null;
}

/** One `delegatedAdminCustomer` item: `{ id, tenantId, displayName }`; null when it names no tenant or no name. */
export function parseDelegatedAdminCustomer(item: unknown, path: string): { tenantId: string; name: string } | null {
  const reader = PayloadReader.of(item, path);
  const tenantId = normaliseTenantId(reader.optionalString('tenantId') ?? reader.optionalString('id') ?? '');
  const name = reader.optionalString('displayName')?.trim() ?? '';
  return tenantId === null || name === '' ? null : { tenantId, name };
}

/**
 * One Partner Center `Customer`: `{ id, companyProfile: { tenantId, domain, companyName } }`. A
 * customer's `id` is its tenant id, so it stands in when `companyProfile.tenantId` is missing or
 * not a GUID (the documented sample shows the placeholder `"<guid>"` there).
 */
export function parsePartnerCenterCustomer(item: unknown, path: string): { tenantId: string; name: string } | null {
  const reader = PayloadReader.of(item, path);
  const profile = reader.child('companyProfile');
  const tenantId = normaliseTenantId(profile?.optionalString('tenantId') ?? '') ?? normaliseTenantId(reader.optionalString('id') ?? '');
  const name = profile?.optionalString('companyName')?.trim() ?? '';
  return tenantId === null || name === '' ? null : { tenantId, name };
}

/**
 * The names a refresh writes: each tenant a source listed takes the name of the first source, in
 * `customerNameSources` order, that lists it. A source not read this time (it failed) still
 * outranks the ones after it for the tenants it named before: their stored name is kept rather
 * than replaced by a lesser source's. Stored names of tenants no source listed this time are left
 * as they are: a name is kept.
 */
export function resolveCustomerNames(
  read: Partial<Record<CustomerNameSourceName, ReadonlyMap<string, string>>>,
  now: Date,
  stored: readonly CustomerName[] = [],
): CustomerName[] {
  const resolved = new Map<string, CustomerName | 'kept'>();
  for (const source of customerNameSources) {
    // A source not read this time still holds the tenants it named before (null: the stored name is kept).
    const names = read[source] ?? new Map(stored.filter((entry) => entry.source === source).map((entry) => [entry.tenantId, null]));
    for (const [tenantId, name] of names) {
      if (!resolved.has(tenantId)) resolved.set(tenantId, name === null ? 'kept' : { tenantId, name, source, namedAt: now.toISOString() });
    }
  }
  return [...resolved.values()].filter((entry): entry is CustomerName => entry !== 'kept');
}

/** Case-insensitive substring match of a name filter, in the same folding for every script (`İ`, `ß`). */
export function nameMatches(name: string | null | undefined, filter: string): boolean {
  return name !== null && name !== undefined && fold(name).includes(fold(filter));
}

function fold(text: string): string {
  return text.normalize('NFKC').toLocaleLowerCase('en-US');
}

/**
 * What a refresh must write: the resolved names that are new or differ (name or source) from the
 * stored ones. Most days nothing changes, so a daily refresh of a large directory writes nothing.
 */
export function changedNames(resolved: readonly CustomerName[], stored: readonly CustomerName[]): CustomerName[] {
  const before = new Map(stored.map((entry) => [entry.tenantId, entry]));
  return resolved.filter((entry) => {
    const old = before.get(entry.tenantId);
    return old === undefined || old.name !== entry.name || old.source !== entry.source;
  });
}
