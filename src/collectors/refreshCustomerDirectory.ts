import { changedNames, customerNameSources, isRefreshDue, resolveCustomerNames, type CustomerNameSourceName, type ListedCustomer } from '../core/customerNames';
import { isOneOf } from '../core/text';
import { errorCode, toError } from '../core/errors';
import type { Clock, CustomerDirectoryStore, CustomerNameSource, Signal } from '../ports';

export interface CustomerDirectoryDependencies {
  directory: CustomerDirectoryStore;
  /** In order of preference: GDAP customers, then Partner Center customers. */
  nameSources: readonly CustomerNameSource[];
  clock: Clock;
}

interface DirectoryRefresh {
  /** False when the directory was refreshed less than a day ago and was left alone. */
  attempted: boolean;
  /** Names written by this refresh: new ones and changed ones. */
  named: number;
  /** Why names are missing, for the run's warnings; null when every source asked answered. */
  warning: string | null;
}

/** What an admin does about a source that refused: the permission it needs, by name. */
const remedies: Record<CustomerNameSourceName, string> = {
  delegatedAdminCustomers: 'grant the app the Microsoft Graph application permission DelegatedAdminRelationship.Read.All and admin consent',
  partnerCenterCustomers: 'check the app\'s Partner Center access (PARTNER_CENTER_AUTH)',
};

/**
 * Refreshes customer display names (and domains, where a source gives them), at most once a day. Each source is asked in turn; a later
 * one only when an earlier one left some of `tenantIds` unnamed. A source that fails is noted
 * and skipped: stored names stay, customers without one are shown by tenant id, and the caller
 * gets a warning, never an exception from a source (only from the directory's own storage).
 */
export async function refreshCustomerDirectory(
  { directory, nameSources, clock }: CustomerDirectoryDependencies,
  tenantIds: ReadonlySet<string>,
  options: Signal = {},
): Promise<DirectoryRefresh> {
  const state = await directory.readState();
  const now = clock.now();
  if (!isRefreshDue(state, now)) return { attempted: false, named: 0, warning: null };

  const read: Partial<Record<CustomerNameSourceName, ReadonlyMap<string, ListedCustomer>>> = {};
  const failures: { source: CustomerNameSourceName; code: string; message: string }[] = [];
  for (const nameSource of nameSources) {
    const named = new Set(Object.values(read).flatMap((names) => [...names.keys()]));
    if (Object.keys(read).length > 0 && [...tenantIds].every((tenantId) => named.has(tenantId.toLowerCase()))) break;
    try {
      read[nameSource.source] = await nameSource.listNames(options);
    } catch (thrown) {
      if (options.abortSignal?.aborted) throw thrown;
      failures.push({ source: nameSource.source, code: errorCode(thrown), message: toError(thrown).message });
    }
  }

  const stored = await directory.entries();
  const names = changedNames(resolveCustomerNames(read, now, stored), stored);
  await directory.writeNames(names);
  const sources = Object.keys(read).filter((name) => isOneOf(customerNameSources, name));
  const firstFailure = failures[0];
  await directory.writeState({
    attemptedAt: now.toISOString(),
    refreshedAt: sources.length > 0 ? now.toISOString() : state.refreshedAt,
    sources: sources.length > 0 ? sources : state.sources,
    lastError: firstFailure === undefined ? null : { code: firstFailure.code, message: failures.map(describeFailure).join('; ') },
  });
  const warning = failures.length === 0 ? null : `customer names: ${failures.map(describeFailure).join('; ')}; names read earlier are kept, other customers are shown by tenant id`;
  return { attempted: true, named: names.length, warning };
}

function describeFailure(failure: { source: CustomerNameSourceName; code: string; message: string }): string {
  const remedy = failure.code === 'Forbidden' || failure.code === 'Unauthorized' ? ` (${remedies[failure.source]})` : '';
  return `${failure.source} failed (${failure.code}): ${failure.message}${remedy}`;
}
