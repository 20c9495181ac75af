import { app, type InvocationContext, type Timer } from '@azure/functions';
import { collectPartnerSecurity } from '../collectors/collectPartnerSecurity';
import { invocationDeadline, partnerSecurityCollector } from '../composition';
import { invocationLogger, requestedRunId } from '../invocationLogger';

export async function collectPartnerSecurityOnSchedule(_timer: Timer, context: InvocationContext): Promise<void> {
  const deadline = await invocationDeadline();
  const dependencies = await partnerSecurityCollector(invocationLogger(context));
  await collectPartnerSecurity(dependencies, { runId: requestedRunId(context), deadline });
}

app.timer('collectPartnerSecurity', { schedule: '%SCHEDULE_PARTNER_SECURITY%', handler: collectPartnerSecurityOnSchedule });
