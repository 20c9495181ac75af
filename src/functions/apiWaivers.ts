import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { endpointNamed } from '../api/endpoints';
import { serveEndpoint } from '../api/serveEndpoint';
import { queryApi } from '../composition';

const endpoint = endpointNamed('apiWaivers');

export function listWaivers(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return serveEndpoint(endpoint, request, context, () => queryApi());
}

app.http('apiWaivers', { route: endpoint.route, methods: ['GET'], authLevel: 'function', handler: listWaivers });
