import { randomBytes } from 'node:crypto';
import { app, type HttpResponseInit } from '@azure/functions';
import { commonHeaders } from '../api/serveEndpoint';

export async function getDashboard(): Promise<HttpResponseInit> {
  // The page's script is the largest text the app holds: loaded when the page is asked for, not at every cold start.
  const { dashboardHtml } = await import('../api/dashboard/page');
  const nonce = randomBytes(16).toString('base64');
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'referrer-policy': 'no-referrer',
      ...commonHeaders,
    },
    body: dashboardHtml(nonce),
  };
}

app.http('dashboard', { route: 'dashboard', methods: ['GET'], authLevel: 'function', handler: getDashboard });
