import { app, type HttpResponseInit } from '@azure/functions';
import { openApiDocument } from '../api/openApi';

export async function getOpenApiDocument(): Promise<HttpResponseInit> {
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(openApiDocument(), null, 2) };
}

app.http('apiOpenApi', { route: 'openapi.json', methods: ['GET'], authLevel: 'function', handler: getOpenApiDocument });
