/**
 * The customer page's admins, from GET /api/customers/{tenantId}/admins: what requires MFA in
 * the tenant (security defaults, Conditional Access policies), each admin with their roles, their
 * methods in words and what requires MFA of them, the name linking to their page in the tenant's
 * Entra admin center, and the open findings about them with "Waive…"; or, when the monitor cannot
 * see into the tenant, why and what to do. Listed before the customer page's part, which calls it.
 */
export const customerAdminsScript = String.raw`
  var adminFindingWords = { adminWithoutMfaMethod: 'no MFA method registered', adminMfaNotRequired: 'MFA not required' };

  function clearCustomerAdmins() {
    ['customer-admins-run', 'customer-admins-note', 'customer-admins-step', 'customer-admins-policies'].forEach(function (id) { document.getElementById(id).textContent = ''; });
    document.querySelector('#customer-admins tbody').textContent = '';
  }

  function yesNo(value) { return value === true ? 'yes' : value === false ? 'no' : 'unknown'; }

  /** What requires MFA of one admin, in words. */
  function requiredByWords(admin) {
    if (admin.requiredBy.length > 0) {
      return admin.requiredBy.map(function (source) { return source.kind === 'securityDefaults' ? 'security defaults' : 'Conditional Access: ' + (source.name || source.id); }).join('; ');
    }
    return admin.mfaRequired === false ? 'nothing' : admin.mfaRequired === null ? 'cannot tell' : '\u2014';
  }

  /** The open findings about an admin, each with its severity and a "Waive…" button for that finding. */
  function adminFindingsCell(admin, openFindings) {
    var cell = element('span');
    admin.openFindingKeys.forEach(function (key) {
      var finding = openFindings.filter(function (candidate) { return candidate.key === key; })[0];
      var line = element('span', { class: 'admin-finding', 'data-admin-finding': key });
      line.appendChild(element('span', { class: 'badge ' + (finding ? finding.severity : 'warning') }, finding ? finding.severity : 'open'));
      line.appendChild(document.createTextNode(' ' + (finding ? adminFindingWords[finding.kind] || finding.description : key)));
      if (finding) line.appendChild(findingWaiveButton(finding));
      cell.appendChild(line);
    });
    return admin.openFindingKeys.length === 0 ? null : cell;
  }

  function showCustomerAdmins(answer, openFindings) {
    clearCustomerAdmins();
    if (answer.run) document.getElementById('customer-admins-run').appendChild(sentence(['scan of ', when(answer.run.collectedAt)]));
    var note = document.getElementById('customer-admins-note');
    var step = document.getElementById('customer-admins-step');
    if (answer.outcome === 'cannotSee') {
      note.textContent = 'The monitor cannot see into this tenant: ' + answer.description + (answer.detail ? ' (' + answer.detail + ')' : '') + '.';
      step.textContent = 'Next step: ' + answer.nextStep;
    } else if (answer.outcome === null) {
      note.textContent = answer.note;
    } else {
      note.textContent = 'Admins from ' + answer.sourceDescription + '.';
    }
    // A scan turned off since keeps its last run: say so, as nothing newer will come.
    if (answer.outcome !== null && answer.scanOn === false) note.textContent += ' The scan is off now (CUSTOMER_TENANT_AUTH=off): this is its last run.';
    note.className = answer.outcome === 'cannotSee' ? 'bad' : 'label';
    var policies = document.getElementById('customer-admins-policies');
    if (answer.outcome === 'scanned') {
      policies.appendChild(element('li', {}, 'Security defaults: ' + (answer.securityDefaultsEnabled === true ? 'on (they require MFA of every admin)' : answer.securityDefaultsEnabled === false ? 'off' : 'unknown')));
      answer.mfaPolicies.forEach(function (policy) { policies.appendChild(element('li', { 'data-policy-id': policy.id }, 'Conditional Access: ' + policy.name)); });
      if (answer.mfaPolicies.length === 0) policies.appendChild(element('li', {}, 'No enabled Conditional Access policy requires MFA.'));
    }
    var body = document.querySelector('#customer-admins tbody');
    if (answer.outcome === 'scanned' && answer.items.length === 0) body.appendChild(row(['The scan found no admin.']));
    if (answer.outcome !== 'scanned') body.appendChild(row(['No admins to show.']));
    answer.items.forEach(function (admin) {
      var name = element('a', { href: admin.entraUrl, target: '_blank', rel: 'noopener noreferrer' }, admin.displayName || admin.userPrincipalName || admin.userId);
      var methods = admin.methodsRegistered.length === 0 ? 'none' : admin.methodsRegistered.map(function (method) { return inWords('authenticationMethod', method); }).join(', ');
      var tr = row([name, admin.userPrincipalName, admin.roleNames.join(', '), yesNo(admin.isMfaRegistered), methods, requiredByWords(admin), admin.requirementNote, adminFindingsCell(admin, openFindings)],
        [null, null, null, admin.isMfaRegistered === false ? 'bad' : null, null, admin.mfaRequired === false ? 'bad' : null]);
      tr.setAttribute('data-user-id', admin.userId);
      body.appendChild(tr);
    });
  }
`;
