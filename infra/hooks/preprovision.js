/*
 * azd's preprovision hook (azure.yaml), on every platform azd runs on: plain Node, no
 * dependency, so it runs before `npm install` and needs no build. Before each provision it
 *
 * 1. refuses APP_CREDENTIAL=managedIdentityFederation when the partner tenant is not the
 *    subscription's: Entra lets an app registration trust a managed identity only in the same
 *    tenant, so the deployment would succeed and every Graph call then fail;
 * 2. finds this environment's soft-deleted Key Vault, if `azd down` left one, and sets
 *    KEY_VAULT_CREATE_MODE=recover so the template brings it back instead of failing on its name.
 *    `azd down` removes every template output from the environment (KEY_VAULT_NAME too), so the
 *    vault is found as the template names it: by the `azd-env-name` tag it kept, in this region
 *    (the template's name comes from subscription, environment name and region), with the
 *    template's prefix, among the subscription's deleted vaults;
 * 3. makes the app registration people sign in to, once per environment, unless SIGN_IN_CLIENT_ID
 *    names one already, and sets SIGN_IN_CLIENT_ID (postprovision.js adds the dashboard's address
 *    as its redirect URI once the app exists).
 *
 * It asks the Azure CLI (`az`), signed in to the subscription azd deploys to.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { keyVault: vaultPrefix } = require('../abbreviations.json');

/** Bounds every call of the Azure CLI: it answers in seconds, or something is wrong. */
const CLI_TIMEOUT_MS = 120_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function refuse(lines) {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

function required(name) {
  const value = process.env[name];
  if (!value) refuse([`preprovision: ${name} is not set. azd sets it before the first provision; run \`azd up\` or \`azd provision\` rather than this script alone.`]);
  return value;
}

/** Runs a command (az or azd) and returns its standard output; on Windows both are .cmd/.exe found through the shell. */
function run(command, args) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: CLI_TIMEOUT_MS, shell: process.platform === 'win32' });
}

/** `az ... -o json`, parsed; when az fails, the hook stops with az's own first line and the fix. */
function azJson(args, subscriptionId) {
  let output;
  try {
    output = run('az', [...args, '-o', 'json']);
  } catch (error) {
    const said = String(error.stderr ?? error.message).trim().split('\n')[0];
    refuse([
      `preprovision: the Azure CLI could not answer \`az ${args.slice(0, 2).join(' ')}\` for subscription ${subscriptionId}${said ? ` (${said})` : ''}.`,
      'This hook needs the Azure CLI signed in to the subscription azd deploys to (azd signs in on its own):',
      `  az login && az account set --subscription ${subscriptionId}`,
      'then run `azd up` (or `azd provision`) again.',
    ]);
  }
  return JSON.parse(output);
}

const environmentName = required('AZURE_ENV_NAME');
const subscriptionId = required('AZURE_SUBSCRIPTION_ID');
const location = required('AZURE_LOCATION').toLowerCase();

// 1. The same tenant for the app registration and the managed identity (infra/main.parameters.json
//    passes PARTNER_TENANT_ID, empty for the subscription's tenant, and APP_CREDENTIAL).
const subscriptionTenant = String(azJson(['account', 'show', '--subscription', subscriptionId], subscriptionId).tenantId);
const appCredential = process.env.APP_CREDENTIAL || 'managedIdentityFederation';
const partnerTenant = process.env.PARTNER_TENANT_ID || '';
if (partnerTenant !== '' && !GUID.test(partnerTenant)) {
  refuse([`preprovision: PARTNER_TENANT_ID must be the partner tenant's id (a GUID, from the Entra admin center's overview), not a domain name.`]);
}
if (appCredential === 'managedIdentityFederation' && partnerTenant !== '' && partnerTenant.toLowerCase() !== subscriptionTenant.toLowerCase()) {
  refuse([
    `preprovision: APP_CREDENTIAL=managedIdentityFederation cannot work here: the partner tenant (PARTNER_TENANT_ID ${partnerTenant}) is not the tenant of subscription ${subscriptionId} (${subscriptionTenant}).`,
    "The app would sign in as the app registration with a token of its managed identity, and Entra accepts that only when both belong to the same tenant (\"The Microsoft Entra App and the Managed Identity must belong to the same tenant\").",
    "Use a client secret of the app registration, kept in this environment's Key Vault with its expiry (the app reports it in /api/status before it runs out):",
    '  azd env set APP_CREDENTIAL clientSecret',
    "  azd provision        # on a first deployment: creates the vault, then stops because graph-client-secret is not stored yet",
    `  az keyvault secret set --vault-name "$(az keyvault list --subscription ${subscriptionId} --query "[?tags.\\"azd-env-name\\"=='${environmentName}'].name | [0]" -o tsv)" --name graph-client-secret --value '<secret value>' --expires <its expiry, e.g. 2028-06-30T00:00:00Z>`,
    '  azd provision',
    'infra/README.md, "With a client secret", says more.',
  ]);
}

