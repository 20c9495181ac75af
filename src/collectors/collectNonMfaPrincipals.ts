import type { NonMfaPrincipalSource } from '../ports';
import type { SnapshotRun } from '../core/snapshotRun';
import { runSnapshot, writePages, type CollectOptions, type CollectorDependencies } from './runSnapshot';

/**
 * Snapshots Partner Center's non-MFA-compliant partner principals. A complete run with zero
 * principals means "none"; an API failure is a failed run, never an empty one.
 */
export async function collectNonMfaPrincipals(
  dependencies: CollectorDependencies & { nonMfaPrincipals: NonMfaPrincipalSource },
  options: CollectOptions = {},
): Promise<SnapshotRun | null> {
  return runSnapshot(dependencies, 'nonMfaPrincipals', options, async (writer, counts, abortSignal) => {
    const pages = dependencies.nonMfaPrincipals.principals({ abortSignal });
    await writePages(pages, counts, { pages: 'pages', items: 'principals' }, (page) => writer.addNonMfaPrincipals(page));
  });
}
