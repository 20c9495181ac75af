import { snapshotReader } from '../../src/composition';
import { readConfig } from '../../src/config';
import { adminsNotRequiredMfa, adminsWithoutMfa, cannotSeeReasons, type CannotSeeReason } from '../../src/core/adminScan';
import { ConfigurationError, TenantThrottledError, toError } from '../../src/core/errors';
import { tenantAdminSource } from '../../src/sharedClients';
import type { CheckRow } from './diagnosis';

type Env = Readonly<Record<string, string | undefined>>;

const check = 'Customer tenant';
/** Reasons Entra gives at the token endpoint: no token came. */
const tokenReasons: readonly CannotSeeReason[] = ['noGdapRelationship', 'appNotConsented', 'tenantDeleted'];
const leastRoles = 'the least GDAP roles: Global Reader, or Security Reader plus Reports Reader (and Authentication Administrator for tenants without P1)';

/**
 * With CUSTOMER_TENANT_AUTH on, one customer scanned as the scan function would (docs/customer-admins.md):
 * the token in that tenant and each Graph read, or which one was refused and the GDAP roles that fix it.
 * The customer is the one named, else the first of the newest complete partnerSecurity run.
 */
export async function customerTenantRow(env: Env, customerTenant: string | null): Promise<CheckRow> {
  let auth: string;
  try {
    auth = readConfig(env, ['customerAdmins']).customerAdmins.auth;
  } catch (error) {
    if (error instanceof ConfigurationError) return { check, token: 'skipped', read: 'skipped', verdict: 'FAIL', detail: `Settings: ${error.problems.join('; ')}.` };
    throw error;
  }
  if (auth === 'off') return { check, token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'not used: CUSTOMER_TENANT_AUTH is off (customer admins are not scanned)' };
  try {
    const tenantId = customerTenant ?? (await firstCustomer(env));
    if (tenantId === null) {
      return { check, token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'no customer to check yet: run collectPartnerSecurity, or name one: npm run doctor -- --customer-tenant=<tenant id>' };
    }
    const result = await (await tenantAdminSource(env)).scanTenant(tenantId);
    if (result.outcome === 'cannotSee') {
      const { description, nextStep } = cannotSeeReasons[result.reason];
      const token = tokenReasons.includes(result.reason) ? 'no' : 'yes';
      return { check, token, read: token === 'no' ? 'skipped' : 'no', verdict: 'FAIL', detail: `customer ${tenantId}: ${description} (${result.detail ?? 'no detail'}). ${nextStep}` };
    }
    const without = adminsWithoutMfa(result).length;
    const notRequired = adminsNotRequiredMfa(result).length;
    const source = result.source === 'registrationDetails' ? 'registration report' : 'directory roles and methods (no P1)';
    return {
      check,
      token: 'yes',
      read: 'yes',
      verdict: 'ok',
      detail: `customer ${tenantId}: ${result.admins.length} admin(s) from the ${source}, ${without} without MFA, ${notRequired} not required MFA, in ${result.requests} requests: the roles held there suffice (${leastRoles})`,
    };
  } catch (error) {
    if (error instanceof TenantThrottledError) return { check, token: 'yes', read: 'no', verdict: 'warn', detail: `${error.message}: run the doctor again later` };
    if (error instanceof ConfigurationError) return { check, token: 'skipped', read: 'skipped', verdict: 'FAIL', detail: `Settings: ${error.problems.join('; ')}.` };
    return { check, token: 'skipped', read: 'no', verdict: 'FAIL', detail: `${toError(error).message.split('\n')[0]} (${leastRoles})` };
  }
}

/** The first customer (by tenant id) of the newest complete partnerSecurity run, or null before one. */
async function firstCustomer(env: Env): Promise<string | null> {
  const reader = await snapshotReader(env);
  const run = await reader.latestCompleteRun('partnerSecurity');
  if (run === null) return null;
  const customers = (await reader.customerChangesBetween(null, run.runId)).changes.filter((change) => change.after !== null).map((change) => change.tenantId);
  return customers.sort()[0] ?? null;
}
