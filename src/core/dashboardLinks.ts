/**
 * Where a message's links lead: the dashboard, at the place the line is about. Never the JSON
 * API: a link from an email or a chat opens in a browser, which holds no API key (the API answers
 * 401), while the dashboard signs people in. The place is the URL's fragment, which the page
 * reads (and which never reaches the server or its logs), as parameters in the form of a query:
 *
 * - `#finding=<key>`: one finding (its key URI-encoded: keys hold `/`);
 * - `#customer=<tenantId>`: one customer's page;
 * - `#findings=open` or `#findings=resolved`, optionally `&since=<ISO time>`: a list, or what
 *   changed since then;
 * - `#psaCompanies=<psa>`: which company each customer's tickets go to in that PSA, and the gaps.
 *
 * Every value is encoded with `encodeURIComponent`, so `new URLSearchParams(hash.slice(1))` reads
 * it back as written.
 */
type DashboardPlace = { finding: string } | { customer: string } | { findings: 'open' | 'resolved'; since?: string } | { psaCompanies: string };

/** The dashboard's URL at `place`; null without PUBLIC_BASE_URL (a message then has no links to the monitor). */
export function dashboardLink(publicBaseUrl: string | null, place: DashboardPlace): string | null {
  if (publicBaseUrl === null) return null;
  const parameters = Object.entries(place).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  const fragment = parameters.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
  return `${publicBaseUrl.replace(/\/+$/, '')}/api/dashboard#${fragment}`;
}
