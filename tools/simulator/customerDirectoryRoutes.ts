/*
 * Where customer names come from: Microsoft Graph v1.0 `tenantRelationships/delegatedAdminCustomers`
 * (customers with a GDAP relationship; application permission DelegatedAdminRelationship.Read.All)
 * and Partner Center `v1/customers` (the CSP customer list), in their documented shapes.
 */
import { bearerToken } from './bearerAuth';
import type { SimulatorContext } from './context';
import { serveData } from './dataResponse';
import { graphError, partnerCenterError } from './errorBodies';
import type { Exchange } from './exchange';
import { partnerCenterPosition } from './partnerCenterPosition';
import { customerDomain, customerListing, customerName, customerTenantId } from './population';
import type { JsonObject } from './wireFormat';

export const DELEGATED_ADMIN_CUSTOMERS = '/v1.0/tenantRelationships/delegatedAdminCustomers';
export const PARTNER_CENTER_CUSTOMERS = '/v1/customers';
const GDAP_PERMISSION = 'DelegatedAdminRelationship.Read.All';
/** Documented maxima: `$top` up to 300 (Graph), `size` up to 500 (Partner Center). */
const GRAPH_MAX_TOP = 300;
const PARTNER_CENTER_MAX_SIZE = 500;

/** Indices of the customers one list shows, in served order. */
function listed(ctx: SimulatorContext, list: 'delegatedAdminCustomers' | 'partnerCenterCustomers'): number[] {
  const { seed, customers } = ctx.dataset.config;
  const indices: number[] = [];
  for (let index = 0; index < customers; index++) if (customerListing(seed, index)[list]) indices.push(index);
  return indices;
}

const wholeNumber = (value: string | null) => (value !== null && /^\d+$/.test(value) ? Number(value) : undefined);

/** GET /graph/v1.0/tenantRelationships/delegatedAdminCustomers (after the caller's bearer check). */
export async function handleDelegatedAdminCustomers(ex: Exchange, ctx: SimulatorContext, headers: Record<string, string>): Promise<void> {
  const token = bearerToken(ex);
  if (token === undefined || !ctx.tokens.hasRole(token, GDAP_PERMISSION)) {
    ex.send(403, graphError(ex, 403, 'Insufficient privileges to complete the operation.', 'Authorization_RequestDenied'), headers);
    return;
  }
  const query = ex.url.searchParams;
  const top = query.has('$top') ? wholeNumber(query.get('$top')) : GRAPH_MAX_TOP;
  if (top === undefined || top < 1 || top > GRAPH_MAX_TOP) {
    ex.send(400, graphError(ex, 400, `Invalid value for $top: it must be between 1 and ${GRAPH_MAX_TOP}.`), headers);
    return;
  }
  let day = ctx.clock.day;
  let offset = 0;
  let size = Math.min(top, ctx.graphPageSize);
  const skipToken = query.get('$skiptoken');
  if (skipToken !== null) {
    const position = ctx.pageTokens.decode(skipToken);
    if (!position || position.collection !== DELEGATED_ADMIN_CUSTOMERS) {
      ex.send(400, graphError(ex, 400, 'The $skiptoken is invalid or was not issued for this collection.'), headers);
      return;
    }
    ({ day, offset } = position);
    size = Math.min(GRAPH_MAX_TOP, ctx.graphPageSize);
  }
  const { seed } = ctx.dataset.config;
  const indices = listed(ctx, 'delegatedAdminCustomers');
  const end = Math.min(indices.length, offset + size);
  const next = end < indices.length
    ? `${ctx.graphBaseUrl}${DELEGATED_ADMIN_CUSTOMERS}?$skiptoken=${ctx.pageTokens.encode({ collection: DELEGATED_ADMIN_CUSTOMERS, day, offset: end })}`
    : undefined;
  await serveData(ex, ctx, Math.floor(offset / Math.max(1, size)), {
    items: () => indices.slice(offset, end).map((index): JsonObject => {
      const tenantId = customerTenantId(seed, index);
      return {
        '@odata.type': '#microsoft.graph.delegatedAdminCustomer',
        '@odata.etag': `W/"${Buffer.from(`"${tenantId.slice(0, 8)}-0000-0200-0000-${String(index).padStart(12, '0')}"`).toString('base64')}"`,
        id: tenantId,
        tenantId,
        displayName: customerName(seed, index),
      };
    }),
    render: (items) => ({
      '@odata.context': `${ctx.graphBaseUrl}/v1.0/tenantRelationships/$metadata#delegatedAdminCustomers`,
      ...(next ? { '@odata.nextLink': next } : {}),
      value: items,
    }),
    headers,
  });
}

/** GET /partnercenter/v1/customers?size=N (after the caller's bearer check); seek paging through links.next. */
export async function handlePartnerCenterCustomers(ex: Exchange, ctx: SimulatorContext, headers: Record<string, string>): Promise<void> {
  const requested = wholeNumber(ex.url.searchParams.get('size'));
  if (requested === undefined || requested < 1 || requested > PARTNER_CENTER_MAX_SIZE) {
    ex.send(400, partnerCenterError(400, `size is required: the number of customers per page, 1 to ${PARTNER_CENTER_MAX_SIZE}.`, 400_010), headers);
    return;
  }
  const position = partnerCenterPosition(ex, ctx, PARTNER_CENTER_CUSTOMERS, headers);
  if (position === null) return;
  const { day, offset } = position;
  const { seed } = ctx.dataset.config;
  const size = Math.min(requested, ctx.partnerCenterPageSize);
  const indices = listed(ctx, 'partnerCenterCustomers');
  const end = Math.min(indices.length, offset + size);
  const link = (query: string, extraHeaders: { key: string; value: string }[]) => ({ uri: linkUri(ctx, query), method: 'GET', headers: extraHeaders });
  await serveData(ex, ctx, Math.floor(offset / size), {
    items: () => indices.slice(offset, end).map((index): JsonObject => {
      const tenantId = customerTenantId(seed, index);
      return {
        id: tenantId,
        companyProfile: { tenantId, domain: customerDomain(seed, index), companyName: customerName(seed, index), attributes: { objectType: 'CustomerCompanyProfile' } },
        relationshipToPartner: 'reseller',
        attributes: { objectType: 'Customer' },
      };
    }),
    // As documented: totalCount is the page's count, `self` the page as asked, `next` seeks on with its token.
    render: (items) => ({
      totalCount: items.length,
      items,
      links: {
        self: link(`?size=${requested}`, []),
        ...(end < indices.length
          ? { next: link(`?size=${requested}&seekOperation=Next`, [{ key: 'MS-ContinuationToken', value: ctx.pageTokens.encode({ collection: PARTNER_CENTER_CUSTOMERS, day, offset: end }) }]) }
          : {}),
      },
      attributes: { objectType: 'Collection' },
    }),
    headers,
  });
}

/** A link's uri in the configured form (see SimulatorOptions.partnerCenterNextLink). */
function linkUri(ctx: SimulatorContext, query: string): string {
  switch (ctx.partnerCenterNextLink) {
    case 'versionless': return `${PARTNER_CENTER_CUSTOMERS.slice('/v1'.length)}${query}`;
    case 'versioned': return `${PARTNER_CENTER_CUSTOMERS}${query}`;
    case 'absolute': return `${ctx.partnerCenterBaseUrl}${PARTNER_CENTER_CUSTOMERS}${query}`;
  }
}

