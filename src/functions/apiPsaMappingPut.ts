import { app } from '@azure/functions';
import { keyHolder } from '../api/signedIn';
import { putCompanyMapping } from '../api/companyMappingWrites';
import { companyMappingAdministration, signedInWaiverAdmin } from '../composition';
import { signInEnabled } from '../config';

// Admin level, as the waiver writes: Azure takes only the host's master key here, never the function keys read-only callers hold.
app.http('apiPsaMappingPut', { route: 'psa/mappings/{psa}/{tenantId}', methods: ['PUT'], authLevel: 'admin', handler: (request, context) => putCompanyMapping(request, context, companyMappingAdministration, keyHolder) });

// People: the app checks their Entra token and the role that changes waivers, which changes mappings too.
if (signInEnabled()) {
  app.http('apiPsaMappingPutSignedIn', { route: 'signed-in/psa/mappings/{psa}/{tenantId}', methods: ['PUT'], authLevel: 'anonymous', handler: (request, context) => putCompanyMapping(request, context, companyMappingAdministration, signedInWaiverAdmin) });
}
