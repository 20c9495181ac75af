import { app, type InvocationContext, type Timer } from '@azure/functions';
import { collectRegistrationCounts } from '../collectors/collectRegistrationCounts';
import { invocationDeadline, registrationCountCollector } from '../composition';
import { invocationLogger, requestedRunId } from '../invocationLogger';

export async function collectRegistrationCountsOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  const deadline = await invocationDeadline();
  const dependencies = await registrationCountCollector(invocationLogger(context));
  await collectRegistrationCounts(dependencies, { runId: requestedRunId(context), deadline });
}

app.timer('collectRegistrationCounts', { schedule: '%SCHEDULE_REGISTRATION_COUNTS%', handler: collectRegistrationCountsOnSchedule });
