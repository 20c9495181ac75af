import { app, type InvocationContext, type Timer } from '@azure/functions';
import { invocationDeadline, snapshotPruner } from '../composition';
import { invocationLogger } from '../invocationLogger';
import { pruneSnapshots } from '../retention/pruneSnapshots';

export async function pruneSnapshotsOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  const deadline = await invocationDeadline();
  await pruneSnapshots(await snapshotPruner(invocationLogger(context)), { deadline });
}

app.timer('pruneSnapshots', { schedule: '%SCHEDULE_PRUNE_SNAPSHOTS%', handler: pruneSnapshotsOnSchedule });
