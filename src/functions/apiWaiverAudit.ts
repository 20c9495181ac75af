import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { endpointNamed } from '../api/endpoints';
import { serveEndpoint } from '../api/serveEndpoint';
import { queryApi } from '../composition';

const endpoint = endpointNamed('apiWaiverAudit');

export function listWaiverAudit(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return serveEndpoint(endpoint, request, context, () => queryApi());
}

app.http('apiWaiverAudit', { route: endpoint.route, methods: ['GET'], authLevel: 'function', handler: listWaiverAudit });
