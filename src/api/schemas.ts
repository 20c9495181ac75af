/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses) of every body the query API returns. The OpenAPI
 * document publishes them, CSV columns are derived from them, and tests validate real answers
 * against them, so the description cannot drift from what handlers return.
 */
import { adminSchemas } from './adminSchemas';
import { psaSchemas } from './psaSchemas';
import { findingKinds, findingStates, severities } from '../core/findings';
import { isPlainObject } from '../core/payloadReader';
import { customerMeasureNames, customerMeasures, requirementFieldNames, requirementFields, snapshotSources } from '../core/model';
import { waiverActions, waiverScopes } from '../core/waivers';
import { psaNames } from '../core/tickets';
import { answer, customerName, dateTime, list, nullableRef, nullableString, object, ref, type JsonSchema } from './schemaParts';

const nullableNumber: JsonSchema = { type: ['number', 'null'] };

const runPoint = {
  runId: { type: 'string', description: 'The snapshot run the values come from.' },
  collectedAt: { ...dateTime, description: 'When that run started.' },
};


const customerFields: Record<string, JsonSchema> = {
  tenantId: { type: 'string', format: 'uuid' },
  customerName,
  ...Object.fromEntries(customerMeasureNames.map((name) => [name, { type: [customerMeasures[name].kind === 'count' ? 'integer' : 'string', 'null'], description: customerMeasures[name].description }])),
  noMfaPolicy: { type: ['boolean', 'null'], description: 'Every MFA policy is known to be disabled (true), one is enabled (false), or neither is known: a policy status missing or unknownFutureValue (null).' },
  adminsNotCompliant: { type: 'boolean', description: 'No admin is MFA-compliant (compliantAdminsCount is 0).' },
};

/** Fields that each hold a value of `type` or null, in the order given (the order of CSV columns). */
const nullable = (type: 'string' | 'number', names: readonly string[]): Record<string, JsonSchema> => Object.fromEntries(names.map((name) => [name, { type: [type, 'null'] }]));

const requirementProperties: Record<string, JsonSchema> = {
  requirementType: { type: 'string' },
  kind: { type: 'string' },
  ...nullable('string', ['odataType', 'id']),
  ...Object.fromEntries(requirementFieldNames.map((name) => [name, { type: [requirementFields[name].kind === 'integer' || requirementFields[name].kind === 'single' ? 'number' : 'string', 'null'] }])),
};

const measureValue: JsonSchema = { type: ['number', 'string', 'null'] };
const continuationToken: JsonSchema = { type: ['string', 'null'], description: 'Pass as `continuationToken` for the next page; null on the last page.' };
const runStatus: JsonSchema = { type: 'string', enum: ['running', 'complete', 'failed'] };
const warnings: JsonSchema = { type: 'array', items: { type: 'string' }, description: 'What a complete run could not do without failing (e.g. why customer names are missing).' };
const source: JsonSchema = { type: 'string', enum: [...snapshotSources] };

