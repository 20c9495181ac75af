/**
 * What every part of the dashboard's script uses: reading the API, building elements (data
 * is written with textContent, never as HTML), and the failure line.
 */
export const commonScript = String.raw`
  var svgNs = 'http://www.w3.org/2000/svg';
  var requestTimeoutMs = 30000;

  /** fetch, bounded: a request that has not answered in 30 s fails, naming what it asked, instead of leaving the page waiting. */
  function boundedFetch(url, init, what) {
    return fetch(url, Object.assign({}, init, { signal: AbortSignal.timeout(requestTimeoutMs) })).catch(function (error) {
      if (error && (error.name === 'TimeoutError' || error.name === 'AbortError')) throw new Error(what + ': no answer within ' + requestTimeoutMs / 1000 + ' s');
      throw error;
    });
  }

  /** GET one JSON endpoint by its route, with the caller's credentials and at the caller's path (signIn.ts's authHeaders, apiPath). */
  function api(path) {
    return authHeaders().then(function (headers) {
      return boundedFetch(apiPath(path), { headers: Object.assign({ accept: 'application/json' }, headers) }, path);
    }).then(function (response) {
      // The status answers 503 when unhealthy, with the same body: that is something to show.
      if (!response.ok && !(response.status === 503 && path === 'status')) return response.text().then(function (text) { throw new Error(path + ': HTTP ' + response.status + ' ' + text.slice(0, 200)); });
      return response.json();
    });
  }

  function element(name, attributes, text) {
    var node = name.indexOf('svg:') === 0 ? document.createElementNS(svgNs, name.slice(4)) : document.createElement(name);
    Object.keys(attributes || {}).forEach(function (attribute) { node.setAttribute(attribute, String(attributes[attribute])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A table row: each cell is text, or a node (a link, a time) put in as it is. */
  function row(cells, classes) {
    var tr = element('tr');
    cells.forEach(function (cell, index) {
      var td = element('td', classes && classes[index] ? { class: classes[index] } : {});
      if (cell instanceof Node) td.appendChild(cell);
      else td.textContent = cell === null || cell === undefined ? '—' : String(cell);
      tr.appendChild(td);
    });
    return tr;
  }

  /** Name first, id after: people recognise the name, the id is what Microsoft's portals search by. */
  function named(name, id) {
    return name ? name + ' · ' + id : id;
  }

  function fail(error) {
    document.getElementById('error').textContent = String(error && error.message || error);
  }
`;
