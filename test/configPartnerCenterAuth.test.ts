import { readConfig } from '../src/config';

describe('Partner Center auth, managed identity and retention settings', () => {
  it('when nothing is set, then Partner Center is app-only, retention is 400 days and no managed identity is named', () => {
    const config = readConfig({}, ['partnerCenterAuth', 'retention']);
    expect(config.partnerCenterAuth).toEqual({ mode: 'app' });
    expect(config.retention.retentionDays).toBe(400);
    expect(readConfig({}, ['identity']).identity.managedIdentityClientId).toBeNull();
  });

  it('when appUser is chosen with everything it needs, then the app id falls back to AZURE_CLIENT_ID and URLs lose trailing slashes', () => {
    const { partnerCenterAuth } = readConfig(
      { PARTNER_CENTER_AUTH: 'appUser', AZURE_TENANT_ID: 'tenant', AZURE_CLIENT_ID: 'app', KEY_VAULT_URL: 'https://kv-x.vault.azure.net/', AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/' },
      ['partnerCenterAuth'],
    );
    expect(partnerCenterAuth).toEqual({
      mode: 'appUser',
      tenantId: 'tenant',
      clientId: 'app',
      authorityHost: 'https://login.microsoftonline.com',
      keyVaultUrl: 'https://kv-x.vault.azure.net',
      refreshTokenSecret: 'partner-center-refresh-token',
    });
    expect(readConfig({ PARTNER_CENTER_AUTH: 'appUser', AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'app', PARTNER_CENTER_APP_CLIENT_ID: 'pc-app', KEY_VAULT_URL: 'https://kv.vault.azure.net' }, ['partnerCenterAuth']).partnerCenterAuth).toMatchObject({ mode: 'appUser', clientId: 'pc-app' });
  });

  it('when appUser lacks its settings or they are malformed, then one error names every problem', () => {
    expect(() => readConfig({ PARTNER_CENTER_AUTH: 'appUser', KEY_VAULT_URL: 'http://kv.example', PARTNER_CENTER_REFRESH_TOKEN_SECRET: 'no_underscores' }, ['partnerCenterAuth'])).toThrow(
      expect.objectContaining({
        problems: [
          'AZURE_TENANT_ID (the partner tenant) is required with PARTNER_CENTER_AUTH=appUser',
          'PARTNER_CENTER_APP_CLIENT_ID (or AZURE_CLIENT_ID) is required with PARTNER_CENTER_AUTH=appUser',
          'KEY_VAULT_URL must be an https:// URL (tokens are never sent over plain http)',
          'PARTNER_CENTER_REFRESH_TOKEN_SECRET must be 1-127 letters, digits or dashes (a Key Vault secret name)',
        ],
      }),
    );
    expect(() => readConfig({ PARTNER_CENTER_AUTH: 'delegated' }, ['partnerCenterAuth'])).toThrow('PARTNER_CENTER_AUTH must be app or appUser');
    expect(() => readConfig({ RETENTION_DAYS: '3651' }, ['retention'])).toThrow('RETENTION_DAYS must be a whole number from 1 to 3650');
  });

  it('when MANAGED_IDENTITY_CLIENT_ID is set, then the identity part carries it', () => {
    expect(readConfig({ MANAGED_IDENTITY_CLIENT_ID: 'mi-client' }, ['identity']).identity.managedIdentityClientId).toBe('mi-client');
  });
});
