/**
 * The overview: the monitor's health apart from the customers' compliance, the charts, and the
 * customer, partner-user and waiver tables. Each show* draws its part afresh (the page refreshes
 * in place).
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
    // The latest snapshot's requirements, Microsoft's values in words.
    var latest = runs.length === 0 ? [] : runs[runs.length - 1].items;
    var body = document.querySelector('#requirements tbody');
    body.textContent = '';
    latest.forEach(function (requirement) {
      var tr = row([inWords('requirementType', requirement.requirementType), inWords('complianceStatus', requirement.complianceStatus), inWords('requirementState', requirement.state)],
        [null, requirement.complianceStatus === 'compliant' ? null : 'bad']);
      tr.setAttribute('data-requirement-type', requirement.requirementType);
      body.appendChild(tr);
    });
    var tenants = requirements.items.filter(function (item) { return item.kind === 'customersMfaEnforcedSecurityRequirement'; });
    lineChart(document.getElementById('tenants-chart'), [
      { name: 'compliant tenants', points: tenants.map(function (item) { return { at: item.collectedAt, value: item.compliantTenantCount }; }) },
      { name: 'tenants', points: tenants.map(function (item) { return { at: item.collectedAt, value: item.totalTenantCount }; }) },
    ]);
  }

  /**
   * Whether the monitor works is one thing, how compliant the customers are another: "Healthy · 79
   * open findings" read as if the customers were healthy. The open critical findings are counted
   * from one bounded read; the warnings are the rest of the status's open count.
   */
  function showStatus(status, critical) {
    var problems = status.problems.length;
    var monitor = document.getElementById('monitor');
    monitor.textContent = 'Monitor: ' + (status.healthy ? 'working' : 'not working (' + problems + (problems === 1 ? ' problem)' : ' problems)'));
    monitor.className = 'status ' + (status.healthy ? 'good' : 'failing');
    var criticalCount = critical.items.length;
    document.getElementById('compliance').textContent = 'Compliance: ' + criticalCount + (critical.continuationToken ? '+' : '') + ' critical · '
      + (critical.continuationToken ? 'more' : Math.max(0, status.openFindings - criticalCount)) + ' warning open';
    document.getElementById('waiver-count').textContent = status.activeWaivers + ' active waiver(s)';
    var checked = document.getElementById('checked');
    checked.textContent = '';
    checked.appendChild(sentence(['checked ', when(status.checkedAt)]));
    // One reason, one line: a reason is a sentence of its own, with the times and settings to check.
    var problemList = document.getElementById('problems');
    problemList.textContent = '';
    status.problems.forEach(function (problem) { problemList.appendChild(element('li', {}, problem)); });
    // Missing names are a warning beside the health, never part of it.
    document.getElementById('names-warning').textContent = status.customerNames.status === 'warning' ? 'Customer names: ' + status.customerNames.warning : '';
    var digest = status.digest, digestLine = document.getElementById('digest');
    digestLine.textContent = '';
    digestLine.appendChild(digest === null ? sentence(['Weekly digest: none sent yet'])
      : sentence(['Weekly digest ' + digest.week + ': '].concat(digest.status === 'sent' ? ['sent ', when(digest.sentAt)] : ['not delivered yet' + (digest.lastError ? ' (' + digest.lastError + ')' : '')])));
    var body = document.querySelector('#sources tbody');
    body.textContent = '';
    var late = function (schedule) { return schedule && schedule.expectedBy !== null && schedule.expectedBy < status.checkedAt ? 'bad' : null; };
    status.sources.forEach(function (source) {
      var last = source.lastRun, complete = source.lastCompleteRun;
      // A failed run shows why in a word (Abandoned, DeadlineExceeded, Timeout...).
      var lastStatus = last && (last.status + (last.errorCode ? ' (' + last.errorCode + ')' : ''));
      var due = source.schedule && source.schedule.expectedBy;
      body.appendChild(row([source.source, last && when(last.startedAt), lastStatus, complete && when(complete.startedAt), when(due), source.openFindings], [null, null, last && last.status === 'failed' ? 'bad' : null, null, late(source.schedule)]));
    });
    showDeliveries(status.undeliveredAlerts.channels);
    showTickets(status.tickets || []);
    // The detector keeps no ledger of its own: its last run that did all its work stands for both.
    var detector = status.detector, completed = detector.lastCompletedRun;
    body.appendChild(row(['detectRegressions', completed && when(completed.startedAt), completed && 'complete', completed && when(completed.startedAt), detector.schedule && when(detector.schedule.expectedBy), null], [null, null, null, null, late(detector.schedule)]));
  }

  /** Per channel, what waits in the outbox; a refusing channel is a setting to fix, not an outage to wait out. */
  function showDeliveries(channels) {
    var body = document.querySelector('#deliveries tbody');
    body.textContent = '';
    if (channels.length === 0) body.appendChild(row(['No delivery waits on any channel.']));
    // Refusing channels first: they wait for an admin, the others only for time.
    channels.filter(function (channel) { return channel.refused; }).concat(channels.filter(function (channel) { return !channel.refused; })).forEach(function (channel) {
      var tr = row([channel.channel, channel.waiting, when(channel.oldestCreatedAt), channel.attempts, channel.lastError, channel.refused ? 'yes: check its setting' : 'no'], [null, null, null, null, null, channel.refused ? 'bad' : null]);
      tr.setAttribute('data-target', channel.target);
      body.appendChild(tr);
    });
  }

  /** Per configured PSA, beside the channels: its tickets, what waits, what fails, and the customers its mapping misses. */
  function showTickets(psas) {
    var body = document.querySelector('#psa-tickets tbody');
    body.textContent = '';
    if (psas.length === 0) body.appendChild(row(['No PSA is configured.']));
    psas.forEach(function (psa) {
      var failing = psa.failing[0];
      var gaps = element('a', { href: '#psaCompanies=' + encodeURIComponent(psa.psa) }, psa.mappingGapCount + ' customer(s)');
      var tr = row([psa.name, psa.openTickets, psa.heldBack, psa.failingCount, failing ? failing.lastError : null, psa.refused ? 'yes: check its settings' : 'no', psa.mappingGapCount === 0 ? '0' : gaps],
        [null, null, null, psa.failingCount > 0 ? 'bad' : null, null, psa.refused ? 'bad' : null, null]);
      tr.setAttribute('data-psa', psa.psa);
      body.appendChild(tr);
    });
  }

  /** Whether the reader paged the customers on ("More"): a refresh then leaves the table as it is. */
  var customersGrown = false;

  function customersPath() {
    var name = document.getElementById('customer-name').value.trim();
    return 'customers?status=nonCompliant&top=100' + (name ? '&name=' + encodeURIComponent(name) : '');
  }

  /** A customer's newest admin scan in a few words ("2 of 5 admins without MFA"); null (shown as —) when none has it. */
  function adminScanWords(scan) {
    if (!scan) return null;
    if (scan.outcome === 'cannotSee') return 'cannot see inside';
    var words = scan.withoutMfaMethod + ' of ' + scan.admins + ' admins without MFA';
    return scan.notRequiredMfa > 0 ? words + ', ' + scan.notRequiredMfa + ' not required to use it' : words;
  }

  /** The first page replaces the table, a next one ("More") adds to it. */
  function showCustomers(page, next) {
    var run = document.getElementById('customers-run');
    run.textContent = '';
    run.appendChild(page.runId ? sentence(['snapshot of ', when(page.collectedAt)]) : sentence(['no complete snapshot yet']));
    var body = document.querySelector('#customers tbody');
    if (!next) body.textContent = '';
    page.items.forEach(function (customer) {
      var name = element('span');
      name.appendChild(customerLink(customer.tenantId, customer.customerName));
      if (customer.customerName) name.appendChild(document.createTextNode(' · ' + customer.tenantId));
      var scan = customer.adminScan;
      var tr = row([name, customer.noMfaPolicy === null ? 'unknown' : customer.noMfaPolicy ? 'yes' : 'no', customer.adminsNotCompliant ? 'yes' : 'no', customer.compliantAdminsCount, customer.compliantNonAdminsCount,
        customer.totalUsersCount, inWords('policyStatus', customer.securityDefaultsStatus), inWords('policyStatus', customer.mfaConditionalAccessPolicyStatus), inWords('policyStatus', customer.legacyPerUserMfaStatus), adminScanWords(scan)],
        [null, customer.noMfaPolicy ? 'bad' : null, customer.adminsNotCompliant ? 'bad' : null, null, null, null, null, null, null, scan && (scan.outcome === 'cannotSee' || scan.withoutMfaMethod > 0) ? 'bad' : null]);
      tr.setAttribute('data-tenant-id', customer.tenantId);
      body.appendChild(tr);
    });
    var more = document.getElementById('customers-more');
    more.hidden = !page.continuationToken;
    more.onclick = function () {
      more.hidden = true;
      customersGrown = true;
      api(customersPath() + '&continuationToken=' + encodeURIComponent(page.continuationToken)).then(function (nextPage) { showCustomers(nextPage, true); }, fail);
    };
  }

  document.getElementById('customer-filter').addEventListener('submit', function (event) {
    event.preventDefault();
    customersGrown = false;
    api(customersPath()).then(function (page) { showCustomers(page); }, fail);
  });

  function showPrincipals(page) {
    var run = document.getElementById('principals-run');
    run.textContent = '';
    run.appendChild(page.runId ? sentence(['snapshot of ', when(page.collectedAt)]) : sentence(['no complete snapshot yet']));
    var body = document.querySelector('#principals tbody');
    body.textContent = '';
    if (page.items.length === 0) body.appendChild(row(['None in the last 7 days.']));
    page.items.forEach(function (principal) {
      var tr = row([named(principal.upn, principal.objectId), when(principal.lastNonMfaRequestDateTime)]);
      tr.setAttribute('data-object-id', principal.objectId);
      if (principal.upn) tr.children[1].appendChild(waiveButton('partnerUsers', principal.upn));
      body.appendChild(tr);
    });
  }

  function showWaivers(active, expiring) {
    var body = document.querySelector('#waivers tbody');
    body.textContent = '';
    if (active.items.length === 0) body.appendChild(row(['No active waiver: every finding is alerted.']));
    active.items.forEach(function (waiver) {
      var tr = row([waiver.description, waiver.reason, waiver.owner, when(waiver.expiresAt), waiver.waivedFindings, sentence([waiver.updatedBy + ' · ', when(waiver.updatedAt)])]);
      tr.setAttribute('data-waiver-id', waiver.id);
      if (waiver.scope === 'customer') {
        tr.children[0].textContent = '';
        tr.children[0].appendChild(customerLink(waiver.target, waiver.description));
      }
      tr.children[5].appendChild(waiverEditButton(waiver));
      body.appendChild(tr);
    });
    var soon = document.querySelector('#waivers-expiring tbody');
    soon.textContent = '';
    if (expiring.items.length === 0) soon.appendChild(row(['None in the next ' + waiverSoonDays + ' days.']));
    expiring.items.forEach(function (waiver) {
      var tr = row([waiver.description, when(waiver.expiresAt), waiver.owner], [null, 'bad']);
      tr.setAttribute('data-waiver-id', waiver.id);
      soon.appendChild(tr);
    });
  }

  function showWaiverAudit(audit) {
    var body = document.querySelector('#waiver-audit tbody');
    body.textContent = '';
    if (audit.items.length === 0) body.appendChild(row(['No waiver has been set.']));
    audit.items.forEach(function (entry) {
      var waiver = entry.after || entry.before;
      var tr = row([when(entry.at), entry.actor, entry.action, entry.description, waiver.reason, when(waiver.expiresAt)]);
      tr.setAttribute('data-waiver-id', entry.waiverId);
      body.appendChild(tr);
    });
  }
`;
