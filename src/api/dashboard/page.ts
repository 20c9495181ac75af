import { chartsScript } from './charts';
import { commonScript } from './common';
import { customerAdminsScript } from './customerAdmins';
import { customerPageScript } from './customerPage';
import { mainScript } from './main';
import { overviewScript } from './overview';
import { readableScript } from './readable';
import { signInScript } from './signIn';
import { dashboardStyles } from './styles';
import { triageScript } from './triage';
import { waiverFormScript } from './waiverForm';
import { psaCompaniesScript, psaCompaniesSection, psaMappingDialog } from './psaCompanies';

/** The parts of the page's one script, in order: each may use what an earlier one defines; main.ts runs them. */
const scripts = [commonScript, readableScript, signInScript, chartsScript, overviewScript, triageScript, waiverFormScript, psaCompaniesScript, customerAdminsScript, customerPageScript, mainScript];

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
<header><h1>Partner MFA monitor</h1><span id="monitor" class="status">Monitor: loading…</span><span id="compliance" class="status">Compliance: loading…</span><span id="waiver-count"></span><span id="checked"></span><span id="names-warning" class="warning"></span><span id="digest"></span><span id="error" role="alert"></span><ul id="problems" class="warning"></ul></header>
<main>
  <section id="triage" class="wide" aria-labelledby="triage-title"><h2 id="triage-title">What changed <span id="triage-window" class="label"></span></h2>
    <div class="chips" role="group" aria-label="Changed since"><span class="chip-label">Since</span><button type="button" data-filter="since" data-value="24h">Last 24 h</button><button type="button" data-filter="since" data-value="7d">7 days</button><button type="button" data-filter="since" data-value="30d">30 days</button><button type="button" data-filter="since" data-value="any">Any time</button><label>from <input id="triage-since-date" type="date"></label></div>
    <div class="chips" role="group" aria-label="State"><span class="chip-label">State</span><button type="button" data-filter="state" data-value="all">Opened or resolved</button><button type="button" data-filter="state" data-value="open">Still open</button><button type="button" data-filter="state" data-value="resolved">Resolved</button></div>
    <div class="chips" role="group" aria-label="Severity"><span class="chip-label">Severity</span><button type="button" data-filter="severity" data-value="">All</button><button type="button" data-filter="severity" data-value="critical">Critical</button><button type="button" data-filter="severity" data-value="warning">Warning</button></div>
    <div class="chips" role="group" aria-label="About"><span class="chip-label">About</span><button type="button" data-filter="subject" data-value="">Everyone</button><button type="button" data-filter="subject" data-value="customer">Customers</button><button type="button" data-filter="subject" data-value="principal">Partner users</button><button type="button" id="triage-scope" hidden></button></div>
    <div class="chips" role="group" aria-label="Waivers"><span class="chip-label">Waivers</span><button type="button" data-filter="waived" data-value="">All</button><button type="button" data-filter="waived" data-value="false">Not waived</button><button type="button" data-filter="waived" data-value="true">Waived</button></div>
    <h3>By customer <span id="triage-summary" class="label"></span></h3>
    <ul id="triage-groups" class="groups"></ul>
    <h3>Findings</h3>
    <div class="scroll" tabindex="0" role="region" aria-label="Findings"><table id="findings"><thead><tr><th data-sort="worst"><button type="button" data-sort-by="worst">Severity</button></th><th data-sort="customer"><button type="button" data-sort-by="customer">About</button></th><th>Finding</th><th>Next step</th><th data-sort="newest"><button type="button" data-sort-by="newest">Changed</button></th><th>Waived</th></tr></thead><tbody></tbody></table></div>
    <p class="pager"><button type="button" id="findings-previous">Previous</button> <span id="findings-page">Page 1</span> <button type="button" id="findings-next">Next</button> <span class="label">The sort orders the page shown; pages follow the API's order, critical first, by impact within a page.</span></p></section>
  <section><h2>Partner security score</h2><div id="score-chart" class="chart" data-chart="score"></div></section>
  <section><h2>Requirements compliant</h2><div id="requirements-chart" class="chart" data-chart="requirements"></div>
    <div class="scroll" tabindex="0" role="region" aria-label="Requirements"><table id="requirements"><thead><tr><th>Requirement (latest snapshot)</th><th>Status</th><th>State</th></tr></thead><tbody></tbody></table></div></section>
  <section><h2>Customer tenants with MFA enforced for admins</h2><div id="tenants-chart" class="chart" data-chart="tenants"></div></section>
  <section><h2>Sources</h2><div class="scroll" tabindex="0" role="region" aria-label="Sources"><table id="sources"><thead><tr><th>Source</th><th>Last run</th><th>Status</th><th>Last complete</th><th>Next complete run due by</th><th>Open findings</th></tr></thead><tbody></tbody></table></div></section>
  <section><h2>Alert delivery per channel</h2>
    <p class="label">Each message goes once to each channel it is routed to; what waits here goes out when its channel takes it.</p>
    <div class="scroll" tabindex="0" role="region" aria-label="Alert delivery"><table id="deliveries"><thead><tr><th>Channel</th><th>Waiting</th><th>Oldest waiting since</th><th>Attempts at the oldest</th><th>Last error</th><th>Refuses the monitor</th></tr></thead><tbody></tbody></table></div>
    <p class="label">Tickets in each configured PSA, as the detector's last run left them.</p>
    <div class="scroll" tabindex="0" role="region" aria-label="PSA tickets"><table id="psa-tickets"><thead><tr><th>PSA</th><th>Open tickets</th><th>Waiting for the cap</th><th>Failing steps</th><th>Last error</th><th>Refuses the monitor</th><th>Customers on the fallback company</th></tr></thead><tbody></tbody></table></div></section>
  <section class="wide"><h2>Customers not compliant <span id="customers-run" class="label"></span></h2>
    <form id="customer-filter"><label>Name contains <input id="customer-name" type="search" maxlength="100"></label> <button type="submit">Filter</button></form>
    <div class="scroll" tabindex="0" role="region" aria-label="Customers not compliant"><table id="customers"><thead><tr><th>Customer (name · tenant id)</th><th>No MFA policy</th><th>No compliant admin</th><th>Compliant admins</th><th>Compliant non-admins</th><th>Users</th><th>Security defaults</th><th>Conditional access</th><th>Per-user MFA</th><th>Admins (scan inside the tenant)</th></tr></thead><tbody></tbody></table></div>
    <button id="customers-more" hidden>More</button></section>
  <section class="wide"><h2>Partner users who signed in without MFA <span id="principals-run" class="label"></span></h2>
    <div class="scroll" tabindex="0" role="region" aria-label="Partner users without MFA"><table id="principals"><thead><tr><th>User (UPN · object id)</th><th>Request without MFA</th></tr></thead><tbody></tbody></table></div></section>
  <section class="wide"><h2>Waivers</h2>
    <p class="label">Findings a waiver covers are listed but not alerted, until it expires or is deleted (admin key: POST, PATCH, DELETE /api/waivers).</p>
    <div class="scroll" tabindex="0" role="region" aria-label="Waivers"><table id="waivers"><thead><tr><th>Silences</th><th>Reason</th><th>Owner</th><th>Expires</th><th>Open findings silenced</th><th>Last changed</th></tr></thead><tbody></tbody></table></div>
    <h2>Expiring within 14 days</h2>
    <div class="scroll" tabindex="0" role="region" aria-label="Waivers expiring"><table id="waivers-expiring"><thead><tr><th>Silences</th><th>Expires</th><th>Owner</th></tr></thead><tbody></tbody></table></div>
    <h2>Audit trail</h2>
    <div class="scroll" tabindex="0" role="region" aria-label="Waiver audit trail"><table id="waiver-audit"><thead><tr><th>When</th><th>Who</th><th>Change</th><th>Waiver</th><th>Reason</th><th>Expires</th></tr></thead><tbody></tbody></table></div></section>${psaCompaniesSection}
