import type { HttpRequest } from '@azure/functions';
import { customerAdmins } from './customerAdmins';
import { customerStatuses } from './customerStatus';
import { snapshotSources } from '../core/model';
import { guidPattern, parseChoice, parseCount, parseDate, parseTenantId, parseText, parseTimeRange, parseTop, parseWaiverId, type QueryParameters } from './queryParameters';
import { findingList, type FindingListFilter } from './findingList';
import { severities, subjectTypes } from '../core/findings';
import { invalidParameter } from './problem';
import { monitorStatus } from './monitorStatus';
import { customerHistory, customerPage, principalPage } from './pageQueries';
import type { QueryDependencies, QueryResult } from './queries';
import { registrationSeries, requirementSeries, runLedger, scoreSeries } from './seriesQueries';
import type { JsonSchema } from './schemaParts';
import { waiverAudit, waiverList } from './waiverQueries';
import { companyMappingAudit, maxLookupsPerPsa, psaCompanyList } from './psaCompanies';
import { psaNames } from '../core/tickets';

interface ParameterDoc {
  name: string;
  in: 'query' | 'path';
  description: string;
  schema: JsonSchema;
  required?: boolean;
}

/**
 * One JSON endpoint of the query API: its route, its documented parameters, the schema of its
 * body and of its CSV rows, how it reads a request (throwing 400 problems) and what it runs.
 * The functions (src/functions/queryApi.ts), the OpenAPI document and the tests all start from this list.
 */
export interface Endpoint {
  /** The function's registered name (src/functions/queryApi.ts registers every endpoint). */
  name: string;
  route: string;
  summary: string;
  parameters: readonly ParameterDoc[];
  responseSchema: string;
  /** Schema of one CSV row; every endpoint here is a list. */
  csvRowSchema: string;
  /** Answers 404 for an unknown route parameter. */
  notFound?: boolean;
  handle(request: Pick<HttpRequest, 'query' | 'params'>): (dependencies: QueryDependencies) => Promise<QueryResult>;
}

const dateSchema: JsonSchema = { type: 'string', description: 'ISO 8601 date (2026-01-31) or date-time with a zone (2026-01-31T08:00:00Z).' };
const from: ParameterDoc = { name: 'from', in: 'query', description: 'Runs started at or after this time.', schema: dateSchema };
const to: ParameterDoc = { name: 'to', in: 'query', description: 'Runs started at or before this time (a bare date means the end of that day, UTC); not before `from`.', schema: dateSchema };
const top = (fallback: number): ParameterDoc => ({ name: 'top', in: 'query', description: `Items per page (default ${fallback}).`, schema: { type: 'integer', minimum: 1, maximum: 1000, default: fallback } });
const continuationToken: ParameterDoc = {
  name: 'continuationToken',
  in: 'query',
  description: 'The `continuationToken` of the previous page, unchanged, with the same filters. Signed: an altered one is a 400.',
  schema: { type: 'string' },
};

const findingListStates = ['open', 'resolved', 'all'] as const;
const waiverListStates = ['active', 'expired', 'all'] as const;

/** The filters of GET /api/findings; a subject id needs its subject type (an object id alone could be anyone's). */
function parseFindingFilter(query: QueryParameters): FindingListFilter {
  const type = parseChoice(query, 'subject', subjectTypes);
  const id = parseText(query, 'subjectId');
  if (id !== undefined && type === undefined) throw invalidParameter('subjectId', 'needs `subject` (for example subject=customer&subjectId=<tenant id>)');
  const waived = parseChoice(query, 'waived', ['true', 'false'] as const);
  return {
    severity: parseChoice(query, 'severity', severities),
    subject: type === undefined ? undefined : { type, id: type === 'customer' && id !== undefined ? customerId(id) : id },
    changedSince: parseDate(query, 'since', 'start'),
    waived: waived === undefined ? undefined : waived === 'true',
  };
}

/** A customer's findings are keyed by its tenant id, lower-case as Graph serves it. */
function customerId(id: string): string {
  if (!guidPattern.test(id)) throw invalidParameter('subjectId', 'must be the customer\'s tenant id (a GUID) with subject=customer');
  return id.toLowerCase();
}

/** The continuation token a paged listing hands back, as it was given (the listing checks its signature). */
const pageToken = (query: QueryParameters): string | undefined => parseText(query, 'continuationToken', 2048);

/**
 * The use case with its arguments: they are read from the request (throwing its 400s) when this
 * is called, before any dependency is built, so bad input is a 400 even when storage is down.
 */
function runWith<A extends unknown[]>(useCase: (dependencies: QueryDependencies, ...args: A) => Promise<QueryResult>, ...args: A) {
  return (dependencies: QueryDependencies) => useCase(dependencies, ...args);
}

