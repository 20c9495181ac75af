import { app } from '@azure/functions';
import { endpoints } from '../api/endpoints';
import { serveEndpoint } from '../api/serveEndpoint';
import { publishHealthVerdict, queryApi } from '../composition';

/**
 * Every GET endpoint of the query API, one function each, registered from the endpoint list
 * (which also writes the OpenAPI document): a function key reads them all.
 */
for (const endpoint of endpoints) {
  app.http(endpoint.name, {
    route: endpoint.route,
    methods: ['GET'],
    authLevel: 'function',
    handler: async (request, context) => {
      const response = await serveEndpoint(endpoint, request, context, () => queryApi());
      // The status is always computed afresh (a keyed caller checking a fix wants now), and the health check follows it.
      if (endpoint.name === 'apiStatus' && (response.status === 200 || response.status === 503)) publishHealthVerdict(response.status);
      return response;
    },
  });
}