const waiverScope: JsonSchema = { type: 'string', enum: [...waiverScopes], description: 'What kind of thing the waiver silences.' };
const waiverTarget: JsonSchema = {
  type: 'string',
  maxLength: 400,
  description:
    'A finding key the monitor has recorded, open or resolved (scope finding); a customer tenant id (customer); a requirement type Microsoft documents, such as `mfaEnforcedForAdmins`, or one a finding is about (requirement); a UPN pattern (partnerUsers): `*` stands for any characters, the rest is literal, case is ignored, and the pattern covers the whole UPN, e.g. `breakglass*@partner.example`; it must name a domain in full (`*@partner.example`) or a user by three letters or digits in a row (`breakglass*@*`); a customer tenant id, `/` and such a UPN pattern (customerAdmins), e.g. `<tenant id>/breakglass*@contoso.com`: the findings about that customer\'s admins (no MFA method registered, MFA not required) whose UPN matches.',
};
const waiverReason: JsonSchema = { type: 'string', minLength: 1, maxLength: 500, description: 'Why the finding is accepted, for whoever reads the audit trail. Stored in NFC with line breaks as LF, trimmed; no control characters; at least one visible character.' };
const waiverOwner: JsonSchema = { type: 'string', minLength: 1, maxLength: 200, description: 'Who answers for the waiver (a person or team). One line, stored in NFC, trimmed; no control characters; at least one visible character.' };
const waiverExpiry: JsonSchema = {
  type: 'string',
  description: 'When the waiver ends: an RFC 3339 date (the end of that day, UTC) or date-time with a zone, that exists (no 2027-02-30, no 25:00), in the future and at most WAIVER_MAX_DAYS (180) days away.',
};
const waiverActor: JsonSchema = { type: 'string', description: 'Who made the change: the signed-in person (the `preferred_username`, else `name`, else object id of their Entra token) at `/api/signed-in/waivers`, else `admin key`.' };
/** What a waiver silences, why, who answers for it and until when; then who made and last changed it. */
const waiverTerms: Record<string, JsonSchema> = { scope: waiverScope, target: waiverTarget, reason: { type: 'string' }, owner: { type: 'string' }, expiresAt: dateTime };
const waiverAuthors: Record<string, JsonSchema> = { createdAt: dateTime, createdBy: waiverActor, updatedAt: dateTime, updatedBy: waiverActor };
const waiverRecordFields: Record<string, JsonSchema> = { id: { type: 'string' }, ...waiverTerms, ...waiverAuthors };


