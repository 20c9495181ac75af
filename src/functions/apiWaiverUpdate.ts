import { app } from '@azure/functions';
import { updateWaiver } from '../api/waiverWrites';
import { waiverAdministration } from '../composition';

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverUpdate', { route: 'waivers/{id}', methods: ['PATCH'], authLevel: 'admin', handler: (request, context) => updateWaiver(request, context, waiverAdministration) });
