import { endpoints, type Endpoint } from './endpoints';
import { schemas } from './schemas';

/** The OpenAPI 3.1 description of the query API, built from the same endpoint list the functions serve. */
export function openApiDocument(): Record<string, unknown> {
  const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
  const operation = (endpoint: Endpoint) => ({
    operationId: endpoint.name,
    summary: endpoint.summary,
    parameters: [
      ...endpoint.parameters.map((parameter) => ({ ...parameter, required: parameter.required ?? false })),
      { $ref: '#/components/parameters/format' },
    ],
    responses: {
      '200': {
        description: 'OK. With `format=csv` or `Accept: text/csv`, the items as CSV (one row per item, nested fields as `parent.child` columns).',
        content: {
          'application/json': { schema: { $ref: `#/components/schemas/${endpoint.responseSchema}` } },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      '400': problem('A parameter is malformed, out of range, unknown, or a continuation token was altered; `invalid-params` names it.'),
      '401': { description: 'No valid function key (`x-functions-key` header or `code` query parameter).' },
      ...(endpoint.notFound ? { '404': problem('No snapshot has listed this tenant.') } : {}),
      '500': problem('Unexpected failure; `correlationId` identifies it in the logs.'),
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Partner MFA monitor query API',
      version: '1',
      description: 'Read-only views of the snapshots the monitor collects from Microsoft Graph and Partner Center, and of its findings.',
    },
    servers: [{ url: '/api' }],
    security: [{ functionKeyHeader: [] }, { functionKeyQuery: [] }],
    paths: {
      ...Object.fromEntries(endpoints.map((endpoint) => [`/${endpoint.route}`, { get: operation(endpoint) }])),
      '/openapi.json': { get: { operationId: 'apiOpenApi', summary: 'This document.', responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/health': {
        get: {
          operationId: 'apiHealth',
          summary: "The health check, without a key (Azure's health check calls it): 200 when `/status` would say healthy, 503 otherwise, with no body. The reasons are in `/status`.",
          security: [],
          responses: { '200': { description: 'Healthy' }, '503': { description: 'Unhealthy, or the monitor cannot read its own state' } },
        },
      },
      '/dashboard': {
        get: {
          operationId: 'dashboard',
          summary: 'An HTML dashboard of the above; open it as `/api/dashboard?code=KEY` and it reads the API with that key.',
          responses: { '200': { description: 'OK', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        functionKeyHeader: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
      },
      parameters: {
        format: { name: 'format', in: 'query', required: false, description: '`json` (default) or `csv`; `Accept: text/csv` also asks for CSV.', schema: { type: 'string', enum: ['json', 'csv'] } },
      },
      schemas,
    },
  };
}
