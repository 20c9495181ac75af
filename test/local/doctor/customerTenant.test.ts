import { customerTenantRow } from '../../../tools/doctor/customerTenant';
import { runDoctorCommand } from '../../../tools/doctor/doctorCommand';
import { tenantProfiles, type TenantProfile } from '../../../tools/simulator';
import { startCloud, type Cloud } from '../../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * `npm run doctor`'s customer-tenant check: one customer scanned as the scan would, and the fix
 * named with the least GDAP roles that the Graph documents list (List userRegistrationDetails:
 * Reports Reader, Security Reader, Global Reader; List methods: Global Reader, Authentication
 * Administrator), see docs/customer-admins.md.
 */

let cloud: Cloud;
const secretName = 'partner-center-refresh-token';

beforeAll(async () => {
  cloud = await startCloud({ customers: tenantProfiles.length }, 8);
  cloud.sim.secrets.set(secretName, cloud.sim.refreshToken);
});
afterAll(async () => {
  await cloud?.close();
});

const settings = (overrides: Record<string, string> = {}) =>
  cloud.settings({ CUSTOMER_TENANT_AUTH: 'appUser', ADMIN_SCAN_QUEUE: 'UseDevelopmentStorage=true', PARTNER_CENTER_AUTH: 'appUser', KEY_VAULT_URL: cloud.sim.keyVaultUrl, PARTNER_CENTER_REFRESH_TOKEN_SECRET: secretName, ...overrides });
const tenantOf = (profile: TenantProfile) => cloud.sim.expected().customers.map((customer) => customer.tenantId).find((tenantId) => cloud.sim.customerTenants.profile(tenantId) === profile)!;

describe('the doctor\'s customer tenant check', () => {
  it('when CUSTOMER_TENANT_AUTH is off, then the check is skipped, saying so', async () => {
    expect(await customerTenantRow(cloud.settings(), null)).toMatchObject({ verdict: 'skip', detail: expect.stringContaining('CUSTOMER_TENANT_AUTH is off') });
  });

  it('when no tenant is named, then the first customer of the newest partnerSecurity run is checked', async () => {
    const env = settings();
    expect(await customerTenantRow(env, null)).toMatchObject({ verdict: 'skip', detail: expect.stringContaining('--customer-tenant=') });
    await cloud.run('collectPartnerSecurity', env);
    const first = cloud.sim.expected().customers.map((customer) => customer.tenantId).sort()[0]!;
    expect((await customerTenantRow(env, null)).detail).toContain(`customer ${first}`);
  });

  it('when the customer can be read, then it passes with the admins counted', async () => {
    expect(await customerTenantRow(settings(), tenantOf('healthy'))).toMatchObject({ token: 'yes', read: 'yes', verdict: 'ok', detail: expect.stringContaining('4 admin(s) from the registration report, 2 without MFA, 1 not required MFA') });
  });

  it('when the GDAP role lacks a permission, then it fails naming the refused read and Global Reader, or Security Reader plus Reports Reader', async () => {
    const row = await customerTenantRow(settings(), tenantOf('roleLacksPermission'));
    expect(row).toMatchObject({ token: 'yes', read: 'no', verdict: 'FAIL' });
    expect(row.detail).toContain('Authorization_RequestDenied');
    expect(row.detail).toContain('Global Reader, or Security Reader plus Reports Reader');
  });

  it('when there is no GDAP relationship, then no token came and the fix is the relationship', async () => {
    const row = await customerTenantRow(settings(), tenantOf('noGdapRelationship'));
    expect(row).toMatchObject({ token: 'no', verdict: 'FAIL', detail: expect.stringContaining('AADSTS50020') });
    expect(row.detail).toContain('Create or renew a GDAP relationship');
  });

  it('when --customer-tenant is not a tenant id, then the doctor answers with its usage', async () => {
    const lines: string[] = [];
    expect(await runDoctorCommand(['--customer-tenant=contoso'], { env: {}, out: (text) => lines.push(text), err: (text) => lines.push(text) })).toBe(2);
    expect(lines.join('\n')).toContain('--customer-tenant=<tenant id>');
  });
});
