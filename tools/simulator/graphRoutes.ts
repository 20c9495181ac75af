/*
 * Microsoft Graph: the partner security score (beta) and the credential registration
 * reports (legacy beta, current v1.0), under graphBaseUrl.
 */
import { randomUUID } from 'node:crypto';
import { authorize, bearerToken } from './bearerAuth';
import type { SimulatorContext } from './context';
import { handleCustomerGraph } from './customerGraphRoutes';
import { DELEGATED_ADMIN_CUSTOMERS, handleDelegatedAdminCustomers } from './customerDirectoryRoutes';
import { serveData } from './dataResponse';
import { graphError } from './errorBodies';
import type { Exchange } from './exchange';
import { answerVerbatim } from './requestFaults';
import { quirksOfDay } from './quirks';
import {
  JsonObject, wireCredentialRegistrationCount, wireCustomerInsight, wireRequirement, wireScoreHistoryEntry, wireSecurityScore,
  wireUsersRegisteredByFeature,
} from './wireFormat';

const SCORE = '/beta/security/partner/securityScore';
const FEATURE_REPORT = /^\/v1\.0\/reports\/authenticationMethods\/usersRegisteredByFeature(?:\((.*)\))?$/;

interface PagedCollection {
  /** OData context path after `$metadata#`. */
  context: string;
  length: (day: number) => number;
  slice: (day: number, offset: number, count: number) => JsonObject[];
  /** Client-side paging options the API refuses. */
  refusesClientPaging?: boolean;
  acceptsFutureSubtype?: boolean;
}

function collections(ctx: SimulatorContext): Record<string, PagedCollection> {
  const { dataset } = ctx;
  const quirks = (day: number) => quirksOfDay(dataset.config.seed, day, dataset.config.quirks);
  return {
    [`${SCORE}/requirements`]: {
      context: 'security/partner/securityScore/requirements',
      length: (day) => dataset.requirements(day).length,
      slice: (day, offset, count) => dataset.requirements(day).slice(offset, offset + count).map((r) => wireRequirement(r, quirks(day))),
      acceptsFutureSubtype: true,
    },
    [`${SCORE}/customerInsights`]: {
      context: 'security/partner/securityScore/customerInsights',
      length: () => dataset.config.customers,
      slice: (day, offset, count) => {
        const end = Math.min(dataset.config.customers, offset + count);
        const items: JsonObject[] = [];
        for (let index = offset; index < end; index++) items.push(wireCustomerInsight(dataset.customerInsight(day, index), quirks(day)));
        return items;
      },
      refusesClientPaging: true,
    },
    [`${SCORE}/history`]: {
      context: 'security/partner/securityScore/history',
      length: (day) => dataset.scoreHistory(day).length,
      slice: (day, offset, count) => dataset.scoreHistory(day).slice(offset, offset + count).map((entry) => wireScoreHistoryEntry(entry, quirks(day))),
    },
  };
}

const ODATA_JSON = { 'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' };

