import { app, type InvocationContext, type Timer } from '@azure/functions';
import { invocationDeadline, regressionDetector } from '../composition';
import { runDetector } from '../detector/runDetector';
import { invocationLogger } from '../invocationLogger';

export async function detectRegressionsOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  const deadline = await invocationDeadline();
  await runDetector(await regressionDetector(invocationLogger(context)), { deadline });
}

app.timer('detectRegressions', { schedule: '%SCHEDULE_DETECT_REGRESSIONS%', handler: detectRegressionsOnSchedule });
