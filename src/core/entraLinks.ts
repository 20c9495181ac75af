/**
 * Deep links into the Microsoft Entra admin center, pinned to one tenant.
 *
 * `https://entra.microsoft.com/#@<tenant>/blade/<extension>/<blade>/<section>`: the `#@<tenant>`
 * segment is the directory selector the Entra admin center shares with the Azure portal (it is
 * what the address bar shows after switching directory), so the link opens the blade in that
 * tenant — what a partner admin with GDAP access to many tenants needs. No Microsoft Learn page
 * found states the form; admin tooling links customer tenants this way (for instance
 * `https://entra.microsoft.com/#@<tenantId>/blade/Microsoft_AAD_UsersAndTenants/...`). The blade
 * names are the ones Microsoft's own pages link to:
 * - `Microsoft_AAD_IAM/SignInEventsV3Blade`: the sign-in logs (Entra's sign-in error pages link
 *   `https://portal.azure.com/#blade/Microsoft_AAD_IAM/SignInEventsV3Blade`);
 * - `Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/Properties`: the tenant's properties, where
 *   "Manage security defaults" is;
 * - `Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/Policies`: Conditional Access policies.
 */
const adminCenter = 'https://entra.microsoft.com';

type EntraBlade = 'overview' | 'properties' | 'conditionalAccess' | 'signInLogs';

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

/**
 * A user's profile in one tenant (`Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade`, the blade
 * the admin center opens from its Users list), where an admin's authentication methods are managed.
 */
export function entraUserUrl(tenantId: string, userId: string): string {
  return `${adminCenter}/#@${encodeURIComponent(tenantId)}/blade/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/${encodeURIComponent(userId)}`;
}

/** Every blade above, pinned to one customer tenant: what a customer's page links to. */
export function tenantEntraLinks(tenantId: string): Record<EntraBlade, string> {
  return { overview: entraUrl(tenantId, 'overview'), properties: entraUrl(tenantId, 'properties'), conditionalAccess: entraUrl(tenantId, 'conditionalAccess'), signInLogs: entraUrl(tenantId, 'signInLogs') };
}
