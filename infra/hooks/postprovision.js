/*
 * azd's postprovision hook (azure.yaml), plain Node like preprovision.js: once the function app
 * exists, its dashboard's address becomes a single-page-app redirect URI of the app registration
 * people sign in to. Entra sends a sign-in back only to a registered redirect URI, and redeems its
 * code from a browser only for one of type `spa` ("Microsoft identity platform and OAuth 2.0
 * authorization code flow", Redirect URIs for single-page apps). Addresses already there stay.
 */
'use strict';
const { execFileSync } = require('node:child_process');

/** Bounds every call of the Azure CLI, as in preprovision.js. */
const CLI_TIMEOUT_MS = 120_000;

function az(args) {
  return execFileSync('az', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: CLI_TIMEOUT_MS, shell: process.platform === 'win32' });
}

const appId = process.env.SIGN_IN_CLIENT_ID;
const appUrl = process.env.FUNCTION_APP_URL;
if (appId && appUrl) {
  const dashboard = `${appUrl.replace(/\/+$/, '')}/api/dashboard`;
  try {
    const registered = JSON.parse(az(['ad', 'app', 'show', '--id', appId, '--query', 'spa.redirectUris', '-o', 'json']) || '[]') ?? [];
    if (!registered.includes(dashboard)) {
      // az ad app update has no option for spa redirect URIs: Microsoft Graph's PATCH of the application sets them.
      az(['rest', '--method', 'PATCH', '--uri', `https://graph.microsoft.com/v1.0/applications(appId='${appId}')`, '--headers', 'Content-Type=application/json', '--body', JSON.stringify({ spa: { redirectUris: [...registered, dashboard] } })]);
      process.stdout.write(`People sign in to the dashboard at ${dashboard}\n`);
    }
  } catch (error) {
    const said = String(error.stderr ?? error.message).trim().split('\n')[0];
    process.stdout.write(`Could not add ${dashboard} as a redirect URI of the sign-in app registration ${appId}${said ? ` (${said})` : ''}: add it in Entra (App registrations, Authentication, Single-page application) or run azd provision again.\n`);
  }
}
