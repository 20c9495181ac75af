/**
 * Triage, the top of the page: what changed since a chosen time, grouped by customer (partner users
 * as one group, the partner's own findings as another), filtered by chips that are the API's own
 * filters, and the findings table a page at a time (the API's `top` and `continuationToken`).
 * Deep links (the alerts' contract): `#finding=<encodeURIComponent(key)>` highlights that finding,
 * `#findings=open|resolved|all` lists findings in that state whenever they changed, `#since=<ISO>`
 * sets the start of the window.
 */
export const triageScript = String.raw`
  var triagePageSize = 25;
  /** The groups are counted from one read: at most this many changes. */
  var triageGroupRead = 500;
  var groupShown = 10;
  /** Groups listed before "Show all": with 200 customers the worst come first and the table stays in reach. */
  var groupsListed = 20;
  var windows = { '24h': 86400000, '7d': 7 * 86400000, '30d': 30 * 86400000 };
  var subjectTypes = ['customer', 'principal', 'requirement', 'score', 'registration', 'source'];
  var findingStates = ['open', 'resolved', 'all'];
  // since: a window name, 'any' or 'date'; sinceAt: the instant the page tokens were issued for (a
  // token belongs to its filters, so the window moves only when chosen again or back on the first page).
  var triage = { state: 'all', since: '24h', sinceAt: null, severity: '', subject: '', subjectId: '', subjectName: '', waived: '', sort: 'worst',
    tokens: [null], page: 0, answer: null, groupsAnswer: null, allGroups: false, open: {}, linkedKey: null, linked: null, linkedShown: false };

  function fixWindow() {
    triage.sinceAt = windows[triage.since] ? new Date(Date.now() - windows[triage.since]).toISOString() : triage.since === 'date' ? triage.sinceAt : null;
  }

  function findingsQuery(withSubjectId, extra) {
    var parts = ['state=' + triage.state];
    if (triage.sinceAt) parts.push('since=' + encodeURIComponent(triage.sinceAt));
    if (triage.severity) parts.push('severity=' + triage.severity);
    if (triage.subject) parts.push('subject=' + triage.subject);
    if (withSubjectId && triage.subject && triage.subjectId) parts.push('subjectId=' + encodeURIComponent(triage.subjectId));
    if (triage.waived) parts.push('waived=' + triage.waived);
    return 'findings?' + parts.concat(extra).join('&');
  }

  var severityRank = function (severity) { return severity === 'critical' ? 0 : 1; };
  function changedAt(finding) { return finding.state === 'resolved' && finding.resolvedAt ? finding.resolvedAt : finding.openedAt; }
  function who(finding) {
    if (finding.subject.type === 'customer') return finding.customerName || finding.subject.id;
    if (finding.subject.type === 'principal') return finding.upn || finding.subject.name || finding.subject.id;
    return 'Partner';
  }
  var findingOrders = {
    // What is wrong now before what was put right, then critical first, then by impact (the API's ranking).
    worst: function (a, b) { return (a.state === 'resolved') - (b.state === 'resolved') || severityRank(a.severity) - severityRank(b.severity) || b.impact - a.impact; },
    newest: function (a, b) { return Date.parse(changedAt(b)) - Date.parse(changedAt(a)); },
    customer: function (a, b) { return who(a).localeCompare(who(b)) || findingOrders.worst(a, b); },
  };
  var groupOrders = {
    worst: function (a, b) { return findingOrders.worst(a.worst, b.worst) || b.findings.length - a.findings.length; },
    newest: function (a, b) { return Date.parse(b.latest) - Date.parse(a.latest); },
    customer: function (a, b) { return a.name.localeCompare(b.name); },
  };

  function groupOf(finding) {
    if (finding.subject.type === 'customer') return { id: 'customer:' + finding.subject.id, name: who(finding), subject: 'customer', subjectId: finding.subject.id };
    if (finding.subject.type === 'principal') return { id: 'principals', name: 'Partner users', subject: 'principal', subjectId: '' };
    return { id: 'partner', name: 'Partner', subject: null, subjectId: '' };
  }

  function severityBadge(finding) {
    return finding.state === 'resolved' ? element('span', { class: 'badge resolved' }, finding.severity + ', resolved') : element('span', { class: 'badge ' + finding.severity }, finding.severity);
  }

  function changeOf(finding) {
    return sentence([finding.state === 'resolved' ? 'resolved ' : 'opened ', when(changedAt(finding))]);
  }

  function showGroups(answer) {
    triage.groupsAnswer = answer;
    var groups = {};
    answer.items.forEach(function (finding) {
      var group = groupOf(finding);
      var entry = groups[group.id] || (groups[group.id] = Object.assign(group, { findings: [], worst: finding, latest: changedAt(finding) }));
      entry.findings.push(finding);
      if (findingOrders.worst(finding, entry.worst) < 0) entry.worst = finding;
      if (changedAt(finding) > entry.latest) entry.latest = changedAt(finding);
    });
    var sorted = Object.keys(groups).map(function (id) { return groups[id]; }).sort(groupOrders[triage.sort]);
    var list = document.getElementById('triage-groups');
    list.textContent = '';
    if (sorted.length === 0) list.appendChild(element('li', { class: 'empty' }, 'Nothing changed in this window.'));
    (triage.allGroups ? sorted : sorted.slice(0, groupsListed)).forEach(function (group, index) { list.appendChild(groupItem(group, 'triage-group-' + index)); });
    if (sorted.length > groupsListed) {
      var all = element('li');
      all.appendChild(element('button', { type: 'button', 'data-all-groups': '' }, triage.allGroups ? 'Show the first ' + groupsListed + ' only' : 'Show all ' + sorted.length + ' groups'));
      list.appendChild(all);
    }
    var customers = sorted.filter(function (group) { return group.subject === 'customer'; }).length;
    document.getElementById('triage-summary').textContent = customers + ' customer(s) · ' + answer.items.length + (answer.continuationToken ? '+' : '') + ' change(s)'
      + (answer.continuationToken ? ' (counted from the first ' + triageGroupRead + ': narrow the filters to count all)' : '');
  }

  function groupItem(group, panelId) {
    var item = element('li', { 'data-group': group.id });
    var heading = element('div', { class: 'group-heading' });
    heading.appendChild(group.subject === 'customer' ? customerLink(group.subjectId, group.name) : element('strong', {}, group.name));
    heading.appendChild(severityBadge(group.worst));
    var opened = group.findings.filter(function (finding) { return finding.state === 'open'; }).length;
    var counts = [opened && opened + ' opened', group.findings.length - opened && (group.findings.length - opened) + ' resolved'].filter(Boolean);
    heading.appendChild(element('span', { class: 'group-count' }, counts.join(' · ') + ', latest '));
    heading.lastChild.appendChild(when(group.latest));
    var open = !!triage.open[group.id];
    var toggle = element('button', { type: 'button', 'aria-expanded': open, 'aria-controls': panelId, 'data-toggle': group.id }, open ? 'Hide' : 'Show');
    toggle.setAttribute('aria-label', (open ? 'Hide ' : 'Show ') + group.name + '’s changes');
    heading.appendChild(toggle);
    item.appendChild(heading);
    var panel = element('ul', { id: panelId, class: 'group-findings' });
    panel.hidden = !open;
    group.findings.slice().sort(findingOrders.worst).slice(0, groupShown).forEach(function (finding) {
      var line = element('li', { 'data-key': finding.key });
      line.appendChild(severityBadge(finding));
      line.appendChild(document.createTextNode(' ' + finding.description + ' · '));
      line.appendChild(changeOf(finding));
      panel.appendChild(line);
    });
    // The rest, a page at a time, in the table: one customer's, or the partner users'; the partner's own are few.
    var more = element('li');
    if (group.subject) more.appendChild(element('button', { type: 'button', 'data-list-group': group.id }, 'List ' + (group.findings.length > groupShown ? 'all ' + group.findings.length : 'them') + ' in the table'));
    else if (group.findings.length > groupShown) more.textContent = 'and ' + (group.findings.length - groupShown) + ' more in the table below';
    if (more.firstChild) panel.appendChild(more);
    item.appendChild(panel);
    item.group = group;
    return item;
  }

  function findingRow(finding) {
    // A waived finding is still listed, marked with the waiver that keeps it out of alerts.
    var waived = finding.waiver ? sentence(['waived until ', when(finding.waiver.expiresAt), ': ' + finding.waiver.reason + ' (waiver ' + finding.waiver.id + ')']) : null;
    var subject = finding.subject.type === 'customer' ? customerLink(finding.subject.id, who(finding)) : who(finding);
    var tr = row([severityBadge(finding), subject, finding.description, finding.nextStep, changeOf(finding), waived]);
    if (waived) {
      tr.setAttribute('class', 'waived');
      tr.setAttribute('data-waiver-id', finding.waiver.id);
    }
    if (finding.nextStepUrl) {
      tr.children[3].appendChild(document.createTextNode(' '));
      tr.children[3].appendChild(element('a', { href: finding.nextStepUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Open'));
    }
    tr.setAttribute('data-key', finding.key);
    tr.children[3].appendChild(findingWaiveButton(finding));
    return tr;
  }

  function showTable() {
    var body = document.querySelector('#findings tbody');
    body.textContent = '';
    var items = triage.answer.items.slice().sort(findingOrders[triage.sort]);
    if (items.length === 0) body.appendChild(row(['No finding matches these filters.']));
    items.forEach(function (finding) { body.appendChild(findingRow(finding)); });
    document.querySelectorAll('#findings th[data-sort]').forEach(function (th) {
      th.setAttribute('aria-sort', th.getAttribute('data-sort') !== triage.sort ? 'none' : triage.sort === 'customer' ? 'ascending' : 'descending');
    });
    document.getElementById('findings-page').textContent = 'Page ' + (triage.page + 1);
    document.getElementById('findings-previous').disabled = triage.page === 0;
    document.getElementById('findings-next').disabled = !triage.answer.continuationToken;
    return showLinked();
  }

  function loadTable() {
    var token = triage.tokens[triage.page];
    return api(findingsQuery(true, ['top=' + triagePageSize].concat(token ? ['continuationToken=' + encodeURIComponent(token)] : []))).then(function (answer) {
      triage.answer = answer;
      triage.tokens[triage.page + 1] = answer.continuationToken;
      return showTable();
    });
  }

  /** Both views of the window: its groups and the table's current page. */
  function loadTriage() {
    if (triage.page === 0) fixWindow();
    document.getElementById('triage-window').textContent = '';
    var what = { all: 'opened or resolved', open: 'open, opened', resolved: 'resolved' }[triage.state];
    document.getElementById('triage-window').appendChild(triage.sinceAt ? sentence([what + ' since ', when(triage.sinceAt)])
      : sentence([triage.state === 'all' ? 'every finding' : 'every ' + triage.state + ' finding']));
    return Promise.all([api(findingsQuery(false, ['top=' + triageGroupRead])).then(showGroups), loadTable()]);
  }

  /** A new view from its first page; the section is aria-busy until both parts are drawn. */
  function restartTriage() {
    triage.tokens = [null];
    triage.page = 0;
    syncChips();
    return busyWhile(loadTriage());
  }

  function busyWhile(loading) {
    var section = document.getElementById('triage');
    section.setAttribute('aria-busy', 'true');
    return loading.catch(fail).then(function () { section.setAttribute('aria-busy', 'false'); });
  }

  function syncChips() {
    document.querySelectorAll('#triage [data-filter]').forEach(function (chip) {
      chip.setAttribute('aria-pressed', String(triage[chip.getAttribute('data-filter')] === chip.getAttribute('data-value')));
    });
    var scoped = document.getElementById('triage-scope');
    scoped.hidden = !triage.subjectId;
    scoped.textContent = triage.subjectId ? 'Only ' + triage.subjectName + ' ✕' : '';
    scoped.setAttribute('aria-label', triage.subjectId ? 'Only ' + triage.subjectName + ': show all again' : '');
    document.getElementById('triage-since-date').value = triage.since === 'date' && triage.sinceAt ? triage.sinceAt.slice(0, 10) : '';
  }

  document.getElementById('triage').addEventListener('click', function (event) {
    var target = event.target.closest('button');
    if (!target) return;
    var filter = target.getAttribute('data-filter');
    if (filter) {
      triage[filter] = target.getAttribute('data-value');
      // Choosing everyone, or another kind of subject, leaves the one customer it was narrowed to.
      if (filter === 'subject') triage.subjectId = '';
      restartTriage();
    } else if (target.id === 'triage-scope') {
      triage.subjectId = '';
      restartTriage();
    } else if (target.hasAttribute('data-toggle')) {
      var id = target.getAttribute('data-toggle');
      triage.open[id] = !triage.open[id];
      target.setAttribute('aria-expanded', String(triage.open[id]));
      target.textContent = triage.open[id] ? 'Hide' : 'Show';
      target.setAttribute('aria-label', target.getAttribute('aria-label').replace(/^(Show|Hide)/, triage.open[id] ? 'Hide' : 'Show'));
      document.getElementById(target.getAttribute('aria-controls')).hidden = !triage.open[id];
    } else if (target.hasAttribute('data-list-group')) {
      var group = target.closest('li[data-group]').group;
      triage.subject = group.subject;
      triage.subjectId = group.subjectId;
      triage.subjectName = group.name;
      restartTriage().then(function () { document.getElementById('findings').scrollIntoView(); });
    } else if (target.hasAttribute('data-all-groups')) {
      triage.allGroups = !triage.allGroups;
      showGroups(triage.groupsAnswer);
      document.querySelector('#triage-groups [data-all-groups]').focus();
    } else if (target.hasAttribute('data-sort-by')) {
      triage.sort = target.getAttribute('data-sort-by');
      showTable();
      showGroups(triage.groupsAnswer);
    } else if (target.id === 'findings-next' || target.id === 'findings-previous') {
      triage.page += target.id === 'findings-next' ? 1 : -1;
      // On the first or last page its button is disabled: the focus moves to the other, not to the page's start.
      busyWhile(loadTable()).then(function () { if (target.disabled) document.getElementById(target.id === 'findings-next' ? 'findings-previous' : 'findings-next').focus(); });
    }
  });

  document.getElementById('triage-since-date').addEventListener('change', function (event) {
    if (!event.target.value) return;
    triage.since = 'date';
    // The start of that day where the reader is.
    triage.sinceAt = new Date(event.target.value + 'T00:00').toISOString();
    restartTriage();
  });

  /** Reads the deep link: whether it changed the view (what is listed) and the linked finding. */
  function readTriageLink() {
    var link = new URLSearchParams(location.hash.slice(1));
    var changed = { view: false, linked: false };
    if (findingStates.indexOf(link.get('findings')) >= 0) {
      triage.state = link.get('findings');
      triage.since = 'any';
      changed.view = true;
    }
    if (link.get('since') && !Number.isNaN(Date.parse(link.get('since')))) {
      triage.since = 'date';
      triage.sinceAt = new Date(link.get('since')).toISOString();
      changed.view = true;
    }
    // A link that names no finding (a customer's, another view) ends the highlight.
    if (link.get('finding') !== triage.linkedKey) {
      triage.linkedKey = link.get('finding');
      triage.linked = null;
      triage.linkedShown = false;
      changed.linked = true;
    }
    return changed;
  }

  window.addEventListener('hashchange', function () {
    var changed = readTriageLink();
    if (changed.view) restartTriage();
    else if (changed.linked && triage.answer) showTable().catch(fail);
  });

  /** The linked finding, highlighted where it is listed, or read by its subject and shown first. */
  function showLinked() {
    var key = triage.linkedKey;
    if (!key) return Promise.resolve();
    var listed = document.querySelector('#findings tbody tr[data-key="' + CSS.escape(key) + '"]');
    if (listed) return Promise.resolve(markLinked(listed));
    var found = triage.linked && triage.linked.key === key ? Promise.resolve(triage.linked) : linkedFinding(key);
    return found.then(function (finding) {
      triage.linked = finding;
      var body = document.querySelector('#findings tbody');
      if (finding === null) {
        if (!triage.linkedShown) fail(new Error('The linked finding is not stored (any more): ' + key));
        triage.linkedShown = true;
        return;
      }
      var tr = findingRow(finding);
      tr.classList.add('linked');
      body.insertBefore(tr, body.firstChild);
      markLinked(tr);
    });
  }

  /** A finding's key starts with its subject's type and, for most, its id: the API lists that subject's findings. */
  function linkedFinding(key) {
    var parts = key.split('/');
    if (subjectTypes.indexOf(parts[0]) < 0) return Promise.resolve(null);
    var byId = ['customer', 'principal', 'requirement', 'source'].indexOf(parts[0]) >= 0 && parts[1];
    return api('findings?state=all&top=200&subject=' + parts[0] + (byId ? '&subjectId=' + encodeURIComponent(parts[1]) : '')).then(function (answer) {
      return answer.items.filter(function (finding) { return finding.key === key; })[0] || null;
    });
  }

  function markLinked(tr) {
    tr.classList.add('highlight');
    tr.setAttribute('tabindex', '-1');
    tr.setAttribute('aria-current', 'true');
    // Scrolled to once: a refresh re-marks it without moving the reader.
    if (triage.linkedShown) return;
    triage.linkedShown = true;
    tr.scrollIntoView({ block: 'center' });
    tr.focus({ preventScroll: true });
  }
`;
