/**
 * "PSA companies": for each configured PSA, which company each customer's tickets are filed under
 * (GET /api/psa/companies), with "Set company…" and "Clear" on each row (PUT and DELETE
 * /api/psa/mappings/{psa}/{tenantId}, with the listing's etag as If-Match). The same credentials
 * as waiver changes: the signed-in person's token (the waiver admin role), else the admin key
 * typed in the dialog and kept for this tab only. The section stays hidden while no PSA is configured.
 */
export const psaCompaniesSection = `
  <section id="psa-companies" class="wide" aria-labelledby="psa-companies-title" hidden><h2 id="psa-companies-title">PSA companies</h2>
    <p class="label">The company each customer's tickets are filed under: an admin's mapping, else the PSA's company with the customer's domain or name, else the fallback company (a gap to map). <button type="button" id="psa-lookup">Look up unmapped customers in the PSAs</button> <span id="psa-summary" role="status"></span></p>
    <div class="scroll" tabindex="0" role="region" aria-label="PSA companies"><table id="psa-company-table"><thead><tr><th>PSA</th><th>Customer</th><th>Found by</th><th>Company</th><th>Note</th><th>Last changed</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
    <h3>Audit trail</h3>
    <div class="scroll" tabindex="0" role="region" aria-label="PSA mapping audit trail"><table id="psa-mapping-audit"><thead><tr><th>When</th><th>Who</th><th>Change</th><th>PSA</th><th>Customer</th><th>Company</th></tr></thead><tbody></tbody></table></div></section>`;

export const psaMappingDialog = `
<dialog id="mapping-dialog" aria-labelledby="mapping-title">
  <form id="mapping-form">
    <h2 id="mapping-title">Set company</h2>
    <p id="mapping-customer"></p>
    <p><label for="mapping-company">Company id in the PSA (HaloPSA: client id)</label><input id="mapping-company" name="companyId" required inputmode="numeric" pattern="[0-9]{1,19}" autocomplete="off"></p>
    <p><label for="mapping-note">Note (why this company, for the audit trail)</label><textarea id="mapping-note" name="note" maxlength="500" rows="2"></textarea></p>
    <p id="mapping-key-field"><label for="mapping-admin-key">Admin key (kept for this tab only)</label><input id="mapping-admin-key" type="password" autocomplete="off"></p>
    <p id="mapping-problem" role="alert"></p><p id="mapping-status" role="status"></p>
    <p class="actions"><button type="submit">Save</button> <button type="button" id="mapping-cancel">Close</button></p>
  </form>
</dialog>`;

