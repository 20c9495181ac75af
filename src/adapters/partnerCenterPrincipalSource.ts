import { randomUUID } from 'node:crypto';
import type { NonMfaPrincipal } from '../core/model';
import { parseNonMfaPrincipal } from '../core/parseNonMfaPrincipals';
import { parsePartnerCenterPage } from '../core/parseCollectionPage';
import type { NonMfaPrincipalSource, Signal } from '../core/ports';
import { ApiError, type ApiClient } from './apiClient';

/** Partner Center keeps at most this many records (the most recent of the last 7 days). */
const partnerCenterRecordCap = 10_000;
const maxPages = 1_000;

/** Partner Center `nonMfaCompliantPartnerPrincipals`, paged with `links.next` and its headers. */
export class PartnerCenterPrincipalSource implements NonMfaPrincipalSource {
  constructor(private readonly partnerCenter: ApiClient) {}

  async *principals(options: Signal = {}): AsyncGenerator<NonMfaPrincipal[]> {
    // One correlation id ties every page of this read together in Partner Center's logs.
    const correlationId = randomUUID();
    let link: { uri: string; headers: Record<string, string> } | null = { uri: 'v1/nonMfaCompliantPartnerPrincipals', headers: {} };
    const seenTokens = new Set<string>();
    let received = 0;
    for (let page = 0; link !== null; page += 1) {
      if (page >= maxPages) throw new ApiError('PagingLoop', `Partner Center nonMfaCompliantPartnerPrincipals: more than ${maxPages} pages`, 'Partner Center', null);
      const response = await this.partnerCenter.getJson(link.uri, {
        abortSignal: options.abortSignal,
        // A fresh MS-RequestId per page; the pipeline's retries resend the same request, and so the same id.
        headers: { ...link.headers, 'MS-RequestId': randomUUID(), 'MS-CorrelationId': correlationId },
      });
      const label = `nonMfaCompliantPartnerPrincipals page ${page + 1}`;
      const parsed = parsePartnerCenterPage(response.body, label);
      const principals = parsed.items.map((item, index) => parseNonMfaPrincipal(item, `${label}: items[${index}]`));
      received += principals.length;
      yield principals;
      link = received >= partnerCenterRecordCap ? null : parsed.next;
      const token = link ? Object.entries(link.headers).find(([key]) => key.toLowerCase() === 'ms-continuationtoken')?.[1] : undefined;
      if (token !== undefined) {
        if (seenTokens.has(token)) throw new ApiError('PagingLoop', `Partner Center ${label}: continuation token repeated`, 'Partner Center', null);
        seenTokens.add(token);
      }
    }
  }
}
