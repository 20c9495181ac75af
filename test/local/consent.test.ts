import { obtainRefreshToken, type FormPoster } from '../../tools/consent/deviceCodeConsent';
import { consentSettings } from '../../tools/consent/main';
import type { RefreshTokenStore } from '../../src/ports';

function memoryStore(): RefreshTokenStore & { values: string[] } {
  const values: string[] = [];
  return {
    values,
    description: "Key Vault secret 'partner-center-refresh-token'",
    latest: async () => (values.length === 0 ? null : { value: values[values.length - 1]!, version: String(values.length) }),
    write: async (value) => {
      values.push(value);
      return String(values.length);
    },
  };
}

/** Entra's device code endpoints, answering the token poll from a script. */
function entra(pollAnswers: { status: number; body: Record<string, unknown> }[]) {
  const calls: { url: string; form: Record<string, string> }[] = [];
  const post: FormPoster = async (url, form) => {
    calls.push({ url, form });
    if (url.endsWith('/devicecode')) {
      return { status: 200, body: { device_code: 'dc-1', user_code: 'ABCD-EFGH', verification_uri: 'https://microsoft.com/devicelogin', interval: 5, expires_in: 900, message: 'To sign in, open https://microsoft.com/devicelogin and enter ABCD-EFGH.' } };
    }
    return pollAnswers.shift() ?? { status: 400, body: { error: 'expired_token' } };
  };
  return { post, calls };
}

const idToken = `x.${Buffer.from(JSON.stringify({ preferred_username: 'admin@partner.example' })).toString('base64url')}.y`;

describe('npm run consent (device code flow)', () => {
  it('when the admin signs in after a few polls, then the refresh token is stored as a new version and never shown', async () => {
    const store = memoryStore();
    const said: string[] = [];
    const waits: number[] = [];
    const { post, calls } = entra([
      { status: 400, body: { error: 'authorization_pending' } },
      { status: 400, body: { error: 'slow_down' } },
      { status: 200, body: { access_token: 'at', refresh_token: 'rt-secret-value', id_token: idToken } },
    ]);
    const outcome = await obtainRefreshToken({
      tenantId: 'partner.onmicrosoft.com', clientId: 'app-id', authorityHost: 'https://login.microsoftonline.com/', scope: 'https://api.partnercenter.microsoft.com/user_impersonation',
      store, post, say: (message) => said.push(message), sleep: async (ms) => void waits.push(ms),
    });
    expect(outcome).toEqual({ version: '1', signedInAs: 'admin@partner.example' });
    expect(store.values).toEqual(['rt-secret-value']);
    expect(said).toEqual(['To sign in, open https://microsoft.com/devicelogin and enter ABCD-EFGH.']);
    expect(said.join(' ')).not.toContain('rt-secret-value');
    expect(waits).toEqual([5000, 5000, 10000]);
    expect(calls[0]).toEqual({ url: 'https://login.microsoftonline.com/partner.onmicrosoft.com/oauth2/v2.0/devicecode', form: { client_id: 'app-id', scope: 'https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile' } });
    expect(calls[1]?.form).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'app-id', device_code: 'dc-1' });
  });

  it('when the admin declines, the code expires or Entra refuses, then nothing is stored and the error says why', async () => {
    for (const [answer, code] of [
      [{ status: 400, body: { error: 'authorization_declined' } }, 'ConsentDeclined'],
      [{ status: 400, body: { error: 'expired_token' } }, 'ConsentTimedOut'],
      [{ status: 400, body: { error: 'invalid_client', error_codes: [7000218], error_description: 'AADSTS7000218: The request body must contain client_assertion or client_secret. Trace ID: x' } }, 'ConsentRefused'],
      [{ status: 200, body: { access_token: 'at' } }, 'NoRefreshToken'],
    ] as const) {
      const store = memoryStore();
      const { post } = entra([answer]);
      const failure = obtainRefreshToken({ tenantId: 't', clientId: 'c', authorityHost: 'https://login.microsoftonline.com', scope: 's', store, post, say: () => undefined, sleep: async () => undefined });
      await expect(failure).rejects.toMatchObject({ code });
      expect(store.values).toEqual([]);
    }
  });

  it('when settings come from options, the environment and azd, then options win and missing ones are all named', () => {
    const azd = () => ({ KEY_VAULT_URL: 'https://kv-abc.vault.azure.net/', AZURE_TENANT_ID: 'from-azd' });
    expect(consentSettings(['--tenant', 'from-option'], { PARTNER_CENTER_APP_CLIENT_ID: 'app' }, azd)).toEqual({
      tenant: 'from-option',
      'client-id': 'app',
      'vault-url': 'https://kv-abc.vault.azure.net/',
      secret: 'partner-center-refresh-token',
      'authority-host': 'https://login.microsoftonline.com',
      scope: 'https://api.partnercenter.microsoft.com/user_impersonation',
    });
    expect(() => consentSettings([], {}, () => ({}))).toThrow(/Missing: --tenant .*; --client-id .*; --vault-url/);
    expect(() => consentSettings(['--nope', 'x'], {}, () => ({}))).toThrow(/Unknown argument --nope/);
  });
});
