import type { TenantScanResult } from '../../src/core/adminScan';
import { SecureApplicationModelTenantTokens } from '../../src/adapters/customerTenantCredential';
import { TenantThrottledError } from '../../src/core/errors';
import { tenantAdminSource } from '../../src/sharedClients';
import { appSettingsFor, startSimulator, tenantProfiles, type Simulator, type TenantProfile } from '../../tools/simulator';
import { documentedExample, verbatim } from '../support/documented';

/*
 * The customer-admin source against the simulated customer tenants, one per profile, in both
 * auth modes. What each answer means comes from Microsoft's documents:
 * - "Microsoft Entra authentication and authorization error codes" (learn.microsoft.com/entra/identity-platform/reference-error-codes):
 *   AADSTS90002 tenant not found, AADSTS700016 app not found in the directory, AADSTS65001 no consent;
 * - "Error AADSTS50020 - User account from identity provider does not exist in tenant"
 *   (learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50020-user-account-identity-provider-does-not-exist):
 *   the partner's user has no access in the customer (no GDAP relationship);
 * - "Refresh tokens in the Microsoft identity platform" (learn.microsoft.com/entra/identity-platform/refresh-tokens):
 *   a refresh token is not revoked when used, so the customer's is never stored;
 * - "Microsoft Graph throttling guidance" (learn.microsoft.com/graph/throttling): 429 with Retry-After;
 * - List userRegistrationDetails (learn.microsoft.com/graph/api/authenticationmethodsroot-list-userregistrationdetails):
 *   AuditLog.Read.All and an Entra ID P1/P2 licence; List methods (learn.microsoft.com/graph/api/authentication-list-methods).
 */

let sim: Simulator;
const secretName = 'partner-center-refresh-token';

beforeAll(async () => {
  sim = await startSimulator({ customers: tenantProfiles.length + 2 });
  sim.secrets.set(secretName, sim.refreshToken);
});
afterAll(async () => {
  await sim?.close();
});

const tenantOf = (profile: TenantProfile): string => {
  const tenant = sim.expected().customers.map((customer) => customer.tenantId).find((tenantId) => sim.customerTenants.profile(tenantId) === profile);
  if (tenant === undefined) throw new Error(`no simulated customer has profile ${profile}`);
  return tenant;
};

const modes = {
  appUser: () => ({ PARTNER_CENTER_AUTH: 'appUser', KEY_VAULT_URL: sim.keyVaultUrl, PARTNER_CENTER_REFRESH_TOKEN_SECRET: secretName }),
  app: () => ({}),
};

function settings(mode: keyof typeof modes): Record<string, string> {
  return { ...appSettingsFor(sim), CUSTOMER_TENANT_AUTH: mode, ADMIN_SCAN_QUEUE: 'UseDevelopmentStorage=true', HTTP_TIMEOUT_SECONDS: '5', HTTP_MAX_RETRIES: '2', ...modes[mode]() };
}

/** Graph requests made with a token of this tenant, as the simulator logged them. */
function graphRequestsSince(mark: number): number {
  return sim.requestLog().slice(mark).filter((entry) => entry.service === 'graph').length;
}

