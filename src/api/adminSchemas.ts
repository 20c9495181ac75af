import { cannotSeeReasonNames } from '../core/adminScan';
import { answer, customerName, dateTime, list, nullableString, object, type JsonSchema } from './schemaParts';

/**
 * The schemas of what the customer-admin scan shows through the query API: a customer's admins
 * (GET /api/customers/{tenantId}/admins) and the summary each customer row carries.
 */
const cannotSeeReason: JsonSchema = {
  type: ['string', 'null'],
  enum: [...cannotSeeReasonNames, null],
  description: 'Why the monitor cannot see into the tenant (core/adminScan.ts cannotSeeReasons); null when it could.',
};

export const adminSchemas: Record<string, JsonSchema> = {
  AdminScanSummary: object({
    outcome: { type: 'string', enum: ['scanned', 'cannotSee'] },
    reason: cannotSeeReason,
    admins: { type: ['integer', 'null'], description: 'Admins the scan found; null when it could not see into the tenant.' },
    withoutMfaMethod: { type: ['integer', 'null'], description: 'Of them, those without a registered MFA method.' },
    notRequiredMfa: { type: ['integer', 'null'], description: 'Of them, those whom no policy and not security defaults require to use MFA, as far as the scan could tell.' },
  }),
  CustomerAdmin: object({
    tenantId: { type: 'string', format: 'uuid' },
    userId: { type: 'string', description: "The admin's object id in the customer tenant." },
    displayName: nullableString,
    userPrincipalName: nullableString,
    roleNames: { type: 'array', items: { type: 'string' }, description: 'The directory roles that make them an admin (Global Administrator, ...).' },
    roleTemplateIds: { type: 'array', items: { type: 'string' }, description: 'The same roles by template id, as Conditional Access includes them; empty where the scan did not read them.' },
    isMfaRegistered: { type: ['boolean', 'null'], description: 'Has registered a method that counts for MFA; null when not known.' },
    isMfaCapable: { type: ['boolean', 'null'], description: 'Has a method that counts for MFA and that the tenant\'s policy allows; null when not known.' },
    methodsRegistered: { type: 'array', items: { type: 'string' }, description: 'As Microsoft Graph names them (microsoftAuthenticatorPush, fido2, softwareOneTimePasscode, ...).' },
    mfaRequired: { type: ['boolean', 'null'], description: 'Security defaults or an enabled Conditional Access policy requires MFA of them (true), none does (false), or that cannot be told (null, see requirementNote).' },
    requiredBy: {
      type: 'array',
      description: 'What requires MFA of them: security defaults, or each enabled Conditional Access policy (id and name).',
      items: object({ kind: { type: 'string', enum: ['securityDefaults', 'conditionalAccess'] }, id: nullableString, name: nullableString }),
    },
    requirementNote: { ...nullableString, description: 'Why mfaRequired is what it is, where that is not plain (a policy scoped by group, a report-only policy, an "or" grant).' },
    entraUrl: { type: 'string', format: 'uri', description: "The admin's user page in the customer tenant's Microsoft Entra admin center, where their methods are managed." },
    openFindingKeys: { type: 'array', items: { type: 'string' }, description: 'The open findings about this admin (GET /api/findings lists them by key).' },
  }),
  CustomerAdmins: answer({
    tenantId: { type: 'string', format: 'uuid' },
    customerName,
    scanOn: { type: ['boolean', 'null'], description: 'Whether the customer-admin scan runs (CUSTOMER_TENANT_AUTH is not off); null when its settings cannot be read (the status names them).' },
    run: { anyOf: [object({ runId: { type: 'string' }, collectedAt: dateTime, finishedAt: nullableString }), { type: 'null' }], description: 'The newest complete customer-admin run; null before the first.' },
    outcome: { type: ['string', 'null'], enum: ['scanned', 'cannotSee', null], description: 'What that run recorded for this tenant; null when it has nothing for it (see note).' },
    scannedAt: nullableString,
    source: { type: ['string', 'null'], enum: ['registrationDetails', 'directoryRoles', null], description: "Where the admins came from: the registration report, or (no Entra ID P1 or P2) the directory roles' members and each one's methods." },
    sourceDescription: nullableString,
    securityDefaultsEnabled: { type: ['boolean', 'null'], description: 'Security defaults are on (they require MFA of admins); null when not known.' },
    mfaPolicies: { type: 'array', items: object({ id: { type: 'string' }, name: { type: 'string' } }), description: 'Enabled Conditional Access policies that require MFA or an authentication strength, whoever they cover.' },
    reason: cannotSeeReason,
    description: { ...nullableString, description: 'With reason: what it means.' },
    nextStep: { ...nullableString, description: 'With reason: what the partner does about it (which relationship or role to add).' },
    detail: { ...nullableString, description: 'With reason: what the service said (an AADSTS code, Graph\'s error), never a token.' },
    note: { ...nullableString, description: 'Why there is no list of admins, in words: the scan is off, no run has completed yet, the run did not include the tenant, or the monitor cannot see into it.' },
    items: list('CustomerAdmin'),
  }),
};
