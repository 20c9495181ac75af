import { psaLabels } from './tickets';
import { describeRegression, groupedLines } from './alertMessage';
import type { ChannelName } from './alertRoutes';
import { slackPayload, teamsPayload, webhookBody } from './channelPayloads';
import { dashboardLink } from './dashboardLinks';
import { change, delta, figure, line, plural, section, type Line, type Message, type Section } from './message';
import { renderEmail, type RenderedEmail } from './messageEmail';
import { nextStep } from './nextStep';
import { oneLine } from './text';
import { digestWeekMs, type CustomerAdminKind, type CustomerAdminProblem, type CustomerProblem, type CustomerProblemCount, type FindingAge, type Mover, type WeeklyDigest } from './weeklyDigest';
import { inWords } from './wording';

/**
 * The weekly digest as messages, each figure phrased once for every channel. The email says it
 * all, with charts. A Teams card or a Slack message is read at a glance: it carries the headline
 * figures only (the score and its change, open problems by age, customers by problem with a few
 * movers named, waivers expiring) and links to the dashboard; both are the message model the
 * alerts' renderers fit to each channel's limits. The signed webhook gets the figures as data.
 * Every link to the monitor opens the dashboard (what changed this week, a finding), and every
 * value Microsoft enumerates is in words.
 */
interface DigestOptions {
  publicBaseUrl: string | null;
}

const problemTitles: Record<CustomerProblem, string> = {
  noMfaPolicy: 'No MFA policy enabled',
  adminsNotCompliant: 'No admin using MFA',
};

const customerAdminTitles: Record<CustomerAdminKind, string> = {
  adminWithoutMfaMethod: 'Customer admins with no MFA method',
  adminMfaNotRequired: 'Customer admins no policy requires MFA of',
  customerNotVisible: 'Customers the monitor cannot see into',
};

/** "Customer admins with no MFA method: 3 in 2 customers", in the attention colour when an admin cannot do MFA at all. */
function customerAdminLine(problem: CustomerAdminProblem): Line {
  const spread = problem.kind === 'customerNotVisible' ? '' : ` in ${plural(problem.customers, 'customer')}`;
  return line(`${customerAdminTitles[problem.kind]}: ${problem.count}${problem.count > 0 ? spread : ''}`, problem.kind === 'adminWithoutMfaMethod' && problem.count > 0);
}

/** The customers' admins: each kind counted, then the first of each named under its customer with its next step, as alerts name them. */
function customerAdminSection(digest: WeeklyDigest, names: ReadonlyMap<string, string>, publicBaseUrl: string | null): Section[] {
  if (digest.customerAdmins.length === 0) return [];
  const listed = digest.customerAdmins.flatMap((problem) => problem.listed);
  const named = groupedLines(listed, (finding) => ({ text: oneLine(describeRegression(finding, names, 'underHeading'), 300), href: dashboardLink(publicBaseUrl, { finding: finding.key }), step: nextStep(finding, publicBaseUrl), critical: finding.severity === 'critical' }), names, publicBaseUrl, listed.length).groups;
  const more = digest.customerAdmins.reduce((count, problem) => count + problem.more, 0);
  const listHref = dashboardLink(publicBaseUrl, { findings: 'open' });
  return [{ title: "Inside customers' tenants", groups: [{ heading: null, lines: digest.customerAdmins.map(customerAdminLine) }, ...named], more: more > 0 ? { count: more, href: listHref } : null, listHref }];
}

/** Movers named per problem on a card: the rest are counted, the email names more. */
const cardMovers = 3;