describe.each(['appUser', 'app'] as const)('a customer tenant read with CUSTOMER_TENANT_AUTH=%s', (mode) => {
  const scan = async (profile: TenantProfile): Promise<TenantScanResult> => (await tenantAdminSource(settings(mode))).scanTenant(tenantOf(profile));

  it('when the tenant has P1 and a policy for admin roles that excludes the break-glass account, then every admin is named with their roles, registration and what requires MFA', async () => {
    const mark = sim.requestLog().length;
    const result = await scan('healthy');
    if (result.outcome !== 'scanned') throw new Error(`not scanned: ${result.reason}`);
    expect(result).toMatchObject({ source: 'registrationDetails', securityDefaultsEnabled: false, mfaPolicies: [{ name: 'Require MFA for admins' }] });
    const byUpn = Object.fromEntries(result.admins.map((admin) => [admin.userPrincipalName?.split('@')[0], admin]));
    expect(byUpn.adelev).toMatchObject({ isMfaRegistered: true, mfaRequired: true, roleNames: ['Global Administrator'], displayName: 'Adele Vance' });
    // Excluded by id from the admins' policy; the all-users policy is report-only, which the note says.
    expect(byUpn.breakglass).toMatchObject({ isMfaRegistered: false, mfaRequired: false, requiredBy: [] });
    expect(byUpn.breakglass?.requirementNote).toContain('report-only');
    expect(byUpn.leeg).toMatchObject({ isMfaRegistered: false, mfaRequired: true, requiredBy: [{ kind: 'conditionalAccess', name: 'Require MFA for admins' }] });
    // Four Graph reads, and the token (one redemption, or one acquisition in app mode).
    expect(graphRequestsSince(mark)).toBe(4);
    expect(result.requests).toBe(5);
  });

  it('when security defaults are on, then every admin is required MFA by them', async () => {
    const result = await scan('securityDefaults');
    expect(result).toMatchObject({ outcome: 'scanned', securityDefaultsEnabled: true, mfaPolicies: [] });
    if (result.outcome === 'scanned') expect(result.admins.every((admin) => admin.requiredBy[0]?.kind === 'securityDefaults')).toBe(true);
  });

  it('when the tenant has no P1 (the report refused for its licence), then the admins come from the directory roles and their methods', async () => {
    const mark = sim.requestLog().length;
    const result = await scan('noPremium');
    if (result.outcome !== 'scanned') throw new Error(`not scanned: ${result.reason}`);
    expect(result.source).toBe('directoryRoles');
    const byUpn = Object.fromEntries(result.admins.map((admin) => [admin.userPrincipalName?.split('@')[0], admin]));
    expect(byUpn.adelev).toMatchObject({ isMfaRegistered: true, isMfaCapable: null, methodsRegistered: ['microsoftAuthenticatorPush', 'softwareOneTimePasscode'], mfaRequired: false });
    expect(byUpn.meganb).toMatchObject({ isMfaRegistered: true, methodsRegistered: ['fido2'] });
    expect(byUpn.breakglass).toMatchObject({ isMfaRegistered: false, methodsRegistered: [] });
    // Four reads (two refused for the licence), then one methods read per admin.
    expect(graphRequestsSince(mark)).toBe(8);
    expect(result.requests).toBe(9);
  });

  it.each([
    ['noPremiumFallbackRefused', 'licenseMissingFallbackFailed', 'Authorization_RequestDenied'],
    ['roleLacksPermission', 'roleLacksPermission', 'Authorization_RequestDenied'],
    ['appNotConsented', 'appNotConsented', mode === 'appUser' ? 'AADSTS65001' : 'AADSTS700016'],
    ['noGdapRelationship', mode === 'appUser' ? 'noGdapRelationship' : 'appNotConsented', mode === 'appUser' ? 'AADSTS50020' : 'AADSTS700016'],
    ['deleted', 'tenantDeleted', 'AADSTS90002'],
  ] as const)('when the tenant is %s, then it cannot be seen into, for the reason %s, with what the service said', async (profile, reason, said) => {
    const result = await scan(profile);
    expect(result).toMatchObject({ outcome: 'cannotSee', reason });
    if (result.outcome === 'cannotSee') expect(result.detail).toContain(said);
    expect(result.requests).toBeGreaterThan(0);
  });

  it('when Graph throttles the tenant, then the scan throws TenantThrottledError with its Retry-After at once, and the next scan reads it', async () => {
    const tenantId = tenantOf('throttled');
    sim.customerTenants.setProfile(tenantId, 'throttled');
    const source = await tenantAdminSource(settings(mode));
    const started = Date.now();
    const thrown = await source.scanTenant(tenantId).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(TenantThrottledError);
    expect((thrown as TenantThrottledError).retryAfterMs).toBe(7000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await source.scanTenant(tenantId)).toMatchObject({ outcome: 'scanned' });
  });

  it('when an admin registers a method (the control route), then the next scan sees them registered', async () => {
    // A customer of its own per mode, so the other cases keep their admins as they are.
    const tenantId = sim.expected().customers[tenantProfiles.length + (mode === 'app' ? 1 : 0)]!.tenantId;
    sim.customerTenants.setProfile(tenantId, 'healthy');
    const admin = sim.customerTenants.admins(tenantId).find((candidate) => candidate.userPrincipalName.startsWith('breakglass@'))!;
    const source = await tenantAdminSource(settings(mode));
    const before = await source.scanTenant(tenantId);
    expect(before.outcome === 'scanned' && before.admins.find((candidate) => candidate.userId === admin.id)).toMatchObject({ isMfaRegistered: false });
    const control = await fetch(`${sim.url}/_sim/customer-tenants/${tenantId}`, { method: 'POST', body: JSON.stringify({ registerAdmin: admin.userPrincipalName }) });
    expect(control.status).toBe(200);
    const after = await source.scanTenant(tenantId);
    expect(after.outcome === 'scanned' && after.admins.find((candidate) => candidate.userId === admin.id)).toMatchObject({ isMfaRegistered: true, methodsRegistered: ['microsoftAuthenticatorPush'] });
  });
});

