import type { AlertLine, AlertMessage, AlertSection } from './alertEmail';
import type { ChannelName } from './alertRoutes';
import { slackPayload, teamsPayload } from './channelPayloads';
import { requirementTitle } from './digestEmail';
import { oneLine } from './text';
import type { CustomerProblem, Mover, WeeklyDigest } from './weeklyDigest';

/**
 * The weekly digest for the channels that take JSON. A card or a Slack message is read at a
 * glance, so it carries the headline figures only (the score and its change, open problems by
 * age, customers by problem with a few movers named, waivers expiring) and links to the
 * dashboard; the email keeps the charts and the full lists. Teams and Slack get it through the
 * alerts' renderers, so the same size limits hold; the signed webhook gets the figures as data.
 */
type DigestChannel = Exclude<ChannelName, 'email'>;

interface DigestChannelOptions {
  /** The email's subject: every channel announces the digest in the same words. */
  subject: string;
  publicBaseUrl: string | null;
  /** Stable per digest and channel: the signed webhook's receivers deduplicate on it. */
  deliveryId: string;
}

/** Movers named per problem on a card: the rest are counted, the email names more. */
const cardMovers = 3;

const problemTitles: Record<CustomerProblem, string> = {
  noMfaPolicy: 'No MFA policy enabled',
  adminsNotCompliant: 'No admin using MFA',
};

function figure(value: number | null): string {
  return value === null ? 'unknown' : String(Math.round(value * 10) / 10);
}

function delta(from: number | null, to: number | null): number | null {
  return from === null || to === null ? null : Math.round((to - from) * 10) / 10;
}

function changeText(from: number | null, to: number | null): string {
  const difference = delta(from, to);
  if (difference === null) return '';
  return difference === 0 ? ' (no change)' : ` (${difference > 0 ? '+' : ''}${difference})`;
}

