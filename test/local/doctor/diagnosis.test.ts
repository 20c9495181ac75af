import { RestError } from '@azure/core-rest-pipeline';
import { ApiError } from '../../../src/adapters/apiClient';
import { MonitorError, PayloadError } from '../../../src/core/errors';
import { adminConsentUrl, exitCodeOf, factsOf, fixFor, renderReport, type CheckRow, type DoctorContext, type FailureFacts } from '../../../tools/doctor/diagnosis';

const context: DoctorContext = {
  tenantId: 'aaaaaaaa-0000-4000-8000-000000000001',
  clientId: 'cccccccc-0000-4000-8000-000000000002',
  authorityHost: 'https://login.microsoftonline.com',
  appCredential: 'secret',
  resourceIdentity: 'managed identity 99999999-0000-4000-8000-000000000003',
  partnerCenterAuth: 'app',
  partnerCenterClientId: null,
  keyVaultHost: 'monitor-kv.vault.azure.net',
  refreshTokenSecret: 'partner-center-refresh-token',
  storage: 'endpoint',
  email: 'endpoint',
  alertFromDomain: 'contoso.azurecomm.net',
};

const facts = (overrides: Partial<FailureFacts>): FailureFacts => ({ code: null, status: null, serviceCodes: [], aadsts: [], ownMessage: null, ...overrides });

describe('factsOf', () => {
  it('when @azure/identity reports an Entra refusal, then the OAuth error and the AADSTS number are read from its message', () => {
    const error = Object.assign(new Error("invalid_client: Error(s): 7000222 - Description: AADSTS7000222: The provided client secret keys for app 'x' are expired."), { name: 'AuthenticationRequiredError' });
    expect(factsOf(error)).toMatchObject({ serviceCodes: ['invalid_client'], aadsts: [7000222] });
  });

  it('when an ApiError carries the service code in its message, then status and service code are both found', () => {
    const error = new ApiError('Forbidden', 'Graph GET /beta/security/partner/securityScore answered 403 (code Authorization_RequestDenied, request-id 1)', 403);
    expect(factsOf(error)).toMatchObject({ code: 'Forbidden', status: 403, serviceCodes: ['Authorization_RequestDenied'] });
  });

  it('when the status and code sit on a cause, then they are found through the chain', () => {
    const cause = new RestError('The specified sender domain has not been linked.', { statusCode: 404, code: 'DomainNotLinked' });
    const error = new MonitorError('EmailSendFailed', 'ACS refused or failed the email (status 404, DomainNotLinked)', { cause });
    expect(factsOf(error)).toMatchObject({ code: 'EmailSendFailed', status: 404, serviceCodes: expect.arrayContaining(['DomainNotLinked']) });
  });

  it("when an SDK error carries Key Vault's body, then its inner code ForbiddenByRbac is found", () => {
    const body = JSON.stringify({ error: { code: 'Forbidden', message: 'Caller is not authorized', innererror: { code: 'ForbiddenByRbac' } } });
    const error = new RestError('Forbidden', { statusCode: 403, code: 'Forbidden', response: { bodyAsText: body } as never });
    expect(factsOf(error)).toMatchObject({ status: 403, serviceCodes: expect.arrayContaining(['Forbidden', 'ForbiddenByRbac']) });
  });

  it('when an error is our own, then its first message line is kept as safe to show', () => {
    expect(factsOf(new PayloadError('securityScore: currentScore: expected a number, got an object\nmore')).ownMessage).toBe('securityScore: currentScore: expected a number, got an object');
    expect(factsOf(new Error('anything')).ownMessage).toBeNull();
  });
});

