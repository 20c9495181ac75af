import { app } from '@azure/functions';
import { deleteWaiver } from '../api/waiverWrites';
import { waiverAdministration } from '../composition';

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverDelete', { route: 'waivers/{id}', methods: ['DELETE'], authLevel: 'admin', handler: (request, context) => deleteWaiver(request, context, waiverAdministration) });