function moverNames(movers: readonly Mover[], more: number): string {
  const shown = movers.slice(0, cardMovers).map((mover) => (mover.name === null ? `tenant ${mover.tenantId}` : oneLine(mover.name, 80)));
  const rest = movers.length - shown.length + more;
  return `${shown.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}

function line(text: string, critical = false): AlertLine {
  return { text, step: null, critical };
}

function section(title: string, lines: AlertLine[]): AlertSection {
  return { title, lines, more: null, listHref: null };
}

/** The compact digest as the alerts' message model, which the Teams and Slack renderers fit to their limits. */
function digestMessage(digest: WeeklyDigest, options: DigestChannelOptions): AlertMessage {
  const root = options.publicBaseUrl === null ? null : options.publicBaseUrl.replace(/\/+$/, '');
  const { score } = digest;
  const critical = digest.findingsByAge.reduce((sum, age) => sum + age.critical, 0);
  const headline: AlertLine[] = [
    line(
      score.week.last === null
        ? 'Partner security score: no complete run this week'
        : `Partner security score: ${figure(score.week.last)}${score.maxScore === null ? '' : ` of ${figure(score.maxScore)}`}; this week${changeText(score.week.first, score.week.last)}, this quarter${changeText(score.quarter.first, score.quarter.last)}`,
    ),
    line(`Open problems: ${digest.openCount}${critical > 0 ? `, ${critical} critical` : ''}${digest.waivedCount > 0 ? `; ${digest.waivedCount} more waived` : ''}`, critical > 0),
  ];
  const notCompliant = digest.requirements.filter((requirement) => !requirement.compliantNow);
  if (notCompliant.length > 0) headline.push(line(`Requirements not compliant: ${notCompliant.map((requirement) => requirementTitle(requirement.requirementType)).join(', ')}`, true));
  if (digest.principals !== null) headline.push(line(`Partner users signing in without MFA: ${digest.principals.count}`, digest.principals.count > 0));

  const sections: AlertSection[] = [section('This week', headline)];
  const ages = digest.findingsByAge.filter((age) => age.count > 0);
  if (ages.length > 0) sections.push(section('Open problems by age', ages.map((age) => line(`${age.label}: ${age.count}${age.critical > 0 ? ` (${age.critical} critical)` : ''}`, age.critical > 0))));
  if (digest.customers !== null) {
    const total = digest.customers.total;
    sections.push(
      section(
        'Customers by problem',
        digest.customers.problems.map((problem) => {
          const parts = [`${problemTitles[problem.problem]}: ${problem.now}${total === null ? '' : ` of ${total}`}${changeText(problem.weekAgo, problem.now)}`];
          if (problem.newlyAffected.length > 0) parts.push(`new: ${moverNames(problem.newlyAffected, problem.newlyAffectedMore)}`);
          if (problem.fixed.length > 0) parts.push(`fixed: ${moverNames(problem.fixed, problem.fixedMore)}`);
          return line(parts.join('; '));
        }),
      ),
    );
  }
  if (digest.expiringWaivers.length > 0) {
    sections.push(
      section(
        'Waivers expiring soon',
        digest.expiringWaivers.map((waiver) => line(`${oneLine(waiver.description, 200)}, owned by ${oneLine(waiver.owner, 100)}, expires ${waiver.expiresAt.toISOString().slice(0, 10)}`)),
      ),
    );
  }
  if (root !== null) sections.push(section('Dashboard', [{ text: 'Charts, every customer and every open problem', step: { text: 'Open the dashboard', url: `${root}/api/dashboard` }, critical: false }]));
  return { subject: options.subject, sections, footer: null, findingsLink: root === null ? null : `${root}/api/findings?state=open` };
}

/** The signed webhook's digest: its figures as data, in the alerts' Standard Webhooks shape. */
function webhookDigest(digest: WeeklyDigest, options: DigestChannelOptions): unknown {
  const root = options.publicBaseUrl === null ? null : options.publicBaseUrl.replace(/\/+$/, '');
  const movers = (list: readonly Mover[]) => list.map((mover) => ({ tenantId: mover.tenantId, name: mover.name }));
  return {
    type: 'mfaMonitor.weeklyDigest',
    timestamp: digest.generatedAt.toISOString(),
    data: {
      messageId: options.deliveryId,
      week: digest.week,
      subject: options.subject,
      score: {
        current: digest.score.week.last,
        max: digest.score.maxScore,
        weekChange: delta(digest.score.week.first, digest.score.week.last),
        quarterChange: delta(digest.score.quarter.first, digest.score.quarter.last),
      },
      requirements: digest.requirements.map((requirement) => ({ requirementType: requirement.requirementType, complianceStatus: requirement.complianceStatus, compliantWeekAgo: requirement.compliantWeekAgo })),
      openProblems: { count: digest.openCount, waived: digest.waivedCount, byAge: digest.findingsByAge.map((age) => ({ age: age.label, count: age.count, critical: age.critical })) },
      customers:
        digest.customers === null
          ? null
          : {
              total: digest.customers.total,
              byProblem: digest.customers.problems.map((problem) => ({
                problem: problem.problem,
                count: problem.now,
                countWeekAgo: problem.weekAgo,
                newlyAffected: movers(problem.newlyAffected),
                newlyAffectedMore: problem.newlyAffectedMore,
                fixed: movers(problem.fixed),
                fixedMore: problem.fixedMore,
              })),
            },
      // A count only: the users' UPNs are personal data, kept to the email and the authenticated API.
      partnerUsersWithoutMfa: digest.principals?.count ?? null,
      expiringWaivers: digest.expiringWaivers.map((waiver) => ({ waiver: waiver.description, owner: waiver.owner, expiresAt: waiver.expiresAt.toISOString() })),
      dashboardLink: root === null ? null : `${root}/api/dashboard`,
    },
  };
}

/** The digest's body for one JSON channel. */
export function digestChannelPayload(channel: DigestChannel, digest: WeeklyDigest, options: DigestChannelOptions): unknown {
  if (channel === 'webhook') return webhookDigest(digest, options);
  const message = digestMessage(digest, options);
  return channel === 'teams' ? teamsPayload(message) : slackPayload(message);
}
