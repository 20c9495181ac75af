import { TableCompanyMappingStore } from '../../src/adapters/tableCompanyMappingStore';
import { TableCustomerDirectory } from '../../src/adapters/tableCustomerDirectory';
import { Tables } from '../../src/adapters/tables';
import { MonitorError } from '../../src/core/errors';
import type { PsaName } from '../../src/core/tickets';
import type { PsaCompany, PsaTickets } from '../../src/ports/psa';
import { companyResolver } from '../../src/tickets/resolveCompany';
import { companyResolution } from '../../src/composition';
import { startAzurite, type Azurite } from '../../tools/azurite';
import { createTables } from '../../tools/createTables';

let azurite: Azurite;
let prefix = 0;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});

const contoso = '4fdbff88-9d6b-42e0-9713-45c922ba8001';
const fabrikam = '1c0fa218-5dec-49db-8247-cfa457af8116';
const northwind = '45c44870-ef77-4fdd-b6fe-3dacb075cff2';
const unknown = 'b44bb1fb-c595-45b0-9e09-d657365580bf';

/**
 * A PSA's companies as the port answers them (the PSA adapters are tested against their simulated
 * PSAs; this stands in for one here): by website or domain first, then by name, case aside.
 */
class CompanyList implements Pick<PsaTickets, 'psa' | 'findCompany' | 'readCompany'> {
  lookups = 0;
  failNext = false;
  constructor(
    readonly psa: PsaName,
    private readonly companies: (PsaCompany & { domain: string | null })[],
  ) {}
  async findCompany(customer: { name: string | null; domains: readonly string[] }) {
    this.lookups += 1;
    if (this.failNext) {
      this.failNext = false;
      throw new MonitorError('PsaUnavailable', 'the PSA answered 503');
    }
    const byDomain = this.companies.find((company) => company.domain !== null && customer.domains.includes(company.domain));
    if (byDomain) return { id: byDomain.id, name: byDomain.name, matchedBy: 'domain' as const };
    const byName = this.companies.find((company) => customer.name !== null && company.name.toLowerCase() === customer.name.toLowerCase());
    return byName ? { id: byName.id, name: byName.name, matchedBy: 'name' as const } : null;
  }
  async readCompany(id: string) {
    return this.companies.find((company) => company.id === id) ?? null;
  }
}

async function setUp() {
  prefix += 1;
  const tablePrefix = `rc${prefix}`;
  await createTables(azurite.tablesConnectionString, tablePrefix);
  const tables = new Tables({ connectionString: azurite.tablesConnectionString, endpoint: null, tablePrefix }, () => {
    throw new Error('no credential with a connection string');
  });
  const directory = new TableCustomerDirectory(tables);
  const namedAt = '2026-12-01T05:00:00.000Z';
  await directory.writeNames([
    { tenantId: contoso, name: 'Contoso Inc', source: 'delegatedAdminCustomers', namedAt, domain: 'contoso.onmicrosoft.com' },
    { tenantId: fabrikam, name: 'Fabrikam', source: 'partnerCenterCustomers', namedAt },
    { tenantId: northwind, name: 'Northwind Traders', source: 'partnerCenterCustomers', namedAt, domain: 'northwind.onmicrosoft.com' },
  ]);
  const mappings = new TableCompanyMappingStore(tables);
  const connectwise = new CompanyList('connectwise', [
    { id: '250', name: 'Simulated Partner (own company)', domain: null },
    { id: '251', name: 'Contoso (old)', domain: 'contoso.onmicrosoft.com' },
    { id: '252', name: 'FABRIKAM', domain: null },
    { id: '253', name: 'Northwind Traders', domain: 'northwind.onmicrosoft.com' },
  ]);
  const psas = new Map<PsaName, PsaTickets>([['connectwise', connectwise as unknown as PsaTickets]]); // The stand-in answers only what the resolver calls.
  return { mappings, directory, connectwise, resolve: () => companyResolver({ mappings, directory, psas, fallbackCompanyIds: { connectwise: '250' } }) };
}

