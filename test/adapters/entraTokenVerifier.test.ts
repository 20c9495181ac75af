import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { EntraTokenVerifier, type FetchJson } from '../../src/adapters/entraTokenVerifier';
import { signedInPerson } from '../../src/api/signedIn';
import { ProblemError } from '../../src/api/problem';
import { errorCode } from '../../src/core/errors';

/*
 * Written from the Microsoft identity platform's documents, not from our simulator:
 * - "Access tokens", Validate tokens (MicrosoftDocs/entra-docs docs/identity-platform/access-tokens.md):
 *   validate the signature with the key the OpenID configuration's `jwks_uri` lists under the
 *   token's `kid` (Entra rotates its keys), the issuer exactly as the tenant's metadata gives it,
 *   and that `tid` is the tenant of that issuer.
 * - "Access token claims reference" (access-token-claims-reference.md): `aud` "In v2.0 tokens, this
 *   value is always the client ID of the API" and must be validated; `nbf`/`exp`; `roles` carries
 *   "the assigned roles of the user on the target application"; `preferred_username`, `name`, `oid`.
 * - RFC 6750 section 3: a 401 carries `WWW-Authenticate: Bearer`, with `error="invalid_token"` once a token was sent.
 */

const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const clientId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const authorityHost = 'https://login.example.test';
const issuer = `${authorityHost}/${tenantId}/v2.0`;
const jwksUri = `${authorityHost}/${tenantId}/discovery/v2.0/keys`;

function keyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

const entra = keyPair();
const stranger = keyPair();
const now = Date.UTC(2026, 11, 7, 10, 0, 0);

function jwt(claims: Record<string, unknown>, options: { key?: KeyObject; kid?: string; alg?: string } = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ typ: 'JWT', alg: options.alg ?? 'RS256', kid: options.kid ?? 'key-1' })}.${part(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), options.key ?? entra.privateKey).toString('base64url')}`;
}

const seconds = now / 1000;
const validClaims = { aud: clientId, iss: issuer, tid: tenantId, oid: '00000000-0000-0000-0000-0000000000a1', preferred_username: 'alice@partner.example', name: 'Alice', roles: ['Monitor.Read'], nbf: seconds - 60, iat: seconds - 60, exp: seconds + 3600, ver: '2.0' };

/** Entra's documents as fetchJson answers them, counting each fetch of the keys. */
function entraDocuments(keys: { kid: string; key: KeyObject }[]) {
  const fetched: string[] = [];
  let listed = keys;
  const fetchJson: FetchJson = (url) => {
    fetched.push(url);
    if (url === `${authorityHost}/${tenantId}/v2.0/.well-known/openid-configuration`) return Promise.resolve({ issuer, jwks_uri: jwksUri });
    if (url === jwksUri) return Promise.resolve({ keys: listed.map(({ kid, key }) => ({ kty: 'RSA', use: 'sig', kid, ...key.export({ format: 'jwk' }) })) });
    return Promise.reject(new Error(`unexpected fetch of ${url}`));
  };
  return { fetchJson, fetched, list: (next: typeof keys) => (listed = next) };
}

function verifier(documents = entraDocuments([{ kid: 'key-1', key: entra.publicKey }]), clock = () => now) {
  return new EntraTokenVerifier({ clientId, tenantId, authorityHost, timeoutMs: 1000 }, documents.fetchJson, clock);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (thrown) {
    return `${errorCode(thrown)}: ${(thrown as Error).message}`;
  }
  return 'accepted';
}

describe('Entra access tokens checked by the app', () => {
  it('when a token is signed by a key Entra lists, for this app, tenant and time, then it names the person and their roles', async () => {
    expect(await verifier().verify(jwt(validClaims))).toEqual({ name: 'alice@partner.example', roles: ['Monitor.Read'] });
    // The audit names preferred_username, else name, else the object id.
    expect((await verifier().verify(jwt({ ...validClaims, preferred_username: undefined }))).name).toBe('Alice');
    expect((await verifier().verify(jwt({ ...validClaims, preferred_username: undefined, name: undefined }))).name).toBe(validClaims.oid);
  });

  it('when the signature, algorithm, audience, issuer, tenant or lifetime is wrong, then the token is refused, saying which', async () => {
    const check = verifier();
    const [header, payload] = jwt(validClaims).split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...validClaims, roles: ['Waivers.Write'] })).toString('base64url')}.${jwt(validClaims).split('.')[2]}`;
    expect({
      strangerKey: await refusal(check.verify(jwt(validClaims, { key: stranger.privateKey }))),
      tampered: await refusal(check.verify(tampered)),
      unsigned: await refusal(check.verify(`${header}.${payload}.`)),
      noneAlgorithm: await refusal(check.verify(jwt(validClaims, { alg: 'none' }))),
      otherApp: await refusal(check.verify(jwt({ ...validClaims, aud: '00000003-0000-0000-c000-000000000000' }))),
      appIdUri: await refusal(check.verify(jwt({ ...validClaims, aud: `api://${clientId}` }))),
      v1Issuer: await refusal(check.verify(jwt({ ...validClaims, iss: `https://sts.windows.net/${tenantId}/` }))),
      otherTenant: await refusal(check.verify(jwt({ ...validClaims, tid: '11111111-2222-3333-4444-555555555555' }))),
      expired: await refusal(check.verify(jwt({ ...validClaims, exp: seconds - 600 }))),
      notYet: await refusal(check.verify(jwt({ ...validClaims, nbf: seconds + 600 }))),
    }).toEqual({
      strangerKey: 'TokenRejected: the token signature does not verify',
      tampered: 'TokenRejected: the token signature does not verify',
      unsigned: 'TokenRejected: the token is not a signed JWT (three dot-separated parts)',
      noneAlgorithm: 'TokenRejected: the token is not signed with RS256',
      otherApp: 'TokenRejected: the token audience is not this app (SIGN_IN_CLIENT_ID)',
      appIdUri: 'TokenRejected: the token audience is not this app (SIGN_IN_CLIENT_ID)',
      v1Issuer: "TokenRejected: the token issuer is not the tenant's",
      otherTenant: "TokenRejected: the token tenant (tid) is not the issuer's",
      expired: 'TokenRejected: the token has expired',
      notYet: 'TokenRejected: the token is not valid yet (nbf)',
    });
  });

  it('when Entra rotates its keys, then a token with an unknown kid reads the keys again once, and a made-up kid does not make it read them again within the minute', async () => {
    const documents = entraDocuments([{ kid: 'key-1', key: entra.publicKey }]);
    let clock = now;
    const check = verifier(documents, () => clock);
    await check.verify(jwt(validClaims));
    const keyReads = () => documents.fetched.filter((url) => url === jwksUri).length;
    expect(keyReads()).toBe(1);
    await check.verify(jwt(validClaims));
    expect(keyReads()).toBe(1);

    const rotated = keyPair();
    documents.list([{ kid: 'key-1', key: entra.publicKey }, { kid: 'key-2', key: rotated.publicKey }]);
    clock += 61_000;
    expect((await check.verify(jwt(validClaims, { key: rotated.privateKey, kid: 'key-2' }))).name).toBe('alice@partner.example');
    expect(keyReads()).toBe(2);
    expect(await refusal(check.verify(jwt(validClaims, { kid: 'made-up' })))).toBe('TokenRejected: the token names a signing key Entra does not list for the tenant');
    expect(keyReads()).toBe(2);
  });

  it('when Entra cannot be read, then no token is accepted and the failure is SignInUnavailable, not a refusal of the person', async () => {
    const failing: FetchJson = () => Promise.reject(Object.assign(new Error('Entra could not be reached'), { code: 'SignInUnavailable' }));
    const check = new EntraTokenVerifier({ clientId, tenantId, authorityHost, timeoutMs: 1000 }, failing, () => now);
    expect(await refusal(check.verify(jwt(validClaims)))).toMatch(/^SignInUnavailable/);
  });
});

