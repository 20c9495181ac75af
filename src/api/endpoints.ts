import { customerStatuses } from './customerStatus';
import { invalidParameter } from './problem';
import { snapshotSources } from '../core/model';
import { parseChoice, parseDate, parseTenantId, parseText, parseTimeRange, parseTop, type QueryParameters } from './queryParameters';
import { findingList } from './findingList';
import { monitorStatus } from './monitorStatus';
import { customerHistory, customerPage, principalPage } from './pageQueries';
import type { QueryDependencies, QueryResult } from './queries';
import { registrationSeries, requirementSeries, runLedger, scoreSeries } from './seriesQueries';
import type { JsonSchema } from './schemas';
import { waiverAudit, waiverList } from './waiverQueries';

interface ApiRequest {
  query: QueryParameters;
  params: Readonly<Record<string, string | undefined>>;
}

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
  handle(request: ApiRequest): (dependencies: QueryDependencies) => Promise<QueryResult>;
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

export const endpoints: readonly Endpoint[] = [
  {
    name: 'apiStatus',
    route: 'status',
    summary: "The monitor's health: per source, the last run and its status, the last complete run, and open findings.",
    parameters: [],
    responseSchema: 'Status',
    csvRowSchema: 'SourceStatus',
    handle: () => (dependencies) => monitorStatus(dependencies),
  },
  {
    name: 'apiScore',
    route: 'score',
    summary: 'The partner security score of every complete snapshot in the range, oldest first.',
    parameters: [from, to],
    responseSchema: 'ScoreSeries',
    csvRowSchema: 'ScorePoint',
    handle: ({ query }) => {
      const range = parseTimeRange(query);
      return (dependencies) => scoreSeries(dependencies, range);
    },
  },
  {
    name: 'apiRequirements',
    route: 'requirements',
    summary: 'Security requirement snapshots in the range, oldest first, optionally of one requirement type.',
    parameters: [from, to, { name: 'type', in: 'query', description: 'A requirement type, e.g. `mfaEnforcedForAdminsOfCustomers`.', schema: { type: 'string', maxLength: 200 } }],
    responseSchema: 'RequirementSeries',
    csvRowSchema: 'RequirementPoint',
    handle: ({ query }) => {
      const range = parseTimeRange(query);
      const type = parseText(query, 'type');
      return (dependencies) => requirementSeries(dependencies, range, type);
    },
  },
  {
    name: 'apiCustomers',
    route: 'customers',
    summary: 'Every customer of the latest complete snapshot, paged (tenant-id order, stable within a snapshot).',
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
    handle: ({ query }) => {
      const status = parseChoice(query, 'status', customerStatuses, 'all');
      const name = parseText(query, 'name', 100);
      const size = parseTop(query, 100);
      const token = parseText(query, 'continuationToken', 2048);
      return (dependencies) => customerPage(dependencies, status, name, size, token);
    },
  },
  {
    name: 'apiCustomerHistory',
    route: 'customers/{tenantId}/history',
    summary: "One customer's MFA insight as change points, oldest first: each state with the complete snapshot that first saw it, the first being the state in force when the range begins; the last holds up to `asOf`.",
    parameters: [{ name: 'tenantId', in: 'path', required: true, description: 'The customer tenant id (a GUID).', schema: { type: 'string', format: 'uuid' } }, from, to],
    responseSchema: 'CustomerHistory',
    csvRowSchema: 'CustomerHistoryPoint',
    notFound: true,
    handle: ({ query, params }) => {
      const tenantId = parseTenantId(params.tenantId);
      const range = parseTimeRange(query);
      return (dependencies) => customerHistory(dependencies, tenantId, range);
    },
  },
  {
    name: 'apiPrincipals',
    route: 'principals',
    summary: 'Partner principals signed in without MFA, from the latest complete snapshot, paged.',
    parameters: [{ name: 'since', in: 'query', description: 'Only sign-ins without MFA at or after this time.', schema: dateSchema }, top(100), continuationToken],
    responseSchema: 'PrincipalPage',
    csvRowSchema: 'Principal',
    handle: ({ query }) => {
      const since = parseDate(query, 'since', 'start');
      const size = parseTop(query, 100);
      const token = parseText(query, 'continuationToken', 2048);
      return (dependencies) => principalPage(dependencies, since, size, token);
    },
  },
  {
    name: 'apiRegistrations',
    route: 'registrations',
    summary: 'MFA registration counts of every complete snapshot in the range, oldest first.',
    parameters: [from, to],
    responseSchema: 'RegistrationSeries',
    csvRowSchema: 'RegistrationPoint',
    handle: ({ query }) => {
      const range = parseTimeRange(query);
      return (dependencies) => registrationSeries(dependencies, range);
    },
  },
  {
    name: 'apiFindings',
    route: 'findings',
    summary: "The regression detector's findings, critical first, then in key order (a subject's findings together); paged with `top`.",
    parameters: [
      { name: 'state', in: 'query', description: 'Which findings (default `open`).', schema: { type: 'string', enum: ['open', 'resolved', 'all'], default: 'open' } },
      { name: 'top', in: 'query', description: 'Findings per page; every finding in one answer when absent.', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
      continuationToken,
    ],
    responseSchema: 'FindingList',
    csvRowSchema: 'Finding',
    handle: ({ query }) => {
      const state = parseChoice(query, 'state', ['open', 'resolved', 'all'] as const, 'open');
      const pageSize = parseTop(query, Infinity);
      const token = parseText(query, 'continuationToken', 2048);
      return (dependencies) => findingList(dependencies, state, pageSize, token);
    },
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
    handle: ({ query }) => {
      const source = parseChoice(query, 'source', snapshotSources);
      const size = parseTop(query, 50);
      return (dependencies) => runLedger(dependencies, source, size);
    },
  },
  {
    name: 'apiWaivers',
    route: 'waivers',
    summary: 'Waivers, soonest to expire first, each with what it silences in words and the open findings it silences now. Created with POST, changed with PATCH and deleted with DELETE (admin key).',
    parameters: [
      { name: 'state', in: 'query', description: 'Which waivers (default `active`; an expired one stays until deleted).', schema: { type: 'string', enum: ['active', 'expired', 'all'], default: 'active' } },
      { name: 'expiringWithinDays', in: 'query', description: 'Only active waivers that end within this many days (what the weekly digest lists).', schema: { type: 'integer', minimum: 1, maximum: 365 } },
    ],
    responseSchema: 'WaiverList',
    csvRowSchema: 'Waiver',
    handle: ({ query }) => {
      const state = parseChoice(query, 'state', ['active', 'expired', 'all'] as const, 'active');
      const within = parseDays(query, 'expiringWithinDays');
      return (dependencies) => waiverList(dependencies, state, within);
    },
  },
  {
    name: 'apiWaiverAudit',
    route: 'waiver-audit',
    summary: 'Every change to waivers, newest first: who, when, what, and the waiver before and after. Never pruned.',
    parameters: [{ name: 'waiverId', in: 'query', description: 'Only the changes of this waiver.', schema: { type: 'string', pattern: '^[0-9a-f]{12}$' } }, top(100)],
    responseSchema: 'WaiverAudit',
    csvRowSchema: 'WaiverAuditEntry',
    handle: ({ query }) => {
      const waiverId = parseText(query, 'waiverId', 12);
      if (waiverId !== undefined && !/^[0-9a-f]{12}$/.test(waiverId)) throw invalidParameter('waiverId', 'must be a waiver id (12 lower-case hex digits)');
      const size = parseTop(query, 100);
      return (dependencies) => waiverAudit(dependencies, waiverId, size);
    },
  },
];

/** A whole number of days, 1 to 365. */
function parseDays(query: ApiRequest['query'], name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 365) throw invalidParameter(name, 'must be a whole number of days from 1 to 365');
  return Number(raw);
}
