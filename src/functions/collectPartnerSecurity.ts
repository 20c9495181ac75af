import { app } from '@azure/functions';
import { partnerSecurityCollector } from '../composition';
import { collectPartnerSecurity } from '../collectors/collectPartnerSecurity';
import { scheduledRun } from '../invocation';

app.timer('collectPartnerSecurity', { schedule: '%SCHEDULE_PARTNER_SECURITY%', handler: scheduledRun(partnerSecurityCollector, collectPartnerSecurity) });
