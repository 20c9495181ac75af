import { app, type HttpResponseInit } from '@azure/functions';
import { openApiDocument } from '../api/openApi';

/**
 * The document only changes with a deployment, so browsers and tools may keep it for an hour;
 * `private` because it is fetched with a function key, which shared caches must not see.
 */
export async function getOpenApiDocument(): Promise<HttpResponseInit> {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'private, max-age=3600' },
    body: JSON.stringify(openApiDocument(), null, 2),
  };
}

app.http('apiOpenApi', { route: 'openapi.json', methods: ['GET'], authLevel: 'function', handler: getOpenApiDocument });
