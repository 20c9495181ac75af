/**
 * Waivers from the page: "Waive…" on a finding or a partner user opens one dialog, prefilled with
 * what the waiver API's scopes allow for it (docs/waivers.md), with a UPN pattern offered in one
 * click for a break-glass account (a partner user, or a customer's admin within that customer); an
 * existing waiver opens in the same dialog to change or delete, with the ETag the listing gave as
 * If-Match and its audit trail beside it. Any element carrying `data-waive-scope` and
 * `data-waive-target` (optionally `data-waive-finding`, a finding key) opens it, and any carrying
 * `data-waiver-edit` (a waiver listed through waiverEditButton) edits. The API checks everything
 * again; its 400 is shown beside the field it names.
 */
export const waiverFormScript = String.raw`
  var waiverFieldLabels = { scope: 'Silences', target: 'Target', reason: 'Reason', owner: 'Owner', expiresAt: 'Expires on', 'If-Match': 'Version' };
  /** Words Microsoft's guidance and admins use for emergency-access accounts. */
  var breakGlassWords = /break-?glass|emergency|bg-/i;
  var listedWaivers = {};
  /** The waiver being edited (as listed, with its etag); null when creating. */
  var editedWaiver = null;
  /** WAIVER_MAX_DAYS as GET /api/waivers reports it; null until read or when the setting cannot be read. */
  var waiverMaxDays = null;

  function waiverDialog() { return document.getElementById('waiver-dialog'); }
  function waiverField(name) { return document.getElementById('waiver-' + name); }

  /**
   * A "Waive…" button for a finding: prefilled with its subject where a scope names it, else the
   * finding itself. A finding about a customer's admin names that admin in that customer
   * (customerAdmins, <tenant id>/<UPN>), so a break-glass account is waived without its customer.
   */
  function findingWaiveButton(finding) {
    var subject = finding.subject;
    var admin = subject.type === 'customer' && finding.admin && finding.admin.userPrincipalName ? finding.admin.userPrincipalName : null;
    var scope = admin ? 'customerAdmins' : subject.type === 'customer' ? 'customer' : subject.type === 'requirement' ? 'requirement' : subject.type === 'principal' && finding.upn ? 'partnerUsers' : 'finding';
    var target = admin ? subject.id + '/' + admin : scope === 'customer' || scope === 'requirement' ? subject.id : scope === 'partnerUsers' ? finding.upn : finding.key;
    var button = waiveButton(scope, target);
    button.setAttribute('data-waive-finding', finding.key);
    return button;
  }

  function waiveButton(scope, target) {
    return element('button', { type: 'button', class: 'waive', 'data-waive-scope': scope, 'data-waive-target': target }, 'Waive\u2026');
  }

  /** A "Change…" button for a listed waiver; the listing's copy (and its etag) is what the change is made against. */
  function waiverEditButton(waiver) {
    listedWaivers[waiver.id] = waiver;
    return element('button', { type: 'button', class: 'waive', 'data-waiver-edit': waiver.id }, 'Change\u2026');
  }

  /** A UPN pattern covering the break-glass accounts a UPN's name suggests (breakglass*@domain), or null. */
  function breakGlassPattern(upn) {
    var at = upn.lastIndexOf('@');
    var match = at > 0 ? breakGlassWords.exec(upn.slice(0, at)) : null;
    return match ? (match.index > 0 ? '*' : '') + match[0].toLowerCase() + '*' + upn.slice(at) : null;
  }

  function waiverLimit() {
    return waiverMaxDays !== null ? Promise.resolve(waiverMaxDays) : api('waivers').then(function (list) { waiverMaxDays = list.maxDays; return waiverMaxDays; });
  }

  /** The last date whose end (a bare date means its end, UTC) is within maxDays of now. */
  function lastWaiverDate(maxDays) {
    return new Date(Date.now() + (maxDays - 1) * 86400000 + 1).toISOString().slice(0, 10);
  }

  function openWaiverForm(draft, waiver) {
    editedWaiver = waiver;
    var form = document.getElementById('waiver-form');
    form.reset();
    clearWaiverProblems();
    document.getElementById('waiver-title').textContent = waiver ? 'Change waiver ' + waiver.id : 'New waiver';
    waiverField('scope').value = draft.scope;
    waiverField('target').value = draft.target;
    waiverField('scope').disabled = !!waiver;
    waiverField('target').readOnly = !!waiver;
    waiverField('reason').value = waiver ? waiver.reason : '';
    waiverField('owner').value = waiver ? waiver.owner : '';
    document.getElementById('waiver-delete').hidden = !waiver;
    // With a sign-in that grants waiver writes the page needs no key; otherwise the admin key, kept for this tab only.
    var keyed = waiverNeedsAdminKey();
    document.getElementById('waiver-key-field').hidden = !keyed;
    waiverField('admin-key').required = keyed;
    waiverField('admin-key').value = keyed ? storedAdminKey() : '';
    showWaiverSuggestions(draft);
    showWaiverTrail(waiver);
    if (!waiverDialog().open) waiverDialog().showModal();
    (waiver ? waiverField('reason') : waiverField('target')).focus();
    return waiverLimit().then(function (maxDays) {
      var expires = waiverField('expires');
      document.getElementById('waiver-limit').textContent = maxDays === null ? '' : 'At most ' + maxDays + ' days from now (WAIVER_MAX_DAYS).';
      if (maxDays !== null) {
        expires.min = new Date().toISOString().slice(0, 10);
        expires.max = lastWaiverDate(maxDays);
      }
      expires.value = waiver ? waiver.expiresAt.slice(0, 10) : maxDays === null ? '' : lastWaiverDate(maxDays);
    });
  }

  /** One-click alternatives: a break-glass pattern for such a UPN, or only the finding the button was on. */
  function showWaiverSuggestions(draft) {
    var box = document.getElementById('waiver-suggestions');
    box.textContent = '';
    if (editedWaiver) return;
    var suggestions = [];
    var pattern = draft.scope === 'partnerUsers' ? breakGlassPattern(draft.target) : null;
    if (pattern && pattern !== draft.target) suggestions.push({ scope: 'partnerUsers', target: pattern, words: 'Every break-glass account like it: ' + pattern });
    // <tenant id>/<UPN>: the tenant id holds no /, so the UPN is everything after the first.
    var slash = draft.scope === 'customerAdmins' ? draft.target.indexOf('/') : -1;
    var adminPattern = slash > 0 ? breakGlassPattern(draft.target.slice(slash + 1)) : null;
    if (adminPattern) suggestions.push({ scope: 'customerAdmins', target: draft.target.slice(0, slash + 1) + adminPattern, words: 'Every break-glass admin like it in this customer: ' + adminPattern });
    if (slash > 0) suggestions.push({ scope: 'customer', target: draft.target.slice(0, slash), words: 'Every finding of this customer' });
    if (draft.finding && draft.scope !== 'finding') suggestions.push({ scope: 'finding', target: draft.finding, words: 'Only this finding' });
    suggestions.forEach(function (suggestion) {
      var button = element('button', { type: 'button', 'data-suggested-target': suggestion.target }, suggestion.words);
      button.addEventListener('click', function () {
        waiverField('scope').value = suggestion.scope;
        waiverField('target').value = suggestion.target;
        waiverField('reason').focus();
      });
      box.appendChild(button);
    });
  }

  /** The waiver's audit trail, beside the form: every change, who made it and what it was. */
  function showWaiverTrail(waiver) {
    var pane = document.getElementById('waiver-audit-pane');
    var list = document.getElementById('waiver-history');
    list.textContent = '';
    pane.hidden = !waiver;
    if (!waiver) return Promise.resolve();
    return api('waiver-audit?waiverId=' + encodeURIComponent(waiver.id)).then(function (audit) {
      audit.items.forEach(function (entry) {
        var state = entry.after || entry.before;
        var item = element('li', { 'data-action': entry.action });
        item.appendChild(when(entry.at));
        item.appendChild(document.createTextNode(' ' + entry.action + ' by ' + entry.actor + ': ' + state.reason + ' (owner ' + state.owner + ', until ' + state.expiresAt.slice(0, 10) + ')'));
        list.appendChild(item);
      });
    }, fail);
  }

  /**
   * Every waiver write goes through here: the waiver admin's credentials (the signed-in person's
   * token, else the admin key typed in the form) and If-Match.
   */
  function sendWaiver(method, path, body, etag) {
    return waiverAdminHeaders(waiverNeedsAdminKey() ? waiverField('admin-key').value : undefined).then(function (headers) {
      var sent = Object.assign({ accept: 'application/json' }, headers);
      if (body) sent['content-type'] = 'application/json';
      if (etag) sent['if-match'] = etag;
      return boundedFetch(apiPath(path), { method: method, headers: sent, body: body ? JSON.stringify(body) : undefined }, method + ' ' + path);
    }).then(function (response) {
      if (response.ok) return response.status === 204 ? null : response.json();
      return response.json().catch(function () { return {}; }).then(function (problem) {
        var error = new Error(problem.detail || 'HTTP ' + response.status);
        error.status = response.status;
        error.fields = problem['invalid-params'] || [];
        throw error;
      });
    });
  }

  function clearWaiverProblems() {
    document.getElementById('waiver-problem').textContent = '';
    document.getElementById('waiver-status').textContent = '';
    document.querySelectorAll('#waiver-form [aria-invalid]').forEach(function (field) { field.removeAttribute('aria-invalid'); });
  }

  /** What the API refused, in the form: each field it names marked and named, a conflict as what to do. */
  function showWaiverProblem(error) {
    var problem = document.getElementById('waiver-problem');
    if (error.status === 412) {
      problem.textContent = 'Changed by someone else since this page read it: reload to see the current waiver, then decide again.';
      problem.appendChild(document.createTextNode(' '));
      var reload = element('button', { type: 'button', id: 'waiver-reload' }, 'Reload');
      reload.addEventListener('click', function () { reloadWaiver(editedWaiver.id); });
      problem.appendChild(reload);
      return;
    }
    if (error.status === 401 || error.status === 403) {
      problem.textContent = 'Not allowed to change waivers (HTTP ' + error.status + '): ' + (waiverNeedsAdminKey() ? 'check the admin key.' : 'ask for the waiver admin role.');
      return;
    }
    var fields = error.fields || [];
    problem.textContent = fields.length === 0 ? String(error.message) : fields.map(function (field) { return (waiverFieldLabels[field.name] || field.name) + ' (' + field.name + '): ' + field.reason; }).join(' ');
    fields.forEach(function (field) {
      var input = document.querySelector('#waiver-form [name="' + field.name + '"]');
      if (input) input.setAttribute('aria-invalid', 'true');
    });
  }

  /** After a 412: the waiver as it is now (and its new etag), or the news that it is gone. */
  function reloadWaiver(id) {
    return api('waivers?state=all').then(function (list) {
      var current = list.items.filter(function (waiver) { return waiver.id === id; })[0];
      if (!current) {
        document.getElementById('waiver-problem').textContent = 'This waiver has been deleted by someone else.';
        return;
      }
      listedWaivers[id] = current;
      return openWaiverForm({ scope: current.scope, target: current.target }, current);
    }).catch(fail);
  }

  /** A new waiver whole; a change as only the fields that differ from the waiver as read (an unchanged date is not moved to that day's end). */
  function waiverFormBody() {
    var body = { reason: waiverField('reason').value, owner: waiverField('owner').value, expiresAt: waiverField('expires').value };
    if (!editedWaiver) return Object.assign({ scope: waiverField('scope').value, target: waiverField('target').value }, body);
    if (body.reason === editedWaiver.reason) delete body.reason;
    if (body.owner === editedWaiver.owner) delete body.owner;
    if (body.expiresAt === editedWaiver.expiresAt.slice(0, 10)) delete body.expiresAt;
    return body;
  }

  /** The page after a change: the panels that list waivers or what they cover are read again. */
  function waiversChanged(waiver) {
    // The whole page is read again and drawn in place (main.ts): findings the change covers show as waived or not.
    var reads = [loadPage()];
    if (shownCustomer) reads.push(showCustomer(shownCustomer));
    if (waiver) reads.push(showWaiverTrail(waiver));
    return Promise.all(reads).catch(fail);
  }

  document.getElementById('waiver-form').addEventListener('submit', function (event) {
    event.preventDefault();
    clearWaiverProblems();
    var write = editedWaiver ? sendWaiver('PATCH', 'waivers/' + encodeURIComponent(editedWaiver.id), waiverFormBody(), editedWaiver.etag) : sendWaiver('POST', 'waivers', waiverFormBody());
    write.then(function (waiver) {
      // The form now holds the stored waiver: a further change is made against its new etag.
      listedWaivers[waiver.id] = waiver;
      editedWaiver = waiver;
      document.getElementById('waiver-title').textContent = 'Change waiver ' + waiver.id;
      waiverField('scope').disabled = true;
      waiverField('target').readOnly = true;
      document.getElementById('waiver-delete').hidden = false;
      document.getElementById('waiver-suggestions').textContent = '';
      document.getElementById('waiver-status').textContent = 'Saved.';
      return waiversChanged(waiver);
    }, showWaiverProblem);
  });

  document.getElementById('waiver-delete').addEventListener('click', function () {
    clearWaiverProblems();
    var deleted = editedWaiver;
    sendWaiver('DELETE', 'waivers/' + encodeURIComponent(deleted.id), null, deleted.etag).then(function () {
      delete listedWaivers[deleted.id];
      editedWaiver = null;
      waiverDialog().close();
      return waiversChanged(null);
    }, showWaiverProblem);
  });

  document.getElementById('waiver-cancel').addEventListener('click', function () { waiverDialog().close(); });

  document.addEventListener('click', function (event) {
    var trigger = event.target.closest && event.target.closest('[data-waive-scope], [data-waiver-edit]');
    if (!trigger) return;
    var edit = trigger.getAttribute('data-waiver-edit');
    var waiver = edit ? listedWaivers[edit] : null;
    var draft = waiver ? { scope: waiver.scope, target: waiver.target } : { scope: trigger.getAttribute('data-waive-scope'), target: trigger.getAttribute('data-waive-target'), finding: trigger.getAttribute('data-waive-finding') };
    openWaiverForm(draft, waiver).catch(fail);
  });
`;
