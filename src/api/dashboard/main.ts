/**
 * Loads every part of the page, then marks the body `data-loaded` (what the browser tests wait for),
 * and reads it all again each minute, drawn in place (`data-refreshed` on the body after each).
 */
export const mainScript = String.raw`
  var refreshEveryMs = 60000;

  function loadPage() {
    return Promise.all([
      Promise.all([api('status'), api('findings?state=open&severity=critical&top=1000')]).then(function (answers) { showStatus(answers[0], answers[1]); }),
      api('score').then(showScore),
      api('requirements').then(showRequirements),
      customersGrown ? null : api(customersPath()).then(function (page) { showCustomers(page); }),
      loadTriage(),
      api('principals?top=100').then(showPrincipals),
      Promise.all([api('waivers'), api('waivers?expiringWithinDays=' + waiverSoonDays)]).then(function (answers) { showWaivers(answers[0], answers[1]); }),
      api('waiver-audit?top=50').then(showWaiverAudit),
      // Never looks up in the PSAs on its own: a look-up costs the PSA's rate, so only the button asks for one.
      loadPsaCompanies(false),
    ]);
  }

  /**
   * Typing in a field, a dialog open, or a form that marks itself "data-editing" while open: a
   * refresh now would redraw what the reader is working on.
   */
  function readerIsEditing() {
    var active = document.activeElement;
    return document.querySelector('dialog[open], [data-editing]') !== null || (active !== null && (/^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) || active.isContentEditable));
  }

  var placeHolders = ['data-key', 'data-group', 'data-tenant-id', 'data-object-id', 'data-waiver-id', 'data-mapping'];

  /** Where the focus is, found again after a redraw: by id, or by the row it is in and its place there. */
  function focusPlace() {
    var active = document.activeElement;
    if (active === null || active === document.body) return function () {};
    if (active.id) return function () { var again = document.getElementById(active.id); if (again && again !== document.activeElement) again.focus({ preventScroll: true }); };
    var holder = active.closest(placeHolders.map(function (name) { return '[' + name + ']'; }).join(','));
    if (holder === null) return function () {};
    var name = placeHolders.filter(function (candidate) { return holder.hasAttribute(candidate); })[0];
    var selector = '[' + name + '="' + CSS.escape(holder.getAttribute(name)) + '"]';
    var focusable = function (node) { return node.querySelectorAll('a, button, input, [tabindex]'); };
    var index = [].indexOf.call(focusable(holder), active);
    return function () {
      var again = document.querySelector(selector);
      var target = again && (index < 0 ? again : focusable(again)[index]);
      if (target && target !== document.activeElement) target.focus({ preventScroll: true });
    };
  }

  /** The page read again and drawn where it was: the scroll position, filters, the table's page and the focus stay. */
  function refreshPage() {
    if (readerIsEditing()) return Promise.resolve();
    var x = window.scrollX, y = window.scrollY, refocus = focusPlace();
    return loadPage().then(function () {
      window.scrollTo(x, y);
      refocus();
      document.body.setAttribute('data-refreshed', new Date().toISOString());
    }, fail);
  }

  readTriageLink();
  syncChips();
  loadPage().then(function () { document.body.setAttribute('data-loaded', 'true'); }, function (error) { fail(error); document.body.setAttribute('data-loaded', 'error'); });
  setInterval(refreshPage, refreshEveryMs);
`;