describe('people at the signed-in routes', () => {
  const warnings: string[] = [];
  const context = { warn: (line: unknown) => warnings.push(String(line)) };
  const request = (authorization?: string) => ({ headers: new Headers(authorization === undefined ? {} : { authorization }) });
  const verifierOf = () => Promise.resolve(verifier());

  async function answer(promise: Promise<unknown>) {
    try {
      return await promise;
    } catch (thrown) {
      if (!(thrown instanceof ProblemError)) throw thrown;
      return { status: thrown.problem.status, challenge: thrown.headers['www-authenticate'], detail: thrown.problem.detail };
    }
  }

  it('when no token, a bad token or a token without the role comes, then 401 with a Bearer challenge, or 403 naming the role; the token never reaches the log', async () => {
    const expiredToken = jwt({ ...validClaims, exp: seconds - 600 });
    expect(await answer(signedInPerson(request(), 'Monitor.Read', verifierOf, context))).toMatchObject({ status: 401, challenge: 'Bearer' });
    expect(await answer(signedInPerson(request('Basic YWxpY2U6cHc='), 'Monitor.Read', verifierOf, context))).toMatchObject({ status: 401, challenge: 'Bearer' });
    expect(await answer(signedInPerson(request(`Bearer ${expiredToken}`), 'Monitor.Read', verifierOf, context))).toMatchObject({ status: 401, challenge: 'Bearer error="invalid_token"' });
    const readerToken = `Bearer ${jwt(validClaims)}`;
    expect(await answer(signedInPerson(request(readerToken), 'Waivers.Write', verifierOf, context))).toMatchObject({ status: 403, detail: expect.stringContaining('app role Waivers.Write') });
    expect(warnings.join('\n')).not.toContain(expiredToken.split('.')[1]);
    expect(warnings.join('\n')).toContain('the token has expired');
  });

  it('when a reader or a waiver admin reads, then both may (a waiver admin reads too); only the waiver admin writes', async () => {
    const admin = `Bearer ${jwt({ ...validClaims, roles: ['Waivers.Write'] })}`;
    expect(await answer(signedInPerson(request(`Bearer ${jwt(validClaims)}`), 'Monitor.Read', verifierOf, context))).toEqual({ name: 'alice@partner.example', roles: ['Monitor.Read'] });
    expect(await answer(signedInPerson(request(admin), 'Monitor.Read', verifierOf, context))).toMatchObject({ name: 'alice@partner.example' });
    expect(await answer(signedInPerson(request(admin), 'Waivers.Write', verifierOf, context))).toMatchObject({ name: 'alice@partner.example' });
    expect(await answer(signedInPerson(request(`Bearer ${jwt({ ...validClaims, roles: [] })}`), 'Monitor.Read', verifierOf, context))).toMatchObject({ status: 403, detail: expect.stringContaining('Monitor.Read') });
  });
});
