import { enumerationWords } from '../../core/wording';

/**
 * What makes a value readable on the page: times relative to now in the reader's own time zone
 * (a `<time>` element, the exact local time in its title), Microsoft's enumeration values in words
 * (core/wording.ts's table, embedded as served to the API's callers).
 */
export const readableScript = String.raw`
  var enumerationWords = ${JSON.stringify(enumerationWords)};

  /** As core/wording.ts's inWords: a value the table does not know yet is shown as served, quoted. */
  function inWords(enumeration, value) {
    if (value === null || value === undefined || value === '') return 'unknown';
    var words = enumerationWords[enumeration];
    return Object.prototype.hasOwnProperty.call(words, value) ? words[value] : '\u201C' + value + '\u201D';
  }

  var relativeWords = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
  var timeUnits = [['year', 365 * 86400000], ['month', 30 * 86400000], ['day', 86400000], ['hour', 3600000], ['minute', 60000]];

  function relativeTime(iso) {
    var delta = Date.parse(iso) - Date.now();
    for (var index = 0; index < timeUnits.length; index += 1) {
      if (Math.abs(delta) >= timeUnits[index][1]) return relativeWords.format(Math.round(delta / timeUnits[index][1]), timeUnits[index][0]);
    }
    return delta <= 0 ? 'just now' : 'in under a minute';
  }

  function exactTime(iso) {
    return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' });
  }

  /** A time as people read it ("3 hours ago"), the exact local time on hover; null (shown as —) for none. */
  function when(iso) {
    if (!iso) return null;
    if (Number.isNaN(Date.parse(iso))) return iso;
    return element('time', { datetime: iso, title: exactTime(iso) }, relativeTime(iso));
  }

  /** A customer's name (its tenant id when the name is unknown), leading to its page (#customer=<tenant id>). */
  function customerLink(tenantId, name) {
    return element('a', { href: '#customer=' + encodeURIComponent(tenantId), 'data-customer-link': tenantId }, name || tenantId);
  }

  /** A line of words with times in it: each part is text or a node (when()'s times). */
  function sentence(parts) {
    var span = element('span');
    parts.forEach(function (part) { span.appendChild(part instanceof Node ? part : document.createTextNode(part === null || part === undefined ? '—' : String(part))); });
    return span;
  }
`;
