import { randomUUID } from 'node:crypto';
import { parsePartnerCenterPage, type PartnerCenterLink } from '../core/parseCollectionPage';
import type { Signal } from '../ports';
import { ApiError, type ApiClient } from './apiClient';
import type { ItemParser } from './graphPages';

/** Far more than any Partner Center collection needs; only a server that never stops paging gets here. */
const maxPages = 10_000;
const continuationHeader = 'ms-continuationtoken';

/**
 * Reads a Partner Center ResourceCollection page by page through `links.next`, yielding each
 * page's items as `parse` reads them. `path` is rooted at the API version (`v1/customers?size=500`): a relative
 * `links.next.uri` is resolved against that version root, as the documented samples need
 * (`/invoices/...&seekOperation=Next` answers a request to `/v1/invoices/...`), while one
 * that already names the version (`/v1/customers?size=40`) or an absolute URL on the same
 * host is followed as is. The link's headers (`MS-ContinuationToken`) go back as given.
 * A consumer that has read enough returns from its loop, and no further page is fetched.
 */
export async function* partnerCenterPages<T>(client: ApiClient, path: string, label: string, parse: ItemParser<T>, options: Signal = {}): AsyncGenerator<T[]> {
  const versionRoot = versionRootOf(path);
  // One correlation id ties every page of this read together in Partner Center's logs.
  const correlationId = randomUUID();
  const seenLinks = new Set<string>();
  let link: PartnerCenterLink | null = { uri: path, headers: {} };
  for (let page = 1; link !== null; page += 1) {
    if (page > maxPages) throw new ApiError('PagingLoop', `Partner Center ${label}: more than ${maxPages} pages`, null);
    const body = await client.getJson(linkTarget(link.uri, versionRoot), {
      abortSignal: options.abortSignal,
      // A fresh MS-RequestId per page; the pipeline's retries resend the same request, and so the same id.
      headers: { ...link.headers, 'MS-RequestId': randomUUID(), 'MS-CorrelationId': correlationId },
    });
    const pageLabel = `${label} page ${page}`;
    const parsed = parsePartnerCenterPage(body, pageLabel);
    yield parsed.items.map((item, index) => parse(item, `${pageLabel}: items[${index}]`));
    link = parsed.next;
    if (link !== null) {
      const identity = linkIdentity(link, versionRoot);
      if (seenLinks.has(identity)) {
        throw new ApiError('PagingLoop', `Partner Center ${pageLabel}: links.next repeats an earlier page (same continuation token)`, null);
      }
      seenLinks.add(identity);
    }
  }
}

/** `v1` of `v1/nonMfaCompliantPartnerPrincipals`: the root every version-less link hangs from. */
function versionRootOf(path: string): string {
  const root = path.replace(/^\/+/, '').split(/[/?]/)[0] ?? '';
  if (!/^v\d+$/i.test(root)) throw new ApiError('InvalidPath', `Partner Center path must start with its API version (v1/...): ${root}`, null);
  return root;
}

/**
 * Where a link points, as a path under PARTNER_CENTER_BASE_URL or an absolute URL (the
 * client refuses another host: a token must not leave). A documented sample carries a
 * second `?` (`...&size=2?seekOperation=Next`): everything after the first one is the query.
 */
function linkTarget(uri: string, versionRoot: string): string {
  const queryStart = uri.indexOf('?');
  const repaired = queryStart < 0 ? uri : `${uri.slice(0, queryStart + 1)}${uri.slice(queryStart + 1).replaceAll('?', '&')}`;
  if (/^https?:\/\//i.test(repaired)) return repaired;
  // Scheme-relative (`//host/...`) names a host: it is checked like an absolute URL.
  if (repaired.startsWith('//')) return `https:${repaired}`;
  const relative = repaired.replace(/^\/+/, '');
  const firstSegment = relative.split(/[/?]/)[0] ?? '';
  return firstSegment.toLowerCase() === versionRoot.toLowerCase() ? relative : `${versionRoot}/${relative}`;
}

/** A link is the same page again when it carries the same continuation token, or (without one) the same target. */
function linkIdentity(link: PartnerCenterLink, versionRoot: string): string {
  const token = Object.entries(link.headers).find(([name]) => name.toLowerCase() === continuationHeader)?.[1];
  return token !== undefined ? `token ${token}` : `target ${linkTarget(link.uri, versionRoot)} ${JSON.stringify(link.headers)}`;
}
