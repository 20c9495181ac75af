import { app, type InvocationContext, type Timer } from '@azure/functions';
import { snapshotPruner } from '../composition';
import { invocationLogger } from '../invocationLogger';
import { pruneSnapshots } from '../retention/pruneSnapshots';

export async function pruneSnapshotsOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  await pruneSnapshots(await snapshotPruner(invocationLogger(context)));
}

app.timer('pruneSnapshots', { schedule: '%SCHEDULE_PRUNE_SNAPSHOTS%', handler: pruneSnapshotsOnSchedule });
