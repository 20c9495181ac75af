import { keyVaultReference, postFix, urlShapeProblem } from '../../../tools/doctor/channels';
import type { FailureFacts } from '../../../tools/doctor/diagnosis';

const facts = (status: number | null, code: string | null = null, ownCode: string | null = null): FailureFacts => ({ code: ownCode, status, serviceCodes: code === null ? [] : [code], aadsts: [], ownMessage: null });

describe("the doctor's channel checks", () => {
  // Microsoft, "Use Key Vault references as app settings in Azure App Service and Azure Functions": the two reference forms.
  it.each([
    ['@Microsoft.KeyVault(SecretUri=https://kv-mfa.vault.azure.net/secrets/teams-webhook-url/)', { vaultUrl: 'https://kv-mfa.vault.azure.net', name: 'teams-webhook-url', version: undefined }],
    ['@Microsoft.KeyVault(SecretUri=https://kv-mfa.vault.azure.net/secrets/teams-webhook-url/ec96f02080254f109c51a1f14cdb1931)', { vaultUrl: 'https://kv-mfa.vault.azure.net', name: 'teams-webhook-url', version: 'ec96f02080254f109c51a1f14cdb1931' }],
    ['@Microsoft.KeyVault(VaultName=kv-mfa;SecretName=slack-webhook-url)', { vaultUrl: 'https://kv-mfa.vault.azure.net', name: 'slack-webhook-url', version: undefined }],
    ['@Microsoft.KeyVault(VaultName=kv-mfa;SecretName=alert-webhook-secret;SecretVersion=abc123)', { vaultUrl: 'https://kv-mfa.vault.azure.net', name: 'alert-webhook-secret', version: 'abc123' }],
  ])('when a setting is %s, then it is read as a reference to that secret', (value, reference) => {
    expect(keyVaultReference(value)).toEqual(reference);
  });

  it('when a setting is a plain value or a broken reference, then it is a value or malformed', () => {
    expect(keyVaultReference('https://hooks.slack.com/services/T0/B0/x')).toBeNull();
    expect(keyVaultReference('@Microsoft.KeyVault(SecretUri=http://kv.vault.azure.net/secrets/x/)')).toBe('malformed');
    expect(keyVaultReference('@Microsoft.KeyVault(VaultName=kv-mfa)')).toBe('malformed');
  });

  it('when URLs have the shapes the platforms hand out, then they pass; a retired connector and a cut URL do not', () => {
    expect(urlShapeProblem('teams', new URL('https://prod-12.westeurope.logic.azure.com:443/workflows/4a1c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=abc'))).toBeNull();
    expect(urlShapeProblem('teams', new URL('https://default0b1e.ab.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/4a1c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=abc'))).toBeNull();
    expect(urlShapeProblem('teams', new URL('https://outlook.office.com/webhook/0b1e/IncomingWebhook/abc/def'))).toContain('retired');
    expect(urlShapeProblem('slack', new URL('https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'))).toBeNull();
    expect(urlShapeProblem('slack', new URL('https://hooks.slack.com/services/T00000000/B00000000'))).toContain('not an incoming webhook URL');
  });

  // Slack, "Sending messages using incoming webhooks" (Handling errors): the error strings and what each means.
  it.each([
    ['no_service', 404, 'Slack knows no webhook'],
    ['channel_not_found', 404, "channel no longer exists"],
    ['channel_is_archived', 410, 'archived'],
    ['action_prohibited', 403, 'workspace admin restricted'],
    ['posting_to_general_channel_denied', 403, 'Only admins may post'],
    ['invalid_payload', 400, 'report it'],
  ])('when Slack answers %s, then the fix says what it means', (code, status, fix) => {
    expect(postFix('slack', facts(status, code))).toContain(fix);
  });

  it('when a post times out or meets a busy channel, then the fix says to wait or check the network, not to change the URL', () => {
    expect(postFix('teams', facts(null, null, 'ChannelTimeout'))).toContain('WEBHOOK_TIMEOUT_SECONDS');
    expect(postFix('webhook', facts(503))).toContain('again in a few minutes');
  });
});
