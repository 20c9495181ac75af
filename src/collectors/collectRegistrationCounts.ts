import type { RegistrationCountSource } from '../ports';
import type { SnapshotRun } from '../core/snapshotRun';
import { runSnapshot, type CollectOptions, type CollectorDependencies } from './runSnapshot';

/** Snapshots credential registration counts (legacy report, or its replacement when refused). */
export async function collectRegistrationCounts(
  dependencies: CollectorDependencies & { registrationCounts: RegistrationCountSource },
  options: CollectOptions = {},
): Promise<SnapshotRun | null> {
  return runSnapshot(dependencies, 'registrationCounts', options, async (writer, counts, abortSignal) => {
    const { counts: registration, fallbackReason } = await dependencies.registrationCounts.registrationCounts({ abortSignal });
    if (fallbackReason !== null) dependencies.log.warn(`registration counts: used usersRegisteredByFeature (${fallbackReason})`);
    counts.reports = 1;
    await writer.putRegistrationCounts(registration, fallbackReason);
  });
}
