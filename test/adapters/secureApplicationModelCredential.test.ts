import { randomBytes } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { KeyVaultSecret } from '../../src/adapters/keyVaultSecret';
import { SecureApplicationModelCredential } from '../../src/adapters/secureApplicationModelCredential';
import type { RefreshTokenStore } from '../../src/ports';
import { startSimulator, type Simulator } from '../../tools/simulator';

if (!process.env.NODE_EXTRA_CA_CERTS) {
  throw new Error('Run through the trust wrapper: node dist/tools/withSimulatorTrust.js npx jest test/adapters');
}

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const vaultCredential = () => new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, { authorityHost: sim.authorityHost, disableInstanceDiscovery: true });
const scope = () => `${sim.partnerCenterBaseUrl}/.default`;

function credentialFor(secretName: string, options: { store?: RefreshTokenStore; raceWaitMs?: number; tenantId?: string } = {}) {
  return new SecureApplicationModelCredential({
    tenantId: options.tenantId ?? sim.tenantId,
    clientId: sim.clientId,
    authorityHost: sim.authorityHost,
    store: options.store ?? new KeyVaultSecret(sim.keyVaultUrl, secretName, vaultCredential()),
    raceWaitMs: options.raceWaitMs ?? 2000,
  });
}

/**
 * The simulator's refresh tokens are single use, and each redemption hands out exactly one
 * successor: the tests share one chain. Each test's secret starts from the chain's current
 * token, and the chain continues from whatever that secret holds at the end.
 */
let chain: string;
let lastSecret: string | undefined;
beforeAll(() => {
  chain = sim.refreshToken;
});
afterEach(() => {
  if (lastSecret !== undefined) chain = sim.secrets.get(lastSecret)!.value;
});

function seededSecret(): string {
  lastSecret = `pc-rt-${randomBytes(4).toString('hex')}`;
  sim.secrets.set(lastSecret, chain);
  return lastSecret;
}

