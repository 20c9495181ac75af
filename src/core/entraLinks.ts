/**
 * Deep links into the Microsoft Entra admin center, pinned to one tenant.
 *
 * `https://entra.microsoft.com/#@<tenant>/blade/<extension>/<blade>/<section>` is the admin
 * center's (and the Azure portal's) directory-pinned form: the `#@<tenant>` segment opens the
 * blade in that directory, which is what a partner admin with GDAP access to many tenants
 * needs. The blade names are the ones Microsoft's own pages link to:
 * - `Microsoft_AAD_IAM/SignInEventsV3Blade`: the sign-in logs (linked as
 *   `https://portal.azure.com/#blade/Microsoft_AAD_IAM/SignInEventsV3Blade` from Entra's
 *   sign-in error pages);
 * - `Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/Properties`: the tenant's properties, where
 *   security defaults are turned on ("Manage security defaults");
 * - `Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/Policies`: Conditional Access policies.
 */
const adminCenter = 'https://entra.microsoft.com';

export type EntraBlade = 'overview' | 'properties' | 'conditionalAccess' | 'signInLogs';

const blades: Record<EntraBlade, string> = {
  overview: 'Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/Overview',
  properties: 'Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/Properties',
  conditionalAccess: 'Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/Policies',
  signInLogs: 'Microsoft_AAD_IAM/SignInEventsV3Blade',
};

/** A blade of the admin center in one tenant; without a tenant, in the signed-in admin's own directory. */
export function entraUrl(tenantId: string | null, blade: EntraBlade): string {
  const directory = tenantId ? `@${encodeURIComponent(tenantId)}/` : '';
  return `${adminCenter}/#${directory}blade/${blades[blade]}`;
}

/** The partner's own sign-in logs, where a partner user's sign-ins without MFA show. */
export function partnerSignInLogsUrl(partnerTenantId: string | null): string {
  return entraUrl(partnerTenantId, 'signInLogs');
}