export const endpoints: readonly Endpoint[] = [
  {
    name: 'apiStatus',
    route: 'status',
    summary: "The monitor's health: per source, the last run and its status, the last complete run, and open findings.",
    parameters: [],
    responseSchema: 'Status',
    csvRowSchema: 'SourceStatus',
    handle: () => monitorStatus,
  },
  {
    name: 'apiScore',
    route: 'score',
    summary: 'The partner security score of every complete snapshot in the range, oldest first.',
    parameters: [from, to],
    responseSchema: 'ScoreSeries',
    csvRowSchema: 'ScorePoint',
    handle: ({ query }) => runWith(scoreSeries, parseTimeRange(query)),
  },
  {
    name: 'apiRequirements',
    route: 'requirements',
    summary: 'Security requirement snapshots in the range, oldest first, optionally of one requirement type.',
    parameters: [from, to, { name: 'type', in: 'query', description: 'A requirement type, e.g. `mfaEnforcedForAdminsOfCustomers`.', schema: { type: 'string', maxLength: 200 } }],
    responseSchema: 'RequirementSeries',
    csvRowSchema: 'RequirementPoint',
    handle: ({ query }) => runWith(requirementSeries, parseTimeRange(query), parseText(query, 'type')),
  },
  {
    name: 'apiCustomers',
    route: 'customers',
    summary: 'Every customer of the latest complete snapshot, paged (tenant-id order, stable within a snapshot), each with a summary of its newest customer-admin scan.',
    parameters: [
      {
        name: 'status',
        in: 'query',
        description:
          '`all` (default); `noMfaPolicy`: every MFA policy known to be disabled (a policy of unknown status is not "none"); `adminsNotCompliant`: no MFA-compliant admin (Graph does not report the admin total); `nonCompliant`: either.',
        schema: { type: 'string', enum: [...customerStatuses], default: 'all' },
      },
      {
        name: 'name',
        in: 'query',
        description: 'Only customers whose display name contains this text, in any case (customers without a known name never match).',
        schema: { type: 'string', minLength: 1, maxLength: 100 },
      },
      top(100),
      continuationToken,
    ],
    responseSchema: 'CustomerPage',
    csvRowSchema: 'Customer',
    handle: ({ query }) => runWith(customerPage, parseChoice(query, 'status', customerStatuses, 'all'), parseText(query, 'name', 100), parseTop(query, 100), pageToken(query)),
  },
  {
    name: 'apiCustomerHistory',
    route: 'customers/{tenantId}/history',
    summary: "One customer's MFA insight as change points, oldest first: each state with the complete snapshot that first saw it, the first being the state in force when the range begins; the last holds up to `asOf`.",
    parameters: [{ name: 'tenantId', in: 'path', required: true, description: 'The customer tenant id (a GUID).', schema: { type: 'string', format: 'uuid' } }, from, to],
    responseSchema: 'CustomerHistory',
    csvRowSchema: 'CustomerHistoryPoint',
    notFound: true,
    handle: ({ query, params }) => runWith(customerHistory, parseTenantId(params.tenantId), parseTimeRange(query)),
  },
  {
    name: 'apiCustomerAdmins',
    route: 'customers/{tenantId}/admins',
    summary:
      "One customer's admins as the newest complete customer-admin run saw them inside the tenant: each with their MFA methods, the policy or security defaults that require MFA of them, their Entra admin center page and the open findings about them; or why the monitor cannot see into the tenant and what to do. CSV: one row per admin.",
    parameters: [{ name: 'tenantId', in: 'path', required: true, description: 'The customer tenant id (a GUID).', schema: { type: 'string', format: 'uuid' } }],
    responseSchema: 'CustomerAdmins',
    csvRowSchema: 'CustomerAdmin',
    notFound: true,
    handle: ({ params }) => runWith(customerAdmins, parseTenantId(params.tenantId)),
  },
  {
    name: 'apiPrincipals',
    route: 'principals',
    summary: 'Partner principals signed in without MFA, from the latest complete snapshot, paged.',
    parameters: [{ name: 'since', in: 'query', description: 'Only sign-ins without MFA at or after this time.', schema: dateSchema }, top(100), continuationToken],
    responseSchema: 'PrincipalPage',
    csvRowSchema: 'Principal',
    handle: ({ query }) => runWith(principalPage, parseDate(query, 'since', 'start'), parseTop(query, 100), pageToken(query)),
  },
  {
    name: 'apiRegistrations',
    route: 'registrations',
    summary: 'MFA registration counts of every complete snapshot in the range, oldest first.',
    parameters: [from, to],
    responseSchema: 'RegistrationSeries',
    csvRowSchema: 'RegistrationPoint',
    handle: ({ query }) => runWith(registrationSeries, parseTimeRange(query)),
  },
  {
    name: 'apiFindings',
    route: 'findings',
    summary: "The regression detector's findings, critical first; the store reads each severity in key order (a subject's findings together) and a page lists its findings of a severity highest `impact` first; paged with `top`.",
    parameters: [
      { name: 'state', in: 'query', description: 'Which findings (default `open`).', schema: { type: 'string', enum: [...findingListStates], default: 'open' } },
      { name: 'severity', in: 'query', description: 'Only findings of this severity.', schema: { type: 'string', enum: [...severities] } },
      { name: 'subject', in: 'query', description: 'Only findings about this kind of subject: `customer` (a customer tenant), `principal` (a partner user), and so on.', schema: { type: 'string', enum: [...subjectTypes] } },
      { name: 'subjectId', in: 'query', description: 'With `subject`: only the findings about this one (a customer\'s tenant id, a partner user\'s object id).', schema: { type: 'string', maxLength: 200 } },
      { name: 'since', in: 'query', description: 'Only findings opened, reopened or resolved at or after this time (what changed since).', schema: dateSchema },
      { name: 'waived', in: 'query', description: '`true`: only findings a waiver covers now; `false`: only those it does not.', schema: { type: 'string', enum: ['true', 'false'] } },
      { name: 'top', in: 'query', description: 'Findings per page; every finding in one answer when absent.', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
      continuationToken,
    ],
    responseSchema: 'FindingList',
    csvRowSchema: 'Finding',
    handle: ({ query }) => runWith(findingList, parseChoice(query, 'state', findingListStates, 'open'), parseFindingFilter(query), parseTop(query, Infinity), pageToken(query)),
  },
  {
    name: 'apiRuns',
    route: 'runs',
    summary: 'The snapshot-run ledger, newest first.',
    parameters: [
      { name: 'source', in: 'query', description: 'One source; every source when absent.', schema: { type: 'string', enum: [...snapshotSources] } },
      top(50),
    ],
    responseSchema: 'RunList',
    csvRowSchema: 'Run',
    handle: ({ query }) => runWith(runLedger, parseChoice(query, 'source', snapshotSources), parseTop(query, 50)),
  },
  {
    name: 'apiWaivers',
    route: 'waivers',
    summary: 'Waivers, soonest to expire first, each with what it silences in words and the open findings it silences now. Created with POST, changed with PATCH and deleted with DELETE (admin key).',
    parameters: [
      { name: 'state', in: 'query', description: 'Which waivers (default `active`; an expired one stays until deleted).', schema: { type: 'string', enum: [...waiverListStates], default: 'active' } },
      { name: 'expiringWithinDays', in: 'query', description: 'Only active waivers that end within this many days (what the weekly digest lists).', schema: { type: 'integer', minimum: 1, maximum: 365 } },
    ],
    responseSchema: 'WaiverList',
    csvRowSchema: 'Waiver',
    handle: ({ query }) => runWith(waiverList, parseChoice(query, 'state', waiverListStates, 'active'), parseCount(query, 'expiringWithinDays', 365, ' of days')),
  },
  {
    name: 'apiWaiverAudit',
    route: 'waiver-audit',
    summary: 'Every change to waivers, newest first: who, when, what, and the waiver before and after. Never pruned.',
    parameters: [{ name: 'waiverId', in: 'query', description: 'Only the changes of this waiver.', schema: { type: 'string', pattern: '^[0-9a-f]{12}$' } }, top(100)],
    responseSchema: 'WaiverAudit',
    csvRowSchema: 'WaiverAuditEntry',
    handle: ({ query }) => {
      const waiverId = query.get('waiverId');
      return runWith(waiverAudit, waiverId === null ? undefined : parseWaiverId(waiverId, 'waiverId'), parseTop(query, 100));
    },
  },
  {
    name: 'apiPsaCompanies',
    route: 'psa/companies',
    summary:
      "Which company each customer's tickets are filed under in each configured PSA: an admin's mapping, the company found by the customer's domain or name, or a gap (its tickets go to the fallback company). Set with PUT and cleared with DELETE on /psa/mappings/{psa}/{tenantId} (admin key).",
    parameters: [
      { name: 'psa', in: 'query', description: 'One PSA; every configured PSA when absent.', schema: { type: 'string', enum: [...psaNames] } },
      { name: 'tenantId', in: 'query', description: 'Only this customer.', schema: { type: 'string', format: 'uuid' } },
      {
        name: 'lookup',
        in: 'query',
        description: `\`true\`: look unmapped customers up in the PSA (at most ${maxLookupsPerPsa} per PSA per answer: each look-up costs requests against the PSA's rate limit); otherwise they are listed as \`notLookedUp\`.`,
        schema: { type: 'string', enum: ['true', 'false'], default: 'false' },
      },
    ],
    responseSchema: 'PsaCompanyList',
    csvRowSchema: 'PsaCompany',
    handle: ({ query }) => {
      const tenantId = query.get('tenantId');
      const filter = { psa: parseChoice(query, 'psa', psaNames), tenantId: tenantId === null ? undefined : parseTenantId(tenantId) };
      return runWith(psaCompanyList, filter, parseChoice(query, 'lookup', ['true', 'false'] as const, 'false') === 'true');
    },
  },
  {
    name: 'apiPsaMappingAudit',
    route: 'psa/mappings/audit',
    summary: 'Every change to company mappings, newest first: who, when, which customer and PSA, and the mapping before and after. Never pruned.',
    parameters: [top(100)],
    responseSchema: 'PsaMappingAudit',
    csvRowSchema: 'PsaMappingAuditEntry',
    handle: ({ query }) => runWith(companyMappingAudit, parseTop(query, 100)),
  },
];
