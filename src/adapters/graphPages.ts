import type { Signal } from '../ports';
import { parseGraphPage } from '../core/parseCollectionPage';
import { ApiError, type ApiClient } from './apiClient';

const maxPages = 100_000;

/** Follows `@odata.nextLink` until it is absent, yielding each page's raw items. */
export async function* graphPages(client: ApiClient, path: string, label: string, options: Signal = {}): AsyncGenerator<{ items: unknown[]; path: string }> {
  let link: string | null = path;
  const seen = new Set<string>();
  for (let page = 0; link !== null; page += 1) {
    if (page >= maxPages || seen.has(link)) {
      throw new ApiError('PagingLoop', `Graph ${label}: @odata.nextLink repeated or exceeded ${maxPages} pages`, 'Graph', null);
    }
    seen.add(link);
    const response = await client.getJson(link, { abortSignal: options.abortSignal });
    const parsed = parseGraphPage(response.body, `${label} page ${page + 1}`);
    yield { items: parsed.items, path: `${label} page ${page + 1}` };
    link = parsed.nextLink;
  }
}
