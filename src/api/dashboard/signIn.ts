/**
 * Who the page reads the API as. `authHeaders()` resolves to the headers every API request
 * carries: the function key the page was opened with (`?code=`), sent as `x-functions-key`.
 */
export const signInScript = String.raw`
  var functionKey = new URLSearchParams(location.search).get('code') || '';

  function authHeaders() {
    return Promise.resolve({ 'x-functions-key': functionKey });
  }
`;