</main>
<main id="customer-view" hidden>
  <!-- A table wider than a phone scrolls inside its card, which takes focus so a keyboard can scroll it. -->
  <section class="wide customer-head">
    <p><a href="#" id="customer-back">← Overview</a></p>
    <h2 id="customer-title" tabindex="-1"></h2>
    <p id="customer-tenant" class="label"></p>
    <p id="customer-problem" role="alert" class="bad"></p>
    <button type="button" id="customer-waive" class="waive" data-waive-scope="customer" data-waive-target="">Waive this customer…</button>
    <h3>In the Microsoft Entra admin center</h3>
    <ul id="customer-entra-links"></ul></section>
  <section class="wide"><h2>Timeline</h2><div id="customer-chart" class="chart" data-chart="customer"></div>
    <h3>What changed</h3><ol id="customer-changes"></ol></section>
  <section class="wide"><h2>Open findings</h2><div class="scroll" tabindex="0" role="region" aria-label="Open findings"><table id="customer-open"><thead><tr><th>Severity</th><th>Finding</th><th>Opened</th><th>Waived</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
    <button type="button" id="customer-open-more" hidden>More open findings</button></section>
  <section class="wide"><h2>Resolved findings</h2><div class="scroll" tabindex="0" role="region" aria-label="Resolved findings"><table id="customer-resolved"><thead><tr><th>Severity</th><th>Finding</th><th>Resolved</th><th>Waived</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
    <button type="button" id="customer-resolved-more" hidden>More resolved findings</button></section>
  <section class="wide"><h2>Waivers covering this customer</h2><div class="scroll" tabindex="0" role="region" aria-label="Waivers covering this customer"><table id="customer-waivers"><thead><tr><th>Silences</th><th>Reason</th><th>Owner</th><th>Expires</th><th>Open findings silenced</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div></section>
  <section class="wide" aria-labelledby="customer-admins-title"><h2 id="customer-admins-title">Admins inside the tenant <span id="customer-admins-run" class="label"></span></h2>
    <p id="customer-admins-note" class="label"></p><p id="customer-admins-step"></p>
    <h3>What requires MFA</h3><ul id="customer-admins-policies"></ul>
    <div class="scroll" tabindex="0" role="region" aria-label="Admins"><table id="customer-admins"><thead><tr><th>Admin</th><th>UPN</th><th>Roles</th><th>MFA method registered</th><th>Methods</th><th>MFA required by</th><th>Note</th><th>Open findings</th></tr></thead><tbody></tbody></table></div></section>