/** A requirement by its type, in words: "MFA for customers’ admins". */
function requirementTitle(requirementType: string): string {
  const words = inWords('requirementType', requirementType);
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The dashboard's open findings, and what changed in the week the digest covers. */
function weekLink(digest: WeeklyDigest, publicBaseUrl: string | null): string | null {
  return dashboardLink(publicBaseUrl, { findings: 'open', since: new Date(digest.generatedAt.getTime() - digestWeekMs).toISOString() });
}

function subject(digest: WeeklyDigest): string {
  const { week } = digest.score;
  const critical = criticalCount(digest);
  return oneLine(`[MFA monitor] Weekly digest ${digest.week}: score ${figure(week.last)}${change(week.first, week.last)}, ${plural(digest.openCount, 'open problem')}${critical > 0 ? ` (${critical} critical)` : ''}`, 255);
}

function criticalCount(digest: WeeklyDigest): number {
  return digest.findingsByAge.reduce((sum, age) => sum + age.critical, 0);
}

function scoreLine({ score }: WeeklyDigest): Line {
  if (score.week.last === null) return line('Partner security score: no complete run this week');
  return line(`Partner security score: ${figure(score.week.last)}${score.maxScore === null ? '' : ` of ${figure(score.maxScore)}`}; this week${change(score.week.first, score.week.last)}, this quarter${change(score.quarter.first, score.quarter.last)}`);
}

/** Open problems by age, each with a bar against the largest bucket (the email draws it). */
function ageLines(ages: readonly FindingAge[]): Line[] {
  const widest = Math.max(1, ...ages.map((age) => age.count));
  return ages.map((age) => line(`${age.label}: ${age.count}${age.critical > 0 ? ` (${age.critical} critical)` : ''}`, age.critical > 0, { part: age.count, whole: widest, tone: age.critical > 0 ? 'bad' : 'neutral' }));
}

function problemHeadline(problem: CustomerProblemCount, total: number | null): string {
  return `${problemTitles[problem.problem]}: ${problem.now}${total === null ? '' : ` of ${total}`}${change(problem.weekAgo, problem.now)}`;
}

/** The first `shown` movers by name (or tenant id), and how many more moved. */
function moverNames(movers: readonly Mover[], more: number, shown = movers.length): string {
  const named = movers.slice(0, shown).map((mover) => (mover.name === null ? `tenant ${mover.tenantId}` : oneLine(mover.name, 100)));
  const rest = movers.length - named.length + more;
  return `${named.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}

function waiverSection(digest: WeeklyDigest): Section[] {
  if (digest.expiringWaivers.length === 0) return [];
  return [section('Waivers expiring soon', digest.expiringWaivers.map((waiver) => line(`${oneLine(waiver.description, 200)}, owned by ${oneLine(waiver.owner, 100)}, expires ${waiver.expiresAt.toISOString().slice(0, 10)}`)))];
}

/** Customers whose tickets go to a PSA's fallback company: each PSA's gaps, with where to map them. */
function mappingGapSection(digest: WeeklyDigest, publicBaseUrl: string | null): Section[] {
  if (digest.mappingGaps.length === 0) return [];
  const lines = digest.mappingGaps.map((gap): Line => {
    const url = dashboardLink(publicBaseUrl, { psaCompanies: gap.psa });
    const names = `${gap.customers.map((name) => oneLine(name, 100)).join(', ')}${gap.more > 0 ? ` and ${gap.more} more` : ''}`;
    return { text: `${psaLabels[gap.psa]}: ${names}`, step: url === null ? null : { text: `Map them to their ${psaLabels[gap.psa]} companies on the dashboard`, url }, critical: false };
  });
  return [section('Tickets filed under the fallback company (no company mapped)', lines)];
}

function dashboard(digest: WeeklyDigest, publicBaseUrl: string | null): Section[] {
  const url = weekLink(digest, publicBaseUrl);
  return url === null ? [] : [section('Dashboard', [{ text: 'Charts, every customer and every open problem', step: { text: 'Open what changed this week on the dashboard', url }, critical: false }])];
}

/** The digest as an email: every part, with a chart or a bar beside each figure. */
export function renderWeeklyDigest(digest: WeeklyDigest, options: DigestOptions & { customerNames: ReadonlyMap<string, string> }): RenderedEmail {
  const { publicBaseUrl } = options;
  const { score, customers, principals } = digest;
  const sections: Section[] = [section('Partner security score', [scoreLine(digest)], { chart: { daily: score.quarter.daily, max: score.maxScore, caption: `Daily score over the last 13 weeks (${score.quarter.daily.length} days with a run).` } })];
  if (digest.requirements.length > 0) {
    const requirementLines = digest.requirements.map((requirement) => {
      // Anything but `compliant` is not compliant; a status other than the documented "not compliant" is said beside it.
      const words = inWords('complianceStatus', requirement.complianceStatus);
      const status = requirement.compliantNow || words === 'not compliant' ? words : `not compliant (${words})`;
      const moved = requirement.compliantWeekAgo === null || requirement.compliantWeekAgo === requirement.compliantNow ? '' : requirement.compliantNow ? ', fixed this week' : ', broke this week';
      const tenants = requirement.compliantTenants;
      const counts = tenants.now === null ? '' : `; ${tenants.now}${tenants.total === null ? '' : ` of ${tenants.total}`} customer tenants compliant${change(tenants.weekAgo, tenants.now)}`;
      const bar: Line['bar'] = tenants.now !== null && tenants.total !== null ? { part: tenants.now, whole: tenants.total, tone: requirement.compliantNow ? 'good' : 'bad' } : undefined;
      return line(`${requirementTitle(requirement.requirementType)}: ${status}${moved}${counts}`, !requirement.compliantNow, bar);
    });
    sections.push(section('Requirements', requirementLines));
  }
  if (customers === null) sections.push(section('Customers', [line('No complete snapshot of customers yet.')]));
  else {
    const total = customers.total ?? 0;
    const listed = dashboardLink(publicBaseUrl, { findings: 'open' });
    const lines: Line[] = [{ text: `${plural(total, 'customer tenant')}${change(customers.totalWeekAgo, total)}.`, step: listed === null ? null : { text: 'See the customers with a problem on the dashboard', url: listed }, critical: false }];
    for (const problem of customers.problems) {
      lines.push(line(problemHeadline(problem, total), false, { part: problem.now, whole: total, tone: problem.now > 0 ? 'bad' : 'good' }));
      if (problem.newlyAffected.length > 0) lines.push(line(`New this week: ${moverNames(problem.newlyAffected, problem.newlyAffectedMore)}`, true));
      if (problem.fixed.length > 0) lines.push(line(`Fixed this week: ${moverNames(problem.fixed, problem.fixedMore)}`));
    }
    sections.push(section('Customers', lines));
  }
  const figures: Line[] = [...ageLines(digest.findingsByAge), ...(digest.waivedCount > 0 ? [line(`${plural(digest.waivedCount, 'more open problem')} ${digest.waivedCount === 1 ? 'is' : 'are'} waived (see the waivers on the dashboard).`)] : [])];
  // The oldest, each under its customer (or the partner's users, or the partner tenant) as in alerts.
  const oldest = groupedLines(
    digest.oldestOpen,
    (finding) => ({ text: `Open since ${finding.openedAt.slice(0, 10)}: ${oneLine(describeRegression(finding, options.customerNames, 'underHeading'), 300)}`, href: dashboardLink(publicBaseUrl, { finding: finding.key }), step: nextStep(finding, publicBaseUrl), critical: false }),
    options.customerNames,
    publicBaseUrl,
    digest.oldestOpen.length,
  ).groups;
  sections.push({ title: `Open problems (${digest.openCount}) by age`, groups: [{ heading: null, lines: figures }, ...oldest], more: null, listHref: null });
  const principalText =
    principals === null
      ? 'Partner users signing in without MFA: not collected yet.'
      : principals.count === 0
        ? "No partner user signed in without MFA in Partner Center's last 7 days."
        : `${plural(principals.count, 'partner user')} signed in without MFA in Partner Center's last 7 days: ${principals.users.join(', ')}${principals.more > 0 ? ` and ${principals.more} more` : ''}.`;
  sections.push(section('Partner users without MFA', [line(principalText, (principals?.count ?? 0) > 0)]), ...customerAdminSection(digest, options.customerNames, publicBaseUrl), ...waiverSection(digest), ...mappingGapSection(digest, publicBaseUrl), ...dashboard(digest, publicBaseUrl));
  const heading = { title: `Weekly MFA compliance digest, ${digest.week}`, note: `As of ${digest.generatedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` };
  return renderEmail({ subject: subject(digest), heading, sections, footer: null, findingsLink: null });
}

/** The digest at a glance, for a card or a Slack message. */
function glance(digest: WeeklyDigest, publicBaseUrl: string | null): Message {
  const critical = criticalCount(digest);
  const headline: Line[] = [scoreLine(digest), line(`Open problems: ${digest.openCount}${critical > 0 ? `, ${critical} critical` : ''}${digest.waivedCount > 0 ? `; ${digest.waivedCount} more waived` : ''}`, critical > 0)];
  const notCompliant = digest.requirements.filter((requirement) => !requirement.compliantNow);
  if (notCompliant.length > 0) headline.push(line(`Requirements not compliant: ${notCompliant.map((requirement) => requirementTitle(requirement.requirementType)).join(', ')}`, true));
  if (digest.principals !== null) headline.push(line(`Partner users signing in without MFA: ${digest.principals.count}`, digest.principals.count > 0));
  const sections: Section[] = [section('This week', headline)];
  const ages = digest.findingsByAge.filter((age) => age.count > 0);
  if (ages.length > 0) sections.push(section('Open problems by age', ageLines(ages)));
  const customers = digest.customers;
  if (customers !== null) {
    const problemLines = customers.problems.map((problem) => {
      const parts = [problemHeadline(problem, customers.total)];
      if (problem.newlyAffected.length > 0) parts.push(`new: ${moverNames(problem.newlyAffected, problem.newlyAffectedMore, cardMovers)}`);
      if (problem.fixed.length > 0) parts.push(`fixed: ${moverNames(problem.fixed, problem.fixedMore, cardMovers)}`);
      return line(parts.join('; '));
    });
    sections.push(section('Customers by problem', problemLines));
  }
  if (digest.customerAdmins.length > 0) sections.push(section("Inside customers' tenants", digest.customerAdmins.map(customerAdminLine)));
  sections.push(...waiverSection(digest), ...mappingGapSection(digest, publicBaseUrl), ...dashboard(digest, publicBaseUrl));
  return { subject: subject(digest), sections, footer: null, findingsLink: dashboardLink(publicBaseUrl, { findings: 'open' }) };
}

/** The signed webhook's digest: its figures as data, in the alerts' Standard Webhooks shape. */
function webhookDigest(digest: WeeklyDigest, publicBaseUrl: string | null, deliveryId: string): unknown {
  const { score, customers } = digest;
  return webhookBody('weeklyDigest', digest.generatedAt.toISOString(), deliveryId, subject(digest), {
    week: digest.week,
    score: { current: score.week.last, max: score.maxScore, weekChange: delta(score.week.first, score.week.last), quarterChange: delta(score.quarter.first, score.quarter.last) },
    requirements: digest.requirements.map((requirement) => ({ requirementType: requirement.requirementType, complianceStatus: requirement.complianceStatus, compliantWeekAgo: requirement.compliantWeekAgo })),
    openProblems: { count: digest.openCount, waived: digest.waivedCount, byAge: digest.findingsByAge.map((age) => ({ age: age.label, count: age.count, critical: age.critical })) },
    customers:
      customers === null
        ? null
        : {
            total: customers.total,
            byProblem: customers.problems.map((problem) => ({
              problem: problem.problem,
              count: problem.now,
              countWeekAgo: problem.weekAgo,
              newlyAffected: problem.newlyAffected,
              newlyAffectedMore: problem.newlyAffectedMore,
              fixed: problem.fixed,
              fixedMore: problem.fixedMore,
            })),
          },
    // A count only: the users' UPNs are personal data, kept to the email and the authenticated API.
    partnerUsersWithoutMfa: digest.principals?.count ?? null,
    // Counts only, as for partner users; empty when no such finding is open.
    customerAdmins: digest.customerAdmins.map((problem) => ({ kind: problem.kind, count: problem.count, customers: problem.customers })),
    expiringWaivers: digest.expiringWaivers.map((waiver) => ({ waiver: waiver.description, owner: waiver.owner, expiresAt: waiver.expiresAt.toISOString() })),
    // Counts only: the email names the customers.
    psaMappingGaps: digest.mappingGaps.map((gap) => ({ psa: gap.psa, customers: gap.customers.length + gap.more })),
    dashboardLink: weekLink(digest, publicBaseUrl),
  });
}

/** The digest's body for one JSON channel; `deliveryId` is stable per digest and channel, and the signed webhook's receivers deduplicate on it. */
export function digestChannelPayload(channel: Exclude<ChannelName, 'email'>, digest: WeeklyDigest, options: DigestOptions & { deliveryId: string }): unknown {
  const { publicBaseUrl } = options;
  if (channel === 'webhook') return webhookDigest(digest, publicBaseUrl, options.deliveryId);
  return channel === 'teams' ? teamsPayload(glance(digest, publicBaseUrl)) : slackPayload(glance(digest, publicBaseUrl));
}
