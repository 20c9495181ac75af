import type { HttpRequest, InvocationContext } from '@azure/functions';
import { errorCode } from '../core/errors';
import type { AccessTokenVerifier, SignedInPerson } from '../ports';
import { ProblemError } from './problem';

/**
 * The app roles of the sign-in app registration, assigned to people in Entra and carried in the
 * `roles` claim of their access tokens ("Add app roles to your application and receive them in
 * the token", Microsoft identity platform): readers read every endpoint, waiver admins also
 * change waivers.
 */
export const appRoles = { reader: 'Monitor.Read', waiverAdmin: 'Waivers.Write' } as const;
type AppRole = (typeof appRoles)[keyof typeof appRoles];

/** Who makes a change, as the audit names them; resolved before the request is read any further. */
export type Actor = (request: HttpRequest, context: InvocationContext) => Promise<string>;

/** The actor of the keyed routes: the host checked the admin key, which names no one. */
export const adminKeyActor = 'admin key';
export const keyHolder: Actor = () => Promise.resolve(adminKeyActor);

/** The actor of the signed-in routes: the person whose token holds `role`. */
export function signedInActor(role: AppRole, verifier: () => Promise<AccessTokenVerifier>): Actor {
  return async (request, context) => (await signedInPerson(request, role, verifier, context)).name;
}

/**
 * The person an `Authorization: Bearer` access token names, when it holds `role`: else a 401 with
 * the `WWW-Authenticate: Bearer` challenge RFC 6750 (section 3) specifies (`error="invalid_token"`
 * once a token was sent), or a 403 naming the role. The token is never logged nor echoed.
 */
export async function signedInPerson(request: Pick<HttpRequest, 'headers'>, role: AppRole, verifier: () => Promise<AccessTokenVerifier>, context: Pick<InvocationContext, 'warn'>): Promise<SignedInPerson> {
  const token = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  if (token === undefined) {
    throw new ProblemError('SignInRequired', 'Sign in: send an Entra access token for this app as `Authorization: Bearer <token>` (scripts with a key use the routes without `signed-in/`).', {}, { headers: { 'www-authenticate': 'Bearer' } });
  }
  let person: SignedInPerson;
  try {
    person = await (await verifier()).verify(token);
  } catch (thrown) {
    const code = errorCode(thrown);
    if (code === 'TokenRejected') {
      // Why, in the verifier's words (an expired token, another audience): never the token or its claims.
      context.warn(`A signed-in request was refused: ${thrown instanceof Error ? thrown.message : code}`);
      throw new ProblemError('SignInRequired', 'The access token is not one for this app (expired, or issued for another app or tenant): sign in again.', {}, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    }
    if (code === 'SignInUnavailable') throw new ProblemError('SignInUnavailable', "Entra's signing keys cannot be read just now, so no token can be checked; try again shortly. The function log has the details.", {}, { cause: thrown });
    throw thrown;
  }
  if (!holds(person, role)) {
    throw new ProblemError('RoleRequired', `This needs the app role ${role}, which an admin assigns in Entra (Enterprise applications, this app, Users and groups); sign in again once it is assigned.`);
  }
  return person;
}

/** A waiver admin reads too: one role to assign to someone who changes waivers. */
function holds(person: SignedInPerson, role: AppRole): boolean {
  return person.roles.includes(role) || (role === appRoles.reader && person.roles.includes(appRoles.waiverAdmin));
}
