import { app } from '@azure/functions';
import { registrationCountCollector } from '../composition';
import { collectRegistrationCounts } from '../collectors/collectRegistrationCounts';
import { scheduledRun } from '../invocation';

app.timer('collectRegistrationCounts', { schedule: '%SCHEDULE_REGISTRATION_COUNTS%', handler: scheduledRun(registrationCountCollector, collectRegistrationCounts) });