export async function handleGraph(ex: Exchange, ctx: SimulatorContext): Promise<void> {
  if (!authorize(ex, ctx, 'graph')) return;
  const path = decodeURIComponent(ex.url.pathname.slice('/graph'.length));
  const headers = { ...ODATA_JSON, 'request-id': randomUUID(), 'client-request-id': ex.header('client-request-id') ?? randomUUID() };
  if (answerVerbatim(ex, ctx.faults, path, headers)) return;
  // A token issued in a customer tenant reads that tenant, and nothing of the partner's.
  const tenantId = ctx.tokens.tenantOf(bearerToken(ex) ?? '');
  if (tenantId !== null && tenantId !== ctx.tenantId) return handleCustomerGraph(ex, ctx, tenantId, path, headers);
  if (ex.method !== 'GET') {
    ex.send(405, graphError(ex, 405, `The HTTP method '${ex.method}' is not allowed for this resource.`, 'Request_BadRequest'));
    return;
  }
  if (path === DELEGATED_ADMIN_CUSTOMERS) return handleDelegatedAdminCustomers(ex, ctx, headers);
  const collection = collections(ctx)[path];
  if (collection) return serveCollection(ex, ctx, path, collection, headers);

  const day = ctx.clock.day;
  const quirks = quirksOfDay(ctx.dataset.config.seed, day, ctx.dataset.config.quirks);
  if (path === SCORE) {
    await serveData(ex, ctx, 0, {
      items: () => [wireSecurityScore(ctx.dataset.score(day), quirks)],
      // The documentation shows the singleton wrapped in `value`; OData returns it bare. Both are served.
      render: ([score]) => ({
        '@odata.context': `${ctx.graphBaseUrl}/beta/$metadata#security/partner/securityScore/$entity`,
        ...(quirks.wrapSingleton ? { value: score ?? null } : score),
      }),
      headers,
    });
    return;
  }
  if (path === '/beta/reports/getCredentialUserRegistrationCount' || path === '/beta/reports/getCredentialUserRegistrationCount()') {
    await serveData(ex, ctx, 0, {
      items: () => [wireCredentialRegistrationCount(ctx.dataset.registrationCounts(day).credentialUserRegistrationCount, quirks)],
      render: (items) => ({ '@odata.context': `${ctx.graphBaseUrl}/beta/reports/$metadata#Collection(microsoft.graph.credentialUserRegistrationCount)`, value: items }),
      headers,
    });
    return;
  }
  const feature = FEATURE_REPORT.exec(path);
  if (feature) {
    const args = Object.fromEntries((feature[1] ?? '').split(',').filter(Boolean).map((arg) => {
      const [name = '', value = ''] = arg.split('=');
      return [name.trim(), value.trim().replace(/^'(.*)'$/, '$1')];
    }));
    const roles = args.includedUserRoles ?? 'all';
    const types = args.includedUserTypes ?? 'all';
    if (!['all', 'admin'].includes(roles) || !['all', 'member'].includes(types)) {
      ex.send(400, graphError(ex, 400, `Unsupported function arguments: includedUserRoles='${roles}', includedUserTypes='${types}'.`), headers);
      return;
    }
    await serveData(ex, ctx, 0, {
      items: () => [wireUsersRegisteredByFeature(ctx.dataset.registrationCounts(day).usersRegisteredByFeature[roles as 'all' | 'admin'], roles, types)],
      render: ([summary]) => ({ '@odata.context': `${ctx.graphBaseUrl}/v1.0/$metadata#microsoft.graph.userRegistrationFeatureSummary`, ...summary }),
      headers,
    });
    return;
  }
  ex.send(400, graphError(ex, 400, `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`), headers);
}

async function serveCollection(ex: Exchange, ctx: SimulatorContext, path: string, collection: PagedCollection, headers: Record<string, string>) {
  const query = ex.url.searchParams;
  if (collection.refusesClientPaging && (query.has('$top') || query.has('$skip'))) {
    ex.send(400, graphError(ex, 400, `Query option '${query.has('$top') ? '$top' : '$skip'}' is not supported for this resource.`), headers);
    return;
  }
  let day = ctx.clock.day;
  let offset = 0;
  const skipToken = query.get('$skiptoken');
  if (skipToken !== null) {
    const position = ctx.pageTokens.decode(skipToken);
    if (!position || position.collection !== path) {
      ex.send(400, graphError(ex, 400, 'The $skiptoken is invalid or was not issued for this collection.'), headers);
      return;
    }
    ({ day, offset } = position);
  }
  const size = ctx.graphPageSize;
  const next = offset + size < collection.length(day)
    ? `${ctx.graphBaseUrl}${path}?$skiptoken=${ctx.pageTokens.encode({ collection: path, day, offset: offset + size })}`
    : undefined;
  await serveData(ex, ctx, Math.floor(offset / size), {
    items: () => collection.slice(day, offset, size),
    render: (items) => ({
      '@odata.context': `${ctx.graphBaseUrl}/beta/$metadata#${collection.context}`,
      ...(next ? { '@odata.nextLink': next } : {}),
      value: items,
    }),
    acceptsFutureSubtype: collection.acceptsFutureSubtype && offset === 0,
    headers,
  });
}
