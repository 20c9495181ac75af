import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import { ApiClient } from '../../src/adapters/apiClient';
import { partnerCenterPages } from '../../src/adapters/partnerCenterPages';

/**
 * The pager over a real ApiClient (the SDK pipeline, retries, bearer policy) whose transport
 * answers from a script of pages and records what was asked: exactly which URL and headers
 * each link turns into.
 */
const base = 'https://api.partnercenter.microsoft.com';

interface Asked {
  url: string;
  headers: Record<string, string>;
}

function partnerCenter(pages: unknown[]): { client: ApiClient; asked: Asked[] } {
  const asked: Asked[] = [];
  const transport: HttpClient = {
    sendRequest: async (request: PipelineRequest) => {
      asked.push({ url: request.url, headers: request.headers.toJSON() });
      const body = pages[asked.length - 1];
      return body === undefined
        ? { request, status: 404, headers: createHttpHeaders() }
        : { request, status: 200, headers: createHttpHeaders({ 'content-type': 'application/json' }), bodyAsText: JSON.stringify(body) };
    },
  };
  const client = new ApiClient({
    service: 'Partner Center',
    baseUrl: base,
    scope: `${base}/.default`,
    credential: { getToken: async () => ({ token: 'access-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    http: { timeoutMs: 2000, maxRetries: 0, maxConcurrency: 4, maxRetryAfterMs: 1000 },
    httpClient: transport,
  });
  return { client, asked };
}

const pageWithNext = (uri: string, token: string, items: unknown[] = [{ n: token }]) => ({
  totalCount: items.length,
  items,
  links: { next: { uri, method: 'GET', headers: [{ key: 'MS-ContinuationToken', value: token }] } },
  attributes: { objectType: 'Collection' },
});
const lastPage = (items: unknown[] = [{ n: 'last' }]) => ({ totalCount: items.length, items, attributes: { objectType: 'Collection' } });

/** Every item read, and the path each was read under (the page's label and the item's index). */
async function readAll(client: ApiClient, path = 'v1/customers?size=2'): Promise<{ items: unknown[]; paths: string[] }> {
  const items: unknown[] = [];
  const paths: string[] = [];
  const keep = (item: unknown, itemPath: string): unknown => {
    paths.push(itemPath);
    return item;
  };
  for await (const page of partnerCenterPages(client, path, 'customers', keep)) items.push(...page);
  return { items, paths };
}

describe('partnerCenterPages', () => {
  it('when links.next.uri is relative without the version (the invoice samples), then it is read under the version root', async () => {
    const { client, asked } = partnerCenter([pageWithNext('/customers?size=2&seekOperation=Next', 't1'), lastPage()]);
    const { items, paths } = await readAll(client);
    expect(asked.map((request) => request.url)).toEqual([`${base}/v1/customers?size=2`, `${base}/v1/customers?size=2&seekOperation=Next`]);
    expect(items).toEqual([{ n: 't1' }, { n: 'last' }]);
    expect(paths).toEqual(['customers page 1: items[0]', 'customers page 2: items[0]']);
  });

  it('when links.next.uri carries the version (the customers sample), then it is read as is under the base', async () => {
    const { client, asked } = partnerCenter([pageWithNext('/v1/customers?size=40', 't1'), lastPage()]);
    await readAll(client);
    expect(asked[1]?.url).toBe(`${base}/v1/customers?size=40`);
  });

  it('when links.next.uri is an absolute URL on the same host, then it is read as is', async () => {
    const { client, asked } = partnerCenter([pageWithNext(`${base}/v1/customers?size=2&seekOperation=Next`, 't1'), lastPage()]);
    await readAll(client);
    expect(asked[1]?.url).toBe(`${base}/v1/customers?size=2&seekOperation=Next`);
  });

  it('when links.next.uri has a second "?" (the malformed documented sample), then everything after the first "?" is the query', async () => {
    const { client, asked } = partnerCenter([pageWithNext('/invoices/G000024135/lineitems?provider=OneTime&invoicelineitemtype=billinglineitems&size=2?seekOperation=Next', 't1'), lastPage()]);
    await readAll(client, 'v1/invoices/G000024135/lineitems?provider=OneTime&invoicelineitemtype=billinglineitems&size=2');
    const next = new URL(asked[1]!.url);
    expect(next.pathname).toBe('/v1/invoices/G000024135/lineitems');
    expect(Object.fromEntries(next.searchParams)).toEqual({ provider: 'OneTime', invoicelineitemtype: 'billinglineitems', size: '2', seekOperation: 'Next' });
  });

  it.each([
    ['an absolute URL', 'https://evil.example/v1/customers?size=2'],
    ['a scheme-relative URL', '//evil.example/v1/customers?size=2'],
  ])('when links.next.uri is %s on another host, then it is refused and no token is sent there', async (_form, uri) => {
    const { client, asked } = partnerCenter([pageWithNext(uri, 't1'), lastPage()]);
    await expect(readAll(client)).rejects.toMatchObject({ code: 'UnexpectedLink', message: expect.stringContaining('https://evil.example') });
    expect(asked).toHaveLength(1);
  });

  it('when a link is followed, then its headers go back as given, with one MS-CorrelationId for the read and a fresh MS-RequestId per page', async () => {
    const { client, asked } = partnerCenter([pageWithNext('/customers?seekOperation=Next', 'token one'), pageWithNext('/customers?seekOperation=Next', 'token two'), lastPage()]);
    await readAll(client);
    expect(asked.map((request) => request.headers['ms-continuationtoken'])).toEqual([undefined, 'token one', 'token two']);
    expect(new Set(asked.map((request) => request.headers['ms-correlationid'])).size).toBe(1);
    expect(new Set(asked.map((request) => request.headers['ms-requestid'])).size).toBe(3);
    expect(asked.every((request) => request.headers.authorization === 'Bearer access-token')).toBe(true);
  });

  it('when a continuation token comes back a second time, then the read fails as a paging loop', async () => {
    const { client, asked } = partnerCenter([pageWithNext('/customers', 'same'), pageWithNext('/customers', 'same'), lastPage()]);
    await expect(readAll(client)).rejects.toMatchObject({ code: 'PagingLoop', message: expect.stringContaining('customers page 2') });
    expect(asked).toHaveLength(2);
  });

  it('when the consumer returns from its loop, then no further page is fetched', async () => {
    const { client, asked } = partnerCenter([pageWithNext('/customers', 't1'), pageWithNext('/customers', 't2'), lastPage()]);
    for await (const page of partnerCenterPages(client, 'v1/customers', 'customers', (item) => item)) {
      if (page.length > 0) break;
    }
    expect(asked).toHaveLength(1);
  });

  it('when the first path does not start with the API version, then the read fails before any request', async () => {
    const { client, asked } = partnerCenter([lastPage()]);
    await expect(readAll(client, 'customers')).rejects.toMatchObject({ code: 'InvalidPath' });
    expect(asked).toHaveLength(0);
  });
});
