import type { NonMfaPrincipal } from '../core/model';
import { parseNonMfaPrincipal } from '../core/parseNonMfaPrincipals';
import type { NonMfaPrincipalSource, Signal } from '../ports';
import type { ApiClient } from './apiClient';
import { partnerCenterPages } from './partnerCenterPages';

/** Partner Center keeps at most this many records (the most recent of the last 7 days). */
const partnerCenterRecordCap = 10_000;

/** Partner Center `nonMfaCompliantPartnerPrincipals`, paged with `links.next` and its headers. */
export class PartnerCenterPrincipalSource implements NonMfaPrincipalSource {
  constructor(private readonly partnerCenter: ApiClient) {}

  async *principals(options: Signal = {}): AsyncGenerator<NonMfaPrincipal[]> {
    let received = 0;
    const collection = 'nonMfaCompliantPartnerPrincipals';
    const pages = partnerCenterPages(this.partnerCenter, `v1/${collection}`, collection, parseNonMfaPrincipal, options);
    for await (const principals of pages) {
      received += principals.length;
      yield principals;
      if (received >= partnerCenterRecordCap) return;
    }
  }
}
