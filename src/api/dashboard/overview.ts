/**
 * The overview: the monitor's health, the charts, and the customer, partner-user, finding and
 * waiver tables.
 */
export const overviewScript = String.raw`
  var waiverSoonDays = 14;

  function showScore(score) {
    lineChart(document.getElementById('score-chart'), [
      { name: 'score', points: score.items.map(function (item) { return { at: item.collectedAt, value: item.currentScore }; }) },
      { name: 'max score', points: score.items.map(function (item) { return { at: item.collectedAt, value: item.maxScore }; }) },
    ]);
  }

  function showRequirements(requirements) {
    var runs = byRun(requirements.items);
    lineChart(document.getElementById('requirements-chart'), [
      { name: 'compliant', points: runs.map(function (run) { return { at: run.at, value: run.items.filter(function (item) { return item.complianceStatus === 'compliant'; }).length }; }) },
      { name: 'total', points: runs.map(function (run) { return { at: run.at, value: run.items.length }; }) },
    ]);
    var tenants = requirements.items.filter(function (item) { return item.kind === 'customersMfaEnforcedSecurityRequirement'; });
    lineChart(document.getElementById('tenants-chart'), [
      { name: 'compliant tenants', points: tenants.map(function (item) { return { at: item.collectedAt, value: item.compliantTenantCount }; }) },
      { name: 'tenants', points: tenants.map(function (item) { return { at: item.collectedAt, value: item.totalTenantCount }; }) },
    ]);
  }

  function showStatus(status) {
    var health = document.getElementById('health');
    health.textContent = (status.healthy ? 'Healthy' : 'Needs attention (' + status.problems.length + ')') + ' · ' + status.openFindings + ' open finding(s) · ' + status.activeWaivers + ' active waiver(s) · checked ' + status.checkedAt;
    // One reason, one line: a reason is a sentence of its own, with the times and settings to check.
    var problems = document.getElementById('problems');
    status.problems.forEach(function (problem) { problems.appendChild(element('li', {}, problem)); });
    // Missing names are a warning beside the health, never part of it.
    document.getElementById('names-warning').textContent = status.customerNames.status === 'warning' ? 'Customer names: ' + status.customerNames.warning : '';
    var digest = status.digest;
    document.getElementById('digest').textContent = digest === null ? 'Weekly digest: none sent yet'
      : 'Weekly digest ' + digest.week + ': ' + (digest.status === 'sent' ? 'sent ' + digest.sentAt : 'not delivered yet' + (digest.lastError ? ' (' + digest.lastError + ')' : ''));
    var body = document.querySelector('#sources tbody');
    var late = function (schedule) { return schedule && schedule.expectedBy !== null && schedule.expectedBy < status.checkedAt ? 'bad' : null; };
    status.sources.forEach(function (source) {
      var last = source.lastRun, complete = source.lastCompleteRun;
      // A failed run shows why in a word (Abandoned, DeadlineExceeded, Timeout...).
      var lastStatus = last && (last.status + (last.errorCode ? ' (' + last.errorCode + ')' : ''));
      var due = source.schedule && source.schedule.expectedBy;
      body.appendChild(row([source.source, last && last.startedAt, lastStatus, complete && complete.startedAt, due, source.openFindings], [null, null, last && last.status === 'failed' ? 'bad' : null, null, late(source.schedule)]));
    });
    showDeliveries(status.undeliveredAlerts.channels);
    // The detector keeps no ledger of its own: its last run that did all its work stands for both.
    var detector = status.detector, completed = detector.lastCompletedRun;
    body.appendChild(row(['detectRegressions', completed && completed.startedAt, completed && 'complete', completed && completed.startedAt, detector.schedule && detector.schedule.expectedBy, null], [null, null, null, null, late(detector.schedule)]));
  }

  /** Per channel, what waits in the outbox; a refusing channel is a setting to fix, not an outage to wait out. */
  function showDeliveries(channels) {
    var body = document.querySelector('#deliveries tbody');
    if (channels.length === 0) body.appendChild(row(['No delivery waits on any channel.']));
    // Refusing channels first: they wait for an admin, the others only for time.
    channels.filter(function (channel) { return channel.refused; }).concat(channels.filter(function (channel) { return !channel.refused; })).forEach(function (channel) {
      var tr = row([channel.channel, channel.waiting, channel.oldestCreatedAt, channel.attempts, channel.lastError, channel.refused ? 'yes: check its setting' : 'no'], [null, null, null, null, null, channel.refused ? 'bad' : null]);
      tr.setAttribute('data-target', channel.target);
      body.appendChild(tr);
    });
  }

  function customersPath() {
    var name = document.getElementById('customer-name').value.trim();
    return 'customers?status=nonCompliant&top=100' + (name ? '&name=' + encodeURIComponent(name) : '');
  }

  function showCustomers(page) {
    document.getElementById('customers-run').textContent = page.runId ? 'snapshot of ' + page.collectedAt : 'no complete snapshot yet';
    var body = document.querySelector('#customers tbody');
    page.items.forEach(function (customer) {
      var tr = row([named(customer.customerName, customer.tenantId), customer.noMfaPolicy === null ? 'unknown' : customer.noMfaPolicy ? 'yes' : 'no', customer.adminsNotCompliant ? 'yes' : 'no', customer.compliantAdminsCount, customer.compliantNonAdminsCount,
        customer.totalUsersCount, customer.securityDefaultsStatus, customer.mfaConditionalAccessPolicyStatus, customer.legacyPerUserMfaStatus],
        [null, customer.noMfaPolicy ? 'bad' : null, customer.adminsNotCompliant ? 'bad' : null]);
      tr.setAttribute('data-tenant-id', customer.tenantId);
      tr.children[0].textContent = '';
      tr.children[0].appendChild(customerLink(customer.customerName, customer.tenantId));
      tr.children[0].appendChild(document.createTextNode(customer.customerName ? ' · ' + customer.tenantId : ''));
      body.appendChild(tr);
    });
    var more = document.getElementById('customers-more');
    more.hidden = !page.continuationToken;
    more.onclick = function () {
      more.hidden = true;
      api(customersPath() + '&continuationToken=' + encodeURIComponent(page.continuationToken)).then(showCustomers, fail);
    };
  }

  document.getElementById('customer-filter').addEventListener('submit', function (event) {
    event.preventDefault();
    document.querySelector('#customers tbody').textContent = '';
    api(customersPath()).then(showCustomers, fail);
  });

  function showPrincipals(page) {
    document.getElementById('principals-run').textContent = page.runId ? 'snapshot of ' + page.collectedAt : 'no complete snapshot yet';
    var body = document.querySelector('#principals tbody');
    if (page.items.length === 0) body.appendChild(row(['None in the last 7 days.']));
    page.items.forEach(function (principal) {
      var tr = row([named(principal.upn, principal.objectId), principal.lastNonMfaRequestDateTime]);
      tr.setAttribute('data-object-id', principal.objectId);
      if (principal.upn) tr.children[1].appendChild(waiveButton('partnerUsers', principal.upn));
      body.appendChild(tr);
    });
  }

  function showFindings(findings) {
    var body = document.querySelector('#findings tbody');
    if (findings.items.length === 0) body.appendChild(row(['No open finding.']));
    findings.items.forEach(function (finding) {
      // What happened, in the alert's own words, and what to do about it, with where to do it.
      // A waived finding is still listed, marked with the waiver that keeps it out of alerts.
      var waived = finding.waiver ? 'waived until ' + finding.waiver.expiresAt + ': ' + finding.waiver.reason + ' (waiver ' + finding.waiver.id + ')' : null;
      var tr = row([finding.severity, finding.description, finding.nextStep, finding.openedAt, waived], [finding.severity === 'critical' && !waived ? 'bad' : null]);
      if (waived) {
        tr.setAttribute('class', 'waived');
        tr.setAttribute('data-waiver-id', finding.waiver.id);
      }
      if (finding.nextStepUrl) {
        tr.children[2].appendChild(document.createTextNode(' '));
        tr.children[2].appendChild(element('a', { href: finding.nextStepUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Open'));
      }
      tr.setAttribute('data-key', finding.key);
      tr.children[2].appendChild(findingWaiveButton(finding));
      body.appendChild(tr);
    });
  }

  function showWaivers(active, expiring) {
    var body = document.querySelector('#waivers tbody');
    if (active.items.length === 0) body.appendChild(row(['No active waiver: every finding is alerted.']));
    active.items.forEach(function (waiver) {
      var tr = row([waiver.description, waiver.reason, waiver.owner, waiver.expiresAt, waiver.waivedFindings, waiver.updatedBy + ' · ' + waiver.updatedAt]);
      tr.setAttribute('data-waiver-id', waiver.id);
      if (waiver.scope === 'customer') {
        tr.children[0].textContent = '';
        tr.children[0].appendChild(customerLink(waiver.description, waiver.target));
      }
      tr.children[5].appendChild(waiverEditButton(waiver));
      body.appendChild(tr);
    });
    var soon = document.querySelector('#waivers-expiring tbody');
    if (expiring.items.length === 0) soon.appendChild(row(['None in the next ' + waiverSoonDays + ' days.']));
    expiring.items.forEach(function (waiver) {
      var days = Math.max(0, Math.ceil((Date.parse(waiver.expiresAt) - Date.now()) / 86400000));
      var tr = row([waiver.description, waiver.expiresAt, days + ' day(s)', waiver.owner], [null, 'bad']);
      tr.setAttribute('data-waiver-id', waiver.id);
      soon.appendChild(tr);
    });
  }

  function showWaiverAudit(audit) {
    var body = document.querySelector('#waiver-audit tbody');
    if (audit.items.length === 0) body.appendChild(row(['No waiver has been set.']));
    audit.items.forEach(function (entry) {
      var waiver = entry.after || entry.before;
      var tr = row([entry.at, entry.actor, entry.action, entry.description, waiver.reason, waiver.expiresAt]);
      tr.setAttribute('data-waiver-id', entry.waiverId);
      body.appendChild(tr);
    });
  }
`;
