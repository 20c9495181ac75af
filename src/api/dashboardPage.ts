import { dashboardScript } from './dashboardScript';

/**
 * The dashboard: one self-contained HTML page (styles and script inline, no CDN, no build) that
 * reads the JSON endpoints with the function key it was opened with (`?code=`), sent on as the
 * `x-functions-key` header. The CSP lets only this page's own nonce-tagged script and style run
 * and only same-origin requests leave it; data is written with textContent, never as HTML.
 */
export function dashboardHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Partner MFA monitor</title>
<style nonce="${nonce}">
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #f5f6f8; }
  header { background: #0f3d66; color: #fff; padding: 12px 20px; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  svg { width: 100%; height: auto; }
  .axis { stroke: #999; stroke-width: 1; }
  .grid { stroke: #eee; stroke-width: 1; }
  .label { font-size: 10px; fill: #555; }
  .legend span { margin-right: 12px; font-size: 12px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eee; }
  .bad { color: #b00020; font-weight: 600; }
  .empty { color: #777; font-style: italic; }
  #error { color: #b00020; }
  .warning { color: #ffd479; }
  #problems { flex-basis: 100%; margin: 0; padding-left: 20px; }
  #problems:empty { display: none; }
  tr.waived td { color: #666; }
  button { margin-top: 8px; }
</style>
</head>
<body>
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
${dashboardScript}
</script>
</body>
</html>
`;
}
