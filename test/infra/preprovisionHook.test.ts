import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * infra/hooks/preprovision.js, run as azd runs it (`node infra/hooks/preprovision.js` with the
 * environment's values as variables), against stand-ins for `az` and `azd` on PATH: `az` replays
 * recorded answers (fixtures/az, shapes from ARM's "Vaults - List Deleted" and `az account show`
 * references) and both record how they were called.
 */
const root = join(__dirname, '../..');
const hook = join(root, 'infra/hooks/preprovision.js');
const recorded = join(__dirname, 'fixtures/az');
const subscriptionTenant = '00000000-0000-0000-0000-0000000000aa';
const otherTenant = '00000000-0000-0000-0000-0000000000bb';

let bin: string;

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'preprovision-bin-'));
  writeFileSync(
    join(bin, 'az'),
    [
      '#!/bin/sh',
      'echo "az $*" >> "$FAKE_CALLS"',
      'case "$1 $2" in',
      '  "account show") answer=account-show ;;',
      '  "keyvault list-deleted") answer=keyvault-list-deleted ;;',
      '  "ad app"|"ad sp"|"rest --method") answer="$1-$2-$3" ;;',
      '  *) echo "unexpected: az $*" >&2; exit 2 ;;',
      'esac',
      'if [ -f "$FAKE_ANSWERS/$answer.stderr" ]; then cat "$FAKE_ANSWERS/$answer.stderr" >&2; exit 1; fi',
      'cat "$FAKE_ANSWERS/$answer.json"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  writeFileSync(join(bin, 'azd'), '#!/bin/sh\necho "azd $*" >> "$FAKE_CALLS"\n', { mode: 0o755 });
});

