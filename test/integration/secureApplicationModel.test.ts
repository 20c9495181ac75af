import { snapshotReader } from '../../src/composition';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
/** Everything the functions and libraries printed or logged during this file's runs. */
const captured: string[] = [];
const secretName = 'partner-center-refresh-token';

beforeAll(async () => {
  cloud = await startCloud({ nonMfaSignInsPerDay: 4 });
  // As after `npm run consent`: the partner admin's refresh token is in the vault.
  cloud.sim.secrets.set(secretName, cloud.sim.refreshToken);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map(String).join(' '));
    });
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
    });
  }
});
afterAll(async () => {
  jest.restoreAllMocks();
  await cloud?.close();
});
afterEach(() => cloud.sim.clearFaults());

// Attempts of 10 s, as long as the credential's default wait for a concurrent rotation: revoked
// consent must still read as ConsentRequired (the wait is bounded by the attempt), never a Timeout.
const appUser = (overrides: Record<string, string> = {}) =>
  cloud.settings({ HTTP_TIMEOUT_SECONDS: '10', PARTNER_CENTER_AUTH: 'appUser', KEY_VAULT_URL: cloud.sim.keyVaultUrl, PARTNER_CENTER_REFRESH_TOKEN_SECRET: secretName, ...overrides });

async function run(name: string, settings: Record<string, string>): Promise<{ logs: string[]; error: (Error & { code?: string }) | null }> {
  try {
    const logs = await cloud.run(name, settings);
    captured.push(...logs);
    return { logs, error: null };
  } catch (thrown) {
    const error = thrown as Error & { code?: string; logs?: string[] };
    captured.push(...(error.logs ?? []), error.message, String(error.stack));
    return { logs: error.logs ?? [], error };
  }
}

describe('Partner Center through the Secure Application Model, end to end', () => {
  it('when PARTNER_CENTER_AUTH is appUser, then collectNonMfaPrincipals redeems the refresh token from Key Vault, stores the rotated one and completes', async () => {
    const settings = appUser();
    const versions = cloud.sim.secrets.versions(secretName).length;
    cloud.sim.clearRequestLog();
    const { error } = await run('collectNonMfaPrincipals', settings);
    expect(error).toBeNull();
    const latest = await (await snapshotReader(settings)).latestCompleteRun('nonMfaPrincipals');
    expect(latest?.counts.principals).toBe(cloud.sim.expected().nonMfaPrincipals.length);
    expect(cloud.sim.secrets.versions(secretName)).toHaveLength(versions + 1);
    const log = cloud.sim.requestLog();
    const redemption = log.find((entry) => entry.service === 'login' && entry.method === 'POST' && entry.status === 200);
    expect(redemption).toBeDefined();
    expect(log.filter((entry) => entry.service === 'keyVault').map((entry) => entry.method)).toEqual(expect.arrayContaining(['GET', 'PUT']));
    expect(log.filter((entry) => entry.service === 'partnerCenter').every((entry) => entry.status === 200)).toBe(true);
  });

  it('when the Graph collectors and the detector run beside it, then they keep app-only tokens and the run is whole', async () => {
    const settings = appUser();
    for (const name of ['collectPartnerSecurity', 'collectRegistrationCounts', 'collectNonMfaPrincipals', 'detectRegressions', 'pruneSnapshots']) {
      const { error } = await run(name, settings);
      expect({ name, error }).toEqual({ name, error: null });
    }
  });

  it('when KEY_VAULT_URL is missing in appUser mode, then only the Partner Center collector fails, naming it', async () => {
    const settings = appUser({ KEY_VAULT_URL: '' });
    expect((await run('collectNonMfaPrincipals', settings)).error?.message).toContain('KEY_VAULT_URL is required with PARTNER_CENTER_AUTH=appUser');
    expect((await run('collectRegistrationCounts', settings)).error).toBeNull();
  });

  it('when the refresh token is revoked, then the run fails with ConsentRequired naming the consent script, and the detector alerts that the monitor cannot see Partner Center', async () => {
    const settings = appUser({ SOURCE_FAILURES_BEFORE_ALERT: '2' });
    await run('detectRegressions', settings);
    const before = cloud.sim.inbox().length;
    // Consent withdrawn: the refresh token stops redeeming, and the access token in hand stops working.
    cloud.sim.injectFault({ kind: 'revokeRefreshTokens' });
    cloud.sim.injectFault({ kind: 'revokeTokens' });
    expect((await run('collectNonMfaPrincipals', settings)).error).toMatchObject({ code: 'Unauthorized' });
    const { error } = await run('collectNonMfaPrincipals', settings);
    expect(error).toMatchObject({ code: 'ConsentRequired' });
    expect(error?.message).toContain('npm run consent');
    const failed = (await (await snapshotReader(settings)).listRuns('nonMfaPrincipals', { top: 1 }))[0];
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'ConsentRequired' });
    expect(failed?.errorMessage).toContain('npm run consent');
    await run('detectRegressions', settings);
    const alerts = cloud.sim.inbox().slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toBe('[MFA monitor] monitor cannot read 1 source');
    expect(alerts[0]?.plainText).toContain('The monitor cannot see non-MFA partner sign-ins (Partner Center)');
  });

  it('when every run of this file is over, then no secret, access token or refresh token appears in anything logged', () => {
    const text = captured.join('\n');
    expect(text.length).toBeGreaterThan(500);
    const secrets = [
      cloud.sim.clientSecret,
      cloud.sim.acsAccessKey,
      cloud.sim.managedIdentity.header,
      ...cloud.sim.issuedTokens(),
      ...cloud.sim.secrets.versions(secretName).map((version) => version.value),
    ];
    expect(secrets.length).toBeGreaterThan(8);
    const leaked = secrets.filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
  });

  it("when every run of this file is over, then no partner user's UPN and no customer name appears in anything logged", () => {
    const text = captured.join('\n');
    const expected = cloud.sim.expected();
    const personal = [...expected.nonMfaPrincipals.map((principal) => principal.upn), ...expected.customers.map((customer) => customer.name)];
    expect(expected.nonMfaPrincipals.length).toBeGreaterThan(0);
    expect(personal.filter((value) => text.includes(value))).toEqual([]);
  });
});
