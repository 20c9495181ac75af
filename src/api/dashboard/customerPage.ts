
/**
 * A page per customer, at `#customer=<tenant id>` (a link anyone can keep or send): its name and
 * tenant id, its timeline from the history API (counts charted, policy changes in words), its open
 * and resolved findings a page at a time, the waivers that cover it, its Entra admin center
 * links and its admins (customerAdmins.ts). The overview stays loaded underneath, hidden, so Back returns to it where it was.
 * `customerLink` is a function declaration, hoisted inside the page's one script, so parts listed
 * before this one (the overview) link every customer name here.
 */
export const customerPageScript = String.raw`
  var customerMeasureWords = { compliantAdminsCount: 'compliant admins', compliantNonAdminsCount: 'compliant non-admins', totalUsersCount: 'users', securityDefaultsStatus: 'security defaults', mfaConditionalAccessPolicyStatus: 'Conditional Access MFA policy', legacyPerUserMfaStatus: 'per-user MFA' };
  var entraLinkWords = { overview: 'Tenant overview', properties: 'Properties (security defaults)', conditionalAccess: 'Conditional Access policies', signInLogs: 'Sign-in logs' };
  var findingsPerPage = 20;
  /** The customer shown, so an answer arriving after the reader moved on is dropped. */
  var shownCustomer = null;
  var overviewScroll = 0;

  function overviewMain() { return document.querySelector('body > main:not(#customer-view)'); }

  function routeToHash() {
    var tenantId = (new URLSearchParams(location.hash.slice(1)).get('customer') || '').toLowerCase();
    var view = document.getElementById('customer-view');
    if (!tenantId) {
      shownCustomer = null;
      if (!view.hidden) {
        view.hidden = true;
        overviewMain().hidden = false;
        window.scrollTo(0, overviewScroll);
      }
      return;
    }
    if (tenantId === shownCustomer && !view.hidden) return;
    if (view.hidden) overviewScroll = window.scrollY;
    overviewMain().hidden = true;
    view.hidden = false;
    window.scrollTo(0, 0);
    showCustomer(tenantId);
  }

  function showCustomer(tenantId) {
    var view = document.getElementById('customer-view');
    shownCustomer = tenantId;
    view.removeAttribute('data-loaded');
    view.setAttribute('data-tenant-id', tenantId);
    document.getElementById('customer-title').textContent = tenantId;
    document.getElementById('customer-tenant').textContent = 'Tenant id ' + tenantId;
    ['customer-entra-links', 'customer-changes', 'customer-chart', 'customer-problem'].forEach(function (id) { document.getElementById(id).textContent = ''; });
    clearCustomerAdmins();
    document.getElementById('customer-waive').setAttribute('data-waive-target', tenantId);
    // Focus follows the page change, so keyboard and screen-reader users start at its heading.
    document.getElementById('customer-title').focus();
    var current = function () { return shownCustomer === tenantId; };
    return Promise.all([
      api('customers/' + encodeURIComponent(tenantId) + '/history').then(function (timeline) { if (current()) showCustomerHistory(timeline); }),
      Promise.all([customerFindings(tenantId, 'open', null), customerFindings(tenantId, 'resolved', null), api('waivers')]).then(function (answers) {
        if (current()) showCustomerWaivers(tenantId, answers[2], answers[0].concat(answers[1]));
      }),
      // The admins' rows show their open findings whole (a "Waive…" needs the finding), not the page the table above holds.
      Promise.all([api('customers/' + encodeURIComponent(tenantId) + '/admins'), api('findings?subject=customer&subjectId=' + encodeURIComponent(tenantId) + '&state=open')]).then(function (answers) {
        if (current()) showCustomerAdmins(answers[0], answers[1].items);
      }),
    ]).then(function () {
      if (current()) view.setAttribute('data-loaded', 'true');
    }, function (error) {
      if (!current()) return;
      document.getElementById('customer-problem').textContent = String(error && error.message || error);
      view.setAttribute('data-loaded', 'error');
    });
  }

  function showCustomerHistory(timeline) {
    document.getElementById('customer-title').textContent = timeline.customerName || timeline.tenantId;
    var links = document.getElementById('customer-entra-links');
    Object.keys(entraLinkWords).forEach(function (blade) {
      var item = element('li');
      item.appendChild(element('a', { href: timeline.entraLinks[blade], target: '_blank', rel: 'noopener noreferrer' }, entraLinkWords[blade]));
      links.appendChild(item);
    });
    var points = function (measure) { return timeline.items.map(function (item) { return { at: item.collectedAt, value: item[measure] }; }); };
    lineChart(document.getElementById('customer-chart'), [
      { name: 'compliant admins', points: points('compliantAdminsCount') },
      { name: 'compliant non-admins', points: points('compliantNonAdminsCount') },
      { name: 'users', points: points('totalUsersCount') },
    ]);
    var changes = document.getElementById('customer-changes');
    timeline.items.forEach(function (item, index) {
      var words = index === 0 ? [stateInWords(item)] : changeInWords(timeline.items[index - 1], item);
      if (words.length === 0) return;
      var entry = element('li', { 'data-at': item.collectedAt });
      entry.appendChild(when(item.collectedAt));
      entry.appendChild(document.createTextNode(' ' + (index === 0 ? 'First seen: ' : '') + words.join('; ')));
      changes.appendChild(entry);
    });
    if (timeline.asOf) {
      var last = element('li', { class: 'label' });
      last.appendChild(sentence(['Unchanged since, up to the snapshot of ', when(timeline.asOf.collectedAt)]));
      changes.appendChild(last);
    }
  }

  function measureInWords(measure, value) {
    return customerMeasureWords[measure] + ' ' + (/Status$/.test(measure) ? inWords('policyStatus', value) : value === null ? 'unknown' : value);
  }

  function stateInWords(item) {
    if (item.gone) return 'no longer listed';
    return Object.keys(customerMeasureWords).map(function (measure) { return measureInWords(measure, item[measure]); }).join(', ');
  }

  function changeInWords(before, after) {
    if (after.gone) return ['no longer listed'];
    if (before.gone) return ['listed again: ' + stateInWords(after)];
    return Object.keys(customerMeasureWords).filter(function (measure) { return before[measure] !== after[measure]; }).map(function (measure) {
      var word = /Status$/.test(measure) ? function (value) { return inWords('policyStatus', value); } : function (value) { return value === null ? 'unknown' : String(value); };
      return customerMeasureWords[measure] + ' ' + word(before[measure]) + ' \u2192 ' + word(after[measure]);
    });
  }

  /** One page of the customer's findings in a state, resolving to its findings; "More" asks for the next with the token the API gave. */
  function customerFindings(tenantId, state, continuationToken) {
    var body = document.querySelector('#customer-' + state + ' tbody');
    var more = document.getElementById('customer-' + state + '-more');
    if (continuationToken === null) body.textContent = '';
    more.hidden = true;
    var path = 'findings?subject=customer&subjectId=' + encodeURIComponent(tenantId) + '&state=' + state + '&top=' + findingsPerPage + (continuationToken ? '&continuationToken=' + encodeURIComponent(continuationToken) : '');
    return api(path).then(function (page) {
      if (shownCustomer !== tenantId) return [];
      if (continuationToken === null && page.items.length === 0) body.appendChild(row([state === 'open' ? 'No open finding.' : 'No resolved finding.']));
      page.items.forEach(function (finding) { body.appendChild(customerFindingRow(finding)); });
      more.hidden = !page.continuationToken;
      more.onclick = function () { customerFindings(tenantId, state, page.continuationToken).catch(fail); };
      return page.items;
    });
  }

  function customerFindingRow(finding) {
    var waived = finding.waiver ? 'waived until ' + finding.waiver.expiresAt + ': ' + finding.waiver.reason : null;
    var tr = row([finding.severity, finding.description, finding.state === 'open' ? finding.openedAt : finding.resolvedAt, waived], [finding.severity === 'critical' && finding.state === 'open' && !waived ? 'bad' : null]);
    tr.setAttribute('data-key', finding.key);
    if (waived) {
      tr.setAttribute('class', 'waived');
      tr.setAttribute('data-waiver-id', finding.waiver.id);
    }
    var actions = element('td');
    actions.appendChild(findingWaiveButton(finding));
    tr.appendChild(actions);
    return tr;
  }

  /** The waivers that cover this customer: the whole tenant, or one of the findings listed. */
  function showCustomerWaivers(tenantId, waivers, findings) {
    var body = document.querySelector('#customer-waivers tbody');
    body.textContent = '';
    var onFindings = findings.filter(function (finding) { return finding.waiver; }).map(function (finding) { return finding.waiver.id; });
    var covering = waivers.items.filter(function (waiver) { return (waiver.scope === 'customer' && waiver.target === tenantId) || onFindings.indexOf(waiver.id) !== -1; });
    if (covering.length === 0) body.appendChild(row(['No waiver covers this customer.']));
    covering.forEach(function (waiver) {
      var tr = row([waiver.description, waiver.reason, waiver.owner, waiver.expiresAt, waiver.waivedFindings]);
      tr.setAttribute('data-waiver-id', waiver.id);
      var actions = element('td');
      actions.appendChild(waiverEditButton(waiver));
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  window.addEventListener('hashchange', routeToHash);
  routeToHash();
`;
