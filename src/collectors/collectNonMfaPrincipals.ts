import type { NonMfaPrincipalSource } from '../ports';
import type { SnapshotRun } from '../core/snapshotRun';
import { runSnapshot, type CollectOptions, type CollectorDependencies } from './runSnapshot';

/**
 * Snapshots Partner Center's non-MFA-compliant partner principals. A complete run with zero
 * principals means "none"; an API failure is a failed run, never an empty one.
 */
export async function collectNonMfaPrincipals(
  dependencies: CollectorDependencies & { nonMfaPrincipals: NonMfaPrincipalSource },
  options: CollectOptions = {},
): Promise<SnapshotRun | null> {
  return runSnapshot(dependencies, 'nonMfaPrincipals', options, async (writer, counts, abortSignal) => {
    let principals = 0;
    let pages = 0;
    counts.principals = 0;
    for await (const page of dependencies.nonMfaPrincipals.principals({ abortSignal })) {
      counts.pages = ++pages;
      counts.principals = principals += page.length;
      await writer.addNonMfaPrincipals(page);
    }
  });
}
