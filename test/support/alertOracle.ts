import { composeAlert } from '../../src/core/alertMessage';
import { defaultThresholds, detectRegressions, type ComplianceSnapshot } from '../../src/core/detectRegressions';
import { detectionInput, type SnapshotWithCustomers } from './customerChanges';
import type { Finding } from '../../src/core/findings';
import type { CustomerMfaInsight } from '../../src/core/model';
import { renderEmail } from '../../src/core/messageEmail';
import { parseNonMfaPrincipal } from '../../src/core/parseNonMfaPrincipals';
import { parsePartnerSecurityScore, parseSecurityRequirement } from '../../src/core/parsePartnerSecurity';
import { parseCredentialUserRegistrationCount } from '../../src/core/parseRegistrationCounts';
import type { Simulator } from '../../tools/simulator';

/** The lines of an alert that announce something: each transition of a finding is exactly one of them. */
export interface AnnouncedLines {
  opened: string[];
  resolved: string[];
}

const sectionTitle = /^(New regressions|Resolved) \(\d+\)$/;

/**
 * The announcing lines of an email's plain text (a "still open" count announces nothing), each
 * after the heading it comes under ("Contoso (tenant …) › Compliant admins went from 3 to 1"):
 * lines about two customers can read alike, their headings tell them apart.
 */
export function announcedLines(plainText: string): AnnouncedLines {
  const lines: AnnouncedLines = { opened: [], resolved: [] };
  let section: string[] | null = null;
  let heading = '';
  for (const line of plainText.split('\n')) {
    const title = sectionTitle.exec(line);
    if (title !== null) [section, heading] = [title[1] === 'Resolved' ? lines.resolved : lines.opened, ''];
    else if (line === '') section = null;
    else if (section !== null && line.startsWith('- ')) section.push(`${heading} › ${line.slice(2)}`);
    // A heading, without the link to its customer's page (the oracle renders without PUBLIC_BASE_URL).
    else if (section !== null && !line.startsWith(' ') && !/^and \d+ more/.test(line)) heading = line.replace(/: https?:\/\/\S+$/, '');
  }
  return lines;
}

/**
 * What the alerts must announce as the simulated days go by: the pure rules applied to what the
 * simulator serves, read through the collectors' own parsers, rendered as the detector renders.
 */
export class AlertOracle {
  private readonly findings = new Map<string, Finding>();
  private previous: SnapshotWithCustomers = {};

  constructor(private readonly sim: Simulator) {}

  /** The detector's first look at `day`: it sets the baseline and announces nothing. */
  baseline(day: number): void {
    this.previous = servedSnapshot(this.sim.expected(day));
  }

  /** What moving from the last day to `day` announces, without moving (to pick a day with something to say). */
  preview(day: number): AnnouncedLines {
    return this.announce(day, new Map(this.findings)).lines;
  }

  /** Moves to `day` and returns what that announces. */
  advance(day: number): AnnouncedLines {
    const { lines, changed } = this.announce(day, this.findings);
    for (const finding of changed) this.findings.set(finding.key, finding);
    this.previous = servedSnapshot(this.sim.expected(day));
    return lines;
  }

  private announce(day: number, findings: ReadonlyMap<string, Finding>): { lines: AnnouncedLines; changed: Finding[] } {
    const result = detectRegressions({
      ...detectionInput(this.previous, servedSnapshot(this.sim.expected(day))),
      findings,
      consecutiveFailures: { partnerSecurity: 0, nonMfaPrincipals: 0, registrationCounts: 0 },
      thresholds: defaultThresholds,
      now: new Date().toISOString(),
    });
    const opened = result.transitions.filter((transition) => transition.change !== 'resolved').map((transition) => transition.finding);
    const resolved = result.transitions.filter((transition) => transition.change === 'resolved').map((transition) => transition.finding);
    const email = renderEmail(composeAlert({ opened, resolved, stillOpen: [], reminder: false, publicBaseUrl: null, customerNames: servedNames(this.sim, day), maxLinesPerSection: 1000 }));
    return { lines: announcedLines(email.plainText), changed: result.changed };
  }
}

/** What the served data says, read through the same parsers the collectors use. */
export function servedSnapshot(state: ReturnType<Simulator['expected']>): Required<Omit<ComplianceSnapshot, 'adminScans'>> & { customers: CustomerMfaInsight[] } {
  return {
    score: parsePartnerSecurityScore(state.score),
    requirements: state.requirements.map((item, index) => parseSecurityRequirement(item, `requirements[${index}]`)),
    customers: state.customerInsights.map((insight) => ({ tenantId: insight.tenantId, ...insight.mfa }) as unknown as CustomerMfaInsight),
    principals: state.nonMfaPrincipals.map((item, index) => parseNonMfaPrincipal(item, `principals[${index}]`)),
    registration: parseCredentialUserRegistrationCount({ value: [state.registrationCounts.credentialUserRegistrationCount] }, 'registration'),
  };
}

/** The names the simulator's GDAP and Partner Center lists give (a customer in neither has none). */
export function servedNames(sim: Simulator, day: number): Map<string, string> {
  const listed = sim.expected(day).customers.filter((customer) => customer.listedIn.delegatedAdminCustomers || customer.listedIn.partnerCenterCustomers);
  return new Map(listed.map((customer) => [customer.tenantId.toLowerCase(), customer.name]));
}
