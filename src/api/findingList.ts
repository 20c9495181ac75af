import { invalidParameter } from './problem';
import { describeRecovery, describeRegression } from '../core/alertMessage';
import { findingImpact } from '../core/findingImpact';
import { severities, type FindingState } from '../core/findings';
import { nextStep } from '../core/nextStep';
import { isOneOf } from '../core/text';
import { waiverIndex } from '../core/waivers';
import type { FindingFilter, QueryReader } from '../ports/queryReader';
import { nameOf, pagePosition, type QueryDependencies, type QueryResult } from './queries';

/** The findings a listing wants: the store's filter, and whether a waiver covers them. */
export interface FindingListFilter extends FindingFilter {
  waived?: boolean;
}

/**
 * The findings in a state, critical first, `top` at a time (pages follow the live findings: one that
 * changes state between two pages may show on both or neither). The store reads each severity in
 * key order; a page lists its findings of a severity highest impact first (ordering every page by
 * impact would read all the findings of a severity for each page). Each customer
 * finding with the customer's current name and each principal finding with the UPN its principal
 * has in the latest snapshot (a finding's key holds neither).
 */
export async function findingList(dependencies: QueryDependencies, state: FindingState | 'all', filter: FindingListFilter, top: number, continuationToken: string | undefined): Promise<QueryResult> {
  const { reader, directory, waivers, clock, tokens } = dependencies;
  const now = clock.now();
  // A token belongs to its filters: the next page of another listing is a 400, not a wrong page.
  const query = JSON.stringify(['findings', state, filter.severity, filter.subject, filter.changedSince?.toISOString(), filter.waived]);
  const position = pagePosition(dependencies, query, continuationToken);
  // A findings token holds the severity its last finding was listed under where a run's token holds a partition.
  const severity = position?.partitionKey;
  if (severity !== undefined && !isOneOf(severities, severity)) throw invalidParameter('continuationToken', 'belongs to another listing: pass the token of the previous page of findings');
  const start = position === null || severity === undefined ? null : { severity, key: position.rowKey };
  const [{ items: read, next }, stored] = await Promise.all([reader.findingsPage(state, start, top, filter), waivers.listWaivers()]);
  const silencer = waiverIndex(stored, now);
  // Waivers live in their own table: whether one covers a finding is known only once both are read,
  // so a page filtered on it may hold fewer than `top` (the token still leads to the rest).
  const findings = filter.waived === undefined ? read : read.filter((finding) => (silencer(finding) !== null) === filter.waived);
  const principalIds = findings.filter((finding) => finding.subject.type === 'principal').map((finding) => finding.subject.id);
  const [names, upns] = await Promise.all([
    findings.some((finding) => finding.subject.type === 'customer') ? directory.customerNames() : new Map<string, string>(),
    principalUpns(reader, principalIds),
  ]);
  const items = findings.map((finding) => ({ finding, impact: findingImpact(finding) }))
    .sort((left, right) => severities.indexOf(left.finding.severity) - severities.indexOf(right.finding.severity) || right.impact - left.impact)
    .map(({ finding, impact }) => {
    // Links into this API stay relative: the API does not know the address it is reached by.
    const step = nextStep(finding, '');
    const waiver = silencer(finding);
    return {
      key: finding.key,
      kind: finding.kind,
      severity: finding.severity,
      impact,
      subject: { type: finding.subject.type, id: finding.subject.id, name: finding.subject.name ?? null },
      customerName: finding.subject.type === 'customer' ? nameOf(names, finding.subject.id) : null,
      upn: finding.subject.type === 'principal' ? (upns.get(finding.subject.id) ?? null) : null,
      admin: finding.admin ?? null,
      measure: finding.measure,
      state: finding.state,
      baseline: finding.baseline,
      current: finding.current,
      openedAt: finding.openedAt,
      resolvedAt: finding.resolvedAt,
      // The line an alert shows, and what to do about it: the same words as the email.
      description: finding.state === 'open' ? describeRegression(finding, names) : describeRecovery(finding, names),
      nextStep: step.text,
      nextStepUrl: step.url,
      // Still detected and listed, only not alerted: which waiver silences it, why, and until when.
      waiver: waiver === null ? null : { id: waiver.id, reason: waiver.reason, owner: waiver.owner, expiresAt: waiver.expiresAt },
    };
  });
  const nextToken = next === null ? null : tokens.encode({ query, runId: '', partitionKey: next.severity, rowKey: next.key });
  return { body: { items, continuationToken: nextToken }, rows: items };
}

async function principalUpns(reader: QueryReader, objectIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
  if (objectIds.length === 0) return new Map();
  const [latest] = await reader.listRuns('nonMfaPrincipals', { status: 'complete', top: 1 });
  return latest === undefined ? new Map() : reader.principalUpns(latest.runId, objectIds);
}
