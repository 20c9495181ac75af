import { firstMinutes } from '../../tools/firstMinutes';

/*
 * What `npm start` prints last. The key rides in the URL's fragment, which a browser processes
 * itself and never sends in a request (RFC 3986 section 3.5, "Fragment"), so it reaches neither the
 * host's log nor a proxy's. Timer schedules are NCRONTAB in UTC ("Timer trigger for Azure Functions",
 * learn.microsoft.com/azure/azure-functions/functions-bindings-timer, "NCRONTAB expressions").
 */
const demoSchedules = { SCHEDULE_PARTNER_SECURITY: '0,30 * * * * *', SCHEDULE_NON_MFA_PRINCIPALS: '10,40 * * * * *', SCHEDULE_REGISTRATION_COUNTS: '20 * * * * *', SCHEDULE_DETECT_REGRESSIONS: '5/20 * * * * *' };
const base = { hostUrl: 'http://127.0.0.1:7123', functionKey: 'generated-key-0123456789', functionKeyConfigured: false, dashboard: true, inbox: 'https://127.0.0.1:50443/_sim/inbox', env: demoSchedules, now: new Date('2026-12-07T10:00:12Z') };

describe('firstMinutes (what npm start prints last)', () => {
  test('when the key was generated and the simulator runs, then the dashboard link carries the key after #, the inbox its real port, and when the first comparison can come', () => {
    expect(firstMinutes(base)).toEqual([
      'First minutes:',
      '  Dashboard: http://127.0.0.1:7123/api/dashboard#code=generated-key-0123456789 (the key after # stays in the browser)',
      '  Alert e-mails: https://127.0.0.1:50443/_sim/inbox',
      expect.stringMatching(/^ {4}The simulator serves HTTPS with a self-signed certificate: the browser warns \(Chrome and Edge: "Your connection is not private", NET::ERR_CERT_AUTHORITY_INVALID; .*That is expected locally/),
      "  First alert: alerts are changes between two snapshots of a source, so the first can come from the detector's first run after a source's second snapshot: on these schedules partnerSecurity's second at 10:01:00 UTC, then the detector at 10:01:05 UTC.",
    ]);
    // Started later in the minute, the partner users' second snapshot comes first.
    expect(firstMinutes({ ...base, now: new Date('2026-12-07T10:00:35Z') }).at(-1)).toBe(
      "  First alert: alerts are changes between two snapshots of a source, so the first can come from the detector's first run after a source's second snapshot: on these schedules nonMfaPrincipals's second at 10:01:10 UTC, then the detector at 10:01:25 UTC.",
    );
  });

  test('when LOCAL_FUNCTION_KEY was set, then the link leaves the key out and says the page asks for it', () => {
    const lines = firstMinutes({ ...base, functionKeyConfigured: true });
    expect(lines[1]).toBe('  Dashboard: http://127.0.0.1:7123/api/dashboard (it asks for the function key, LOCAL_FUNCTION_KEY)');
    expect(lines.join('\n')).not.toContain(base.functionKey);
  });

  test('when real endpoints are used and no schedule is known, then no inbox is named and the two-snapshot rule is said without times', () => {
    expect(firstMinutes({ ...base, inbox: null, env: {} }).slice(2)).toEqual(["  First alert: alerts are changes between two snapshots of a source, so the first can come from the detector's first run after a source's second snapshot."]);
  });

  test('when the customer-admin scan is on, then it says when the first scan runs: after the first partnerSecurity snapshot, whose customers it scans', () => {
    const env = { ...demoSchedules, CUSTOMER_TENANT_AUTH: 'app', SCHEDULE_CUSTOMER_ADMINS: '45 */2 * * * *' };
    expect(firstMinutes({ ...base, env }).at(-1)).toBe(
      "  Customer admins: scanned inside each customer tenant (CUSTOMER_TENANT_AUTH=app), one queue message per tenant, from 10:00:45 UTC; the admins without MFA, and the customers it cannot see into, are named in the detector's alert after the run closes.",
    );
    // Off, nothing is said about it.
    expect(firstMinutes({ ...base, env: { ...env, CUSTOMER_TENANT_AUTH: 'off' } }).join('\n')).not.toContain('Customer admins');
  });
});
