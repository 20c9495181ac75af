import type { TicketsConfig } from '../config';
import { MonitorError } from '../core/errors';
import { psaLabels, type CompanyMatch, type PsaName } from '../core/tickets';
import type { CustomerProfiles } from '../ports';
import type { CompanyMappingStore, PsaTickets, ResolveCompany, StoredCompanyMapping } from '../ports/psa';

interface CompanyResolution {
  mappings: Pick<CompanyMappingStore, 'list'>;
  directory: CustomerProfiles;
  /** The configured PSAs' clients, by name. */
  psas: ReadonlyMap<PsaName, PsaTickets>;
  /** Each configured PSA's fallback company (HaloPSA: client): where unmapped customers and the partner's own findings go. */
  fallbackCompanyIds: Partial<Record<PsaName, string>>;
}

/**
 * The company each ticket is filed under, in order: the partner's own findings go to the fallback
 * company (`partner`, no gap); a customer's go to the company an admin mapped it to (`mapping`),
 * else the PSA's company whose website or domain is the customer's, else whose name is its name
 * (`domain`, `name`), else to the fallback company (`fallback`: a gap, listed for admins to map).
 *
 * One resolver per detector run: the mappings and the directory are read once, and each customer
 * is looked up in a PSA at most once (a failed look-up is not remembered, so a later call tries
 * again). A PSA's failure is the caller's to handle, as for any PSA call.
 */
export function companyResolver({ mappings, directory, psas, fallbackCompanyIds }: CompanyResolution): ResolveCompany {
  let mapped: Promise<ReadonlyMap<string, StoredCompanyMapping>> | null = null;
  let profiles: ReturnType<CustomerProfiles['customerProfiles']> | null = null;
  const matches = new Map<string, Promise<CompanyMatch>>();

  const remembered = <T>(read: () => Promise<T>, forget: () => void): Promise<T> => {
    const promise = read();
    promise.catch(forget);
    return promise;
  };
  const mappingOf = async (psa: PsaName, tenantId: string): Promise<StoredCompanyMapping | undefined> => {
    mapped ??= remembered(async () => new Map((await mappings.list()).map((mapping) => [`${mapping.psa}/${mapping.tenantId.toLowerCase()}`, mapping])), () => (mapped = null));
    return (await mapped).get(`${psa}/${tenantId}`);
  };
  const profileOf = async (tenantId: string) => {
    profiles ??= remembered(() => directory.customerProfiles(), () => (profiles = null));
    return (await profiles).get(tenantId);
  };

  const fallback = (psa: PsaName, matchedBy: 'fallback' | 'partner'): CompanyMatch => {
    const companyId = fallbackCompanyIds[psa];
    if (companyId === undefined || companyId === '') throw new MonitorError('InvalidConfiguration', `${psaLabels[psa]} has no fallback company configured`);
    return { companyId, companyName: null, matchedBy };
  };

  const resolve = async (psa: PsaName, tenantId: string): Promise<CompanyMatch> => {
    const mapping = await mappingOf(psa, tenantId);
    if (mapping !== undefined) return { companyId: mapping.companyId, companyName: mapping.companyName, matchedBy: 'mapping' };
    const client = psas.get(psa);
    if (client === undefined) throw new MonitorError('InvalidConfiguration', `${psaLabels[psa]} is not configured`);
    const profile = await profileOf(tenantId);
    // A customer the directory cannot name or place has nothing to match by.
    if (profile !== undefined && (profile.domains.length > 0 || profile.name !== '')) {
      const found = await client.findCompany({ name: profile.name === '' ? null : profile.name, domains: profile.domains });
      if (found !== null) return { companyId: found.id, companyName: found.name, matchedBy: found.matchedBy };
    }
    return fallback(psa, 'fallback');
  };

  return (psa, tenantId) => {
    if (tenantId === null) return Promise.resolve().then(() => fallback(psa, 'partner'));
    const key = `${psa}/${tenantId.toLowerCase()}`;
    let match = matches.get(key);
    if (match === undefined) {
      match = remembered(() => resolve(psa, tenantId.toLowerCase()), () => matches.delete(key));
      matches.set(key, match);
    }
    return match;
  };
}

/** Each configured PSA's fallback company (HaloPSA: client) as the settings name it. */
export function fallbackCompanyIds(tickets: Pick<TicketsConfig, PsaName>): Partial<Record<PsaName, string>> {
  return {
    ...(tickets.connectwise === null ? {} : { connectwise: tickets.connectwise.fallbackCompanyId }),
    ...(tickets.autotask === null ? {} : { autotask: tickets.autotask.fallbackCompanyId }),
    ...(tickets.halopsa === null ? {} : { halopsa: tickets.halopsa.fallbackClientId }),
  };
}
