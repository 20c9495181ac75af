import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { channelSettingsFor } from '../../../tools/simulator';
import { blockKitProblems } from '../../support/blockKit';
import { startCloud, type Cloud } from '../../support/cloud';
import { teamsMessageProblems } from '../../support/teamsMessage';

jest.mock('@azure/functions-core', () => jest.requireActual('../../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
let emptyRoot: string;
/** Every line the doctor printed in this file, to search for secrets at the end. */
const printed: string[] = [];
const secretName = 'partner-center-refresh-token';

beforeAll(async () => {
  cloud = await startCloud({ customers: 6 }, 50);
  // As after `npm run consent`: the partner admin's refresh token is in the vault.
  cloud.sim.secrets.set(secretName, cloud.sim.refreshToken);
  emptyRoot = mkdtempSync(join(tmpdir(), 'doctor-'));
});
afterAll(async () => {
  rmSync(emptyRoot, { recursive: true, force: true });
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
  cloud.sim.grantPermission('DelegatedAdminRelationship.Read.All');
});

interface DoctorRun {
  exitCode: number;
  output: string;
  /** The table row of a check, columns split on runs of two or more spaces. */
  row(check: string): { token: string; read: string; verdict: string; detail: string };
}

/**
 * `npm run doctor` in this process, with a fresh composition (as a new process would have: no
 * credential or token cached from an earlier run) and settings given as the environment.
 */
async function doctor(settings: Record<string, string>, args: string[] = [], root = emptyRoot): Promise<DoctorRun> {
  let exitCode = -1;
  const lines: string[] = [];
  await jest.isolateModulesAsync(async () => {
    const { runDoctorCommand } = await import('../../../tools/doctor/doctorCommand');
    exitCode = await runDoctorCommand(args, { root, env: { ...settings }, out: (text) => lines.push(text), err: (text) => lines.push(text) });
  });
  const output = lines.join('\n');
  printed.push(output);
  return {
    exitCode,
    output,
    row(check) {
      const line = output.split('\n').find((candidate) => candidate.startsWith(`${check}  `));
      if (line === undefined) throw new Error(`no row ${check} in:\n${output}`);
      const [token = '', read = '', verdict = '', ...detail] = line.slice(check.length).trim().split(/\s{2,}/);
      return { token, read, verdict, detail: detail.join('  ') };
    },
  };
}

const appUser = (overrides: Record<string, string> = {}) =>
  cloud.settings({ PARTNER_CENTER_AUTH: 'appUser', KEY_VAULT_URL: cloud.sim.keyVaultUrl, PARTNER_CENTER_REFRESH_TOKEN_SECRET: secretName, ...overrides });

const consentUrl = () => `${cloud.sim.authorityHost}/${cloud.sim.tenantId}/adminconsent?client_id=${cloud.sim.clientId}`;

describe('npm run doctor against the simulated cloud', () => {
  it('when everything is configured and --send-test-email is given, then every row passes, one email reaches ALERT_TO, and it exits 0', async () => {
    const inbox = cloud.sim.inbox().length;
    const run = await doctor(appUser(), ['--send-test-email']);
    expect(run.exitCode).toBe(0);
    for (const check of ['Graph partner security', 'Graph reports', 'Graph GDAP customers', 'Partner Center principals', 'Partner Center customers', 'Key Vault']) {
      expect(run.row(check)).toMatchObject({ token: 'yes', read: 'yes', verdict: 'ok' });
    }
    expect(run.row('Table Storage')).toMatchObject({ token: 'n/a', read: 'yes', verdict: 'ok' });
    expect(run.row('Settings')).toMatchObject({ token: 'n/a', read: 'n/a', verdict: 'ok' });
    expect(run.row('ACS Email')).toMatchObject({ token: 'n/a', read: 'yes', verdict: 'ok', detail: expect.stringContaining('sender domain is linked') });
    expect(run.output).toContain('Every check passed.');
    const sent = cloud.sim.inbox().slice(inbox);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: ['admins@partner.example'], subject: expect.stringContaining('npm run doctor') });
  });

  it('when --send-test-email is not given, then no email is sent, ACS is a warning that names what it cannot prove, Key Vault is skipped in app mode, and it exits 0', async () => {
    const inbox = cloud.sim.inbox().length;
    const run = await doctor(cloud.settings());
    expect(run.exitCode).toBe(0);
    expect(run.row('ACS Email')).toMatchObject({ read: 'yes', verdict: 'warn', detail: expect.stringContaining('only a send proves the sender domain is linked') });
    expect(run.row('Key Vault')).toMatchObject({ verdict: 'skip' });
    expect(run.output).toContain('Every check passed, with 1 warning.');
    expect(cloud.sim.inbox()).toHaveLength(inbox);
    expect(cloud.sim.requestLog().filter((entry) => entry.path.startsWith('/emails:send'))).toHaveLength(1);
  });

  it('when Graph answers 403 for the partner security score, then the row names PartnerSecurity.Read.All and the admin-consent URL, and it exits 1', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 403, service: 'graph', path: '/security/partner' });
    const run = await doctor(cloud.settings());
    expect(run.exitCode).toBe(1);
    expect(run.row('Graph partner security')).toEqual({
      token: 'yes',
      read: 'no',
      verdict: 'FAIL',
      detail: `App ${cloud.sim.clientId} lacks the Microsoft Graph application permission PartnerSecurity.Read.All (403): add it under API permissions, then a Global Administrator grants admin consent at ${consentUrl()}.`,
    });
    expect(run.row('Graph reports').verdict).toBe('ok');
    expect(run.output).toContain('1 check failed');
  });

  it('when both registration reports answer 403, then the reports row names Reports.Read.All', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 403, service: 'graph', path: '/reports/' });
    const run = await doctor(cloud.settings());
    expect(run.row('Graph reports')).toMatchObject({ verdict: 'FAIL', detail: expect.stringContaining('Microsoft Graph application permission Reports.Read.All (403)') });
    expect(run.row('Graph reports').detail).toContain(consentUrl());
  });

  it('when only the legacy registration report is refused, then the reports row passes and says which report answered', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 403, service: 'graph', path: '/beta/reports/' });
    const run = await doctor(cloud.settings());
    expect(run.row('Graph reports')).toMatchObject({ verdict: 'ok', detail: expect.stringContaining('(usersRegisteredByFeature; legacy report answered 403)') });
  });

  it('when no customer has a GDAP relationship, then the GDAP row is a warning that says where names come from, and it exits 0', async () => {
    cloud.sim.injectFault({ kind: 'emptyCollection', service: 'graph', path: '/tenantRelationships/delegatedAdminCustomers' });
    const run = await doctor(cloud.settings());
    expect(run.row('Graph GDAP customers')).toMatchObject({ token: 'yes', read: 'yes', verdict: 'warn', detail: expect.stringContaining('named from Partner Center') });
    expect(run.exitCode).toBe(0);
  });

  it('when DelegatedAdminRelationship.Read.All is not consented, then the GDAP row names it with the consent step, and the other Graph rows pass', async () => {
    cloud.sim.withholdPermission('DelegatedAdminRelationship.Read.All');
    const run = await doctor(cloud.settings());
    expect(run.exitCode).toBe(1);
    expect(run.row('Graph GDAP customers')).toMatchObject({ token: 'yes', read: 'no', verdict: 'FAIL', detail: expect.stringContaining('DelegatedAdminRelationship.Read.All (403)') });
    expect(run.row('Graph GDAP customers').detail).toContain(consentUrl());
    expect(run.row('Graph partner security').verdict).toBe('ok');
  });

  it('when AZURE_TENANT_ID names no tenant, then no token is issued and the fix names AADSTS90002 and the setting', async () => {
    const run = await doctor(cloud.settings({ AZURE_TENANT_ID: '0b1e5b35-0000-4000-8000-000000000001' }));
    expect(run.exitCode).toBe(1);
    expect(run.row('Graph partner security')).toMatchObject({ token: 'no', read: 'skipped', verdict: 'FAIL' });
    expect(run.row('Graph partner security').detail).toMatch(/^Entra does not know tenant 0b1e5b35-0000-4000-8000-000000000001 at .* \(AADSTS90002\): set AZURE_TENANT_ID/);
    expect(run.row('Partner Center principals').detail).toContain('AADSTS90002');
  });

  it('when AZURE_CLIENT_ID names no app of the tenant, then the fix names AADSTS700016', async () => {
    const run = await doctor(cloud.settings({ AZURE_CLIENT_ID: '0b1e5b35-0000-4000-8000-000000000002' }));
    expect(run.row('Graph reports')).toMatchObject({ token: 'no', verdict: 'FAIL', detail: expect.stringContaining('No app 0b1e5b35-0000-4000-8000-000000000002 is registered in tenant') });
    expect(run.row('Graph reports').detail).toContain('AADSTS700016');
  });

  it('when the client secret has expired, then every app-token row says so (AADSTS7000222) and where to add a new one', async () => {
    cloud.sim.injectFault({ kind: 'expireClientSecret' });
    const run = await doctor(cloud.settings());
    expect(run.exitCode).toBe(1);
    for (const check of ['Graph partner security', 'Graph reports', 'Graph GDAP customers', 'Partner Center principals', 'Partner Center customers']) {
      expect(run.row(check)).toMatchObject({
        token: 'no',
        verdict: 'FAIL',
        detail: `The client secret of app ${cloud.sim.clientId} has expired (AADSTS7000222): add a new secret in Entra admin center > App registrations > ${cloud.sim.clientId} > Certificates & secrets and put its value in AZURE_CLIENT_SECRET.`,
      });
    }
  });

  it('when Partner Center refuses the app-only token (401), then both Partner Center rows point to npm run consent and PARTNER_CENTER_AUTH=appUser', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 401, service: 'partnerCenter' });
    const run = await doctor(cloud.settings());
    for (const check of ['Partner Center principals', 'Partner Center customers']) {
      expect(run.row(check)).toMatchObject({ token: 'yes', read: 'no', verdict: 'FAIL', detail: expect.stringContaining('npm run consent`, then set PARTNER_CENTER_AUTH=appUser') });
    }
  });

  it('when Partner Center answers 403 to the App+User token, then the fix names the Partner Center role of the consenting admin', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 403, service: 'partnerCenter', path: '/v1/customers' });
    const run = await doctor(appUser());
    expect(run.row('Partner Center principals').verdict).toBe('ok');
    expect(run.row('Partner Center customers')).toMatchObject({ token: 'yes', read: 'no', verdict: 'FAIL', detail: expect.stringContaining('needs the Partner Center role Admin agent') });
  });

  it('when no refresh token was ever stored, then the Key Vault row and the Partner Center rows ask for npm run consent', async () => {
    const run = await doctor(appUser({ PARTNER_CENTER_REFRESH_TOKEN_SECRET: 'never-consented' }));
    expect(run.row('Key Vault')).toMatchObject({ token: 'yes', read: 'yes', verdict: 'FAIL', detail: expect.stringContaining('No Partner Center refresh token in secret never-consented') });
    expect(run.row('Partner Center principals')).toMatchObject({ token: 'no', verdict: 'FAIL', detail: expect.stringContaining('a partner admin runs `npm run consent`') });
  });

  it('when the identity has no Key Vault role (403 ForbiddenByRbac), then the Key Vault row names Key Vault Secrets User and the Partner Center rows point to it', async () => {
    cloud.sim.injectFault({ kind: 'status', status: 403, service: 'keyVault' });
    const run = await doctor(appUser());
    expect(run.exitCode).toBe(1);
    expect(run.row('Key Vault')).toMatchObject({ token: 'yes', read: 'no', verdict: 'FAIL' });
    expect(run.row('Key Vault').detail).toBe(`App ${cloud.sim.clientId} has no role on vault ${new URL(cloud.sim.keyVaultUrl).host} (403): assign it Key Vault Secrets User on the vault (\`azd provision\` does; allow a few minutes).`);
    expect(run.row('Partner Center principals')).toMatchObject({ token: 'no', detail: 'The Partner Center refresh token cannot be read from Key Vault: see the Key Vault row.' });
  });

  it('when the ACS access key is wrong, then the look-up answers 401 and the row asks for a current connection string, sending nothing', async () => {
    const inbox = cloud.sim.inbox().length;
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    const run = await doctor(cloud.settings({ ACS_CONNECTION_STRING: `endpoint=${cloud.sim.acsEndpoint};accesskey=${wrongKey}` }), ['--send-test-email']);
    expect(run.exitCode).toBe(1);
    expect(run.row('ACS Email')).toMatchObject({ token: 'n/a', read: 'no', verdict: 'FAIL', detail: expect.stringContaining('ACS refused the access key (401)') });
    expect(cloud.sim.inbox()).toHaveLength(inbox);
    expect(run.output).not.toContain(wrongKey);
  });

  it('when ACS is reached by its endpoint with an Entra token, then the row shows the token issued and the credential accepted', async () => {
    const { ACS_CONNECTION_STRING: _key, ...settings } = cloud.settings({ ACS_ENDPOINT: cloud.sim.acsEndpoint });
    const run = await doctor(settings);
    expect(run.row('ACS Email')).toMatchObject({ token: 'yes', read: 'yes', verdict: 'warn', detail: expect.stringContaining('ACS accepted the credential') });
  });

  it('when the sender domain is not linked, then only --send-test-email finds it (DomainNotLinked), and the fix says where to link it', async () => {
    cloud.sim.injectFault({ kind: 'unlinkEmailDomain' });
    expect((await doctor(cloud.settings())).row('ACS Email').verdict).toBe('warn');
    const run = await doctor(cloud.settings(), ['--send-test-email']);
    expect(run.exitCode).toBe(1);
    expect(run.row('ACS Email')).toMatchObject({
      read: 'yes',
      verdict: 'FAIL',
      detail: expect.stringContaining('The domain of ALERT_FROM (monitor.example) is not linked to the Communication Services resource (DomainNotLinked)'),
    });
  });

  it('when Table Storage cannot be reached, then its row says so and names the setting, and the API rows still pass', async () => {
    const closed = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;';
    const run = await doctor(cloud.settings({ TABLES_CONNECTION_STRING: closed }));
    expect(run.exitCode).toBe(1);
    expect(run.row('Table Storage')).toMatchObject({ token: 'n/a', read: 'no', verdict: 'FAIL', detail: expect.stringContaining('Table Storage is unreachable') });
    expect(run.row('Table Storage').detail).toContain('TABLES_CONNECTION_STRING');
    expect(run.row('Graph partner security').verdict).toBe('ok');
  });

  it('when a setting is missing, then the rows that need it name it and the others still run', async () => {
    const { ALERT_FROM: _from, ...settings } = cloud.settings();
    const run = await doctor(settings);
    expect(run.row('ACS Email')).toMatchObject({ token: 'skipped', read: 'skipped', verdict: 'FAIL', detail: 'Settings: ALERT_FROM is required.' });
    expect(run.row('Table Storage').verdict).toBe('ok');
  });

  it('when a setting no checked service needs is wrong (ALERT_ROUTES, WAIVER_MAX_DAYS), then the Settings row names each, as /api/status does, without its value, and the doctor fails', async () => {
    const run = await doctor(cloud.settings({ ALERT_ROUTES: 'critical -> email', WAIVER_MAX_DAYS: '9999' }));
    expect(run.exitCode).toBe(1);
    expect(run.row('Settings')).toMatchObject({ token: 'n/a', read: 'n/a', verdict: 'FAIL' });
    expect(run.row('Settings').detail).toMatch(/^WAIVER_MAX_DAYS must be a whole number from 1 to 3650; ALERT_ROUTES must end with a catch-all route/);
    expect(run.row('Settings').detail).not.toContain('9999');
    expect(run.row('Table Storage').verdict).toBe('ok');
  });

  it('when the settings are in local.settings.json, then the doctor reads them as npm run invoke does', async () => {
    const root = mkdtempSync(join(tmpdir(), 'doctor-settings-'));
    try {
      writeFileSync(join(root, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: cloud.settings() }));
      const run = await doctor({}, [], root);
      expect(run.output).toContain(`Checking the settings from ${join(root, 'local.settings.json')} and the environment.`);
      expect(run.exitCode).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  /*
   * The client secret's expiry. Sources: Key Vault REST, Get Secret Versions (attributes `exp`,
   * never a value: learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions);
   * Microsoft Entra, "Add and manage application credentials" (a client secret has an end date, at
   * most 24 months, then Entra refuses it with AADSTS7000222); Microsoft's "Replace an expiring
   * client secret" (SharePoint docs: "create new secrets a minimum of 30 days before they expire").
   */
  describe('the client secret row', () => {
    const withSecret = (name: string, overrides: Record<string, string> = {}) => cloud.settings({ KEY_VAULT_URL: cloud.sim.keyVaultUrl, CLIENT_SECRET_KEY_VAULT_SECRET: name, ...overrides });
    const inDays = (days: number) => Math.floor(Date.now() / 1000) + days * 86_400;

    it('when the secret stored in Key Vault expires in 10 days, then the row warns with the date and both steps of the fix, and it exits 0', async () => {
      cloud.sim.secrets.set('doctor-expiring', cloud.sim.clientSecret, { expires: inDays(10) });
      const run = await doctor(withSecret('doctor-expiring'));
      expect(run.exitCode).toBe(0);
      expect(run.row('Client secret')).toMatchObject({ token: 'yes', read: 'yes', verdict: 'warn' });
      expect(run.row('Client secret').detail).toMatch(/^The app registration's client secret \(secret doctor-expiring of vault 127\.0\.0\.1\) expires on \S+, in (9|10) days: add a new client secret to the app registration .* az keyvault secret set --vault-name 127\.0\.0\.1 --name doctor-expiring --value <the new secret's value> --expires/);
    });

    it('when it expired, then the row fails and it exits 1; 60 days ahead it passes; with no expiry recorded it warns to record one', async () => {
      cloud.sim.secrets.set('doctor-expired', cloud.sim.clientSecret, { expires: inDays(-1) });
      const expired = await doctor(withSecret('doctor-expired'));
      expect(expired.exitCode).toBe(1);
      expect(expired.row('Client secret')).toMatchObject({ verdict: 'FAIL', detail: expect.stringContaining('Entra refuses it and every collector fails') });

      cloud.sim.secrets.set('doctor-fine', cloud.sim.clientSecret, { expires: inDays(60) });
      expect((await doctor(withSecret('doctor-fine'))).row('Client secret')).toMatchObject({ verdict: 'ok', detail: expect.stringMatching(/^secret doctor-fine of vault 127\.0\.0\.1 expires on \S+, in (59|60) days \(value not read\)$/) });

      cloud.sim.secrets.set('doctor-no-expiry', cloud.sim.clientSecret);
      expect((await doctor(withSecret('doctor-no-expiry'))).row('Client secret')).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('has no expiry recorded') });
    });

    it('when the identity has no role on the vault (403), then the row names Key Vault Secrets User; when no secret is named, it is skipped', async () => {
      cloud.sim.injectFault({ kind: 'status', status: 403, service: 'keyVault' });
      const refused = await doctor(withSecret('doctor-fine'));
      expect(refused.row('Client secret')).toMatchObject({ token: 'yes', read: 'no', verdict: 'FAIL', detail: expect.stringContaining('assign it Key Vault Secrets User on the vault') });
      cloud.sim.clearFaults();
      expect((await doctor(cloud.settings())).row('Client secret')).toMatchObject({ verdict: 'skip', detail: expect.stringContaining('CLIENT_SECRET_KEY_VAULT_SECRET is unset') });
      expect((await doctor(cloud.settings({ CLIENT_SECRET_KEY_VAULT_SECRET: 'graph-client-secret' }))).row('Client secret')).toMatchObject({
        verdict: 'FAIL',
        detail: 'Settings: KEY_VAULT_URL is required with CLIENT_SECRET_KEY_VAULT_SECRET.',
      });
    });
  });

  it('when an argument is unknown, then it prints the usage and exits 2', async () => {
    const run = await doctor(cloud.settings(), ['--send-email']);
    expect(run.exitCode).toBe(2);
    expect(run.output).toContain('Usage: npm run doctor [-- --send-test-email] [--send-test-message]');
  });

  it('when the real entry point runs with settings that cannot work, then it prints every row as failed, never the secret, and the process exits 1', () => {
    const secret = 'doctor-test-secret-value-0123456789';
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, AZURE_CLIENT_SECRET: secret };
    const entry = resolve(__dirname, '../../../tools/doctor/main.ts');
    const result = spawnSync(process.execPath, ['-r', resolve(__dirname, '../fixtures/registerTs.js'), entry], { cwd: emptyRoot, env, encoding: 'utf8' });
    printed.push(result.stdout, result.stderr);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('Graph partner security     skipped  skipped  FAIL    Settings: AZURE_TENANT_ID is required with AZURE_CLIENT_SECRET; AZURE_CLIENT_ID is required with AZURE_CLIENT_SECRET.');
    expect(result.stdout).toContain('8 checks failed');
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  describe('the channels', () => {
    const channels = (overrides: Record<string, string> = {}) => cloud.settings({ ...channelSettingsFor(cloud.sim), ...overrides });
    const rows = ['Teams', 'Slack', 'Signed webhook'];
    const received = () => ({ teams: cloud.sim.received('teams').length, slack: cloud.sim.received('slack').length, webhook: cloud.sim.received('webhook').length });

    it('when no channel is configured, then each channel row is skipped, naming its setting', async () => {
      const run = await doctor(cloud.settings());
      expect(run.row('Teams')).toMatchObject({ verdict: 'skip', detail: 'not configured: TEAMS_WEBHOOK_URL is not set' });
      expect(run.row('Signed webhook')).toMatchObject({ verdict: 'skip', detail: 'not configured: ALERT_WEBHOOK_URL is not set' });
    });

    it('when the channels are configured and --send-test-message is not given, then each row checks the form, posts nothing and warns that only a post proves it', async () => {
      const before = received();
      const run = await doctor(channels());
      for (const check of rows) expect(run.row(check)).toMatchObject({ token: 'n/a', read: 'n/a', verdict: 'warn', detail: expect.stringContaining('npm run doctor -- --send-test-message') });
      expect(received()).toEqual(before);
      expect(run.exitCode).toBe(0);
    });

    it('when --send-test-message is given, then one marked test message reaches each channel, valid by its platform\'s rules, and every row passes', async () => {
      const before = received();
      const run = await doctor(channels(), ['--send-test-message']);
      expect(run.output).toContain('a test message goes to each configured channel');
      for (const check of rows) expect(run.row(check)).toMatchObject({ token: 'n/a', read: 'yes', verdict: 'ok', detail: expect.stringContaining('test message sent') });
      const after = received();
      expect([after.teams - before.teams, after.slack - before.slack, after.webhook - before.webhook]).toEqual([1, 1, 1]);
      const teams = cloud.sim.received('teams').at(-1)!.body;
      expect(teamsMessageProblems(teams)).toEqual([]);
      expect(JSON.stringify(teams)).toContain('Test message from npm run doctor');
      const slack = cloud.sim.received('slack').at(-1)!.body as { text: string };
      expect(blockKitProblems(slack)).toEqual([]);
      expect(slack.text).toContain('Test message from npm run doctor');
      expect(cloud.sim.received('webhook').at(-1)!.body).toMatchObject({ type: 'mfaMonitor.test', data: { findings: [] } });
      expect(run.exitCode).toBe(0);
    });

    it('when each channel refuses the test message, then each row fails with the fix its answer calls for, never showing the URL or the secret', async () => {
      const otherSecret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
      const run = await doctor(
        channels({
          TEAMS_WEBHOOK_URL: cloud.sim.channelUrls.teams.replace(/sig=[^&]+/, 'sig=revoked'),
          SLACK_WEBHOOK_URL: cloud.sim.channelUrls.slack.replace(/\/[A-Za-z0-9]+$/, '/removed0000'),
          ALERT_WEBHOOK_SECRET: otherSecret,
        }),
        ['--send-test-message'],
      );
      expect(run.exitCode).toBe(1);
      expect(run.row('Teams')).toMatchObject({ read: 'no', verdict: 'FAIL', detail: expect.stringContaining('The workflow refused the post (401 DirectApiAuthorizationRequired): copy its URL again, sig parameter included') });
      expect(run.row('Slack')).toMatchObject({ read: 'no', verdict: 'FAIL', detail: expect.stringContaining('Slack knows no webhook at SLACK_WEBHOOK_URL (404 no_service)') });
      expect(run.row('Signed webhook')).toMatchObject({ read: 'no', verdict: 'FAIL', detail: expect.stringContaining('The receiver refused the signature (401)') });
      expect(run.output).not.toContain(otherSecret);
      expect(run.output).not.toContain('revoked');
    });

    it("when Slack's channel is archived (410 channel_is_archived) and the workflow was deleted (404), then the rows say so", async () => {
      cloud.sim.injectFault({ kind: 'status', status: 410, service: 'slack' });
      cloud.sim.injectFault({ kind: 'status', status: 404, service: 'teams' });
      const run = await doctor(channels(), ['--send-test-message']);
      expect(run.row('Slack').detail).toContain("The webhook's channel is archived (410 channel_is_archived): unarchive it");
      expect(run.row('Teams').detail).toContain('The workflow behind TEAMS_WEBHOOK_URL no longer exists (404 WorkflowNotFound)');
    });

    it.each([
      ['a retired Office 365 connector URL', 'Teams', { TEAMS_WEBHOOK_URL: 'https://contoso.webhook.office.com/webhookb2/0b1e@0b1e/IncomingWebhook/abc/def' }, 'Office 365 connector URL, which Microsoft retired'],
      ['a Teams URL without its sig', 'Teams', { TEAMS_WEBHOOK_URL: 'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01' }, 'its sig parameter included'],
      ['a Slack page that is no webhook', 'Slack', { SLACK_WEBHOOK_URL: 'https://api.slack.com/apps/A0123/incoming-webhooks' }, 'not an incoming webhook URL'],
      ['a plain http URL', 'Slack', { SLACK_WEBHOOK_URL: 'http://hooks.slack.com/services/T0/B0/abc' }, 'SLACK_WEBHOOK_URL must be an https:// URL'],
      ['a signing secret not in the whsec_ form', 'Signed webhook', { ALERT_WEBHOOK_SECRET: 'hunter2-not-a-standard-secret' }, 'ALERT_WEBHOOK_SECRET must be whsec_ followed by the base64'],
    ])('when a channel has %s, then its row fails naming the setting and its form, and nothing is posted', async (_what, check, overrides, why) => {
      const before = received();
      const run = await doctor(channels(overrides), ['--send-test-message']);
      expect(run.row(check)).toMatchObject({ read: 'skipped', verdict: 'FAIL', detail: expect.stringContaining(why) });
      expect(received()[check === 'Teams' ? 'teams' : check === 'Slack' ? 'slack' : 'webhook']).toBe(before[check === 'Teams' ? 'teams' : check === 'Slack' ? 'slack' : 'webhook']);
      for (const value of Object.values(overrides)) expect(run.output).not.toContain(value);
    });

    describe('as Key Vault references (Microsoft: "Use Key Vault references as app settings in Azure App Service and Azure Functions")', () => {
      const reference = (name: string) => `@Microsoft.KeyVault(SecretUri=${cloud.sim.keyVaultUrl}/secrets/${name}/)`;

      it('when the references resolve, then the rows show the Key Vault token and post with the resolved values', async () => {
        cloud.sim.secrets.set('teams-webhook-url', cloud.sim.channelUrls.teams);
        cloud.sim.secrets.set('alert-webhook-secret', cloud.sim.channelUrls.webhookSecret);
        const run = await doctor(channels({ TEAMS_WEBHOOK_URL: reference('teams-webhook-url'), ALERT_WEBHOOK_SECRET: reference('alert-webhook-secret') }), ['--send-test-message']);
        expect(run.row('Teams')).toMatchObject({ token: 'yes', read: 'yes', verdict: 'ok', detail: expect.stringContaining('Key Vault references resolved') });
        expect(run.row('Signed webhook')).toMatchObject({ token: 'yes', read: 'yes', verdict: 'ok' });
        expect(run.row('Slack')).toMatchObject({ token: 'n/a', verdict: 'ok' });
      });

      it('when a referenced secret does not exist, then the row names the secret and how azd stores it', async () => {
        const run = await doctor(channels({ SLACK_WEBHOOK_URL: reference('slack-webhook-url-missing') }));
        expect(run.row('Slack')).toMatchObject({ token: 'yes', read: 'skipped', verdict: 'FAIL', detail: expect.stringContaining('SLACK_WEBHOOK_URL refers to secret slack-webhook-url-missing of vault') });
        expect(run.row('Slack').detail).toContain('azd env set SLACK_WEBHOOK_URL');
      });

      it('when the identity has no role on the vault, then the row names Key Vault Secrets User', async () => {
        cloud.sim.injectFault({ kind: 'status', status: 403, service: 'keyVault' });
        const run = await doctor(channels({ TEAMS_WEBHOOK_URL: reference('teams-webhook-url') }));
        expect(run.row('Teams')).toMatchObject({ verdict: 'FAIL', detail: expect.stringContaining('TEAMS_WEBHOOK_URL: App') });
        expect(run.row('Teams').detail).toContain('Key Vault Secrets User');
      });

      it('when a reference is malformed, then the row shows both accepted forms', async () => {
        const run = await doctor(channels({ TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=teams-webhook-url)' }));
        expect(run.row('Teams')).toMatchObject({ verdict: 'FAIL', detail: expect.stringContaining('TEAMS_WEBHOOK_URL is a malformed Key Vault reference') });
      });
    });
  });

  it('after every run of this file, then no secret or token ever appeared in what the doctor printed', () => {
    const everything = printed.join('\n');
    expect(printed.length).toBeGreaterThan(10);
    const { teams, slack, webhook, webhookSecret } = cloud.sim.channelUrls;
    const channelSecrets = [teams, new URL(teams).searchParams.get('sig')!, slack, slack.split('/').at(-1)!, webhook, webhookSecret];
    const secrets = [cloud.sim.clientSecret, cloud.sim.acsAccessKey, ...channelSecrets, ...cloud.sim.issuedTokens(), ...cloud.sim.secrets.versions(secretName).map((version) => version.value)];
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