export const psaCompaniesScript = String.raw`
  var foundByWords = { mapping: 'mapping', domain: 'domain', name: 'name', gap: 'gap: fallback company', notLookedUp: 'not looked up' };
  var psaWords = { connectwise: 'ConnectWise PSA', autotask: 'Autotask', halopsa: 'HaloPSA' };
  var listedCompanies = {};
  /** The row being set (as listed, with its etag when mapped). */
  var editedCompany = null;

  function loadPsaCompanies(lookup) {
    return Promise.all([api('psa/companies' + (lookup ? '?lookup=true' : '')), api('psa/mappings/audit?top=50')]).then(function (answers) {
      showPsaCompanies(answers[0]);
      showMappingAudit(answers[1]);
    });
  }

  function showPsaCompanies(list) {
    document.getElementById('psa-companies').hidden = list.psas.length === 0;
    document.getElementById('psa-summary').textContent = list.psas.map(function (summary) {
      return summary.label + ': ' + summary.counts.mapping + ' mapped, ' + (summary.counts.domain + summary.counts.name) + ' found, ' + summary.counts.gap + ' gaps' + (summary.counts.notLookedUp ? ', ' + summary.counts.notLookedUp + ' not looked up' : '') + (summary.lookupError ? ' (look-ups stopped: ' + summary.lookupError.code + ')' : '');
    }).join('; ');
    var body = document.querySelector('#psa-company-table tbody');
    body.textContent = '';
    listedCompanies = {};
    list.items.forEach(function (item) {
      var id = item.psa + '/' + item.tenantId;
      listedCompanies[id] = item;
      var row = element('tr', { 'data-mapping': id, 'data-status': item.status });
      row.appendChild(element('td', {}, psaWords[item.psa] || item.psa));
      row.appendChild(element('td', {}, item.customerName || item.tenantId));
      row.appendChild(element('td', {}, foundByWords[item.status] || item.status));
      row.appendChild(element('td', {}, item.companyId === null ? '' : (item.companyName || '') + ' (' + item.companyId + ')'));
      row.appendChild(element('td', {}, item.note || ''));
      row.appendChild(element('td', {}, item.changedAt ? item.changedAt.slice(0, 10) + ' by ' + item.changedBy : ''));
      var actions = element('td', {});
      actions.appendChild(element('button', { type: 'button', 'data-mapping-edit': id }, 'Set company\u2026'));
      if (item.status === 'mapping') {
        actions.appendChild(document.createTextNode(' '));
        actions.appendChild(element('button', { type: 'button', 'data-mapping-clear': id }, 'Clear'));
      }
      row.appendChild(actions);
      body.appendChild(row);
    });
  }

  function showMappingAudit(audit) {
    var body = document.querySelector('#psa-mapping-audit tbody');
    body.textContent = '';
    audit.items.forEach(function (entry) {
      var state = entry.after || entry.before;
      var row = element('tr', {});
      var at = element('td', {});
      at.appendChild(when(entry.at));
      row.appendChild(at);
      [entry.actor, entry.action, psaWords[entry.psa] || entry.psa, entry.customerName || entry.tenantId, state ? state.companyName + ' (' + state.companyId + ')' : ''].forEach(function (text) { row.appendChild(element('td', {}, text)); });
      body.appendChild(row);
    });
  }

  /** A mapping write with the waiver admin's credentials and, for a mapped row, its etag as If-Match. */
  function sendMapping(method, item, body) {
    var path = 'psa/mappings/' + encodeURIComponent(item.psa) + '/' + encodeURIComponent(item.tenantId);
    return waiverAdminHeaders(waiverNeedsAdminKey() ? document.getElementById('mapping-admin-key').value : undefined).then(function (headers) {
      var sent = Object.assign({ accept: 'application/json' }, headers);
      if (body) sent['content-type'] = 'application/json';
      if (item.etag) sent['if-match'] = item.etag;
      return boundedFetch(apiPath(path), { method: method, headers: sent, body: body ? JSON.stringify(body) : undefined }, method + ' ' + path);
    }).then(function (response) {
      if (response.ok) return response.status === 204 ? null : response.json();
      return response.json().catch(function () { return {}; }).then(function (problem) {
        var fields = problem['invalid-params'] || [];
        throw new Error(response.status === 412 ? 'Changed by someone else since this page read it: close, and the list is read again.' : fields.length ? fields.map(function (field) { return field.name + ': ' + field.reason; }).join(' ') : problem.detail || 'HTTP ' + response.status);
      });
    });
  }

  function openMappingForm(item) {
    editedCompany = item;
    var form = document.getElementById('mapping-form');
    form.reset();
    document.getElementById('mapping-problem').textContent = '';
    document.getElementById('mapping-status').textContent = '';
    document.getElementById('mapping-customer').textContent = (item.customerName || item.tenantId) + ' in ' + (psaWords[item.psa] || item.psa);
    document.getElementById('mapping-company').value = item.companyId || '';
    document.getElementById('mapping-note').value = item.note || '';
    var keyed = waiverNeedsAdminKey();
    document.getElementById('mapping-key-field').hidden = !keyed;
    document.getElementById('mapping-admin-key').value = keyed ? storedAdminKey() : '';
    document.getElementById('mapping-dialog').showModal();
    document.getElementById('mapping-company').focus();
  }

  document.getElementById('mapping-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var body = { companyId: document.getElementById('mapping-company').value.trim(), note: document.getElementById('mapping-note').value };
    sendMapping('PUT', editedCompany, body).then(function (mapping) {
      editedCompany = Object.assign({}, editedCompany, mapping, { status: 'mapping' });
      document.getElementById('mapping-status').textContent = 'Saved: ' + mapping.companyName + '.';
      return loadPsaCompanies(false);
    }).catch(function (error) { document.getElementById('mapping-problem').textContent = String(error.message); });
  });

  document.getElementById('mapping-cancel').addEventListener('click', function () {
    document.getElementById('mapping-dialog').close();
    loadPsaCompanies(false).catch(fail);
  });

  document.getElementById('psa-lookup').addEventListener('click', function () {
    document.getElementById('psa-summary').textContent = 'Looking up\u2026';
    loadPsaCompanies(true).catch(fail);
  });

  document.addEventListener('click', function (event) {
    var edit = event.target.closest && event.target.closest('[data-mapping-edit]');
    if (edit) openMappingForm(listedCompanies[edit.getAttribute('data-mapping-edit')]);
    var clear = event.target.closest && event.target.closest('[data-mapping-clear]');
    if (!clear) return;
    var item = listedCompanies[clear.getAttribute('data-mapping-clear')];
    // Without sign-in the admin key is the one kept for this tab (typed once in a dialog).
    sendMapping('DELETE', item, null).then(function () { return loadPsaCompanies(false); }).catch(fail);
  });
`;
