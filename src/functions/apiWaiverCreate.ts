import { app } from '@azure/functions';
import { createWaiver } from '../api/waiverWrites';
import { waiverAdministration } from '../composition';

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverCreate', { route: 'waivers', methods: ['POST'], authLevel: 'admin', handler: (request, context) => createWaiver(request, context, waiverAdministration) });
