/*
 * `npm run consent`: a partner admin signs in once (device code flow, MFA in any browser) and
 * the first Secure Application Model refresh token is stored in Key Vault, where the monitor
 * rotates it from then on. Settings come from options, the environment, or the azd
 * environment (`azd env get-values`) in that order:
 *   --tenant (PARTNER_TENANT_ID, AZURE_TENANT_ID)         the partner tenant
 *   --client-id (PARTNER_CENTER_APP_CLIENT_ID, APP_CLIENT_ID, AZURE_CLIENT_ID)
 *   --vault-url (KEY_VAULT_URL)   --secret (PARTNER_CENTER_REFRESH_TOKEN_SECRET)
 *   --authority-host (AZURE_AUTHORITY_HOST)   --scope (default: Partner Center user_impersonation)
 * Key Vault is written with your own sign-in (Azure CLI, azd or environment credentials),
 * which needs Key Vault Secrets Officer on the vault (the template grants it to whoever ran azd).
 */
import { execFileSync } from 'node:child_process';
import { DefaultAzureCredential } from '@azure/identity';
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { KeyVaultSecret } from '../../src/adapters/keyVaultSecret';
import { obtainRefreshToken, type FormPoster } from './deviceCodeConsent';

const FLAGS: Record<string, string[]> = {
  tenant: ['PARTNER_TENANT_ID', 'AZURE_TENANT_ID'],
  'client-id': ['PARTNER_CENTER_APP_CLIENT_ID', 'APP_CLIENT_ID', 'AZURE_CLIENT_ID'],
  'vault-url': ['KEY_VAULT_URL'],
  secret: ['PARTNER_CENTER_REFRESH_TOKEN_SECRET'],
  'authority-host': ['AZURE_AUTHORITY_HOST'],
  scope: [],
};
const DEFAULTS: Record<string, string> = {
  secret: 'partner-center-refresh-token',
  'authority-host': 'https://login.microsoftonline.com',
  scope: 'https://api.partnercenter.microsoft.com/user_impersonation',
};

export function consentSettings(argv: string[], env: NodeJS.ProcessEnv, azdValues: () => Record<string, string>): Record<string, string> {
  const given = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[index] ?? '');
    if (!match || !(match[1]! in FLAGS)) throw new Error(`Unknown argument ${argv[index]}; options: ${Object.keys(FLAGS).map((flag) => `--${flag}`).join(' ')}`);
    const value = match[2] ?? argv[++index];
    if (value === undefined) throw new Error(`--${match[1]} needs a value`);
    given.set(match[1]!, value);
  }
  let azd: Record<string, string> | undefined;
  const settings: Record<string, string> = {};
  const missing: string[] = [];
  for (const [flag, names] of Object.entries(FLAGS)) {
    let value = given.get(flag) ?? names.map((name) => env[name]).find((candidate) => candidate !== undefined && candidate !== '');
    if (value === undefined && names.length > 0) {
      azd ??= azdValues();
      value = names.map((name) => azd?.[name]).find((candidate) => candidate !== undefined && candidate !== '');
    }
    value ??= DEFAULTS[flag];
    if (value === undefined) missing.push(`--${flag} (or ${names.join(', ')})`);
    else settings[flag] = value;
  }
  if (missing.length > 0) throw new Error(`Missing: ${missing.join('; ')}`);
  return settings;
}

function azdEnvironment(): Record<string, string> {
  try {
    const output = execFileSync('azd', ['env', 'get-values'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return Object.fromEntries(
      output
        .split('\n')
        .map((line) => /^([A-Z0-9_]+)="?(.*?)"?$/.exec(line.trim()))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1]!, match[2]!]),
    );
  } catch {
    return {};
  }
}

const httpClient = createDefaultHttpClient();
const post: FormPoster = async (url, form) => {
  const response = await httpClient.sendRequest(
    createPipelineRequest({
      url,
      method: 'POST',
      headers: createHttpHeaders({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }),
      body: new URLSearchParams(form).toString(),
    }),
  );
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(response.bodyAsText ?? '{}') as Record<string, unknown>;
  } catch {
    body = { error: `http_${response.status}` };
  }
  return { status: response.status, body };
};

async function main(): Promise<void> {
  const settings = consentSettings(process.argv.slice(2), process.env, azdEnvironment);
  const store = new KeyVaultSecret(settings['vault-url']!, settings.secret!, new DefaultAzureCredential());
  console.log(`Consent for Partner Center (App+User) in tenant ${settings.tenant} with app ${settings['client-id']}; the refresh token goes to ${store.description}.`);
  const outcome = await obtainRefreshToken({
    tenantId: settings.tenant!,
    clientId: settings['client-id']!,
    authorityHost: settings['authority-host']!,
    scope: settings.scope!,
    store,
    post,
    say: (message) => console.log(message),
  });
  console.log(`Stored version ${outcome.version}${outcome.signedInAs ? ` (signed in as ${outcome.signedInAs})` : ''}.`);
  console.log('Next, if not done yet: azd env set PARTNER_CENTER_AUTH appUser && azd provision');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`Consent failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
