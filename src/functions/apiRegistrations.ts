import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { endpointNamed } from '../api/endpoints';
import { serveEndpoint } from '../api/serveEndpoint';
import { queryApi } from '../composition';

const endpoint = endpointNamed('apiRegistrations');

export function getRegistrations(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return serveEndpoint(endpoint, request, context, () => queryApi());
}

app.http('apiRegistrations', { route: endpoint.route, methods: ['GET'], authLevel: 'function', handler: getRegistrations });
