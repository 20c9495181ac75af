import type { PartnerSecuritySource } from '../core/ports';
import type { SnapshotRun } from '../core/snapshotRun';
import { allOrAbort, runSnapshot, type CollectOptions, type CollectorDependencies } from './runSnapshot';

/**
 * Snapshots the partner security score, its requirements, its history and every customer's
 * MFA insight. The customer pages (the long sequential chain) are written while the next page
 * is fetched; the three small reads run beside them.
 */
export async function collectPartnerSecurity(
  dependencies: CollectorDependencies & { partnerSecurity: PartnerSecuritySource },
  options: CollectOptions = {},
): Promise<SnapshotRun> {
  const source = dependencies.partnerSecurity;
  return runSnapshot(dependencies, 'partnerSecurity', options, async (writer, counts, runSignal) => {
    const abort = new AbortController();
    runSignal.addEventListener('abort', () => abort.abort());
    const signal = { abortSignal: abort.signal };
    await allOrAbort(abort, [
      (async () => {
        let customers = 0;
        let customerPages = 0;
        for await (const page of source.customerInsights(signal)) {
          counts.customerPages = ++customerPages;
          counts.customers = customers += page.length;
          await writer.addCustomerInsights(page);
        }
        counts.customers = customers;
      })(),
      (async () => {
        const score = await source.score(signal);
        await writer.putScore(score);
      })(),
      (async () => {
        const requirements = await source.requirements(signal);
        counts.requirements = requirements.length;
        await writer.addRequirements(requirements);
      })(),
      (async () => {
        const history = await source.scoreHistory(signal);
        counts.scoreHistory = history.length;
        await writer.addScoreHistory(history);
      })(),
    ]);
  });
}