async function partnerCenterStatus(token: string): Promise<number> {
  const response = await fetch(`${sim.partnerCenterBaseUrl}/v1/nonMfaCompliantPartnerPrincipals`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe('SecureApplicationModelCredential against the simulated Entra and Key Vault', () => {
  it('when it redeems the stored refresh token, then the access token opens Partner Center and the rotated token is stored as a new version', async () => {
    const name = seededSecret();
    const before = sim.secrets.versions(name);
    sim.clearRequestLog();
    const token = await credentialFor(name).getToken(scope());
    expect(await partnerCenterStatus(token.token)).toBe(200);
    const after = sim.secrets.versions(name);
    expect(after).toHaveLength(before.length + 1);
    expect(after[after.length - 1]!.value).not.toBe(before[before.length - 1]!.value);
    const redemption = sim.requestLog().find((entry) => entry.service === 'login' && entry.method === 'POST');
    expect(redemption?.status).toBe(200);
  });

  it('when asked again while its token is fresh, then it neither redeems nor rotates again', async () => {
    const name = seededSecret();
    const credential = credentialFor(name);
    const first = await credential.getToken(scope());
    const versions = sim.secrets.versions(name).length;
    const [second, third] = await Promise.all([credential.getToken(scope()), credential.getToken(scope())]);
    expect(second.token).toBe(first.token);
    expect(third.token).toBe(first.token);
    expect(sim.secrets.versions(name)).toHaveLength(versions);
  });

  it('when two instances rotate the same refresh token at once, then both get a token and the newest version is still redeemable', async () => {
    const name = seededSecret();
    const start = sim.secrets.versions(name).length;
    const [a, b] = await Promise.all([credentialFor(name).getToken(scope()), credentialFor(name).getToken(scope())]);
    expect(await partnerCenterStatus(a.token)).toBe(200);
    expect(await partnerCenterStatus(b.token)).toBe(200);
    // One redeemed the seed, the other the winner's rotation: two new versions, the last one live.
    expect(sim.secrets.versions(name)).toHaveLength(start + 2);
    const next = await credentialFor(name).getToken(scope());
    expect(await partnerCenterStatus(next.token)).toBe(200);
  });

  it('when five instances rotate at once, then every one gets a token and the chain survives', async () => {
    const name = seededSecret();
    const tokens = await Promise.all(Array.from({ length: 5 }, () => credentialFor(name, { raceWaitMs: 5000 }).getToken(scope())));
    for (const token of tokens) expect(await partnerCenterStatus(token.token)).toBe(200);
    await expect(credentialFor(name).getToken(scope())).resolves.toBeDefined();
  });

  it('when a concurrent rotation stored a newer version after this one redeemed, then this one does not overwrite it', async () => {
    const name = seededSecret();
    const inner = new KeyVaultSecret(sim.keyVaultUrl, name, vaultCredential());
    let reads = 0;
    const writes: string[] = [];
    const store: RefreshTokenStore = {
      description: inner.description,
      async latest() {
        reads += 1;
        const latest = await inner.latest();
        // The second read is the check before writing: pretend another instance won meanwhile.
        return reads === 2 && latest ? { ...latest, version: 'written-by-another-instance' } : latest;
      },
      async write(value) {
        writes.push(value);
        return inner.write(value);
      },
    };
    const token = await credentialFor(name, { store }).getToken(scope());
    expect(await partnerCenterStatus(token.token)).toBe(200);
    expect(writes).toEqual([]);
  });

  it('when no refresh token was ever stored, then it fails with ConsentRequired naming the consent script', async () => {
    await expect(credentialFor(`never-consented-${randomBytes(3).toString('hex')}`).getToken(scope())).rejects.toMatchObject({
      code: 'ConsentRequired',
      message: expect.stringContaining('npm run consent'),
    });
  });

  it('when the tenant is wrong, then it fails as AuthenticationFailed naming the tenant, and the stored token is untouched', async () => {
    const name = seededSecret();
    const versions = sim.secrets.versions(name).length;
    await expect(credentialFor(name, { tenantId: 'contoso.example' }).getToken(scope())).rejects.toMatchObject({
      code: 'AuthenticationFailed',
      message: expect.stringMatching(/tenant contoso\.example .*invalid_tenant, AADSTS90002/),
    });
    expect(sim.secrets.versions(name)).toHaveLength(versions);
  });

  it('when the refresh token was revoked, then it fails with ConsentRequired naming the consent script, and never shows the token', async () => {
    const name = seededSecret();
    const stored = sim.secrets.get(name)!.value;
    sim.injectFault({ kind: 'revokeRefreshTokens' });
    const started = Date.now();
    const failure = await credentialFor(name, { raceWaitMs: 1000 }).getToken(scope()).then(
      () => null,
      (error: Error & { code?: string }) => error,
    );
    expect(failure).toMatchObject({ code: 'ConsentRequired' });
    expect(failure?.message).toContain('npm run consent');
    expect(failure?.message).toContain(`Key Vault secret '${name}'`);
    expect(failure?.message).toContain('AADSTS70000');
    expect(failure?.message).not.toContain(stored);
    // It waited for a concurrent rotation that never came, then gave up.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sim.secrets.get(name)!.value).toBe(stored);
  });

  it('when the identity may read but not write the secret, then it fails as RefreshTokenNotStored naming the role it needs', async () => {
    // A simulator of its own: the redemption consumes the token it cannot store.
    const other = await startSimulator();
    try {
      const name = 'partner-center-refresh-token';
      other.secrets.set(name, other.refreshToken);
      const readable = new KeyVaultSecret(other.keyVaultUrl, name, new ClientSecretCredential(other.tenantId, other.clientId, other.clientSecret, { authorityHost: other.authorityHost, disableInstanceDiscovery: true }));
      const credential = new SecureApplicationModelCredential({
        tenantId: other.tenantId,
        clientId: other.clientId,
        authorityHost: other.authorityHost,
        store: {
          description: readable.description,
          latest: () => readable.latest(),
          write: () => Promise.reject(Object.assign(new Error('Forbidden'), { statusCode: 403, code: 'Forbidden' })),
        },
      });
      await expect(credential.getToken(`${other.partnerCenterBaseUrl}/.default`)).rejects.toMatchObject({
        code: 'RefreshTokenNotStored',
        message: expect.stringContaining('Key Vault Secrets Officer'),
      });
    } finally {
      await other.close();
    }
  });
});