describe('the documented examples, served verbatim', () => {
  it('when every endpoint answers its documented example and the report comes in two pages, then the admins are read across the pages as documented', async () => {
    const tenantId = tenantOf('securityDefaults');
    const report = '/v1.0/reports/authenticationMethods/userRegistrationDetails';
    const firstPage = JSON.stringify({ '@odata.nextLink': `${sim.graphBaseUrl}${report}?$filter=isAdmin%20eq%20true&$skiptoken=page2`, value: [] });
    for (const [path, body] of [
      [report, firstPage],
      [report, documentedExample('graph-user-registration-details.json')],
      ['/v1.0/directoryRoles', documentedExample('graph-directory-roles.json')],
      ['/v1.0/policies/identitySecurityDefaultsEnforcementPolicy', documentedExample('graph-security-defaults.json')],
      ['/v1.0/identity/conditionalAccess/policies', documentedExample('graph-conditional-access-policies.json')],
    ] as const) {
      sim.injectFault(verbatim('graph', path, body));
    }
    const result = await (await tenantAdminSource(settings('appUser'))).scanTenant(tenantId);
    sim.clearFaults();
    if (result.outcome !== 'scanned') throw new Error(`not scanned: ${result.reason}`);
    expect(result.admins.map((admin) => [admin.userPrincipalName, admin.displayName, admin.isMfaRegistered, admin.mfaRequired])).toEqual([
      ['AlexW@Contoso.com', 'Alex Wilber', true, true],
      ['AllanD@Contoso.com', 'Allan Deyoung', false, true],
      ['BiancaP@Contoso.com', 'Bianca Pisani', true, true],
    ]);
    // Security defaults on (the documented example); both documented policies are disabled.
    expect(result).toMatchObject({ securityDefaultsEnabled: true, mfaPolicies: [] });
  });
});

describe('the refresh token in appUser mode', () => {
  it('when tenants are scanned, then the stored refresh token is read, never replaced by one a customer tenant returned', async () => {
    const versions = sim.secrets.versions(secretName).length;
    const source = await tenantAdminSource(settings('appUser'));
    await source.scanTenant(tenantOf('securityDefaults'));
    await source.scanTenant(tenantOf('noPremium'));
    expect(sim.secrets.versions(secretName)).toHaveLength(versions);
  });

  it('when Entra throttles the redemption with an HTTP-date Retry-After, then TenantThrottledError carries it; a 503 is retried and counted', async () => {
    const tenantId = sim.expected().customers[tenantProfiles.length + 1]!.tenantId;
    sim.customerTenants.setProfile(tenantId, 'healthy');
    const source = await tenantAdminSource(settings('appUser'));
    const at = new Date(Date.now() + 30_000).toUTCString();
    sim.injectFault({ kind: 'status', service: 'login', path: `/login/${tenantId}/oauth2`, status: 429, retryAfter: at, times: 1 });
    const thrown = await source.scanTenant(tenantId).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(TenantThrottledError);
    expect((thrown as TenantThrottledError).retryAfterMs).toBeGreaterThan(25_000);
    sim.injectFault({ kind: 'status', service: 'login', path: `/login/${tenantId}/oauth2`, status: 503, times: 1 });
    const result = await source.scanTenant(tenantId);
    // The 503 and the redemption that followed it, then the four reads.
    expect(result).toMatchObject({ outcome: 'scanned', requests: 6 });
    sim.clearFaults();
  });

  it('when many tenants need a token, then the stored refresh token is read once in a while, not once a tenant, and each tenant\'s token is kept', async () => {
    let reads = 0;
    const store = {
      description: 'a test store',
      latest: async () => {
        reads += 1;
        return { value: sim.refreshToken, version: 'v1' };
      },
      write: async () => 'never',
    };
    const tokens = new SecureApplicationModelTenantTokens({ authorityHost: sim.authorityHost, clientId: sim.clientId, scope: `${sim.graphBaseUrl}/.default`, store });
    const healthy = ['healthy', 'securityDefaults', 'noPremium', 'throttled'].map((profile) => tenantOf(profile as TenantProfile));
    let requests = 0;
    const count = (): void => {
      requests += 1;
    };
    const first = await Promise.all(healthy.map((tenantId) => tokens.token(tenantId, count)));
    const again = await Promise.all(healthy.map((tenantId) => tokens.token(tenantId, count)));
    expect(reads).toBe(1);
    expect(requests).toBe(healthy.length);
    expect(again.map((token) => token.token)).toEqual(first.map((token) => token.token));
  });

  it('when CUSTOMER_TENANT_AUTH=appUser but Partner Center is reached app-only, then the error names both settings', async () => {
    await expect(tenantAdminSource({ ...settings('appUser'), PARTNER_CENTER_AUTH: 'app' })).rejects.toThrow('CUSTOMER_TENANT_AUTH=appUser needs PARTNER_CENTER_AUTH=appUser');
  });
});
