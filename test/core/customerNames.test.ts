import {
  changedNames, customerProfiles, isRefreshDue, nameMatches, normaliseTenantId, parseDelegatedAdminCustomer, parsePartnerCenterCustomer, resolveCustomerNames, emptyDirectoryState,
} from '../../src/core/customerNames';

const tenant = 'A0000000-0000-4000-8000-000000000001';
const other = 'b0000000-0000-4000-8000-000000000002';
const now = new Date('2026-03-01T05:15:00Z');

/** A source's listing: tenant id -> name, without a domain unless given. */
const listing = (entries: [string, string, string?][]) => new Map(entries.map(([tenantId, name, domain]) => [tenantId, { name, domain: domain ?? null }]));

describe('customer names (pure)', () => {
  it('when a GDAP item has a tenant id and a display name, then it names the lower-case tenant id', () => {
    expect(parseDelegatedAdminCustomer({ id: tenant, tenantId: tenant, displayName: ' Contoso Inc ' }, 'p')).toEqual({ tenantId: tenant.toLowerCase(), name: 'Contoso Inc' });
  });

  it('when a GDAP item has no name or no GUID, then it names nothing', () => {
    expect(parseDelegatedAdminCustomer({ tenantId: tenant, displayName: '' }, 'p')).toBeNull();
    expect(parseDelegatedAdminCustomer({ tenantId: 'not-a-guid', displayName: 'X' }, 'p')).toBeNull();
  });

  it('when a Partner Center customer has the documented "<guid>" placeholder, then its id (its tenant id) is used', () => {
    expect(parsePartnerCenterCustomer({ id: other, companyProfile: { tenantId: '<guid>', companyName: 'companyName', domain: 'domain' } }, 'p')).toEqual({ tenantId: other, name: 'companyName', domain: null });
  });

  it('when a Partner Center customer has a company profile tenant id, then it wins over the id', () => {
    expect(parsePartnerCenterCustomer({ id: other, companyProfile: { tenantId: tenant, companyName: 'Fabrikam' } }, 'p')).toEqual({ tenantId: tenant.toLowerCase(), name: 'Fabrikam', domain: null });
  });

  // Partner Center, "Customer resources" (learn.microsoft.com/partner-center/developer/customer-resources):
  // CustomerCompanyProfile has `domain`, the customer's domain name ("Gets or sets the customer's azure
  // active directory domain" in the SDK's CustomerCompanyProfile class); the documented list sample shows the placeholder "domain".
  it('when a Partner Center customer\'s company profile has a domain, then it is kept in lower case; the placeholder "domain" or a malformed one is not a domain', () => {
    const parsed = (domain: unknown) => parsePartnerCenterCustomer({ id: other, companyProfile: { companyName: 'Fabrikam', domain } }, 'p')?.domain;
    expect(parsed(' Fabrikam.OnMicrosoft.com ')).toBe('fabrikam.onmicrosoft.com');
    expect(parsed('fabrikam.com.')).toBe('fabrikam.com');
    expect(parsed('domain')).toBeNull();
    expect(parsed('not a domain.com')).toBeNull();
    expect(parsed('-bad.example')).toBeNull();
  });

  it('when GDAP names a tenant and Partner Center gives its domain, then the GDAP name takes Partner Center\'s domain; the profiles read tenant -> name and domains', () => {
    const resolved = resolveCustomerNames(
      { delegatedAdminCustomers: listing([[tenant, 'Contoso (Entra)']]), partnerCenterCustomers: listing([[tenant, 'Contoso Ltd', 'contoso.onmicrosoft.com'], [other, 'Fabrikam']]) },
      now,
    );
    expect(resolved).toEqual([
      { tenantId: tenant, name: 'Contoso (Entra)', source: 'delegatedAdminCustomers', namedAt: now.toISOString(), domain: 'contoso.onmicrosoft.com' },
      { tenantId: other, name: 'Fabrikam', source: 'partnerCenterCustomers', namedAt: now.toISOString() },
    ]);
    expect(customerProfiles(resolved)).toEqual(new Map([[tenant, { name: 'Contoso (Entra)', domains: ['contoso.onmicrosoft.com'] }], [other, { name: 'Fabrikam', domains: [] }]]));
  });

  it('when a refresh reads no domain for a tenant (Partner Center not read), then the stored domain stays; a new domain alone is written with the name\'s namedAt', () => {
    const before = new Date('2026-02-28T05:15:00Z').toISOString();
    const stored = [{ tenantId: tenant, name: 'Contoso', source: 'delegatedAdminCustomers' as const, namedAt: before, domain: 'contoso.onmicrosoft.com' }];
    expect(changedNames(resolveCustomerNames({ delegatedAdminCustomers: listing([[tenant, 'Contoso']]) }, now, stored), stored)).toEqual([]);
    const moved = resolveCustomerNames({ delegatedAdminCustomers: listing([[tenant, 'Contoso']]), partnerCenterCustomers: listing([[tenant, 'Contoso', 'contoso.com']]) }, now, stored);
    expect(changedNames(moved, stored)).toEqual([{ ...stored[0], domain: 'contoso.com' }]);
    // GDAP failed: its name is kept, and the domain Partner Center gives now is written to it.
    const kept = resolveCustomerNames({ partnerCenterCustomers: listing([[tenant, 'Contoso Ltd', 'contoso.com']]) }, now, stored);
    expect(changedNames(kept, stored)).toEqual([{ ...stored[0], domain: 'contoso.com' }]);
  });

  it('when a name field has the wrong type, then the error names the field and not the value', () => {
    expect(() => parseDelegatedAdminCustomer({ tenantId: tenant, displayName: 42 }, 'delegatedAdminCustomers page 1: value[3]')).toThrow(/value\[3\]\.displayName/);
  });

  it('when both sources name a tenant, then the GDAP name wins; a tenant only Partner Center lists takes its name', () => {
    const resolved = resolveCustomerNames(
      { delegatedAdminCustomers: listing([[tenant, 'Contoso (Entra)']]), partnerCenterCustomers: listing([[tenant, 'Contoso Ltd'], [other, 'Fabrikam']]) },
      now,
    );
    expect(resolved).toEqual([
      { tenantId: tenant, name: 'Contoso (Entra)', source: 'delegatedAdminCustomers', namedAt: now.toISOString() },
      { tenantId: other, name: 'Fabrikam', source: 'partnerCenterCustomers', namedAt: now.toISOString() },
    ]);
  });

  it('when GDAP fails this time, then a tenant GDAP named before keeps that name rather than take Partner Center\'s; others take Partner Center\'s', () => {
    const before = new Date('2026-02-28T05:15:00Z').toISOString();
    const stored = [{ tenantId: tenant, name: 'Contoso (Entra)', source: 'delegatedAdminCustomers' as const, namedAt: before }];
    const resolved = resolveCustomerNames({ partnerCenterCustomers: listing([[tenant, 'Contoso Ltd'], [other, 'Fabrikam']]) }, now, stored);
    expect(resolved).toEqual([{ tenantId: other, name: 'Fabrikam', source: 'partnerCenterCustomers', namedAt: now.toISOString() }]);
  });

  it('when a refresh reads the same names again, then it writes nothing; a rename, a new tenant or a change of source is written', () => {
    const before = new Date('2026-02-28T05:15:00Z').toISOString();
    const stored = [
      { tenantId: tenant, name: 'Contoso', source: 'delegatedAdminCustomers' as const, namedAt: before },
      { tenantId: other, name: 'Fabrikam', source: 'partnerCenterCustomers' as const, namedAt: before },
    ];
    const same = resolveCustomerNames({ delegatedAdminCustomers: listing([[tenant, 'Contoso']]), partnerCenterCustomers: listing([[other, 'Fabrikam']]) }, now, stored);
    expect(changedNames(same, stored)).toEqual([]);
    const third = '3c1f6c1e-7f8a-4c77-9a5e-1b2c3d4e5f60';
    const changed = resolveCustomerNames(
      { delegatedAdminCustomers: listing([[tenant, 'Contoso Group'], [other, 'Fabrikam']]), partnerCenterCustomers: listing([[third, 'Northwind']]) },
      now,
      stored,
    );
    expect(changedNames(changed, stored).map((entry) => [entry.tenantId, entry.name, entry.source])).toEqual([
      [tenant, 'Contoso Group', 'delegatedAdminCustomers'],
      [other, 'Fabrikam', 'delegatedAdminCustomers'],
      [third, 'Northwind', 'partnerCenterCustomers'],
    ]);
  });

  it('when nothing was refreshed yet, or the last attempt is a day old, then a refresh is due; not within the day, even after a failure', () => {
    expect(isRefreshDue(emptyDirectoryState, now)).toBe(true);
    const attempted = (hoursAgo: number) => ({ ...emptyDirectoryState, attemptedAt: new Date(now.getTime() - hoursAgo * 3_600_000).toISOString(), lastError: { code: 'Forbidden', message: 'x' } });
    expect(isRefreshDue(attempted(23.9), now)).toBe(false);
    expect(isRefreshDue(attempted(24), now)).toBe(true);
  });

  it('when a name filter is matched, then it ignores case, and an unknown name never matches', () => {
    expect(nameMatches('Contoso North Ltd', 'north')).toBe(true);
    expect(nameMatches('CONTOSO', 'contoso')).toBe(true);
    expect(nameMatches('Fabrikam', 'contoso')).toBe(false);
    expect(nameMatches(null, '')).toBe(false);
  });

  it('when a tenant id is not a GUID, then it is not normalised', () => {
    expect(normaliseTenantId(' A0000000-0000-4000-8000-000000000001 ')).toBe('a0000000-0000-4000-8000-000000000001');
    expect(normaliseTenantId('<guid>')).toBeNull();
  });
});
