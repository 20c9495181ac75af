import { app } from '@azure/functions';
import { nonMfaPrincipalCollector } from '../composition';
import { collectNonMfaPrincipals } from '../collectors/collectNonMfaPrincipals';
import { scheduledRun } from '../invocation';

app.timer('collectNonMfaPrincipals', { schedule: '%SCHEDULE_NON_MFA_PRINCIPALS%', handler: scheduledRun(nonMfaPrincipalCollector, collectNonMfaPrincipals) });
