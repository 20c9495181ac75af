import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { updateWaiver } from '../api/waiverWrites';
import { waiverAdministration } from '../composition';

export function patchWaiver(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return updateWaiver(request, context, () => waiverAdministration());
}

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverUpdate', { route: 'waivers/{id}', methods: ['PATCH'], authLevel: 'admin', handler: patchWaiver });
