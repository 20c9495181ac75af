/*
 * Azure Key Vault secrets as @azure/keyvault-secrets uses them: `GET /secrets/{name}[/{version}]`,
 * `PUT /secrets/{name}`, `GET /secrets/{name}/versions` and `GET /secrets` (properties only, no
 * values), api-version 7.x or dated (2025-07-01), each version's attributes (`enabled`, `exp` in Unix
 * seconds as written, `created`, `updated`) as Set Secret and Get Secret Versions document them,
 * bearer tokens for
 * https://vault.azure.net obtained through Key Vault's challenge (a first request without a
 * token answered 401 with `WWW-Authenticate: Bearer authorization=..., resource=...`).
 * The vault lives at the simulator's root URL, since the SDK parses secret ids as
 * `{vault}/secrets/{name}/{version}`.
 */
import { bearerToken } from './bearerAuth';
import type { SimulatorContext } from './context';
import type { Exchange } from './exchange';
import { applyRequestFaults } from './requestFaults';
import type { SecretVersion } from './secretVault';

const NAME = /^[0-9a-zA-Z-]{1,127}$/;

function keyVaultError(code: string, message: string) {
  return { error: { code, message } };
}

function bundle(ctx: SimulatorContext, secret: SecretVersion) {
  return {
    value: secret.value,
    id: `${ctx.url}/secrets/${secret.name}/${secret.version}`,
    ...(secret.contentType === undefined ? {} : { contentType: secret.contentType }),
    ...(secret.tags === undefined ? {} : { tags: secret.tags }),
    attributes: {
      enabled: secret.enabled,
      ...(secret.expires === undefined ? {} : { exp: secret.expires }),
      created: secret.created,
      updated: secret.created,
      recoveryLevel: 'Recoverable',
      recoverableDays: 90,
    },
  };
}

export async function handleKeyVault(ex: Exchange, ctx: SimulatorContext): Promise<void> {
  if (!(await applyRequestFaults(ex, ctx.faults, 0))) return;
  const apiVersion = ex.url.searchParams.get('api-version') ?? '';
  if (!/^(7\.\d+|\d{4}-\d{2}-\d{2})(-preview)?$/.test(apiVersion)) {
    ex.send(400, keyVaultError('BadParameter', `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (7.5).`));
    return;
  }
  const token = bearerToken(ex);
  const check = token === undefined ? 'missing' : ctx.tokens.check(token, ctx.audiences.keyVault);
  if (check !== 'valid') {
    ex.send(401, token === undefined ? undefined : keyVaultError('Unauthorized', `AKV10000: Request is missing a valid Bearer token (${check}).`), {
      // As the real vault answers: the SDK takes only the tenant (the path) from it; the host is its credential's.
      'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${ctx.tenantId}", resource="https://vault.azure.net"`,
    });
    return;
  }
  if (ex.url.pathname === '/secrets' && ex.method === 'GET') {
    // The newest version of every secret, properties only (Key Vault never lists values).
    ex.send(200, {
      value: ctx.secrets.names().flatMap((name) => {
        const newest = ctx.secrets.get(name);
        if (newest === undefined) return [];
        const { value: _value, ...properties } = bundle(ctx, newest);
        return [{ ...properties, id: `${ctx.url}/secrets/${newest.name}` }];
      }),
      nextLink: null,
    });
    return;
  }
  const match = /^\/secrets\/([^/]+)(?:\/([^/]*))?$/.exec(ex.url.pathname);
  const name = match?.[1] ?? '';
  if (!match || !NAME.test(name)) {
    ex.send(404, keyVaultError('NotFound', 'The requested route is not served by this vault.'));
    return;
  }
  const version = match[2] || undefined;
  if (ex.method === 'PUT' && version === undefined) {
    let body: { value?: unknown; contentType?: unknown; tags?: unknown; attributes?: { exp?: unknown; enabled?: unknown } };
    try {
      body = JSON.parse(ex.body.toString('utf8')) as typeof body;
    } catch {
      ex.send(400, keyVaultError('BadParameter', 'The request body is not valid JSON.'));
      return;
    }
    if (typeof body.value !== 'string') {
      ex.send(400, keyVaultError('BadParameter', 'Property value is required.'));
      return;
    }
    // SecretAttributes: `exp` in Unix seconds (`az keyvault secret set --expires`), `enabled`.
    const exp = body.attributes?.exp;
    if (exp !== undefined && !Number.isInteger(exp)) {
      ex.send(400, keyVaultError('BadParameter', 'Property attributes.exp must be an integer (seconds since 1970-01-01T00:00:00Z).'));
      return;
    }
    const stored = ctx.secrets.set(name, body.value, {
      contentType: typeof body.contentType === 'string' ? body.contentType : undefined,
      tags: body.tags !== null && typeof body.tags === 'object' ? (body.tags as Record<string, string>) : undefined,
      expires: exp as number | undefined,
      enabled: typeof body.attributes?.enabled === 'boolean' ? body.attributes.enabled : undefined,
    });
    ex.send(200, bundle(ctx, stored));
    return;
  }
  if (ex.method !== 'GET') {
    ex.send(405, keyVaultError('BadParameter', `Method ${ex.method} is not allowed here.`));
    return;
  }
  if (version === 'versions') {
    ex.send(200, {
      value: ctx.secrets.versions(name).map((secret) => {
        const { value: _value, ...properties } = bundle(ctx, secret);
        return properties;
      }),
      nextLink: null,
    });
    return;
  }
  const secret = ctx.secrets.get(name, version);
  if (!secret) {
    ex.send(404, keyVaultError('SecretNotFound', `A secret with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault.`));
    return;
  }
  if (!secret.enabled) {
    // What Key Vault answers for the value of a disabled version: its properties stay listable.
    ex.send(403, { error: { code: 'Forbidden', message: 'Operation get is not allowed on a disabled secret.', innererror: { code: 'SecretDisabled' } } });
    return;
  }
  ex.send(200, bundle(ctx, secret));
}
