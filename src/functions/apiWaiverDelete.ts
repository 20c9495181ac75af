import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { deleteWaiver } from '../api/waiverWrites';
import { waiverAdministration } from '../composition';

export function removeWaiver(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return deleteWaiver(request, context, () => waiverAdministration());
}

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverDelete', { route: 'waivers/{id}', methods: ['DELETE'], authLevel: 'admin', handler: removeWaiver });
