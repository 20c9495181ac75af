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
  /**
   * The tenant's default domain, where a source gives one (Partner Center's
   * `companyProfile.domain`), lower case: what a PSA's company is matched by. Absent when none did.
   */
  domain?: string;
}

/** One customer as a source lists it: its name, and its domain when the source gives one. */
export interface ListedCustomer {
  name: string;
  domain: string | null;
}

/** What a ticket's company is matched by: the customer's name and domains as the directory keeps them. */
export interface CustomerProfile {
  name: string;
  domains: string[];
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
export function parsePartnerCenterCustomer(item: unknown, path: string): { tenantId: string; name: string; domain: string | null } | null {
  const reader = PayloadReader.of(item, path);
  const profile = reader.child('companyProfile');
  const tenantId = normaliseTenantId(profile?.optionalString('tenantId') ?? '') ?? normaliseTenantId(reader.optionalString('id') ?? '');
  const name = profile?.optionalString('companyName')?.trim() ?? '';
  return tenantId === null || name === '' ? null : { tenantId, name, domain: domainName(profile?.optionalString('domain') ?? '') };
}

/** A DNS name of two labels or more (RFC 1035 section 2.3.1), lower case; null for anything else (the documented sample's placeholder `"domain"`). */
const dnsName = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
function domainName(value: string): string | null {
  const domain = value.trim().toLowerCase().replace(/\.$/, '');
  return dnsName.test(domain) ? domain : null;
}

/**
 * The names a refresh writes: each tenant a source listed takes the name of the first source, in
 * `customerNameSources` order, that lists it. A source not read this time (it failed) still
 * outranks the ones after it for the tenants it named before: their stored name is kept rather
 * than replaced by a lesser source's. Stored names of tenants no source listed this time are left
 * as they are: a name is kept. A tenant's domain is the first one any source read gives (GDAP
 * gives none, Partner Center does), else the stored one: a refresh that did not read Partner
 * Center never forgets a domain.
 */
export function resolveCustomerNames(
  read: Partial<Record<CustomerNameSourceName, ReadonlyMap<string, ListedCustomer>>>,
  now: Date,
  stored: readonly CustomerName[] = [],
): CustomerName[] {
  const storedByTenant = new Map(stored.map((entry) => [entry.tenantId, entry]));
  const domains = new Map<string, string>();
  for (const source of customerNameSources) {
    for (const [tenantId, listed] of read[source] ?? []) if (listed.domain !== null && !domains.has(tenantId)) domains.set(tenantId, listed.domain);
  }
  const domainOf = (tenantId: string): { domain?: string } => {
    const domain = domains.get(tenantId) ?? storedByTenant.get(tenantId)?.domain;
    return domain === undefined ? {} : { domain };
  };
  const resolved = new Map<string, CustomerName | 'kept'>();
  for (const source of customerNameSources) {
    // A source not read this time still holds the tenants it named before (null: the stored name is kept).
    const names: ReadonlyMap<string, ListedCustomer | null> = read[source] ?? new Map(stored.filter((entry) => entry.source === source).map((entry) => [entry.tenantId, null]));
    for (const [tenantId, listed] of names) {
      if (resolved.has(tenantId)) continue;
      const kept = storedByTenant.get(tenantId);
      if (listed !== null) resolved.set(tenantId, { tenantId, name: listed.name, source, namedAt: now.toISOString(), ...domainOf(tenantId) });
      // A kept name is written again only when a source read now gives its tenant a new domain.
      else resolved.set(tenantId, kept !== undefined && domainOf(tenantId).domain !== kept.domain ? { ...kept, ...domainOf(tenantId) } : 'kept');
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
 * What a refresh must write: the resolved names that are new or differ (name, source or domain)
 * from the stored ones. Most days nothing changes, so a daily refresh of a large directory writes
 * nothing. A new domain alone keeps the name's `namedAt`.
 */
export function changedNames(resolved: readonly CustomerName[], stored: readonly CustomerName[]): CustomerName[] {
  const before = new Map(stored.map((entry) => [entry.tenantId, entry]));
  return resolved.flatMap((entry) => {
    const old = before.get(entry.tenantId);
    if (old === undefined || old.name !== entry.name || old.source !== entry.source) return [entry];
    return old.domain !== entry.domain ? [{ ...entry, namedAt: old.namedAt }] : [];
  });
}

/** The directory's entries as a ticket's company is matched by: tenant id -> name and domains. */
export function customerProfiles(entries: readonly CustomerName[]): Map<string, CustomerProfile> {
  return new Map(entries.map((entry) => [entry.tenantId, { name: entry.name, domains: entry.domain === undefined ? [] : [entry.domain] }]));
}