// 2. This environment's vault among the deleted ones. The recorded shape of each entry is
//    { id, name, type, properties: { vaultId, location, tags, deletionDate, scheduledPurgeDate, purgeProtectionEnabled } }.
const deleted = azJson(['keyvault', 'list-deleted', '--subscription', subscriptionId, '--resource-type', 'vault'], subscriptionId);
const ours = deleted.filter(
  (vault) =>
    vault.properties?.tags?.['azd-env-name'] === environmentName &&
    String(vault.properties?.location ?? '').replace(/\s/g, '').toLowerCase() === location &&
    String(vault.name).startsWith(vaultPrefix),
);
// One name fits all three (the template derives it from them); should an older naming have left
// another, the template's own name is still among them, and recover is what it needs.
const mode = ours.length > 0 ? 'recover' : 'default';
if (mode === 'recover') {
  process.stdout.write(`Key Vault ${ours.map((vault) => vault.name).join(' or ')} of environment ${environmentName} is soft-deleted (azd down): this deployment recovers it, secrets included.\n`);
}
run('azd', ['env', 'set', 'KEY_VAULT_CREATE_MODE', mode]);

// 3. The app registration people sign in to (docs/deploy.md, "People sign in"): the two app roles
//    an admin assigns to people in Entra (their `roles` claim), v2.0 access tokens (whose issuer and
//    audience the app checks), in this tenant only; its service principal (Entra's "Enterprise
//    application", where roles are assigned) lets in only people assigned a role. Without the right
//    to register apps, provisioning goes on and the dashboard takes keys until SIGN_IN_CLIENT_ID is set.
const appRoles = [
  { id: '7f3a3c52-5d1e-4c35-9b2a-4c1f0e6d8a01', value: 'Monitor.Read', displayName: 'Monitor reader', description: "Reads the MFA monitor's dashboard and query API.", allowedMemberTypes: ['User', 'Application'], isEnabled: true },
  { id: '7f3a3c52-5d1e-4c35-9b2a-4c1f0e6d8a02', value: 'Waivers.Write', displayName: 'Waiver admin', description: "Creates, changes and deletes the MFA monitor's waivers, and reads as a reader does.", allowedMemberTypes: ['User'], isEnabled: true },
];

function signInRegistration() {
  const name = `partner-mfa-monitor-${environmentName}`;
  const [existing] = JSON.parse(run('az', ['ad', 'app', 'list', '--display-name', name, '--query', '[].appId', '-o', 'json']));
  if (existing) return existing;
  const { appId } = JSON.parse(run('az', ['ad', 'app', 'create', '--display-name', name, '--sign-in-audience', 'AzureADMyOrg', '--app-roles', JSON.stringify(appRoles), '--query', '{appId: appId}', '-o', 'json']));
  run('az', ['ad', 'app', 'update', '--id', appId, '--set', 'api.requestedAccessTokenVersion=2']);
  run('az', ['ad', 'sp', 'create', '--id', appId]);
  run('az', ['ad', 'sp', 'update', '--id', appId, '--set', 'appRoleAssignmentRequired=true']);
  process.stdout.write(`Made the app registration ${name} (${appId}) people sign in to. Assign them its roles in Entra: Enterprise applications, ${name}, Users and groups.\n`);
  return appId;
}

if (!process.env.SIGN_IN_CLIENT_ID) {
  if (partnerTenant !== '' && partnerTenant.toLowerCase() !== subscriptionTenant.toLowerCase()) {
    process.stdout.write(`People sign in to the partner tenant ${partnerTenant}, not the subscription's: make the sign-in app registration there (docs/deploy.md, "People sign in"), then azd env set SIGN_IN_CLIENT_ID <its application id>. Until then the dashboard takes keys.\n`);
  } else {
    try {
      run('azd', ['env', 'set', 'SIGN_IN_CLIENT_ID', signInRegistration()]);
    } catch (error) {
      const said = String(error.stderr ?? error.message).trim().split('\n')[0];
      process.stdout.write(`The sign-in app registration could not be made${said ? ` (${said})` : ''}: the dashboard takes keys until someone allowed to register apps runs azd provision again, or SIGN_IN_CLIENT_ID is set (docs/deploy.md, "People sign in").\n`);
    }
  }
}
