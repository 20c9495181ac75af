import { ProblemError } from './problem';
import { matchesCustomerStatus, type CustomerStatus } from './customerStatus';
import { nameMatches } from '../core/customerNames';
import { tenantEntraLinks } from '../core/entraLinks';
import { customerMeasureNames, hasNoCompliantAdmins, hasNoMfaPolicy, type CustomerMfaInsight, type NonMfaPrincipal } from '../core/model';
import type { AdminScanSummary, Page, RowPosition, RunRange } from '../ports/queryReader';
import { collectedAt, nameOf, pagePosition, type QueryDependencies, type QueryResult } from './queries';

function describeCustomer({ tenantId, ...insight }: CustomerMfaInsight, customerName: string | null) {
  return { tenantId, customerName, ...insight, noMfaPolicy: hasNoMfaPolicy({ tenantId, ...insight }), adminsNotCompliant: hasNoCompliantAdmins({ tenantId, ...insight }) };
}

/**
 * One page of a paged listing of a run (the latest one of `latestRunId` on a first page). A
 * continuation token pins the run it started on, so pages never mix two snapshots.
 */
async function runPage<T>(
  dependencies: QueryDependencies,
  latestRunId: () => Promise<string | null>,
  query: string,
  continuationToken: string | undefined,
  read: (runId: string, start: RowPosition | null) => Promise<Page<T>>,
): Promise<{ runId: string | null; collectedAt: string | null; items: T[]; continuationToken: string | null }> {
  const position = pagePosition(dependencies, query, continuationToken);
  const runId = position?.runId ?? (await latestRunId());
  if (runId === null) return { runId, collectedAt: null, items: [], continuationToken: null };
  const { items, next } = await read(runId, position === null ? null : { partitionKey: position.partitionKey, rowKey: position.rowKey });
  return { runId, collectedAt: collectedAt(runId), items, continuationToken: next === null ? null : dependencies.tokens.encode({ query, runId, ...next }) };
}

/**
 * Customers of the latest complete snapshot, optionally those whose name contains `name` (any
 * case). Table Storage compares text exactly, so the name filter is matched here, against the
 * directory read once per page: it selects tenant ids, which then filter the run's rows.
 */
export async function customerPage(
  dependencies: QueryDependencies,
  status: CustomerStatus,
  name: string | undefined,
  top: number,
  continuationToken: string | undefined,
): Promise<QueryResult> {
  const names = await dependencies.directory.customerNames();
  const byStatus = status === 'all' ? undefined : matchesCustomerStatus(status);
  const byName = name === undefined ? undefined : (customer: CustomerMfaInsight) => nameMatches(nameOf(names, customer.tenantId), name);
  const include = byStatus === undefined && byName === undefined ? undefined : (customer: CustomerMfaInsight) => (byStatus?.(customer) ?? true) && (byName?.(customer) ?? true);
  const query = JSON.stringify(['customers', status, name ?? null]);
  // The customers' current state is of the newest applied run: a first page lists it as it is.
  // The customers' summaries come from the newest complete customer-admin run, looked up beside the page.
  const [page, [adminRun]] = await Promise.all([
    runPage(dependencies, () => dependencies.reader.customers.currentRunId(), query, continuationToken, (run, start) => dependencies.reader.customers.page(run, start, top, include)),
    dependencies.reader.listRuns('customerAdmins', { status: 'complete', top: 1 }),
  ]);
  // Only the page's own rows of that run: never the whole run.
  const scans = adminRun === undefined ? new Map<string, AdminScanSummary>() : await dependencies.reader.adminScanSummaries(adminRun.runId, page.items.map((customer) => customer.tenantId));
  const items = page.items.map((customer) => ({ ...describeCustomer(customer, nameOf(names, customer.tenantId)), adminScan: scans.get(customer.tenantId.toLowerCase()) ?? null }));
  return { body: { runId: page.runId, collectedAt: page.collectedAt, status, name: name ?? null, items, continuationToken: page.continuationToken }, rows: items };
}

/**
 * One customer over time, as change points: each state with the run that first saw it (a point
 * with `gone` when the customer was no longer listed), oldest first, the first being the state in
 * force when the range begins. The last point holds unchanged up to `asOfRunId`. With the
 * customer's Entra admin center links, so the dashboard builds no URL of its own.
 */
export async function customerHistory({ reader, directory }: QueryDependencies, tenantId: string, range: RunRange): Promise<QueryResult> {
  const [history, names] = await Promise.all([reader.customers.history(tenantId, range), directory.customerNames()]);
  if (history.points.length === 0 && !(await reader.customers.known(tenantId))) throw new ProblemError('NotFound', `No snapshot has listed tenant ${tenantId}.`);
  const customerName = nameOf(names, tenantId);
  const items = [...history.points].reverse().map(({ runId, value }) => ({
    runId,
    collectedAt: collectedAt(runId),
    gone: value === null,
    ...(value === null ? goneCustomer(tenantId, customerName) : describeCustomer(value, customerName)),
  }));
  const asOf = history.asOfRunId === null ? null : { runId: history.asOfRunId, collectedAt: collectedAt(history.asOfRunId) };
  return { body: { tenantId, customerName, asOf, entraLinks: tenantEntraLinks(tenantId), items }, rows: items };
}

/** A history point of a customer no longer listed: every measure unknown. */
function goneCustomer(tenantId: string, customerName: string | null) {
  return {
    tenantId, customerName, ...Object.fromEntries(customerMeasureNames.map((name) => [name, null])), noMfaPolicy: null, adminsNotCompliant: null,
  };
}

export async function principalPage(dependencies: QueryDependencies, since: Date | undefined, top: number, continuationToken: string | undefined): Promise<QueryResult> {
  const include = since === undefined ? undefined : (principal: NonMfaPrincipal) => Date.parse(principal.lastNonMfaRequestDateTime) >= since.getTime();
  const latest = async (): Promise<string | null> => (await dependencies.reader.listRuns('nonMfaPrincipals', { status: 'complete', top: 1 }))[0]?.runId ?? null;
  const page = await runPage(dependencies, latest, `principals:${since?.toISOString() ?? ''}`, continuationToken, (run, start) =>
    dependencies.reader.principalsPage(run, start, top, include),
  );
  return { body: page, rows: page.items };
}

