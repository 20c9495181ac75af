/**
 * Who the page reads the API as, and where. With sign-in (the body's data-sign-in-* attributes,
 * set from SIGN_IN_CLIENT_ID), a person signs in with Entra ID through the authorization code flow
 * with PKCE that the Microsoft identity platform documents for single-page apps ("Microsoft
 * identity platform and OAuth 2.0 authorization code flow"): the page redeems the code at Entra's
 * token endpoint itself, keeps the token in this tab's sessionStorage, and calls the people's
 * routes (`signed-in/<route>`) with it. Without sign-in (the local demo), the function key comes
 * in the address's fragment (`#code=...`, which browsers never send to a server or proxy), is kept
 * in sessionStorage and taken out of the address; the page asks for it when it has none, and the
 * waiver form for the admin key. Other fragment parameters (`#customer=...`) stay.
 *
 * `authHeaders()` and `waiverAdminHeaders()` resolve to the headers of a read and of a waiver
 * change; `apiPath(route)` is the path the page calls for an endpoint's route.
 */
export const signInScript = String.raw`
  var signInSettings = document.body.hasAttribute('data-sign-in-client-id')
    ? { authority: document.body.getAttribute('data-sign-in-authority'), clientId: document.body.getAttribute('data-sign-in-client-id') }
    : null;
  var stored = { functionKey: 'mfa-monitor.function-key', adminKey: 'mfa-monitor.admin-key', session: 'mfa-monitor.session', pending: 'mfa-monitor.sign-in' };

  function fragmentParameters() {
    return new URLSearchParams(location.hash.replace(/^#/, ''));
  }

  function setFragment(parameters) {
    var text = parameters.toString();
    history.replaceState(history.state, '', location.pathname + location.search + (text ? '#' + text : ''));
  }

  function apiPath(route) {
    return signInSettings ? 'signed-in/' + route : route;
  }

  function authHeaders() {
    if (!signInSettings) return askForKey(stored.functionKey, 'Function key').then(function (key) { return { 'x-functions-key': key }; });
    return currentSession().then(function (session) { return { authorization: 'Bearer ' + session.accessToken }; });
  }

  /** Whether a waiver change needs the admin key typed in its form: a signed-in person's token carries their roles instead. */
  function waiverNeedsAdminKey() {
    return !signInSettings;
  }

  /** The admin key this tab keeps (typed once in the waiver form), or ''. */
  function storedAdminKey() {
    return sessionStorage.getItem(stored.adminKey) || '';
  }

  /** The headers of a waiver change: the signed-in person's token (the API checks Waivers.Write), or the admin key typed in the form. */
  function waiverAdminHeaders(typedAdminKey) {
    if (signInSettings) return authHeaders();
    if (typedAdminKey) sessionStorage.setItem(stored.adminKey, typedAdminKey);
    return Promise.resolve({ 'x-functions-key': storedAdminKey() });
  }

  // Keys: one in the address is kept for this tab and taken out of the address (and its history entry) at once.
  var addressKey = fragmentParameters();
  if (!signInSettings && addressKey.get('code')) {
    sessionStorage.setItem(stored.functionKey, addressKey.get('code'));
    addressKey.delete('code');
    setFragment(addressKey);
  }

  var keyRequests = {};

  /** The key this tab keeps, or a small form in the header that asks for it once. */
  function askForKey(name, label) {
    var known = sessionStorage.getItem(name);
    if (known) return Promise.resolve(known);
    keyRequests[name] = keyRequests[name] || new Promise(function (resolve) {
      var id = name.replace(/\W/g, '-');
      var form = element('form', { class: 'key-form', 'data-key': name });
      form.appendChild(element('label', { for: id }, label + ' '));
      var input = element('input', { id: id, type: 'password', autocomplete: 'off', required: 'required' });
      form.appendChild(input);
      form.appendChild(element('button', { type: 'submit' }, 'Use key'));
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        sessionStorage.setItem(name, input.value.trim());
        form.remove();
        delete keyRequests[name];
        resolve(input.value.trim());
      });
      document.querySelector('header').appendChild(form);
      input.focus();
    });
    return keyRequests[name];
  }

  // Sign-in: Entra sends the person back with the code (or an error) and our state in the fragment.
  var redeeming = null;
  if (signInSettings) {
    var answer = fragmentParameters();
    if (answer.get('state') && (answer.get('code') || answer.get('error'))) {
      var pending = JSON.parse(sessionStorage.getItem(stored.pending) || 'null');
      sessionStorage.removeItem(stored.pending);
      // The code leaves the address before anything else happens; the page's own fragment comes back.
      setFragment(new URLSearchParams(pending ? pending.fragment : ''));
      if (!pending || pending.state !== answer.get('state')) redeeming = Promise.reject(new Error('The sign-in answer is not one this tab asked for: sign in again.'));
      else if (answer.get('error')) redeeming = Promise.reject(new Error('Sign-in failed: ' + (answer.get('error_description') || answer.get('error'))));
      else redeeming = redeemCode(answer.get('code'), pending.verifier);
    }
  }

  function redirectUri() {
    return location.origin + location.pathname;
  }

  /**
   * This app's own API, all its roles (".default"), the ID token's name for the header, and a
   * refresh token (offline_access) so the page renews its access token without a new sign-in
   * (Entra gives a single-page app one that lasts 24 hours).
   */
  function signInScope() {
    return 'openid profile offline_access ' + signInSettings.clientId + '/.default';
  }

  function base64url(bytes) {
    var text = '';
    bytes.forEach(function (byte) { text += String.fromCharCode(byte); });
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomText(length) {
    var bytes = new Uint8Array(length);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  function startSignIn() {
    var verifier = randomText(32);
    var state = randomText(16);
    return crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)).then(function (digest) {
      sessionStorage.setItem(stored.pending, JSON.stringify({ verifier: verifier, state: state, fragment: location.hash.replace(/^#/, '') }));
      var query = new URLSearchParams({
        client_id: signInSettings.clientId, response_type: 'code', redirect_uri: redirectUri(), response_mode: 'fragment',
        scope: signInScope(), state: state, code_challenge: base64url(new Uint8Array(digest)), code_challenge_method: 'S256',
      });
      location.assign(signInSettings.authority + '/oauth2/v2.0/authorize?' + query.toString());
    });
  }

  /** The ID token is the page's own to read (who signed in); the access token is the API's, sent as it is. */
  function idTokenClaims(idToken) {
    try {
      var part = String(idToken).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), function (c) { return c.charCodeAt(0); })));
    } catch (error) {
      return {};
    }
  }

  function redeemCode(code, verifier) {
    return requestTokens({ grant_type: 'authorization_code', code: code, redirect_uri: redirectUri(), code_verifier: verifier });
  }

  /** A new access token from the session's refresh token (each answer brings the next refresh token). */
  function renewSession(session) {
    return requestTokens({ grant_type: 'refresh_token', refresh_token: session.refreshToken }, session.name);
  }

  function requestTokens(grant, knownName) {
    var form = new URLSearchParams(Object.assign({ client_id: signInSettings.clientId, scope: signInScope() }, grant));
    return boundedFetch(signInSettings.authority + '/oauth2/v2.0/token', { method: 'POST', body: form }, 'Entra sign-in').then(function (response) {
      return response.json().then(function (tokens) {
        if (!response.ok || !tokens.access_token) throw new Error('Sign-in failed: ' + (tokens.error_description || tokens.error || 'HTTP ' + response.status));
        var claims = idTokenClaims(tokens.id_token);
        // A minute early, so that no request leaves with a token about to expire.
        var session = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token || null, expiresAt: Date.now() + (Number(tokens.expires_in) - 60) * 1000, name: claims.name || claims.preferred_username || knownName || 'signed in' };
        sessionStorage.setItem(stored.session, JSON.stringify(session));
        return session;
      });
    });
  }

  var sessionKnown = null;

  /**
   * The signed-in person's session, renewed with its refresh token when its access token has
   * expired; without one (or when Entra refuses the renewal), a "Sign in" button and a wait that
   * ends when the page leaves for Entra.
   */
  function currentSession() {
    var known = sessionKnown = sessionKnown || (redeeming || Promise.resolve(JSON.parse(sessionStorage.getItem(stored.session) || 'null')));
    return known.then(function (session) {
      if (!session || session.expiresAt > Date.now() || !session.refreshToken) return session;
      // One renewal, which every request waiting on the expired session shares (a refresh token is good once).
      if (sessionKnown === known) sessionKnown = renewSession(session).catch(function () { return null; });
      return sessionKnown;
    }).then(function (session) {
      if (session && session.expiresAt > Date.now()) {
        showPerson(session.name);
        return session;
      }
      sessionKnown = null;
      sessionStorage.removeItem(stored.session);
      offerSignIn();
      return new Promise(function () {});
    }, function (error) {
      sessionKnown = null;
      offerSignIn();
      throw error;
    });
  }

  function offerSignIn() {
    if (document.getElementById('sign-in')) return;
    var button = element('button', { id: 'sign-in', type: 'button' }, 'Sign in');
    button.addEventListener('click', function () { startSignIn().catch(fail); });
    document.querySelector('header').appendChild(button);
  }

  function showPerson(name) {
    if (document.getElementById('signed-in')) return;
    var person = element('span', { id: 'signed-in' }, name + ' ');
    var signOut = element('button', { id: 'sign-out', type: 'button' }, 'Sign out');
    signOut.addEventListener('click', function () {
      sessionStorage.removeItem(stored.session);
      location.assign(signInSettings.authority + '/oauth2/v2.0/logout?' + new URLSearchParams({ post_logout_redirect_uri: redirectUri() }).toString());
    });
    person.appendChild(signOut);
    document.querySelector('header').appendChild(person);
  }
`;