describe('the company a ticket is filed under', () => {
  it('when a customer is mapped, then the mapping wins over a match by domain; else its domain, else its name; else the fallback (a gap); the partner\'s own go to the fallback', async () => {
    const { mappings, resolve } = await setUp();
    const at = '2026-12-07T10:00:00.000Z';
    const mapping = { psa: 'connectwise' as const, tenantId: northwind, companyId: '300', companyName: 'Northwind (billing)', note: '', changedBy: 'admin key', changedAt: at };
    await mappings.put(mapping, null, { at, actor: 'admin key', action: 'set', psa: 'connectwise', tenantId: northwind, before: null, after: mapping });
    const resolver = resolve();
    expect(await resolver('connectwise', northwind)).toEqual({ companyId: '300', companyName: 'Northwind (billing)', matchedBy: 'mapping' });
    expect(await resolver('connectwise', contoso.toUpperCase())).toEqual({ companyId: '251', companyName: 'Contoso (old)', matchedBy: 'domain' });
    expect(await resolver('connectwise', fabrikam)).toEqual({ companyId: '252', companyName: 'FABRIKAM', matchedBy: 'name' });
    expect(await resolver('connectwise', unknown)).toEqual({ companyId: '250', companyName: null, matchedBy: 'fallback' });
    expect(await resolver('connectwise', null)).toEqual({ companyId: '250', companyName: null, matchedBy: 'partner' });
  });

  it('when a run asks for the same customer again, then the PSA is asked once; a failed look-up is not remembered', async () => {
    const { connectwise, resolve } = await setUp();
    const resolver = resolve();
    connectwise.failNext = true;
    await expect(resolver('connectwise', contoso)).rejects.toMatchObject({ code: 'PsaUnavailable' });
    expect(await resolver('connectwise', contoso)).toMatchObject({ matchedBy: 'domain' });
    expect(await resolver('connectwise', contoso)).toMatchObject({ matchedBy: 'domain' });
    expect(await resolver('connectwise', unknown)).toMatchObject({ matchedBy: 'fallback' });
    // The unknown customer has no name nor domain in the directory: nothing to look up.
    expect(connectwise.lookups).toBe(2);
    // The next run (a new resolver) asks afresh: a company added in the PSA is found.
    await resolve()('connectwise', contoso);
    expect(connectwise.lookups).toBe(3);
  });

  it('when a PSA is not configured, or has no fallback, then resolving for it fails naming the PSA', async () => {
    const { mappings, directory } = await setUp();
    const resolver = companyResolver({ mappings, directory, psas: new Map(), fallbackCompanyIds: {} });
    await expect(resolver('autotask', null)).rejects.toThrow(/Autotask has no fallback company/);
    await expect(resolver('halopsa', contoso)).rejects.toThrow(/HaloPSA is not configured/);
  });

  it('when the composition builds the resolver from the settings, then each PSA\'s fallback is its setting (HaloPSA: the client id) and the run\'s clients are the ones asked', async () => {
    const env = {
      TABLES_CONNECTION_STRING: azurite.tablesConnectionString, TABLE_PREFIX: 'rc1',
      CONNECTWISE_BASE_URL: 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0', CONNECTWISE_COMPANY_ID: 'partner', CONNECTWISE_PUBLIC_KEY: 'public', CONNECTWISE_PRIVATE_KEY: 'private', CONNECTWISE_CLIENT_ID: 'client', CONNECTWISE_FALLBACK_COMPANY_ID: '250',
      HALOPSA_BASE_URL: 'https://partner.halopsa.example', HALOPSA_CLIENT_ID: 'client', HALOPSA_CLIENT_SECRET: 'secret', HALOPSA_FALLBACK_CLIENT_ID: '12',
    };
    const resolverFor = await companyResolution(env);
    const resolver = resolverFor([]);
    expect(await resolver('connectwise', null)).toEqual({ companyId: '250', companyName: null, matchedBy: 'partner' });
    expect(await resolver('halopsa', null)).toEqual({ companyId: '12', companyName: null, matchedBy: 'partner' });
    // No client given for the run: a customer cannot be looked up, and the resolver says which PSA.
    await expect(resolver('connectwise', contoso)).rejects.toThrow(/ConnectWise PSA is not configured/);
  });
});
