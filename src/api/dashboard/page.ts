import { chartsScript } from './charts';
import { commonScript } from './common';
import { mainScript } from './main';
import { overviewScript } from './overview';
import { signInScript } from './signIn';
import { dashboardStyles } from './styles';

/** The parts of the page's one script, in order: each may use what an earlier one defines; main.ts runs them. */
const scripts = [commonScript, signInScript, chartsScript, overviewScript, mainScript];

/** Where people sign in (SIGN_IN_CLIENT_ID set), or null for keys: the page reads it from its body's data- attributes. */
interface DashboardSignIn {
  /** `<authority host>/<tenant>`, under which Entra's `/oauth2/v2.0/authorize` and `/token` are. */
  authority: string;
  clientId: string;
}

const attributeText = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The dashboard: one self-contained HTML page (styles and script inline, no CDN, no build) that
 * holds no data: its script reads the JSON endpoints as a signed-in person, or with the key it was
 * opened with (see signIn.ts). The CSP lets only this page's own nonce-tagged script and style run
 * and requests leave it only for its own origin (and Entra's, to sign in); data is written with
 * textContent, never as HTML.
 */
export function dashboardHtml(nonce: string, options: { signIn: DashboardSignIn | null }): string {
  const signIn = options.signIn === null ? '' : ` data-sign-in-authority="${attributeText(options.signIn.authority)}" data-sign-in-client-id="${attributeText(options.signIn.clientId)}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Partner MFA monitor</title>
<style nonce="${nonce}">
${dashboardStyles}
</style>
</head>
<body${signIn}>
<header><h1>Partner MFA monitor</h1><span id="health">Loading…</span><span id="names-warning" class="warning"></span><span id="digest"></span><span id="error" role="alert"></span><ul id="problems" class="warning"></ul></header>
<main>
  <section><h2>Partner security score</h2><div id="score-chart" class="chart" data-chart="score"></div></section>
  <section><h2>Requirements compliant</h2><div id="requirements-chart" class="chart" data-chart="requirements"></div></section>
  <section><h2>Customer tenants with MFA enforced for admins</h2><div id="tenants-chart" class="chart" data-chart="tenants"></div></section>
  <section><h2>Sources</h2><table id="sources"><thead><tr><th>Source</th><th>Last run</th><th>Status</th><th>Last complete</th><th>Next complete run due by</th><th>Open findings</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Alert delivery per channel</h2>
    <p class="label">Each message goes once to each channel it is routed to; what waits here goes out when its channel takes it.</p>
    <table id="deliveries"><thead><tr><th>Channel</th><th>Waiting</th><th>Oldest waiting since</th><th>Attempts at the oldest</th><th>Last error</th><th>Refuses the monitor</th></tr></thead><tbody></tbody></table></section>
  <section class="wide"><h2>Customers not compliant <span id="customers-run" class="label"></span></h2>
    <form id="customer-filter"><label>Name contains <input id="customer-name" type="search" maxlength="100"></label> <button type="submit">Filter</button></form>
    <table id="customers"><thead><tr><th>Customer (name · tenant id)</th><th>No MFA policy</th><th>No compliant admin</th><th>Compliant admins</th><th>Compliant non-admins</th><th>Users</th><th>Security defaults</th><th>Conditional access</th><th>Per-user MFA</th></tr></thead><tbody></tbody></table>
    <button id="customers-more" hidden>More</button></section>
  <section class="wide"><h2>Partner users who signed in without MFA <span id="principals-run" class="label"></span></h2>
    <table id="principals"><thead><tr><th>User (UPN · object id)</th><th>Request without MFA</th></tr></thead><tbody></tbody></table></section>
  <section class="wide"><h2>Open findings</h2>
    <table id="findings"><thead><tr><th>Severity</th><th>Finding</th><th>Next step</th><th>Opened</th><th>Waived</th></tr></thead><tbody></tbody></table></section>
  <section class="wide"><h2>Waivers</h2>
    <p class="label">Findings a waiver covers are listed but not alerted, until it expires or is deleted (admin key: POST, PATCH, DELETE /api/waivers).</p>
    <table id="waivers"><thead><tr><th>Silences</th><th>Reason</th><th>Owner</th><th>Expires</th><th>Open findings silenced</th><th>Last changed</th></tr></thead><tbody></tbody></table>
    <h2>Expiring within 14 days</h2>
    <table id="waivers-expiring"><thead><tr><th>Silences</th><th>Expires</th><th>In</th><th>Owner</th></tr></thead><tbody></tbody></table>
    <h2>Audit trail</h2>
    <table id="waiver-audit"><thead><tr><th>When</th><th>Who</th><th>Change</th><th>Waiver</th><th>Reason</th><th>Expires</th></tr></thead><tbody></tbody></table></section>
</main>
<script nonce="${nonce}">
'use strict';
(function () {
${scripts.join('\n')}
})();
</script>
</body>
</html>
`;
}
