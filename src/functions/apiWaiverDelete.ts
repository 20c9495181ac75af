import { app } from '@azure/functions';
import { keyHolder } from '../api/signedIn';
import { deleteWaiver } from '../api/waiverWrites';
import { signedInWaiverAdmin, waiverAdministration } from '../composition';
import { signInEnabled } from '../config';

// Admin level: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiWaiverDelete', { route: 'waivers/{id}', methods: ['DELETE'], authLevel: 'admin', handler: (request, context) => deleteWaiver(request, context, waiverAdministration, keyHolder) });

// People: no key for the host to check, since the app checks their Entra token and its waiver admin role itself.
if (signInEnabled()) {
  app.http('apiWaiverDeleteSignedIn', { route: 'signed-in/waivers/{id}', methods: ['DELETE'], authLevel: 'anonymous', handler: (request, context) => deleteWaiver(request, context, waiverAdministration, signedInWaiverAdmin) });
}
