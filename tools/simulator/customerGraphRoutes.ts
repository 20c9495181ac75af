/*
 * Microsoft Graph v1.0 inside a customer tenant, for tokens issued at that tenant's token
 * endpoint: the admins' registration report, directory roles with members, security defaults,
 * Conditional Access policies and each user's authentication methods, answered as the tenant's
 * profile says (customerTenants.ts).
 */
import type { SimulatorContext } from './context';
import { authenticationMethods, directoryRoles, registrationDetailsItem, throttleRetryAfterSeconds } from './customerTenants';
import { serveData, simulatedLatency } from './dataResponse';
import { graphError } from './errorBodies';
import type { Exchange } from './exchange';

const REGISTRATION = '/v1.0/reports/authenticationMethods/userRegistrationDetails';
const METHODS = /^\/v1\.0\/users\/([^/]+)\/authentication\/methods$/;

/** What Graph answers a tenant without Entra ID P1/P2 on premium reports (CIPP meets this message). */
const premiumRefusal = { code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', message: "Tenant is not a B2C tenant and doesn't have premium licenses" };
const denied = { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' };

export async function handleCustomerGraph(ex: Exchange, ctx: SimulatorContext, tenantId: string, path: string, headers: Record<string, string>): Promise<void> {
  // Every answer of a customer tenant's Graph takes the configured latency, refusals and 429s too (data responses through serveData).
  const answer = async (status: number, body: unknown, answerHeaders: Record<string, string> = headers): Promise<void> => {
    await simulatedLatency(ctx);
    ex.send(status, body, answerHeaders);
  };
  const tenants = ctx.customerTenants;
  const profile = tenants.profile(tenantId);
  const index = tenants.indexOf(tenantId);
  if (profile === undefined || index === undefined) {
    return answer(401, graphError(ex, 401, 'The token was issued for a tenant this service does not know.', 'InvalidAuthenticationToken'));
  }
  if (tenants.throttles(tenantId)) {
    return answer(429, graphError(ex, 429, 'Too many requests.', 'TooManyRequests'), { ...headers, 'retry-after': String(throttleRetryAfterSeconds) });
  }
  if (ex.method !== 'GET') {
    return answer(405, graphError(ex, 405, `The HTTP method '${ex.method}' is not allowed for this resource.`, 'Request_BadRequest'));
  }
  const refuse = (refusal: { code: string; message: string }) => answer(403, graphError(ex, 403, refusal.message, refusal.code));
  const premium = profile !== 'noPremium' && profile !== 'noPremiumFallbackRefused';
  const admins = tenants.admins(tenantId);
  const serve = (context: string, body: () => object) =>
    serveData(ex, ctx, 0, { items: () => [body() as Record<string, unknown>], render: ([item]) => ({ '@odata.context': `${ctx.graphBaseUrl}/v1.0/$metadata#${context}`, ...item }), headers });

  if (path === REGISTRATION) {
    if (!premium) return refuse(premiumRefusal);
    if (profile === 'roleLacksPermission') return refuse(denied);
    if (ex.url.searchParams.get('$filter')?.replace(/\s+/g, ' ') !== 'isAdmin eq true') {
      // Only admins are simulated: a read of everyone would be wrong, so it is refused.
      return answer(400, graphError(ex, 400, 'The simulator serves this report with $filter=isAdmin eq true only.'));
    }
    return serve('reports/authenticationMethods/userRegistrationDetails', () => ({ value: admins.map(registrationDetailsItem) }));
  }
  if (path === '/v1.0/directoryRoles') {
    if (ex.url.searchParams.get('$expand') !== 'members') {
      return answer(400, graphError(ex, 400, 'The simulator serves directory roles with $expand=members only.'));
    }
    return serve('directoryRoles(members())', () => ({ value: directoryRoles(ctx.dataset.config.seed, index, admins) }));
  }
  if (path === '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy') {
    return serve('policies/identitySecurityDefaultsEnforcementPolicy', () => ({
      description: 'Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks.',
      displayName: 'Security Defaults',
      id: '00000000-0000-0000-0000-000000000005',
      isEnabled: tenants.securityDefaultsEnabled(tenantId),
    }));
  }
  if (path === '/v1.0/identity/conditionalAccess/policies') {
    if (!premium) return refuse(premiumRefusal);
    if (profile === 'roleLacksPermission') return refuse(denied);
    return serve('conditionalAccess/policies', () => ({ value: tenants.policies(tenantId) }));
  }
  const methods = METHODS.exec(path);
  if (methods) {
    if (profile === 'noPremiumFallbackRefused') return refuse(denied);
    const admin = admins.find((candidate) => candidate.id === methods[1]?.toLowerCase());
    if (admin === undefined) {
      return answer(404, graphError(ex, 404, `Resource '${methods[1] ?? ''}' does not exist or one of its queried reference-property objects are not present.`, 'Request_ResourceNotFound'));
    }
    return serve(`users('${admin.id}')/authentication/methods`, () => ({ value: authenticationMethods(admin) }));
  }
  return answer(400, graphError(ex, 400, `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`));
}
