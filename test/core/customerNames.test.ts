import {
  changedNames, isRefreshDue, nameMatches, normaliseTenantId, parseDelegatedAdminCustomer, parsePartnerCenterCustomer, resolveCustomerNames, emptyDirectoryState,
} from '../../src/core/customerNames';

const tenant = 'A0000000-0000-4000-8000-000000000001';
const other = 'b0000000-0000-4000-8000-000000000002';
const now = new Date('2026-03-01T05:15:00Z');

describe('customer names (pure)', () => {
  it('when a GDAP item has a tenant id and a display name, then it names the lower-case tenant id', () => {
    expect(parseDelegatedAdminCustomer({ id: tenant, tenantId: tenant, displayName: ' Contoso Inc ' }, 'p')).toEqual({ tenantId: tenant.toLowerCase(), name: 'Contoso Inc' });
  });

  it('when a GDAP item has no name or no GUID, then it names nothing', () => {
    expect(parseDelegatedAdminCustomer({ tenantId: tenant, displayName: '' }, 'p')).toBeNull();
    expect(parseDelegatedAdminCustomer({ tenantId: 'not-a-guid', displayName: 'X' }, 'p')).toBeNull();
  });

  it('when a Partner Center customer has the documented "<guid>" placeholder, then its id (its tenant id) is used', () => {
    expect(parsePartnerCenterCustomer({ id: other, companyProfile: { tenantId: '<guid>', companyName: 'companyName' } }, 'p')).toEqual({ tenantId: other, name: 'companyName' });
  });

  it('when a Partner Center customer has a company profile tenant id, then it wins over the id', () => {
    expect(parsePartnerCenterCustomer({ id: other, companyProfile: { tenantId: tenant, companyName: 'Fabrikam' } }, 'p')).toEqual({ tenantId: tenant.toLowerCase(), name: 'Fabrikam' });
  });

  it('when a name field has the wrong type, then the error names the field and not the value', () => {
    expect(() => parseDelegatedAdminCustomer({ tenantId: tenant, displayName: 42 }, 'delegatedAdminCustomers page 1: value[3]')).toThrow(/value\[3\]\.displayName/);
  });

  it('when both sources name a tenant, then the GDAP name wins; a tenant only Partner Center lists takes its name', () => {
    const resolved = resolveCustomerNames(
      { delegatedAdminCustomers: new Map([[tenant, 'Contoso (Entra)']]), partnerCenterCustomers: new Map([[tenant, 'Contoso Ltd'], [other, 'Fabrikam']]) },
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
    const resolved = resolveCustomerNames({ partnerCenterCustomers: new Map([[tenant, 'Contoso Ltd'], [other, 'Fabrikam']]) }, now, stored);
    expect(resolved).toEqual([{ tenantId: other, name: 'Fabrikam', source: 'partnerCenterCustomers', namedAt: now.toISOString() }]);
  });

  it('when a refresh reads the same names again, then it writes nothing; a rename, a new tenant or a change of source is written', () => {
    const before = new Date('2026-02-28T05:15:00Z').toISOString();
    const stored = [
      { tenantId: tenant, name: 'Contoso', source: 'delegatedAdminCustomers' as const, namedAt: before },
      { tenantId: other, name: 'Fabrikam', source: 'partnerCenterCustomers' as const, namedAt: before },
    ];
    const same = resolveCustomerNames({ delegatedAdminCustomers: new Map([[tenant, 'Contoso']]), partnerCenterCustomers: new Map([[other, 'Fabrikam']]) }, now, stored);
    expect(changedNames(same, stored)).toEqual([]);
    const third = '3c1f6c1e-7f8a-4c77-9a5e-1b2c3d4e5f60';
    const changed = resolveCustomerNames(
      { delegatedAdminCustomers: new Map([[tenant, 'Contoso Group'], [other, 'Fabrikam']]), partnerCenterCustomers: new Map([[third, 'Northwind']]) },
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
