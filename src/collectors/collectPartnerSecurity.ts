import { errorCode, toError } from '../core/errors';
import type { PartnerSecuritySource } from '../ports';
import type { SnapshotRun } from '../core/snapshotRun';
import { refreshCustomerDirectory, type CustomerDirectoryDependencies } from './refreshCustomerDirectory';
import { allOrAbort, runSnapshot, writePages, type CollectOptions, type CollectorDependencies } from './runSnapshot';

/**
 * Snapshots the partner security score, its requirements, its history and every customer's
 * MFA insight. The customer pages (the long sequential chain) are written while the next page
 * is fetched; the three small reads run beside them. Then, at most daily, the customers' display
 * names are refreshed (see refreshCustomerDirectory): names are for people, so whatever goes
 * wrong there is a warning on the run and never fails it.
 */
export async function collectPartnerSecurity(
  dependencies: CollectorDependencies & { partnerSecurity: PartnerSecuritySource; customerDirectory?: CustomerDirectoryDependencies },
  options: CollectOptions = {},
): Promise<SnapshotRun | null> {
  const source = dependencies.partnerSecurity;
  return runSnapshot(dependencies, 'partnerSecurity', options, async (writer, counts, abortSignal, warnings) => {
    const tenantIds = new Set<string>();
    await allOrAbort(abortSignal, [
      (signal) =>
        writePages(source.customerInsights(signal), counts, { pages: 'customerPages', items: 'customers' }, (page) => {
          for (const insight of page) tenantIds.add(insight.tenantId);
          return writer.addCustomerInsights(page);
        }),
      async (signal) => writer.putScore(await source.score(signal)),
      (signal) => writePages(source.requirements(signal), counts, { items: 'requirements' }, (page) => writer.addRequirements(page)),
      (signal) => writePages(source.scoreHistory(signal), counts, { items: 'scoreHistory' }, (page) => writer.addScoreHistory(page)),
    ]);
    if (dependencies.customerDirectory !== undefined) {
      try {
        const refresh = await refreshCustomerDirectory(dependencies.customerDirectory, tenantIds, { abortSignal });
        if (refresh.attempted) counts.customerNames = refresh.named;
        if (refresh.warning !== null) warnings.push(refresh.warning);
      } catch (thrown) {
        warnings.push(`customer names: the directory could not be updated (${errorCode(thrown)}): ${toError(thrown).message}`);
      }
    }
  });
}
