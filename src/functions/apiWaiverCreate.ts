import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createWaiver } from '../api/waiverWrites';
import { waiverAdministration } from '../composition';

export function postWaiver(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return createWaiver(request, context, () => waiverAdministration());
}

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverCreate', { route: 'waivers', methods: ['POST'], authLevel: 'admin', handler: postWaiver });
