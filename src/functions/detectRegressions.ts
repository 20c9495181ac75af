import { app } from '@azure/functions';
import { regressionDetector } from '../composition';
import { runDetector } from '../detector/runDetector';
import { scheduledRun } from '../invocation';

app.timer('detectRegressions', { schedule: '%SCHEDULE_DETECT_REGRESSIONS%', handler: scheduledRun(regressionDetector, runDetector) });
