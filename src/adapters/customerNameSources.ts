import type { CustomerNameSourceName, ListedCustomer } from '../core/customerNames';
import { parseDelegatedAdminCustomer, parsePartnerCenterCustomer } from '../core/customerNames';
import type { CustomerNameSource, Signal } from '../ports';
import type { ApiClient } from './apiClient';
import { graphPages } from './graphPages';
import { partnerCenterPages } from './partnerCenterPages';

async function collectNames(pages: AsyncIterable<({ tenantId: string; name: string; domain?: string | null } | null)[]>): Promise<Map<string, ListedCustomer>> {
  const names = new Map<string, ListedCustomer>();
  for await (const page of pages) {
    for (const named of page) {
      // The first listing of a tenant wins: a later duplicate is the same customer.
      if (named !== null && !names.has(named.tenantId)) names.set(named.tenantId, { name: named.name, domain: named.domain ?? null });
    }
  }
  return names;
}

/** Microsoft Graph v1.0 GDAP customers (application permission DelegatedAdminRelationship.Read.All): customers with a GDAP relationship. */
export class GraphDelegatedAdminCustomerSource implements CustomerNameSource {
  readonly source: CustomerNameSourceName = 'delegatedAdminCustomers';

  constructor(private readonly graph: () => Promise<ApiClient>) {}

  async listNames(options: Signal = {}): Promise<ReadonlyMap<string, ListedCustomer>> {
    // $top 300 is the documented maximum: 10,000 customers in 34 requests.
    const path = 'v1.0/tenantRelationships/delegatedAdminCustomers?$top=300';
    return collectNames(graphPages(await this.graph(), path, 'delegatedAdminCustomers', parseDelegatedAdminCustomer, options));
  }
}

/** Partner Center `v1/customers` (App or App+User): the partner's CSP customers with their company name and domain. */
export class PartnerCenterCustomerSource implements CustomerNameSource {
  readonly source: CustomerNameSourceName = 'partnerCenterCustomers';

  constructor(private readonly partnerCenter: () => Promise<ApiClient>) {}

  async listNames(options: Signal = {}): Promise<ReadonlyMap<string, ListedCustomer>> {
    // size 500 is the documented maximum.
    return collectNames(partnerCenterPages(await this.partnerCenter(), 'v1/customers?size=500', 'customers', parsePartnerCenterCustomer, options));
  }
}