</main>
${psaMappingDialog}
<dialog id="waiver-dialog" aria-labelledby="waiver-title">
  <div class="waiver-layout">
  <form id="waiver-form">
    <h2 id="waiver-title">New waiver</h2>
    <p><label for="waiver-scope">Silences</label>
      <select id="waiver-scope" name="scope"><option value="finding">one finding (its key)</option><option value="customer">a customer tenant (its id)</option><option value="requirement">a requirement (its type)</option><option value="partnerUsers">partner users matching a UPN pattern</option><option value="customerAdmins">a customer's admins matching a UPN pattern (tenant id/pattern)</option></select></p>
    <p><label for="waiver-target">Target</label><input id="waiver-target" name="target" required maxlength="400" autocomplete="off"></p>
    <p id="waiver-suggestions" class="suggestions"></p>
    <p><label for="waiver-reason">Reason</label><textarea id="waiver-reason" name="reason" required maxlength="500" rows="3"></textarea></p>
    <p><label for="waiver-owner">Owner (who answers for it)</label><input id="waiver-owner" name="owner" required maxlength="200"></p>
    <p><label for="waiver-expires">Expires on (end of that day, UTC)</label><input id="waiver-expires" name="expiresAt" type="date" required aria-describedby="waiver-limit"> <span id="waiver-limit" class="label"></span></p>
    <p id="waiver-key-field"><label for="waiver-admin-key">Admin key (kept for this tab only)</label><input id="waiver-admin-key" type="password" autocomplete="off"></p>
    <p id="waiver-problem" role="alert"></p><p id="waiver-status" role="status"></p>
    <p class="actions"><button type="submit">Save</button> <button type="button" id="waiver-delete" hidden>Delete</button> <button type="button" id="waiver-cancel">Close</button></p>
  </form>
  <section id="waiver-audit-pane" aria-labelledby="waiver-audit-title" hidden><h3 id="waiver-audit-title">Audit trail</h3><ol id="waiver-history"></ol></section>
  </div>
</dialog>
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
