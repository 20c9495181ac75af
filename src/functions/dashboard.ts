import { randomBytes } from 'node:crypto';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { problemResponse, commonHeaders } from '../api/serveEndpoint';
import { readConfig, type SignInConfig } from '../config';

/**
 * The dashboard page: static HTML and script with no data in it, so anyone may load it (no key,
 * which would have to travel in its address); the data it reads is behind keys or sign-in.
 */
export async function getDashboard(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let signIn: SignInConfig | null;
  try {
    ({ signIn } = readConfig(undefined, ['signIn']));
  } catch (thrown) {
    return problemResponse(thrown, context);
  }
  // The page's script is the largest text the app holds: loaded when the page is asked for, not at every cold start.
  const { dashboardHtml } = await import('../api/dashboard/page');
  const nonce = randomBytes(16).toString('base64');
  // The page redeems its sign-in code at Entra's token endpoint itself (a single-page app's flow), so that origin is reachable too.
  const connectSources = signIn === null ? "'self'" : `'self' ${new URL(signIn.authorityHost).origin}`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src ${connectSources}; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'referrer-policy': 'no-referrer',
      ...commonHeaders,
    },
    body: dashboardHtml(nonce, { signIn: signIn === null ? null : { authority: `${signIn.authorityHost}/${signIn.tenantId}`, clientId: signIn.clientId } }),
  };
}

app.http('dashboard', { route: 'dashboard', methods: ['GET'], authLevel: 'anonymous', handler: getDashboard });