afterAll(() => {
  if (bin !== undefined) rmSync(bin, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every az and azd call, in order. */
  calls: string[];
}

/** Runs the hook with the environment azd gives it; `answers` picks the recorded answers (a file's .stderr makes that az command fail). */
function runHook(environment: Record<string, string>, answers: { deleted?: unknown[]; signedOut?: boolean; apps?: Record<string, string> } = {}, script = hook): Run {
  const scratch = mkdtempSync(join(tmpdir(), 'preprovision-'));
  try {
    const answerDir = join(scratch, 'answers');
    const calls = join(scratch, 'calls');
    mkdirSync(answerDir);
    copyFileSync(join(recorded, 'account-show.json'), join(answerDir, 'account-show.json'));
    const deleted = answers.deleted ?? (JSON.parse(readFileSync(join(recorded, 'keyvault-list-deleted.json'), 'utf8')) as unknown[]);
    writeFileSync(join(answerDir, 'keyvault-list-deleted.json'), JSON.stringify(deleted));
    if (answers.signedOut === true) copyFileSync(join(recorded, 'not-signed-in.stderr'), join(answerDir, 'account-show.stderr'));
    for (const [answer, text] of Object.entries(answers.apps ?? {})) writeFileSync(join(answerDir, answer), text);
    const result = spawnSync(process.execPath, [script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        FAKE_ANSWERS: answerDir,
        FAKE_CALLS: calls,
        AZURE_ENV_NAME: 'mfa-prod',
        AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
        AZURE_LOCATION: 'westeurope',
        // Sign-in is set up in its own tests below; here the environment already names its registration.
        SIGN_IN_CLIENT_ID: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
        ...environment,
      },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [] };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const listDeleted = 'az keyvault list-deleted --subscription 00000000-0000-0000-0000-000000000001 --resource-type vault -o json';
const accountShow = 'az account show --subscription 00000000-0000-0000-0000-000000000001 -o json';

describe('the preprovision hook, with recorded az answers', () => {
  it('when the subscription has no soft-deleted vault, then it sets KEY_VAULT_CREATE_MODE default', () => {
    const run = runHook({}, { deleted: [] });
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.calls).toEqual([accountShow, listDeleted, 'azd env set KEY_VAULT_CREATE_MODE default']);
  });

  it('when the environment\'s vault is live (its name still in the environment) and only other vaults are deleted, then the mode stays default', () => {
    const others = (JSON.parse(readFileSync(join(recorded, 'keyvault-list-deleted.json'), 'utf8')) as { properties: { tags: Record<string, string> } }[]).filter((vault) => vault.properties.tags['azd-env-name'] !== 'mfa-prod');
    const run = runHook({ KEY_VAULT_NAME: 'kv-4q7yzbxq2mnsc' }, { deleted: others });
    expect(run.status).toBe(0);
    expect(run.calls.at(-1)).toBe('azd env set KEY_VAULT_CREATE_MODE default');
  });

  it('when azd down left this environment\'s vault soft-deleted and removed KEY_VAULT_NAME, then it finds the vault by its azd-env-name tag and region and chooses recover', () => {
    const run = runHook({});
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Key Vault kv-4q7yzbxq2mnsc of environment mfa-prod is soft-deleted/);
    expect(run.calls).toEqual([accountShow, listDeleted, 'azd env set KEY_VAULT_CREATE_MODE recover']);
  });

  it('when two environments share the subscription, then only this environment\'s deleted vault is recovered, never another one\'s', () => {
    // mfa-test has a deleted vault, mfa-prod has none left (only one of the same name in another region).
    const inOtherRegion = runHook({ AZURE_ENV_NAME: 'mfa-prod', AZURE_LOCATION: 'swedencentral' });
    expect(inOtherRegion.calls.at(-1)).toBe('azd env set KEY_VAULT_CREATE_MODE default');
    const otherEnvironment = runHook({ AZURE_ENV_NAME: 'mfa-test' });
    expect(otherEnvironment.stdout).toMatch(/^Key Vault kv-b7mdl3xr5qa2u of environment mfa-test/);
    expect(otherEnvironment.calls.at(-1)).toBe('azd env set KEY_VAULT_CREATE_MODE recover');
    const newEnvironment = runHook({ AZURE_ENV_NAME: 'mfa-staging' });
    expect(newEnvironment.calls.at(-1)).toBe('azd env set KEY_VAULT_CREATE_MODE default');
  });

  it('when an older naming left two deleted vaults of this environment in this region, then it still recovers (the template\'s name is one of them)', () => {
    const recordedVaults = JSON.parse(readFileSync(join(recorded, 'keyvault-list-deleted.json'), 'utf8')) as { name: string; properties: { location: string } }[];
    const older = { ...recordedVaults[1]!, name: 'kv-older', properties: { ...recordedVaults[1]!.properties, location: 'westeurope' } };
    const run = runHook({}, { deleted: [...recordedVaults, older] });
    expect(run.stdout).toMatch(/^Key Vault kv-4q7yzbxq2mnsc or kv-older of environment mfa-prod is soft-deleted/);
    expect(run.calls.at(-1)).toBe('azd env set KEY_VAULT_CREATE_MODE recover');
  });

  it('when the Azure CLI is not signed in, then it stops with az\'s reason and the command that fixes it, and sets nothing', () => {
    const run = runHook({}, { signedOut: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Please run 'az login' to setup account.");
    expect(run.stderr).toContain('az login && az account set --subscription 00000000-0000-0000-0000-000000000001');
    expect(run.calls.filter((call) => call.startsWith('azd'))).toEqual([]);
  });

  it('when an environment value azd provides is missing, then it names it', () => {
    const run = runHook({ AZURE_LOCATION: '' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^preprovision: AZURE_LOCATION is not set/);
    expect(run.calls).toEqual([]);
  });
});

describe('the preprovision hook and the partner tenant', () => {
  // "The Microsoft Entra App and the Managed Identity must belong to the same tenant": Entra's rule
  // for a managed identity as a federated credential (Microsoft Entra Workload ID, "Configure an
  // application to trust a managed identity", https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
  it('when the partner tenant is the subscription\'s (or not given), then managed identity federation goes ahead', () => {
    const environments: Record<string, string>[] = [{}, { PARTNER_TENANT_ID: subscriptionTenant.toUpperCase() }, { PARTNER_TENANT_ID: subscriptionTenant, APP_CREDENTIAL: 'managedIdentityFederation' }];
    for (const environment of environments) {
      const run = runHook(environment, { deleted: [] });
      expect({ environment, status: run.status, last: run.calls.at(-1) }).toEqual({ environment, status: 0, last: 'azd env set KEY_VAULT_CREATE_MODE default' });
    }
  });

  it('when the partner tenant is another tenant and APP_CREDENTIAL is managedIdentityFederation (the default), then provisioning is refused with why and the client-secret steps', () => {
    const environments: Record<string, string>[] = [{ PARTNER_TENANT_ID: otherTenant }, { PARTNER_TENANT_ID: otherTenant, APP_CREDENTIAL: 'managedIdentityFederation' }];
    for (const environment of environments) {
      const run = runHook(environment);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`the partner tenant (PARTNER_TENANT_ID ${otherTenant}) is not the tenant of subscription 00000000-0000-0000-0000-000000000001 (${subscriptionTenant})`);
      expect(run.stderr).toContain('The Microsoft Entra App and the Managed Identity must belong to the same tenant');
      expect(run.stderr).toContain('azd env set APP_CREDENTIAL clientSecret');
      expect(run.stderr).toMatch(/az keyvault secret set --vault-name .* --name graph-client-secret --value '<secret value>' --expires /);
      // Refused before anything is looked up or set.
      expect(run.calls).toEqual([accountShow]);
    }
  });

  it('when the partner tenant is another tenant and APP_CREDENTIAL is clientSecret, then provisioning goes ahead', () => {
    const run = runHook({ PARTNER_TENANT_ID: otherTenant, APP_CREDENTIAL: 'clientSecret' });
    expect(run.status).toBe(0);
    expect(run.calls.at(-1)).toBe('azd env set KEY_VAULT_CREATE_MODE recover');
  });

  it('when PARTNER_TENANT_ID is a domain name, then it asks for the tenant id rather than guess', () => {
    const run = runHook({ PARTNER_TENANT_ID: 'partner.onmicrosoft.com' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/PARTNER_TENANT_ID must be the partner tenant's id \(a GUID/);
  });
});

describe('the sign-in app registration', () => {
  // "Add app roles to your application and receive them in the token" (entra-docs howto-add-app-roles-in-apps.md):
  // app roles with `value`, `allowedMemberTypes`, assigned to users in Enterprise applications; the
  // roles come in the `roles` claim. `api.requestedAccessTokenVersion: 2` makes Entra issue v2.0 access
  // tokens ("Access tokens", Token formats), whose `iss` and `aud` the app checks.
  const made = { 'ad-app-list.json': '[]', 'ad-app-create.json': '{"appId": "9a8b7c6d-0000-4000-8000-00000000e1e1"}', 'ad-app-update.json': '', 'ad-sp-create.json': '{}', 'ad-sp-update.json': '' };

  it('when the environment has none, then the hook makes it with the two app roles, v2.0 tokens and assignment required, and sets SIGN_IN_CLIENT_ID', () => {
    const run = runHook({ SIGN_IN_CLIENT_ID: '' }, { deleted: [], apps: made });
    expect(run).toMatchObject({ status: 0, stderr: '' });
    const create = run.calls.find((call) => call.startsWith('az ad app create'))!;
    expect(create).toContain('--display-name partner-mfa-monitor-mfa-prod --sign-in-audience AzureADMyOrg');
    const roles = JSON.parse(/--app-roles (\[.*\]) --query/.exec(create)![1]!) as { value: string; allowedMemberTypes: string[]; isEnabled: boolean; id: string }[];
    expect(roles.map((role) => [role.value, role.allowedMemberTypes, role.isEnabled])).toEqual([['Monitor.Read', ['User', 'Application'], true], ['Waivers.Write', ['User'], true]]);
    expect(run.calls).toEqual(expect.arrayContaining([
      'az ad app update --id 9a8b7c6d-0000-4000-8000-00000000e1e1 --set api.requestedAccessTokenVersion=2',
      'az ad sp create --id 9a8b7c6d-0000-4000-8000-00000000e1e1',
      'az ad sp update --id 9a8b7c6d-0000-4000-8000-00000000e1e1 --set appRoleAssignmentRequired=true',
    ]));
    expect(run.calls.at(-1)).toBe('azd env set SIGN_IN_CLIENT_ID 9a8b7c6d-0000-4000-8000-00000000e1e1');
  });

  it('when the registration exists (azd down and up again), then it is found by name and nothing is made', () => {
    const run = runHook({ SIGN_IN_CLIENT_ID: '' }, { deleted: [], apps: { 'ad-app-list.json': '["5e5e5e5e-0000-4000-8000-000000000005"]' } });
    expect(run.calls.filter((call) => / (create|update) /.test(call))).toEqual([]);
    expect(run.calls.at(-1)).toBe('azd env set SIGN_IN_CLIENT_ID 5e5e5e5e-0000-4000-8000-000000000005');
  });

  it('when the deployer may not register apps, or people sign in to another tenant, then provisioning goes on with keys and says how to set sign-in up', () => {
    const refused = runHook({ SIGN_IN_CLIENT_ID: '' }, { deleted: [], apps: { 'ad-app-list.json': '[]', 'ad-app-create.stderr': 'ERROR: Insufficient privileges to complete the operation.' } });
    expect(refused.status).toBe(0);
    expect(refused.stdout).toContain('could not be made (ERROR: Insufficient privileges to complete the operation.)');
    expect(refused.calls.filter((call) => call.includes('SIGN_IN_CLIENT_ID'))).toEqual([]);
    const otherTenantRun = runHook({ SIGN_IN_CLIENT_ID: '', PARTNER_TENANT_ID: otherTenant, APP_CREDENTIAL: 'clientSecret' }, { deleted: [] });
    expect(otherTenantRun.status).toBe(0);
    expect(otherTenantRun.stdout).toContain(`People sign in to the partner tenant ${otherTenant}`);
    expect(otherTenantRun.calls.filter((call) => call.startsWith('az ad'))).toEqual([]);
  });

  it('when the app exists after provisioning, then postprovision adds the dashboard as a single-page-app redirect URI, keeping those there', () => {
    const postprovision = join(root, 'infra/hooks/postprovision.js');
    const environment = { SIGN_IN_CLIENT_ID: '9a8b7c6d-0000-4000-8000-00000000e1e1', FUNCTION_APP_URL: 'https://func-mfa-abc.azurewebsites.net' };
    const run = runHook(environment, { apps: { 'ad-app-show.json': '["https://old.example/api/dashboard"]', 'rest---method-PATCH.json': '' } }, postprovision);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'az ad app show --id 9a8b7c6d-0000-4000-8000-00000000e1e1 --query spa.redirectUris -o json',
      `az rest --method PATCH --uri https://graph.microsoft.com/v1.0/applications(appId='9a8b7c6d-0000-4000-8000-00000000e1e1') --headers Content-Type=application/json --body {"spa":{"redirectUris":["https://old.example/api/dashboard","https://func-mfa-abc.azurewebsites.net/api/dashboard"]}}`,
    ]);
    const again = runHook(environment, { apps: { 'ad-app-show.json': '["https://func-mfa-abc.azurewebsites.net/api/dashboard"]' } }, postprovision);
    expect(again.calls.filter((call) => call.startsWith('az rest'))).toEqual([]);
  });
});

describe('azure.yaml', () => {
  it('when azd provisions, on any platform, then it runs the preprovision hook script and stops if it fails', () => {
    const azure = readFileSync(join(root, 'azure.yaml'), 'utf8');
    const preprovision = /^ {2}preprovision:\n((?: {4}.*\n)+)/m.exec(azure)?.[1] ?? '';
    for (const [platform, shell] of [['posix', 'sh'], ['windows', 'pwsh']]) {
      expect(preprovision).toContain(`    ${platform}:\n      shell: ${shell}\n      run: node infra/hooks/preprovision.js\n      interactive: false\n      continueOnError: false\n`);
    }
  });
});
