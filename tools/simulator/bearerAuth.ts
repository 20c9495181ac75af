import type { Resource, SimulatorContext } from './context';
import { acsError, graphError, partnerCenterError } from './errorBodies';
import type { Exchange } from './exchange';

const MESSAGES = {
  missing: 'Access token is empty.',
  unknown: 'Invalid authentication token: it is not recognised or has been revoked.',
  expired: 'Lifetime validation failed, the token is expired.',
  wrongAudience: 'Access token validation failure. Invalid audience.',
} as const;

/** The bearer token of the request, if it has one. */
export function bearerToken(ex: Exchange): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ex.header('authorization') ?? '');
  return match?.[1];
}

/**
 * Checks the bearer token for a resource; answers 401 (with WWW-Authenticate: Bearer)
 * and returns false when it is missing, unknown, revoked, expired or for another audience.
 */
export function authorize(ex: Exchange, ctx: SimulatorContext, resource: Resource): boolean {
  const token = bearerToken(ex);
  const check = token === undefined ? 'missing' : ctx.tokens.check(token, ctx.audiences[resource]);
  if (check === 'valid') return true;
  const message = MESSAGES[check];
  const body =
    resource === 'graph' ? graphError(ex, 401, message, 'InvalidAuthenticationToken')
      : resource === 'partnerCenter' ? partnerCenterError(401, message, 900_401)
        : acsError(401, message, 'InvalidAuthenticationToken');
  ex.send(401, body, {
    'www-authenticate': `Bearer realm="", authorization_uri="${ctx.authorityHost}/${ctx.tenantId}/oauth2/v2.0/authorize", error="invalid_token"`,
  });
  return false;
}
