import type { Signal } from '../ports';
import { parseGraphPage } from '../core/parseCollectionPage';
import { ApiError, type ApiClient } from './apiClient';

const maxPages = 100_000;

/** Reads an item of a collection page; `path` names it in errors (`requirements page 2: value[7]`). */
export type ItemParser<T> = (item: unknown, path: string) => T;

/** Follows `@odata.nextLink` until it is absent, yielding each page's items as `parse` reads them. */
export async function* graphPages<T>(client: ApiClient, path: string, label: string, parse: ItemParser<T>, options: Signal = {}): AsyncGenerator<T[]> {
  let link: string | null = path;
  const seen = new Set<string>();
  for (let page = 1; link !== null; page += 1) {
    if (page > maxPages || seen.has(link)) {
      throw new ApiError('PagingLoop', `Graph ${label}: @odata.nextLink repeated or exceeded ${maxPages} pages`, null);
    }
    seen.add(link);
    const parsed = parseGraphPage(await client.getJson(link, { abortSignal: options.abortSignal }), `${label} page ${page}`);
    yield parsed.items.map((item, index) => parse(item, `${label} page ${page}: value[${index}]`));
    link = parsed.nextLink;
  }
}
