import { ConfigurationError } from '../src/core/errors';
import { readSchedule } from '../src/core/ncrontab';

interface FirstMinutesInput {
  /** `http://ADDRESS:PORT` the functions are served at (the port the host really listens on). */
  hostUrl: string;
  functionKey: string;
  /** A key someone chose is theirs to know: it is never printed, and the page asks for it. */
  functionKeyConfigured: boolean;
  /** Whether the app serves the dashboard (a fixture app may not). */
  dashboard: boolean;
  /** The simulator's inbox (its real port), or null against real endpoints. */
  inbox: string | null;
  /** The schedules the timers run on (app settings), to say when the first comparison can happen. */
  env: Readonly<Record<string, string | undefined>>;
  now: Date;
}

/**
 * What `npm start` prints last, for someone who has just run it: where to click, when the first
 * alert can come, and what the browser will say about the simulator's certificate.
 *
 * The function key goes after `#`: a URL's fragment is processed by the browser alone and never
 * sent in a request (RFC 3986 section 3.5), so it stays out of server and proxy logs; the page
 * reads it from there.
 */
export function firstMinutes(input: FirstMinutesInput): string[] {
  const lines = ['First minutes:'];
  if (input.dashboard) {
    lines.push(
      input.functionKeyConfigured
        ? `  Dashboard: ${input.hostUrl}/api/dashboard (it asks for the function key, LOCAL_FUNCTION_KEY)`
        : `  Dashboard: ${input.hostUrl}/api/dashboard#code=${encodeURIComponent(input.functionKey)} (the key after # stays in the browser)`,
    );
  }
  if (input.inbox !== null) {
    lines.push(
      `  Alert e-mails: ${input.inbox}`,
      "    The simulator serves HTTPS with a self-signed certificate: the browser warns (Chrome and Edge: \"Your connection is not private\", NET::ERR_CERT_AUTHORITY_INVALID; Firefox: \"Warning: Potential Security Risk Ahead\"). That is expected locally: choose Advanced, then proceed to 127.0.0.1.",
    );
  }
  lines.push(`  First alert: ${firstAlert(input.env, input.now)}`);
  const admins = firstAdminScan(input.env, input.now);
  if (admins !== null) lines.push(`  Customer admins: ${admins}`);
  return lines;
}

/**
 * The scan inside each customer tenant needs the customers of a partnerSecurity snapshot: its
 * first run is the scan's first occurrence after the first snapshot, and the detector names the
 * admins in its next alert once the run closes. Null while the scan is off or cannot be timed.
 */
function firstAdminScan(env: FirstMinutesInput['env'], now: Date): string | null {
  const auth = env.CUSTOMER_TENANT_AUTH;
  const collect = env.SCHEDULE_PARTNER_SECURITY;
  const scan = env.SCHEDULE_CUSTOMER_ADMINS;
  if (auth === undefined || auth === 'off' || collect === undefined || scan === undefined) return null;
  try {
    const snapshot = readSchedule('SCHEDULE_PARTNER_SECURITY', collect).nextAfter(now);
    const first = snapshot && readSchedule('SCHEDULE_CUSTOMER_ADMINS', scan).nextAfter(snapshot);
    if (!first) return null;
    return `scanned inside each customer tenant (CUSTOMER_TENANT_AUTH=${auth}), one queue message per tenant, from ${first.toISOString().slice(11, 19)} UTC; the admins without MFA, and the customers it cannot see into, are named in the detector's alert after the run closes.`;
  } catch (thrown) {
    if (thrown instanceof ConfigurationError) return null;
    throw thrown;
  }
}

/** The collectors' schedule settings, by the source each snapshots. */
const collectorSchedules = { partnerSecurity: 'SCHEDULE_PARTNER_SECURITY', nonMfaPrincipals: 'SCHEDULE_NON_MFA_PRINCIPALS', registrationCounts: 'SCHEDULE_REGISTRATION_COUNTS' } as const;

/**
 * Regressions are changes between two snapshots of a source: a source's first snapshot is only
 * its baseline, so the first alert can come from the detector's first run after some source's
 * second snapshot. Said with the times the schedules give, when they can be read.
 */
function firstAlert(env: FirstMinutesInput['env'], now: Date): string {
  const sentence = "alerts are changes between two snapshots of a source, so the first can come from the detector's first run after a source's second snapshot";
  const detect = env.SCHEDULE_DETECT_REGRESSIONS;
  try {
    const seconds = Object.entries(collectorSchedules).flatMap(([source, setting]) => {
      const expression = env[setting];
      if (expression === undefined) return [];
      const schedule = readSchedule(setting, expression);
      const first = schedule.nextAfter(now);
      const second = first && schedule.nextAfter(first);
      return second ? [{ source, second }] : [];
    });
    const earliest = seconds.sort((left, right) => left.second.getTime() - right.second.getTime())[0];
    const detection = earliest && detect !== undefined ? readSchedule('SCHEDULE_DETECT_REGRESSIONS', detect).nextAfter(earliest.second) : null;
    if (!earliest || !detection) return `${sentence}.`;
    const time = (at: Date): string => at.toISOString().slice(11, 19);
    return `${sentence}: on these schedules ${earliest.source}'s second at ${time(earliest.second)} UTC, then the detector at ${time(detection)} UTC.`;
  } catch (thrown) {
    // A schedule the host cannot read is reported where the timers are listed.
    if (thrown instanceof ConfigurationError) return `${sentence}.`;
    throw thrown;
  }
}
