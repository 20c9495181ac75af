import { dashboardLink } from '../../src/core/dashboardLinks';

describe('dashboardLink', () => {
  // The fragment is never sent to the server (RFC 3986, section 3.5: "the identifying information within the fragment itself is
  // dereferenced solely by the user agent"), so the page reads its place there, parsing it as a query (WHATWG URL Standard,
  // URLSearchParams), which is how it is written.
  it('when a finding key holds slashes and a time, then the link opens the dashboard at that finding and reads back as written', () => {
    const key = 'principal/3c00a821-8458-472b-8862-7d52c992211a/2027-02-06T12:23:56.062Z';
    const link = dashboardLink('https://monitor.example', { finding: key });
    expect(link).toBe('https://monitor.example/api/dashboard#finding=principal%2F3c00a821-8458-472b-8862-7d52c992211a%2F2027-02-06T12%3A23%3A56.062Z');
    expect(new URLSearchParams(new URL(link!).hash.slice(1)).get('finding')).toBe(key);
  });

  it('when a list of what changed since a time is asked, then both parameters read back; a customer and a base URL with trailing slashes too', () => {
    const since = '2026-11-30T07:00:00.000Z';
    const list = new URLSearchParams(new URL(dashboardLink('https://monitor.example', { findings: 'resolved', since })!).hash.slice(1));
    expect([list.get('findings'), list.get('since')]).toEqual(['resolved', since]);
    expect(dashboardLink('https://monitor.example/base//', { customer: 'c0000000-0000-0000-0000-000000000001' })).toBe('https://monitor.example/base/api/dashboard#customer=c0000000-0000-0000-0000-000000000001');
    expect(dashboardLink('https://monitor.example', { findings: 'open' })).toBe('https://monitor.example/api/dashboard#findings=open');
  });

  it('when PUBLIC_BASE_URL is not set, then there is no link; an empty base keeps it relative, for the monitor\'s own pages', () => {
    expect(dashboardLink(null, { findings: 'open' })).toBeNull();
    expect(dashboardLink('', { finding: 'score/currentScore' })).toBe('/api/dashboard#finding=score%2FcurrentScore');
  });
});
