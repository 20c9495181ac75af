import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { endpoints, type Endpoint } from '../api/endpoints';
import { problemResponse, serveEndpoint } from '../api/serveEndpoint';
import { appRoles, signedInPerson } from '../api/signedIn';
import { accessTokenVerifier, publishHealthVerdict, queryApi } from '../composition';
import { signInEnabled } from '../config';

/**
 * Every GET endpoint of the query API, one function each, registered from the endpoint list
 * (which also writes the OpenAPI document): a function key reads them all. With sign-in, each is
 * served again under `signed-in/` to people whose Entra token holds the reader role: the host
 * checks no key there (its key check cannot be told about tokens), the app checks the token.
 */
const peopleSignIn = signInEnabled();
for (const endpoint of endpoints) {
  app.http(endpoint.name, { route: endpoint.route, methods: ['GET'], authLevel: 'function', handler: (request, context) => serve(endpoint, request, context) });
  if (peopleSignIn) {
    app.http(`${endpoint.name}SignedIn`, {
      route: `signed-in/${endpoint.route}`,
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: async (request, context) => {
        try {
          await signedInPerson(request, appRoles.reader, () => accessTokenVerifier(), context);
        } catch (thrown) {
          return problemResponse(thrown, context);
        }
        return serve(endpoint, request, context);
      },
    });
  }
}

async function serve(endpoint: Endpoint, request: HttpRequest, context: InvocationContext) {
  const response = await serveEndpoint(endpoint, request, context, () => queryApi());
  // The status is always computed afresh (a caller checking a fix wants now), and the health check follows it.
  if (endpoint.name === 'apiStatus' && (response.status === 200 || response.status === 503)) publishHealthVerdict(response.status);
  return response;
}
