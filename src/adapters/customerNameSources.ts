import type { CustomerNameSourceName } from '../core/customerNames';
import { parseDelegatedAdminCustomer, parsePartnerCenterCustomer } from '../core/customerNames';
import type { CustomerNameSource, Signal } from '../ports';
import type { ApiClient } from './apiClient';
import { graphPages } from './graphPages';
import { partnerCenterPages } from './partnerCenterPages';

type ItemParser = (item: unknown, path: string) => { tenantId: string; name: string } | null;

async function collectNames(pages: AsyncIterable<{ items: unknown[]; label: string }>, parse: ItemParser, field: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for await (const page of pages) {
    page.items.forEach((item, index) => {
      const named = parse(item, `${page.label}: ${field}[${index}]`);
      // The first listing of a tenant wins: a later duplicate is the same customer.
      if (named !== null && !names.has(named.tenantId)) names.set(named.tenantId, named.name);
    });
  }
  return names;
}

/** Microsoft Graph v1.0 GDAP customers (application permission DelegatedAdminRelationship.Read.All): customers with a GDAP relationship. */
export class GraphDelegatedAdminCustomerSource implements CustomerNameSource {
  readonly source: CustomerNameSourceName = 'delegatedAdminCustomers';

  constructor(private readonly graph: () => Promise<ApiClient>) {}

  async listNames(options: Signal = {}): Promise<ReadonlyMap<string, string>> {
    const graph = await this.graph();
    // $top 300 is the documented maximum: 10,000 customers in 34 requests.
    const pages = relabel(graphPages(graph, 'v1.0/tenantRelationships/delegatedAdminCustomers?$top=300', 'delegatedAdminCustomers', options));
    return collectNames(pages, parseDelegatedAdminCustomer, 'value');
  }
}

/** Partner Center `v1/customers` (App or App+User): the partner's CSP customers with their company name. */
export class PartnerCenterCustomerSource implements CustomerNameSource {
  readonly source: CustomerNameSourceName = 'partnerCenterCustomers';

  constructor(private readonly partnerCenter: () => Promise<ApiClient>) {}

  async listNames(options: Signal = {}): Promise<ReadonlyMap<string, string>> {
    const partnerCenter = await this.partnerCenter();
    // size 500 is the documented maximum.
    return collectNames(partnerCenterPages(partnerCenter, 'v1/customers?size=500', 'customers', options), parsePartnerCenterCustomer, 'items');
  }
}

async function* relabel(pages: AsyncIterable<{ items: unknown[]; path: string }>): AsyncGenerator<{ items: unknown[]; label: string }> {
  for await (const page of pages) yield { items: page.items, label: page.path };
}
