import { endpoints, type Endpoint } from './endpoints';
import { schemas } from './schemas';
import { psaNames } from '../core/tickets';

const json = (schema: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } });
const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
const problem = (description: string) => ({ description, content: problemContent });
const misconfigured = problem('A setting this request needs cannot be read (`urn:mfa-monitor:problem:misconfigured`): `problems` names each setting, as `/status` does.');
const unexpected = problem('Unexpected failure; `correlationId` identifies it in the logs.');

/** The OpenAPI 3.1 description of the query API, built from the same endpoint list the functions serve. */
export function openApiDocument(): Record<string, unknown> {
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
        content: { ...json(endpoint.responseSchema), 'text/csv': { schema: { type: 'string' } } },
      },
      '400': problem('A parameter is malformed, out of range, unknown, or a continuation token was altered; `invalid-params` names it.'),
      '401': { description: 'No valid function key (`x-functions-key` header or `code` query parameter).' },
      ...(endpoint.notFound ? { '404': problem('No snapshot has listed this tenant.') } : {}),
      ...(endpoint.name === 'apiStatus'
        ? {
            '503': {
              description:
                'Unhealthy: the status with `healthy: false` and every reason in `problems`; when Table Storage cannot be read, or a setting the status needs cannot, a problem (`urn:mfa-monitor:problem:storage-unavailable`, `urn:mfa-monitor:problem:misconfigured`) with `healthy: false` and `problems` too.',
              content: { ...json(endpoint.responseSchema), ...problemContent },
            },
          }
        : { '503': misconfigured }),
      '500': unexpected,
    },
  });
  const paths: Record<string, Record<string, unknown>> = Object.fromEntries(endpoints.map((endpoint) => [`/${endpoint.route}`, { get: operation(endpoint) }]));
  const health = {
    operationId: 'apiHealth',
    summary: 'The health check, without a key (GET or HEAD, for uptime monitors and availability tests): 200 when `/status` would say healthy, 503 otherwise, with no body. The reasons are in `/status`.',
    security: [],
    responses: { '200': { description: 'Healthy' }, '503': { description: 'Unhealthy, or the monitor cannot read its own state' } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Partner MFA monitor query API',
      version: '1',
      description:
        'Views of the snapshots the monitor collects from Microsoft Graph and Partner Center and of its findings (function key), and the waivers admins set, which only the admin key can change. With sign-in (SIGN_IN_CLIENT_ID), every path is also served under `/signed-in` to an Entra access token (`Authorization: Bearer`) holding the app role `Monitor.Read`, or `Waivers.Write` to change waivers.',
    },
    servers: [{ url: '/api' }],
    security: [{ functionKeyHeader: [] }, { functionKeyQuery: [] }],
    paths: {
      ...paths,
      '/waivers': { ...paths['/waivers'], post: createWaiver },
      '/waivers/{id}': { patch: updateWaiver, delete: deleteWaiver },
      '/psa/mappings/{psa}/{tenantId}': { put: putCompanyMapping, delete: deleteCompanyMapping },
      '/openapi.json': { get: { operationId: 'apiOpenApi', summary: 'This document.', responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      // Operation ids are unique per document (OpenAPI 3.1, Operation Object): the HEAD one is named for its method.
      '/health': { get: health, head: { ...health, operationId: 'apiHealthHead' } },
      '/dashboard': {
        get: {
          operationId: 'dashboard',
          summary: 'An HTML dashboard of the above (a static page, no key): people sign in with Entra ID, or it is opened as `/api/dashboard#code=KEY` and reads the API with that key.',
          responses: { '200': { description: 'OK', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        functionKeyHeader: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
        adminKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'x-functions-key',
          description: "The function app's master key (`_master`, admin level); function keys are refused. Locally, LOCAL_ADMIN_KEY.",
        },
      },
      parameters: {
        format: { name: 'format', in: 'query', required: false, description: '`json` (default) or `csv`; `Accept: text/csv` also asks for CSV.', schema: { type: 'string', enum: ['json', 'csv'] } },
      },
      schemas,
    },
  };
}

/*
 * The waiver writes: admin level (the host's master key, which read-only callers do not hold),
 * optimistic concurrency through ETag and If-Match, problem+json for everything refused.
 */
const adminOnly = [{ adminKeyHeader: [] }];
const waiverId = { name: 'id', in: 'path', required: true, description: 'The waiver id, as GET /api/waivers lists it.', schema: { type: 'string', pattern: '^[0-9a-f]{12}$' } };
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: true,
  description: 'The `etag` of the waiver as last read (or `*` for whatever its state): a change made meanwhile by someone else is a 412, not overwritten.',
  schema: { type: 'string' },
};
const refused = { '401': { description: 'No admin key: function keys are refused here.' }, '503': misconfigured, '500': unexpected };
// A change names its waiver by id and by the etag it was read with.
const conditional = { security: adminOnly, parameters: [waiverId, ifMatch] };
const conditionFailed = {
  '404': problem('No waiver has this id.'),
  '412': problem('If-Match does not match: the waiver changed since it was read.'),
  '428': problem('If-Match is missing.'),
  ...refused,
};
const etagHeader = { ETag: { description: 'The new concurrency token, for If-Match.', schema: { type: 'string' } } };

const createWaiver = {
  operationId: 'apiWaiverCreate',
  summary: 'Creates a waiver; the audit trail records it with who created it.',
  security: adminOnly,
  requestBody: { required: true, content: json('WaiverDraft') },
  responses: {
    '201': { description: 'Created.', headers: etagHeader, content: json('StoredWaiver') },
    '400': problem('A field is missing or wrong (an expiry past or beyond WAIVER_MAX_DAYS, a malformed target); `invalid-params` names each.'),
    ...refused,
  },
};

const updateWaiver = {
  operationId: 'apiWaiverUpdate',
  summary: 'Changes the reason, owner or expiry of a waiver; the audit trail keeps it before and after.',
  ...conditional,
  requestBody: { required: true, content: json('WaiverChanges') },
  responses: {
    '200': { description: 'Changed.', headers: etagHeader, content: json('StoredWaiver') },
    '400': problem('A field is wrong, or names what cannot change; `invalid-params` names each.'),
    ...conditionFailed,
  },
};

const deleteWaiver = {
  operationId: 'apiWaiverDelete',
  summary: 'Deletes a waiver: what it silenced is alerted again on the next detector run if still open. The audit trail keeps it.',
  ...conditional,
  responses: {
    '204': { description: 'Deleted.' },
    '400': problem('The id is malformed.'),
    ...conditionFailed,
  },
};

/* The company mapping writes: admin level and If-Match as the waiver writes. */
const mappingTarget = [
  { name: 'psa', in: 'path', required: true, description: 'The PSA: connectwise, autotask or halopsa (one that is configured).', schema: { type: 'string', enum: [...psaNames] } },
  { name: 'tenantId', in: 'path', required: true, description: 'The customer tenant id (a GUID).', schema: { type: 'string', format: 'uuid' } },
];
const mappingIfMatch = (required: boolean) => ({
  ...ifMatch,
  required,
  description: required
    ? 'The `etag` of the mapping as GET /api/psa/companies lists it (or `*`): a change made meanwhile is a 412.'
    : 'Required when the customer is mapped already: its `etag` as GET /api/psa/companies lists it (or `*`); a new mapping needs none.',
});
const mappingRefused = {
  '412': problem('If-Match does not match: the mapping changed since it was read.'),
  '428': problem('If-Match is missing for a mapping that exists.'),
  ...refused,
};

const putCompanyMapping = {
  operationId: 'apiPsaMappingPut',
  summary: "Sets the company (HaloPSA: client) a customer's tickets are filed under in one PSA, after checking the company exists there; the audit trail records it.",
  security: adminOnly,
  parameters: [...mappingTarget, mappingIfMatch(false)],
  requestBody: { required: true, content: json('CompanyMappingDraft') },
  responses: {
    '200': { description: 'Changed.', headers: etagHeader, content: json('StoredCompanyMapping') },
    '201': { description: 'Set.', headers: etagHeader, content: json('StoredCompanyMapping') },
    '400': problem('A field or the route is wrong (a PSA that is not configured, a malformed company id); `invalid-params` names each.'),
    '404': problem('The PSA has no company with this id; `invalid-params` names `companyId`.'),
    '502': problem('The PSA could not be asked whether the company exists (it refused the credentials, is unavailable or timed out): nothing changed.'),
    ...mappingRefused,
  },
};

const deleteCompanyMapping = {
  operationId: 'apiPsaMappingDelete',
  summary: "Clears a customer's mapping in one PSA: its tickets go to the company found by domain or name, else the fallback company. The audit trail keeps it.",
  security: adminOnly,
  parameters: [...mappingTarget, mappingIfMatch(true)],
  responses: {
    '204': { description: 'Cleared.' },
    '400': problem('The PSA or tenant id is malformed.'),
    '404': problem('This customer has no mapping in this PSA.'),
    ...mappingRefused,
  },
};
