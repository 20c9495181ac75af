import { app } from '@azure/functions';
import { snapshotPruner } from '../composition';
import { pruneSnapshots } from '../retention/pruneSnapshots';
import { scheduledRun } from '../invocation';

app.timer('pruneSnapshots', { schedule: '%SCHEDULE_PRUNE_SNAPSHOTS%', handler: scheduledRun(snapshotPruner, pruneSnapshots) });
