import { app } from '@azure/functions';
import { keyHolder } from '../api/signedIn';
import { createWaiver } from '../api/waiverWrites';
import { signedInWaiverAdmin, waiverAdministration } from '../composition';
import { signInEnabled } from '../config';

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverCreate', { route: 'waivers', methods: ['POST'], authLevel: 'admin', handler: (request, context) => createWaiver(request, context, waiverAdministration, keyHolder) });

// People: no key for the host to check, since the app checks their Entra token and its waiver admin role itself.
if (signInEnabled()) {
  app.http('apiWaiverCreateSignedIn', { route: 'signed-in/waivers', methods: ['POST'], authLevel: 'anonymous', handler: (request, context) => createWaiver(request, context, waiverAdministration, signedInWaiverAdmin) });
}
