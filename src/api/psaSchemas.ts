import { companyMappingActions, companyStatuses } from '../core/companyMappings';
import { psaNames } from '../core/tickets';
import { answer, customerName, dateTime, list, nullableRef, nullableString, object, type JsonSchema } from './schemaParts';

/**
 * The schemas of the PSA company mappings: which company each customer's tickets are filed under
 * (GET /api/psa/companies), a mapping as the writes store it, and the mappings' audit trail.
 */
const psa: JsonSchema = { type: 'string', enum: [...psaNames], description: 'The PSA: ConnectWise PSA, Autotask or HaloPSA.' };
const tenantId: JsonSchema = { type: 'string', format: 'uuid' };
const actor: JsonSchema = { type: 'string', description: 'Who made the change: the signed-in person at `/api/signed-in/psa/mappings`, else `admin key`.' };
const companyId: JsonSchema = { type: 'string', pattern: '^[0-9]{1,19}$', description: "The PSA's company id (HaloPSA: client id)." };

const mappingFields: Record<string, JsonSchema> = {
  psa,
  tenantId,
  companyId,
  companyName: { type: 'string', description: 'The company\'s name as the PSA gave it when the mapping was set.' },
  note: { type: 'string' },
  changedBy: actor,
  changedAt: dateTime,
};

export const psaSchemas: Record<string, JsonSchema> = {
  PsaCompany: object({
    psa,
    tenantId,
    customerName,
    domains: { type: 'array', items: { type: 'string' }, description: "The customer's domains as the directory keeps them (Partner Center's company profile)." },
    status: {
      type: 'string',
      enum: [...companyStatuses],
      description: '`mapping`: an admin mapped it; `domain`, `name`: the PSA company found by the customer\'s domain or name; `gap`: none, so its tickets go to the fallback company; `notLookedUp`: unmapped and not asked of the PSA (ask with `lookup=true`).',
    },
    companyId: { type: ['string', 'null'] },
    companyName: nullableString,
    note: nullableString,
    changedBy: { type: ['string', 'null'] },
    changedAt: { type: ['string', 'null'] },
    etag: { type: ['string', 'null'], description: 'The mapping\'s concurrency token: send it as If-Match to change or clear the mapping; null when there is none.' },
  }),
  PsaCompanySummary: object({
    psa,
    label: { type: 'string' },
    fallbackCompanyId: { type: ['string', 'null'], description: 'Where unmapped customers\' tickets go (the partner\'s own findings too).' },
    counts: { type: 'object', properties: Object.fromEntries(companyStatuses.map((status) => [status, { type: 'integer' }])), required: [...companyStatuses], additionalProperties: false },
    lookupError: { anyOf: [object({ code: { type: 'string' } }), { type: 'null' }], description: 'Why look-ups in this PSA stopped (its stable error code); the customers after it are notLookedUp.' },
  }),
  PsaCompanyList: answer({
    checkedAt: dateTime,
    lookedUp: { type: 'boolean', description: 'Whether unmapped customers were looked up in the PSAs (`lookup=true`).' },
    maxLookupsPerPsa: { type: 'integer', description: 'Most customers one answer looks up per PSA; the rest stay notLookedUp.' },
    psas: list('PsaCompanySummary'),
    items: list('PsaCompany'),
  }),
  CompanyMapping: object(mappingFields, 'A mapping as stored, and as the audit trail keeps it before and after each change.'),
  StoredCompanyMapping: object({ ...mappingFields, etag: { type: 'string', description: 'Send as If-Match to change or clear this mapping; also in the ETag header.' } }, 'The mapping as stored by this change.'),
  CompanyMappingDraft: {
    type: 'object',
    description: 'The company a customer\'s tickets go to in this PSA. The company must exist in the PSA.',
    properties: {
      companyId: { type: ['string', 'integer'], description: "The PSA's company id (HaloPSA: client id), a whole number." },
      note: { type: 'string', maxLength: 500, description: 'Why this company, for the audit trail (optional).' },
    },
    required: ['companyId'],
    additionalProperties: false,
  },
  PsaMappingAuditEntry: object({
    at: dateTime,
    actor,
    action: { type: 'string', enum: [...companyMappingActions] },
    psa,
    tenantId,
    before: { ...nullableRef('CompanyMapping'), description: 'The mapping before the change; null when it was set.' },
    after: { ...nullableRef('CompanyMapping'), description: 'The mapping after the change; null when it was cleared.' },
    customerName,
  }),
  PsaMappingAudit: answer({ items: list('PsaMappingAuditEntry') }),
};