describe('fixFor', () => {
  it('when a Graph read answers 403, then the fix names the permission and the admin-consent URL', () => {
    expect(fixFor('Graph reports', 'read', facts({ status: 403 }), context)).toBe(
      'App cccccccc-0000-4000-8000-000000000002 lacks the Microsoft Graph application permission Reports.Read.All (403): add it under API permissions, then a Global Administrator grants admin consent at https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-000000000001/adminconsent?client_id=cccccccc-0000-4000-8000-000000000002.',
    );
    expect(fixFor('Graph GDAP customers', 'read', facts({ status: 403 }), context)).toContain('DelegatedAdminRelationship.Read.All');
  });

  it('when Graph refuses the token itself (401), then the fix is about the token, not a permission', () => {
    const fix = fixFor('Graph partner security', 'read', facts({ status: 401, serviceCodes: ['InvalidAuthenticationToken'] }), context);
    expect(fix).toMatch(/^Microsoft Graph refused the token \(401 InvalidAuthenticationToken\): GRAPH_BASE_URL/);
    expect(fix).not.toContain('PartnerSecurity.Read.All');
  });

  it('when Graph is reached with a managed identity, then the fix assigns the app role instead of a consent URL', () => {
    const fix = fixFor('Graph partner security', 'read', facts({ status: 403 }), { ...context, appCredential: 'managedIdentity' });
    expect(fix).toContain('PartnerSecurity.Read.All');
    expect(fix).not.toContain('adminconsent');
  });

  it('when Entra answers with an AADSTS number, then the fix speaks of that: expired secret, wrong secret, unknown tenant, unknown app, missing consent', () => {
    expect(fixFor('Graph reports', 'token', facts({ aadsts: [7000222] }), context)).toMatch(/^The client secret of app .* has expired \(AADSTS7000222\)/);
    expect(fixFor('Graph reports', 'token', facts({ aadsts: [7000215] }), context)).toMatch(/^AZURE_CLIENT_SECRET is not a secret of app/);
    expect(fixFor('Graph reports', 'token', facts({ aadsts: [90002] }), context)).toMatch(/^Entra does not know tenant aaaaaaaa-0000-4000-8000-000000000001 .*AZURE_TENANT_ID/);
    expect(fixFor('Graph reports', 'token', facts({ serviceCodes: ['endpoints_resolution_error'] }), context)).toContain('AADSTS90002');
    expect(fixFor('Graph reports', 'token', facts({ aadsts: [700016] }), context)).toContain('No app cccccccc-0000-4000-8000-000000000002 is registered in tenant');
    expect(fixFor('Graph reports', 'token', facts({ aadsts: [65001] }), context)).toContain(adminConsentUrl(context));
    const federation: DoctorContext = { ...context, appCredential: 'managedIdentityFederation' };
    expect(fixFor('Graph reports', 'token', facts({ serviceCodes: ['invalid_client'], aadsts: [70021] }), federation)).toMatch(/^App cccccccc-0000-4000-8000-000000000002 does not trust the managed identity's token \(AADSTS70021\): add a federated credential/);
    expect(fixFor('Graph reports', 'token', facts({ code: 'CredentialUnavailableError' }), federation)).toMatch(/^No token for app .* through the managed identity .*elsewhere set APP_CREDENTIAL=auto and AZURE_CLIENT_SECRET\.$/);
  });

  it('when the Partner Center App+User sign-in is missing or revoked, then the fix is npm run consent', () => {
    expect(fixFor('Partner Center principals', 'token', facts({ code: 'ConsentRequired' }), { ...context, partnerCenterAuth: 'appUser' })).toContain('a partner admin runs `npm run consent`');
    expect(fixFor('Partner Center principals', 'token', facts({ code: 'ConsentRequired', aadsts: [70000] }), { ...context, partnerCenterAuth: 'appUser' })).toContain('(AADSTS70000)');
  });

  it('when Partner Center refuses a token, then app mode asks for consent and App+User mode names the Partner Center role', () => {
    expect(fixFor('Partner Center customers', 'read', facts({ status: 403 }), context)).toContain('then set PARTNER_CENTER_AUTH=appUser');
    expect(fixFor('Partner Center customers', 'read', facts({ status: 403 }), { ...context, partnerCenterAuth: 'appUser' })).toContain('Partner Center role Admin agent');
    expect(fixFor('Partner Center customers', 'read', facts({ status: 401 }), { ...context, partnerCenterAuth: 'appUser' })).toContain('`npm run consent` again');
  });

  it('when a resource refuses the managed identity, then the fix names the role to assign', () => {
    expect(fixFor('Key Vault', 'read', facts({ status: 403, serviceCodes: ['Forbidden', 'ForbiddenByRbac'] }), context)).toBe(
      'Managed identity 99999999-0000-4000-8000-000000000003 has no role on vault monitor-kv.vault.azure.net (403 ForbiddenByRbac): assign it Key Vault Secrets User on the vault (`azd provision` does; allow a few minutes).',
    );
    expect(fixFor('Table Storage', 'read', facts({ status: 403 }), context)).toContain('Storage Table Data Contributor');
    expect(fixFor('ACS Email', 'read', facts({ status: 403 }), context)).toContain('Communication and Email Service Owner');
    expect(fixFor('ACS Email', 'read', facts({ status: 401 }), { ...context, email: 'connectionString' })).toContain('ACS_CONNECTION_STRING');
  });

  it('when the managed identity gives no token away from Azure, then the fix says where it answers and which settings to use instead', () => {
    const fix = fixFor('Table Storage', 'token', facts({ code: 'CredentialUnavailableError' }), context);
    expect(fix).toMatch(/^The managed identity gave no token .*unset MANAGED_IDENTITY_CLIENT_ID and set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET\.$/);
    expect(fixFor('Table Storage', 'token', facts({ code: 'CredentialUnavailableError' }), { ...context, resourceIdentity: 'app x' })).toMatch(/^Entra issued no token/);
  });

  it('when a send fails with DomainNotLinked, then the fix names the domain of ALERT_FROM and where to link it', () => {
    expect(fixFor('ACS Email', 'send', facts({ code: 'EmailSendFailed', status: 404, serviceCodes: ['DomainNotLinked'] }), context)).toBe(
      'The domain of ALERT_FROM (contoso.azurecomm.net) is not linked to the Communication Services resource (DomainNotLinked): connect it under Communication Services > Email > Domains, or send from the linked Azure-managed domain.',
    );
  });

  it('when a service cannot be reached or is busy, then the fix says which setting or to try again', () => {
    expect(fixFor('Table Storage', 'read', facts({ code: 'StorageUnavailable', serviceCodes: ['ECONNREFUSED'] }), { ...context, storage: 'connectionString' })).toBe(
      'Table Storage is unreachable (StorageUnavailable, ECONNREFUSED): check TABLES_CONNECTION_STRING (is Azurite running?) and the network (proxy, firewall, DNS).',
    );
    expect(fixFor('Graph partner security', 'read', facts({ code: 'ServiceUnavailable', status: 503 }), context)).toContain('run `npm run doctor` again');
  });
});

describe('renderReport', () => {
  const rows: CheckRow[] = [
    { check: 'Graph partner security', token: 'yes', read: 'yes', verdict: 'ok', detail: 'partner security score 65 of 70' },
    { check: 'ACS Email', token: 'n/a', read: 'yes', verdict: 'warn', detail: 'only a send proves the domain link' },
    { check: 'Key Vault', token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'not used' },
  ];

  it('when rows are rendered, then the columns line up under one header and the summary counts warnings but not skipped checks', () => {
    expect(renderReport(rows)).toBe(
      [
        'check                   token  read  result  detail / fix',
        'Graph partner security  yes    yes   ok      partner security score 65 of 70',
        'ACS Email               n/a    yes   warn    only a send proves the domain link',
        'Key Vault               n/a    n/a   skip    not used',
        '',
        'Every check passed, with 1 warning.',
      ].join('\n'),
    );
    expect(exitCodeOf(rows)).toBe(0);
  });

  it('when a check failed, then the summary says how many and the exit code is 1', () => {
    const failed: CheckRow[] = [...rows, { check: 'Table Storage', token: 'n/a', read: 'no', verdict: 'FAIL', detail: 'Table Storage is unreachable' }];
    expect(renderReport(failed).split('\n').at(-1)).toBe('1 check failed, 1 warning: fix it and run `npm run doctor` again.');
    expect(exitCodeOf(failed)).toBe(1);
  });
});