export const schemas: Record<string, JsonSchema> = {
  ...adminSchemas,
  ...psaSchemas,
  SkippedRows: object(
    {
      count: { type: 'integer', minimum: 1 },
      tables: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Rows left out per table (`findings`, `runs`, `registrations`, `customerHistory`, `waivers`).' },
    },
    'Stored rows left out of this answer because they cannot be read; the logs say why. Absent when none was.',
  ),
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details.',
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      'invalid-params': { type: 'array', items: object({ name: { type: 'string' }, reason: { type: 'string' } }) },
      correlationId: { type: 'string' },
      healthy: { type: 'boolean', enum: [false], description: 'Only from /api/status when storage cannot be read: the monitor cannot vouch for its health.' },
      problems: { type: 'array', items: { type: 'string' }, description: 'With `healthy`: why, as in the Status answer.' },
    },
    required: ['type', 'title', 'status', 'detail'],
    additionalProperties: false,
  },
  RunSummary: object({ runId: { type: 'string' }, status: runStatus, startedAt: dateTime, finishedAt: { type: ['string', 'null'] }, errorCode: nullableString, warnings }),
  CustomerNameStatus: object(
    {
      status: { type: 'string', enum: ['ok', 'warning', 'notRefreshed'], description: '`warning`: the last refresh could not read a source; the monitor works on by tenant id.' },
      refreshedAt: { ...nullableString, description: 'When a refresh last read names.' },
      attemptedAt: { ...nullableString, description: 'When a refresh last ran (at most daily, after the partner security collection).' },
      sources: { type: 'array', items: { type: 'string', enum: ['delegatedAdminCustomers', 'partnerCenterCustomers'] } },
      warning: { ...nullableString, description: 'Why names are missing, with the fix (e.g. the permission to grant).' },
    },
    'Customer display names: a warning here never makes the monitor unhealthy.',
  ),
  ClientSecretStatus: object(
    {
      secret: { type: 'string', description: 'The Key Vault secret AZURE_CLIENT_SECRET comes from (CLIENT_SECRET_KEY_VAULT_SECRET).' },
      vault: { type: 'string', description: 'The vault it is in (KEY_VAULT_URL), by name.' },
      state: {
        type: 'string',
        enum: ['ok', 'expiring', 'expired', 'noExpiry', 'missing', 'disabled', 'unreadable'],
        description: '`expiring`: within 30 days (a warning), within 7 a reason in problems; `expired`, `missing`, `disabled` and `unreadable` are reasons in problems; `noExpiry`: no expiry was recorded with it (a warning).',
      },
      expiresOn: { ...nullableString, description: 'The expiry recorded with its current version (`az keyvault secret set --expires`).' },
      daysLeft: { type: ['integer', 'null'], description: 'Whole days left before it expires; negative once it has.' },
      warning: { ...nullableString, description: 'What to do before it becomes a reason the monitor is unhealthy, with the command.' },
    },
    "The app registration's client secret, by its properties in Key Vault (never its value); null when CLIENT_SECRET_KEY_VAULT_SECRET is unset.",
  ),
  DetectorRun: object(
    {
      startedAt: dateTime,
      finishedAt: { ...nullableString, description: 'Null while it works, or when it was stopped (process killed, host recycled) before it could record its end.' },
      status: runStatus,
      errorCode: { ...nullableString, description: 'Why it failed (DeadlineExceeded, AlertUndeliverable, StorageUnavailable...); a failed last run makes the monitor unhealthy.' },
    },
    'The last detector run that held the lease.',
  ),
  SkippedRun: object(
    {
      at: dateTime,
      heldBy: { type: 'string', description: "The run holding the lease: a collector's run id, or a random id per detector run." },
      heldUntil: { type: 'string', description: 'Until when it held it; renewed every 30 s while it works, 2 minutes at most after a crash.' },
    },
    'A run that did nothing because another run of its kind (the detector, or a collector of the same source) held the lease.',
  ),
  DetectorCompletion: object({ startedAt: dateTime, finishedAt: dateTime }, 'The last detector run that did all its work (detect, compose, deliver).'),
  ScheduleStatus: object(
    {
      setting: { type: 'string', description: 'The app setting the schedule is read from.' },
      expression: { ...nullableString, description: 'Its NCRONTAB expression (6 fields, UTC); null when the setting cannot be read (a reason in problems says why).' },
      expectedBy: {
        ...nullableString,
        description: "When the next complete run is due by: the schedule's first occurrence after the last complete run started, plus HEALTH_GRACE_MINUTES; past it, a reason in problems. Null when no run has completed yet.",
      },
    },
    'The schedule runs are expected on.',
  ),
  UndeliveredAlerts: object(
    {
      count: { type: 'integer', description: 'Alerts composed and not yet delivered.' },
      oldestCreatedAt: { ...nullableString, description: 'When the oldest of them was composed.' },
      lastError: { ...nullableString, description: 'Why the last attempt to send one failed.' },
      channels: {
        type: 'array',
        description: 'Per channel (email, email to routed recipients, Teams, Slack, signed webhook), the deliveries that wait for it.',
        items: object({
          channel: { type: 'string', description: 'The channel, named for people: email, Teams, Slack, signed webhook.' },
          target: { type: 'string', description: 'The delivery target id (email, email-<hash>, teams, slack, webhook).' },
          waiting: { type: 'integer' },
          oldestCreatedAt: dateTime,
          attempts: { type: 'integer', description: 'Attempts at the oldest waiting delivery.' },
          lastError: nullableString,
          refused: { type: 'boolean', description: 'The channel refuses the monitor (401/403/404/410): a configuration error, shown as a problem.' },
        }),
      },
    },
    'The outbox: what waits to be delivered, as a whole and per channel.',
  ),
  DigestStatus: object(
    {
      week: { type: 'string', description: 'The ISO week of the newest digest, e.g. 2026-W49.' },
      status: { type: 'string', enum: ['sending', 'sent'], description: '`sending` while a run delivers it, or after a failed attempt (see lastError).' },
      sentAt: nullableString,
      attempts: { type: 'integer' },
      lastError: { ...nullableString, description: 'Why the last attempt failed; the digest is retried.' },
      targets: {
        type: 'array',
        description: 'Each target of the digest (email to ALERT_TO, Teams, Slack, the signed webhook): one that is sent is never sent again, one with an error is retried.',
        items: object({ target: { type: 'string', description: 'The target, e.g. Teams.' }, sentAt: nullableString, lastError: nullableString }),
      },
    },
    'The weekly digest: one per ISO week.',
  ),
  PsaTicketStatus: object(
    {
      psa: { type: 'string', enum: [...psaNames] },
      name: { type: 'string', description: 'The PSA by its vendor\'s name: ConnectWise PSA, Autotask, HaloPSA.' },
      lastRunAt: { ...nullableString, description: 'When the last detector run finished its steps in this PSA; null before the first.' },
      openTickets: { type: 'integer' },
      creating: { type: 'integer', description: 'Creates not yet confirmed: each is looked up by its reference before it is tried again.' },
      heldBack: { type: 'integer', description: 'Problems waiting for a ticket: past PSA_TICKETS_PER_RUN in the last run, opened by the next ones.' },
      requestsLastRun: { type: 'integer', description: 'Requests the last run sent to the PSA, retries included.' },
      refused: { type: 'boolean', description: 'The PSA refuses the monitor (401/403, AlertUndeliverable): its credentials or permissions, shown as a problem.' },
      failing: {
        type: 'array',
        description: 'Steps whose last attempt failed, oldest first (at most 100): each is retried every run.',
        items: object({
          groupKey: { type: 'string', description: 'The ticket\'s group: `<tenantId or partner>/<kind>`, or a finding key.' },
          ticketId: nullableString,
          step: { type: 'string', enum: ['open', 'note', 'close', 'reopen'] },
          lastError: { type: 'string' },
          lastErrorCode: nullableString,
          waitingSince: { ...dateTime, description: 'When the step was first recorded; past ALERT_UNDELIVERED_HOURS it is a problem.' },
        }),
      },
      failingCount: { type: 'integer' },
      mappingGaps: {
        type: 'array',
        description: 'Customers whose open tickets are filed under the fallback company, most tickets first (at most 100): map each to its company.',
        items: object({ tenantId: { type: 'string' }, customerName, tickets: { type: 'integer' } }),
      },
      mappingGapCount: { type: 'integer' },
    },
    "One configured PSA's tickets, as its last detector run left them.",
  ),
  SourceStatus: object({
    source, lastRun: nullableRef('RunSummary'), lastCompleteRun: nullableRef('RunSummary'), schedule: nullableRef('ScheduleStatus'), openFindings: { type: 'integer' }, lastSkippedRun: nullableRef('SkippedRun'),
    waitingToBeApplied: {
      ...nullableString,
      description: "partnerSecurity: a complete run whose customer changes are not applied yet (its invocation stopped first); the source's next run applies them, and until then /api/customers lists the run applied before.",
    },
  }),
  Status: answer({
    checkedAt: dateTime,
    healthy: { type: 'boolean', description: 'No problem below; the answer is a 503 when false.' },
    problems: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Every reason the monitor is unhealthy: a setting some function cannot read (named, never its value), a source without a complete run, a failed last run, an abandoned run not followed by a complete one, a source or the detector without a complete run by its expectedBy time, a failed last detector run, a schedule setting that cannot be read, an alert or a PSA ticket step undelivered longer than ALERT_UNDELIVERED_HOURS, a channel or PSA that refuses the monitor, a weekly digest that could not be delivered, a client secret that expires within 7 days, has expired, is missing or disabled, or whose vault cannot be read, an active waiver stored before the current pattern rule that names everyone (it silences nothing until replaced).',
    },
    openFindings: { type: 'integer' },
    activeWaivers: { type: 'integer', description: 'Waivers not yet expired: findings they cover are listed but not alerted.' },
    undeliveredAlerts: ref('UndeliveredAlerts'),
    detector: object({ lastRun: nullableRef('DetectorRun'), lastCompletedRun: nullableRef('DetectorCompletion'), schedule: nullableRef('ScheduleStatus'), lastSkippedRun: nullableRef('SkippedRun') }, 'The regression detector\'s runs.'),
    digest: nullableRef('DigestStatus'),
    customerNames: ref('CustomerNameStatus'),
    clientSecret: nullableRef('ClientSecretStatus'),
    tickets: { ...list('PsaTicketStatus'), description: 'Each configured PSA (none: empty).' },
    sources: list('SourceStatus'),
  }),
  ScorePoint: object({ ...runPoint, currentScore: nullableNumber, maxScore: nullableNumber }),
  ScoreSeries: answer({ items: list('ScorePoint') }),
  RequirementPoint: object({ ...runPoint, ...requirementProperties }),
  RequirementSeries: answer({ items: list('RequirementPoint') }),
  Customer: object({ ...customerFields, adminScan: { ...nullableRef('AdminScanSummary'), description: "The customer's result in the newest complete customer-admin run; null when no run has one for it (none completed, the scan is off, or the customer was listed after it started)." } }),
  CustomerPage: answer({
    runId: { ...nullableString, description: 'The complete snapshot listed; null when there is none yet.' },
    collectedAt: { type: ['string', 'null'] },
    status: { type: 'string' },
    name: { ...nullableString, description: 'The name filter, as given.' },
    items: list('Customer'),
    continuationToken,
  }),
  CustomerHistoryPoint: object(
    {
      runId: { type: 'string', description: 'The complete snapshot run that first saw this state.' },
      collectedAt: { ...dateTime, description: 'When that run started.' },
      gone: { type: 'boolean', description: 'The customer was no longer listed from this run on (every measure null).' },
      ...customerFields,
      noMfaPolicy: { type: ['boolean', 'null'], description: 'Every MFA policy is known to be disabled (true), one is enabled (false), or neither is known: a policy status missing or unknownFutureValue, or the customer gone (null).' },
      adminsNotCompliant: { type: ['boolean', 'null'], description: 'No admin is MFA-compliant (null when gone).' },
    },
    'A change point: the state holds from this run until the next point (the last one up to `asOf`).',
  ),
  CustomerHistory: answer({
    tenantId: { type: 'string' },
    customerName,
    asOf: {
      anyOf: [object({ runId: { type: 'string' }, collectedAt: dateTime }), { type: 'null' }],
      description: 'The newest complete snapshot the history is known up to: the last point holds unchanged since it was first seen up to this run.',
    },
    entraLinks: object(
      Object.fromEntries(['overview', 'properties', 'conditionalAccess', 'signInLogs'].map((blade) => [blade, { type: 'string', format: 'uri' }])),
      "The customer tenant's pages in the Microsoft Entra admin center: overview, properties (security defaults), Conditional Access policies, sign-in logs.",
    ),
    items: list('CustomerHistoryPoint'),
  }),
  Principal: object({ objectId: { type: 'string' }, tenantId: nullableString, upn: nullableString, lastNonMfaRequestDateTime: { type: 'string' } }),
  PrincipalPage: answer({ runId: nullableString, collectedAt: { type: ['string', 'null'] }, items: list('Principal'), continuationToken }),
  RegistrationPoint: object({
    ...runPoint,
    report: { type: 'string' },
    totalUserCount: nullableNumber,
    mfaRegisteredUserCount: nullableNumber,
    fallbackReason: nullableString,
    countsByStatus: { type: 'object', additionalProperties: { type: 'number' } },
  }),
  RegistrationSeries: answer({ items: list('RegistrationPoint') }),
  Finding: object({
    key: { type: 'string' },
    kind: { type: 'string', enum: [...findingKinds] },
    severity: { type: 'string', enum: [...severities] },
    impact: { type: 'number', description: 'How much the finding exposes (core/findingImpact.ts): a page lists the findings of a severity highest impact first.' },
    subject: object({ type: { type: 'string' }, id: { type: 'string' }, name: nullableString }),
    customerName: { ...customerName, description: 'For a customer finding, the customer\'s current display name; null otherwise or when unknown.' },
    upn: { ...nullableString, description: 'For a partner-user finding, the user\'s UPN in the latest snapshot; null otherwise or when unknown.' },
    admin: {
      anyOf: [object({ userId: { type: 'string' }, userPrincipalName: nullableString, displayName: nullableString }), { type: 'null' }],
      description: "For a finding about a customer's admin (no MFA method registered, MFA not required), the admin: object id in the customer tenant, UPN and display name as the scan read them; null otherwise.",
    },
    measure: { type: 'string' },
    state: { type: 'string', enum: [...findingStates] },
    baseline: measureValue,
    current: measureValue,
    openedAt: { type: 'string' },
    resolvedAt: nullableString,
    description: { type: 'string', description: 'The finding in one line, as the alert email says it (names first, ids after).' },
    nextStep: { type: 'string', description: 'What an admin does about it.' },
    nextStepUrl: { ...nullableString, description: "Where to do it: the requirement's own actionUrl, the customer tenant's Entra admin center, the partner's sign-in logs, or a path of this API." },
    waiver: { ...nullableRef('FindingWaiver'), description: 'The active waiver that silences this finding (not alerted, still listed); null when none does.' },
  }),
  FindingWaiver: object({ id: { type: 'string' }, reason: { type: 'string' }, owner: { type: 'string' }, expiresAt: dateTime }, 'The waiver that silences a finding.'),
  WaiverRecord: object(waiverRecordFields, 'A waiver as stored, and as the audit trail keeps it before and after each change.'),
  StoredWaiver: object(
    { ...waiverRecordFields, etag: { type: 'string', description: 'Send as If-Match to change or delete this waiver; also in the ETag header.' } },
    'The waiver as stored by this change.',
  ),
  Waiver: object({
    id: { type: 'string' },
    description: { type: 'string', description: 'What it silences, in words: a customer by name with its tenant id, a requirement, partner users matching a pattern, one finding.' },
    ...waiverTerms,
    active: { type: 'boolean', description: 'Not yet expired.' },
    waivedFindings: { type: 'integer', description: 'Open findings it silences now.' },
    ...waiverAuthors,
    etag: { type: 'string', description: 'Send as If-Match to change or delete this waiver.' },
  }),
  WaiverList: answer({
    checkedAt: dateTime,
    maxDays: { type: ['integer', 'null'], description: 'WAIVER_MAX_DAYS: the furthest expiry a create or change accepts, in days from then; null when the setting cannot be read (the status names it).' },
    items: list('Waiver'),
  }),
  WaiverAuditEntry: object({
    at: dateTime,
    actor: waiverActor,
    action: { type: 'string', enum: [...waiverActions] },
    waiverId: { type: 'string' },
    description: { type: 'string', description: 'What the waiver silences, in words.' },
    before: { ...nullableRef('WaiverRecord'), description: 'The waiver before the change; null when it was created.' },
    after: { ...nullableRef('WaiverRecord'), description: 'The waiver after the change; null when it was deleted.' },
  }),
  WaiverAudit: answer({ items: list('WaiverAuditEntry') }),
  WaiverDraft: object({ scope: waiverScope, target: waiverTarget, reason: waiverReason, owner: waiverOwner, expiresAt: waiverExpiry }, 'A new waiver. Every field is required.'),
  WaiverChanges: {
    type: 'object',
    description: 'What to change on a waiver: at least one field. What it silences (scope, target) cannot change.',
    properties: { reason: waiverReason, owner: waiverOwner, expiresAt: waiverExpiry },
    minProperties: 1,
    additionalProperties: false,
  },
  FindingList: answer({ items: list('Finding'), continuationToken: { ...continuationToken, description: 'With `top`: pass as `continuationToken` for the next page; null on the last page, and always without `top`.' } }),
  Run: object({
    source,
    runId: { type: 'string' },
    status: runStatus,
    startedAt: dateTime,
    finishedAt: { type: ['string', 'null'] },
    counts: { type: 'object', additionalProperties: { type: 'number' } },
    errorCode: nullableString,
    errorMessage: nullableString,
    warnings,
  }),
  RunList: answer({ items: list('Run') }),
};

function resolve(schema: JsonSchema): JsonSchema {
  const target = typeof schema.$ref === 'string' ? schemas[schema.$ref.split('/').pop() ?? ''] : undefined;
  if (target) return target;
  const first: unknown = Array.isArray(schema.anyOf) ? schema.anyOf.find((option) => isPlainObject(option) && option.type !== 'null') : undefined;
  return isPlainObject(first) ? resolve(first) : schema;
}

/** CSV columns of a schema: its properties, and `parent.child` for objects with declared properties. */
export function csvColumns(schemaName: string): string[] {
  const columnsOf = (schema: JsonSchema, prefix: string): string[] => {
    const { properties } = resolve(schema);
    return Object.entries(isPlainObject(properties) ? properties : {}).flatMap(([name, property]) => {
      const resolved = isPlainObject(property) ? resolve(property) : {};
      return resolved.properties ? columnsOf(resolved, `${prefix}${name}.`) : [`${prefix}${name}`];
    });
  };
  return columnsOf(ref(schemaName), '');
}
