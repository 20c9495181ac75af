import type { CompanyMappingAuditEntry, CompanyStatus } from '../core/companyMappings';
import { errorCode } from '../core/errors';
import { psaLabels, type CompanyMatch, type PsaName } from '../core/tickets';
import type { PsaTickets, StoredCompanyMapping } from '../ports/psa';
import { companyResolver } from '../tickets/resolveCompany';
import { nameOf, type QueryDependencies, type QueryResult } from './queries';
import { entityTag } from './waiverQueries';

/**
 * Most customers one answer looks up per PSA: a look-up costs one or two requests against the
 * PSA's documented rate (ConnectWise about 60 a minute per member), which the detector shares.
 */
export const maxLookupsPerPsa = 20;

interface PsaSummary {
  psa: PsaName;
  label: string;
  fallbackCompanyId: string | null;
  counts: Record<CompanyStatus, number>;
  /** Why look-ups stopped (the PSA failed; the rest are notLookedUp), or null. */
  lookupError: { code: string } | null;
}

function row(psa: PsaName, tenantId: string, customerName: string | null, domains: readonly string[], status: CompanyStatus, company: { companyId: string; companyName: string | null } | null, mapping: StoredCompanyMapping | null) {
  return {
    psa,
    tenantId,
    customerName,
    domains: [...domains],
    status,
    companyId: company?.companyId ?? null,
    companyName: company?.companyName ?? null,
    note: mapping?.note ?? null,
    changedBy: mapping?.changedBy ?? null,
    changedAt: mapping?.changedAt ?? null,
    etag: mapping === null ? null : entityTag(mapping.etag),
  };
}

/**
 * Every customer of the directory (and every mapped one) in each configured PSA: its mapping, or
 * with `lookup` the company the detector would find by domain or name, or the gap. Without
 * `lookup` the PSAs are not asked at all; with it, at most maxLookupsPerPsa customers per PSA,
 * in tenant order, the rest listed as notLookedUp (ask again with `tenantId` for one). A `psa`
 * that is not configured lists nothing, as any filter that matches nothing.
 */
export async function psaCompanyList(dependencies: QueryDependencies, filter: { psa?: PsaName; tenantId?: string }, lookup: boolean): Promise<QueryResult> {
  const { clients, fallbackCompanyIds } = await dependencies.psaTickets();
  const chosen = clients.filter((client) => filter.psa === undefined || client.psa === filter.psa);
  const [profiles, mappings] = await Promise.all([dependencies.directory.customerProfiles(), dependencies.companyMappings.list()]);
  const names = new Map([...profiles].map(([tenantId, profile]) => [tenantId, profile.name]));
  const tenants = [...new Set([...profiles.keys(), ...mappings.map((mapping) => mapping.tenantId)])].filter((tenantId) => filter.tenantId === undefined || tenantId === filter.tenantId).sort();
  const mapped = new Map(mappings.map((mapping) => [`${mapping.psa}/${mapping.tenantId}`, mapping]));
  const resolve = companyResolver({ mappings: { list: async () => mappings }, directory: { customerProfiles: async () => profiles }, psas: new Map(chosen.map((client) => [client.psa, client])), fallbackCompanyIds });

  const perPsa = await Promise.all(chosen.map(async (client: PsaTickets) => {
    const summary: PsaSummary = { psa: client.psa, label: psaLabels[client.psa], fallbackCompanyId: fallbackCompanyIds[client.psa] ?? null, counts: { mapping: 0, domain: 0, name: 0, gap: 0, notLookedUp: 0 }, lookupError: null };
    const items: ReturnType<typeof row>[] = [];
    let lookups = 0;
    // One customer at a time: the client paces to the PSA's rate anyway, and a failure stops the rest.
    for (const tenantId of tenants) {
      const mapping = mapped.get(`${client.psa}/${tenantId}`) ?? null;
      const domains = profiles.get(tenantId)?.domains ?? [];
      let status: CompanyStatus = 'notLookedUp';
      let match: CompanyMatch | null = null;
      if (mapping !== null) status = 'mapping';
      else if (lookup && summary.lookupError === null && lookups < maxLookupsPerPsa) {
        lookups += 1;
        try {
          match = await resolve(client.psa, tenantId);
          status = match.matchedBy === 'domain' || match.matchedBy === 'name' ? match.matchedBy : 'gap';
        } catch (thrown) {
          summary.lookupError = { code: errorCode(thrown) };
        }
      }
      summary.counts[status] += 1;
      items.push(row(client.psa, tenantId, nameOf(names, tenantId), domains, status, mapping ?? (status === 'gap' ? null : match), mapping));
    }
    return { summary, items };
  }));
  const items = perPsa.flatMap((answer) => answer.items);
  return { body: { checkedAt: dependencies.clock.now().toISOString(), lookedUp: lookup, maxLookupsPerPsa, psas: perPsa.map((answer) => answer.summary), items }, rows: items };
}

/** Every change to company mappings, newest first: who, when, which customer and PSA, before and after. */
export async function companyMappingAudit({ companyMappings, directory }: QueryDependencies, top: number): Promise<QueryResult> {
  const [entries, names] = await Promise.all([companyMappings.auditTrail({ top }), directory.customerNames()]);
  const items = entries.map((entry: CompanyMappingAuditEntry) => ({ ...entry, customerName: nameOf(names, entry.tenantId) }));
  return { body: { items }, rows: items };
}
