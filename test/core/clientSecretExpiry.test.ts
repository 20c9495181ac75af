import { judgeClientSecret } from '../../src/core/clientSecretExpiry';

/*
 * Sources:
 * - Microsoft Entra, "Add and manage application credentials" (learn.microsoft.com/entra/identity-platform/how-to-add-credentials):
 *   a client secret has an end date (at most 24 months; tenant policy may cap it lower), after
 *   which Entra refuses it (AADSTS7000222, "The provided client secret keys are expired").
 * - Microsoft's "Replace an expiring client secret" (SharePoint docs, sp-add-ins): "We recommend
 *   creating new secrets a minimum of 30 days before they expire": the warning starts 30 days ahead.
 * - Key Vault REST, Set Secret / Get Secret Versions (learn.microsoft.com/rest/api/keyvault/secrets):
 *   SecretAttributes `exp` is the expiry recorded with a version; `enabled: false` makes Key
 *   Vault refuse the value ("Operation get is not allowed on a disabled secret").
 */
const where = { vaultName: 'kv-monitor', secretName: 'graph-client-secret' };
const now = new Date('2026-12-07T12:00:00.000Z');
const daysFromNow = (days: number): Date => new Date(now.getTime() + days * 86_400_000);
const judge = (expiresOn: Date | null, enabled = true) => judgeClientSecret({ properties: { enabled, expiresOn } }, where, now);

describe('judgeClientSecret', () => {
  it('when the secret expires in 60 days, then all is well and the days left are shown', () => {
    expect(judge(daysFromNow(60))).toEqual({ state: 'ok', expiresOn: '2027-02-05T12:00:00.000Z', daysLeft: 60, problem: null, warning: null });
  });

  it('when it expires in 30 days or fewer, then it is a warning (not a reason to be unhealthy) naming the date, the vault, the secret and both steps of the fix', () => {
    const verdict = judge(daysFromNow(10));
    expect(verdict).toMatchObject({ state: 'expiring', daysLeft: 10, problem: null });
    expect(verdict.warning).toBe(
      "the app registration's client secret (secret graph-client-secret of vault kv-monitor) expires on 2026-12-17T12:00:00.000Z, in 10 days: add a new client secret to the app registration (Entra admin center > App registrations > Certificates & secrets), then store it: az keyvault secret set --vault-name kv-monitor --name graph-client-secret --value <the new secret's value> --expires <its end date, e.g. 2027-06-01T00:00:00Z>",
    );
    expect(judge(daysFromNow(30)).state).toBe('expiring');
    expect(judge(new Date(daysFromNow(30).getTime() + 1000)).state).toBe('ok');
  });

  it('when it expires in 7 days or fewer, then it is a reason the monitor is unhealthy, so the health check pages while there is time to rotate it', () => {
    expect(judge(daysFromNow(7))).toMatchObject({ state: 'expiring', problem: expect.stringContaining('in 7 days'), warning: null });
    expect(judge(daysFromNow(0.5)).problem).toContain('in less than a day');
  });

  it('when it has expired, then it is a reason that says every collector fails, with the fix', () => {
    expect(judge(daysFromNow(-2))).toMatchObject({
      state: 'expired',
      daysLeft: -2,
      problem: expect.stringMatching(/expired on 2026-12-05T12:00:00\.000Z: Entra refuses it and every collector fails; add a new client secret .* --expires/),
    });
    expect(judge(now).state).toBe('expired');
  });

  it('when no expiry was recorded, then it is a warning that says to record the end date, without storing the value again', () => {
    expect(judge(null)).toEqual({
      state: 'noExpiry',
      expiresOn: null,
      daysLeft: null,
      problem: null,
      warning:
        "the app registration's client secret (secret graph-client-secret of vault kv-monitor) has no expiry recorded, so nobody is warned before Entra refuses it: record the end date the app registration shows for it: az keyvault secret set-attributes --vault-name kv-monitor --name graph-client-secret --expires <its end date>",
    });
  });

  it('when no version is stored, or the current one is disabled, then the app cannot get it: a reason, with the fix', () => {
    expect(judgeClientSecret({ properties: null }, where, now)).toMatchObject({ state: 'missing', problem: expect.stringContaining('is not stored: the app cannot sign in'), warning: null });
    expect(judge(daysFromNow(60), false)).toMatchObject({ state: 'disabled', problem: expect.stringContaining('is disabled'), warning: null });
  });

  it('when the vault cannot be read, then the expiry is unknown: a reason naming KEY_VAULT_URL and what the vault answered', () => {
    expect(judgeClientSecret({ unreadable: '403 Forbidden' }, where, now)).toMatchObject({
      state: 'unreadable',
      expiresOn: null,
      problem: expect.stringContaining('cannot be read from Key Vault (KEY_VAULT_URL; 403 Forbidden), so its expiry is unknown'),
    });
  });
});
