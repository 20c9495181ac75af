/*
 * Partner Center: non-MFA-compliant partner principals (seed 003), under partnerCenterBaseUrl,
 * in the documented ResourceCollection shape.
 */
import { randomUUID } from 'node:crypto';
import { authorize } from './bearerAuth';
import type { SimulatorContext } from './context';
import { handlePartnerCenterCustomers, PARTNER_CENTER_CUSTOMERS } from './customerDirectoryRoutes';
import { serveData } from './dataResponse';
import { partnerCenterError } from './errorBodies';
import type { Exchange } from './exchange';
import { partnerCenterPosition } from './partnerCenterPosition';
import { usesLoginFieldName } from './quirks';
import { answerVerbatim } from './requestFaults';
import { JsonObject, wireNonMfaPrincipal } from './wireFormat';

const PRINCIPALS = '/v1/nonMfaCompliantPartnerPrincipals';

export async function handlePartnerCenter(ex: Exchange, ctx: SimulatorContext): Promise<void> {
  const path = ex.url.pathname.slice('/partnercenter'.length);
  const headers = {
    'ms-requestid': ex.header('ms-requestid') ?? randomUUID(),
    'ms-correlationid': ex.header('ms-correlationid') ?? randomUUID(),
    'ms-cv': ex.header('ms-cv') ?? randomUUID(),
  };
  if (!authorize(ex, ctx, 'partnerCenter')) return;
  if (answerVerbatim(ex, ctx.faults, path, headers)) return;
  if (path === PARTNER_CENTER_CUSTOMERS && ex.method === 'GET') return handlePartnerCenterCustomers(ex, ctx, headers);
  if (path !== PRINCIPALS || ex.method !== 'GET') {
    ex.send(404, partnerCenterError(404, `No resource at ${ex.method} ${path}.`), headers);
    return;
  }
  const position = partnerCenterPosition(ex, ctx, PRINCIPALS, headers);
  if (position === null) return;
  const { day, offset } = position;
  const { dataset } = ctx;
  const { seed, quirks } = dataset.config;
  const size = ctx.partnerCenterPageSize;
  const end = Math.min(dataset.nonMfaWindowSize(), offset + size);
  // Documented: a `next` link that seeks forward; `self` is the page as asked for.
  const link = (uri: string, extraHeaders: { key: string; value: string }[]) => ({ uri, method: 'GET', headers: extraHeaders });
  const more = end < dataset.nonMfaWindowSize();
  await serveData(ex, ctx, Math.floor(offset / size), {
    items: () => {
      const items: JsonObject[] = [];
      for (let position = offset; position < end; position++) {
        const principal = dataset.nonMfaPrincipal(day, position);
        const at = Date.parse(`${principal.lastNonMfaCompliantRequestDateTime}Z`);
        items.push(wireNonMfaPrincipal(principal, usesLoginFieldName(seed, quirks, at)));
      }
      return items;
    },
    // totalCount is the number of items in this page, as the Partner Center SDK's ResourceCollection sets it.
    // The documented example of this endpoint has no `links` at all: a page with nothing after it carries none.
    render: (items) => ({
      totalCount: items.length,
      items,
      ...(more
        ? {
          links: {
            self: link(linkUri(ctx, ''), []),
            next: link(linkUri(ctx, '?seekOperation=Next'), [{ key: 'MS-ContinuationToken', value: ctx.pageTokens.encode({ collection: PRINCIPALS, day, offset: end }) }]),
          },
        }
        : {}),
      attributes: { objectType: 'Collection' },
    }),
    headers,
  });
}

/**
 * A link's uri in the configured form. Partner Center roots relative links at the version
 * root: the invoice samples answer `/v1/invoices/...` with `/invoices/...` (the default here),
 * the customers sample shows `/v1/customers?size=40`.
 */
function linkUri(ctx: SimulatorContext, query: string): string {
  const versionless = `${PRINCIPALS.slice('/v1'.length)}${query}`;
  switch (ctx.partnerCenterNextLink) {
    case 'versionless': return versionless;
    case 'versioned': return `${PRINCIPALS}${query}`;
    case 'absolute': return `${ctx.partnerCenterBaseUrl}${PRINCIPALS}${query}`;
  }
}
