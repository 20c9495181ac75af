import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { endpointNamed } from '../api/endpoints';
import { serveEndpoint } from '../api/serveEndpoint';
import { publishHealthVerdict, queryApi } from '../composition';

const endpoint = endpointNamed('apiStatus');

export async function getStatus(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const response = await serveEndpoint(endpoint, request, context, () => queryApi());
  // Always computed afresh (a keyed caller checking a fix wants now), and the health check follows it.
  if (response.status === 200 || response.status === 503) publishHealthVerdict(response.status);
  return response;
}

app.http('apiStatus', { route: endpoint.route, methods: ['GET'], authLevel: 'function', handler: getStatus });
