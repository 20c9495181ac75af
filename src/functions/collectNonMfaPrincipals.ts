import { app, type InvocationContext, type Timer } from '@azure/functions';
import { collectNonMfaPrincipals } from '../collectors/collectNonMfaPrincipals';
import { invocationDeadline, nonMfaPrincipalCollector } from '../composition';
import { invocationLogger, requestedRunId } from '../invocationLogger';

export async function collectNonMfaPrincipalsOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  const deadline = await invocationDeadline();
  const dependencies = await nonMfaPrincipalCollector(invocationLogger(context));
  await collectNonMfaPrincipals(dependencies, { runId: requestedRunId(context), deadline });
}

app.timer('collectNonMfaPrincipals', { schedule: '%SCHEDULE_NON_MFA_PRINCIPALS%', handler: collectNonMfaPrincipalsOnSchedule });
