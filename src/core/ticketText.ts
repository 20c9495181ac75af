import { describeRecovery, describeRegression } from './alertMessage';
import { problemName } from './alertSubject';
import { dashboardLink } from './dashboardLinks';
import type { Finding } from './findings';
import { customerName } from './message';
import { nextStep } from './nextStep';
import { oneLine } from './text';
import type { TicketGroup } from './ticketPlan';
import { psaLabels, type CompanyMatch, type PendingTicketStep, type PsaName, type TicketRecord } from './tickets';

/**
 * What a ticket says, in plain text (every PSA takes it): a title that carries the ticket's
 * reference first, a description listing its findings with their next steps, and one note per
 * change. The lines are the alerts' lines; at most ALERT_MAX_LINES, then "and N more".
 */
export interface TicketWriting {
  psa: PsaName;
  customerNames: ReadonlyMap<string, string>;
  publicBaseUrl: string | null;
  maxLines: number;
}

/** How a ticket's reference appears in its title and notes, where the PSA's search finds it. */
const referenceMarker = (reference: string): string => `[${reference}]`;

/** `MFA-MONITOR` and 8 hex digits: unique per ticket, short enough for any title. */
export function ticketReference(randomHex: string): string {
  return `MFA-MONITOR ${randomHex.slice(0, 8)}`;
}

/** Whom a ticket is about: the customer by name and tenant id, or the partner tenant. */
function whom(tenantId: string | null, names: ReadonlyMap<string, string>): string {
  if (tenantId === null) return 'Partner tenant';
  const name = customerName(names, tenantId);
  return name === null ? `Customer tenant ${tenantId}` : `${oneLine(name, 80)} (tenant ${tenantId})`;
}

export function ticketTitle(reference: string, group: TicketGroup, names: ReadonlyMap<string, string>): string {
  const first = group.findings[0];
  const tenant = group.tenantId === null ? 'Partner tenant' : (customerName(names, group.tenantId) ?? `tenant ${group.tenantId}`);
  const what = group.findings.length === 1 && first !== undefined ? describeRegression(first, names, 'underHeading') : first === undefined ? 'MFA problems' : problemName(first.kind);
  return oneLine(`${referenceMarker(reference)} ${oneLine(tenant, 60)}: ${what}`, 250);
}

/** A finding's lines in a ticket: what is wrong (or fixed), what to do, where to see it. */
function findingLines(finding: Finding, fixed: boolean, writing: TicketWriting): string[] {
  const text = fixed ? describeRecovery(finding, writing.customerNames, 'underHeading') : describeRegression(finding, writing.customerNames, 'underHeading');
  const lines = [`- ${finding.severity === 'critical' && !fixed ? 'CRITICAL: ' : ''}${oneLine(text, 500)}`];
  if (!fixed) {
    const step = nextStep(finding, writing.publicBaseUrl);
    lines.push(`  Next step: ${step.text}${step.url === null ? '' : ` ${step.url}`}`);
  }
  const link = dashboardLink(writing.publicBaseUrl, { finding: finding.key });
  if (link !== null) lines.push(`  On the dashboard: ${link}`);
  return lines;
}

/** At most `maxLines` findings, then "and N more" with where to see them all. */
function listed(findings: readonly Finding[], fixed: boolean, writing: TicketWriting, tenantId: string | null): string[] {
  const shown = findings.slice(0, writing.maxLines).flatMap((finding) => findingLines(finding, fixed, writing));
  const left = findings.length - writing.maxLines;
  if (left <= 0) return shown;
  const all = dashboardLink(writing.publicBaseUrl, tenantId === null ? { findings: 'open' } : { customer: tenantId });
  return [...shown, `- and ${left} more${all === null ? '' : `: ${all}`}`];
}

/** Said when no company of the PSA is this customer's: the ticket is filed under the fallback company. */
function companyNote(company: CompanyMatch | null, tenantId: string | null, writing: TicketWriting): string[] {
  if (company?.matchedBy !== 'fallback' || tenantId === null) return [];
  const where = dashboardLink(writing.publicBaseUrl, { psaCompanies: writing.psa });
  return [
    '',
    `No ${psaLabels[writing.psa]} company is mapped to customer tenant ${tenantId}, and none has its name or domain: this ticket is filed under the fallback company.`,
    `Map the customer to its company${where === null ? ' with PUT /api/psa/mappings' : ` on the dashboard: ${where}`}; later tickets go there.`,
  ];
}

export function ticketDescription(reference: string, group: TicketGroup, company: CompanyMatch | null, writing: TicketWriting): string {
  return [
    `${whom(group.tenantId, writing.customerNames)}: ${group.findings.length === 1 ? 'one finding' : `${group.findings.length} findings`} of the MFA compliance monitor.`,
    '',
    ...listed(group.findings, false, writing, group.tenantId),
    ...companyNote(company, group.tenantId, writing),
    '',
    `The monitor adds a note when this list changes and closes this ticket when every finding is fixed. Reference: ${reference} (it finds this ticket by it: keep it in the title).`,
  ].join('\n');
}

/** What became of the lines a ticket no longer lists: fixed, waived, or no longer sent to the PSA. */
export type LeftReason = 'fixed' | 'waived' | 'notTicketed';

const leftHeadings: Record<LeftReason, string> = { fixed: 'Fixed', waived: 'Waived by an admin (see the dashboard)', notTicketed: 'No longer sent to the PSA (ALERT_ROUTES changed)' };

/**
 * A note's text for a recorded step: what is new and what left since the ticket's last step.
 * `findings` has every finding by key (open or resolved); a key it lacks is counted, not described.
 */
export function noteText(record: TicketRecord, pending: PendingTicketStep, findings: ReadonlyMap<string, Finding>, leftReason: (finding: Finding) => LeftReason, writing: TicketWriting): string {
  const before = new Set(record.lines);
  const after = new Set(pending.lines);
  const known = (keys: Iterable<string>) => [...keys].map((key) => findings.get(key)).filter((finding): finding is Finding => finding !== undefined);
  const added = known(pending.lines.filter((key) => !before.has(key)));
  const left = known(record.lines.filter((key) => !after.has(key)));
  const headline = {
    close: 'Every finding of this ticket is resolved: the monitor closes it.',
    reopen: 'The problem is back: the monitor reopens this ticket.',
    note: `${added.length} new, ${left.length} no longer open; ${pending.lines.length} open now.`,
  }[pending.step];
  const parts = [`${referenceMarker(pending.noteReference)} ${headline}`];
  if (added.length > 0) parts.push('', pending.step === 'reopen' ? 'Open again:' : 'New:', ...listed(added, false, writing, record.tenantId));
  for (const reason of ['fixed', 'waived', 'notTicketed'] as const) {
    const these = left.filter((finding) => leftReason(finding) === reason);
    if (these.length > 0) parts.push('', `${leftHeadings[reason]}:`, ...listed(these, reason === 'fixed', writing, record.tenantId));
  }
  return parts.join('\n');
}
