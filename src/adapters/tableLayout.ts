import { odata } from '@azure/data-tables';
import { toTableKey } from './tableKey';

/**
 * Every table the monitor uses, without the deployment's prefix: a fixed set, created by the
 * deployment (infra/modules/storage.bicep declares each one) and, locally, by the tooling. The
 * app never creates a table. Adding a kind of row is one line here and one in the Bicep module.
 *
 * Keys follow Azure Table Storage's model (see docs/storage.md, "Table layout"): a partition takes about
 * 2,000 entities a second and is the unit of a batch transaction (up to 100 rows), and a query
 * on PartitionKey and a RowKey range reads only the rows it returns, however large the table.
 */
export const tableNames = {
  runs: 'Runs',
  scores: 'Scores',
  requirements: 'Requirements',
  scoreHistory: 'ScoreHistory',
  customers: 'Customers',
  customerHistory: 'CustomerHistory',
  customerChanges: 'CustomerChanges',
  principals: 'Principals',
  registrations: 'Registrations',
  findings: 'Findings',
  outbox: 'Outbox',
  detector: 'Detector',
  customerNames: 'CustomerNames',
  waivers: 'Waivers',
  adminScans: 'AdminScans',
  companyMappings: 'CompanyMappings',
  tickets: 'Tickets',
} as const;

export type TableName = keyof typeof tableNames;

/** Where a row is: its partition and its key within it. */
export type RowKeys = { partitionKey: string; rowKey: string };

/** The filter of every row in partitions `from` to `to`, both included: one key-range query. */
export function inPartitions(range: { from: string; to: string }): string {
  return odata`PartitionKey ge ${range.from} and PartitionKey le ${range.to}`;
}

/** The filter of the rows of one partition whose keys lie strictly between `from` and `to`. */
export function inRowRange(range: { partitionKey: string; from: string; to: string }): string {
  return odata`PartitionKey eq ${range.partitionKey} and RowKey gt ${range.from} and RowKey lt ${range.to}`;
}

export const fixedPartitions = {
  scores: 'partnerSecurityScore',
  requirements: 'requirement',
  scoreHistory: 'scoreHistory',
  registrations: 'registrationCounts',
  findings: 'finding',
  outbox: 'outbox',
  /** In the outbox table: one row per message and target, keyed `<messageId>~<target>`, so a message's deliveries are one key range. */
  deliveries: 'delivery',
  detector: 'detector',
  waivers: 'waivers',
  companyMappings: 'mappings',
  /** In the tickets table: one row per PSA (row key its name) with what its last run did, beside the PSAs' own partitions. */
  ticketRuns: 'run',
} as const;

/**
 * The spread of a tenant's or principal's rows: the first hex digit of its id (ids are GUIDs), or
 * for any other id a stable hash of it. Sixteen partitions take a first run's 10,000 rows in
 * parallel transactions, where one partition would take them at about 2,000 a second.
 */
export function spreadOf(id: string): string {
  const first = id.charAt(0).toLowerCase();
  if (/^[0-9a-f]$/.test(first)) return first;
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index += 1) hash = Math.imul(hash ^ id.charCodeAt(index), 0x01000193);
  return ((hash >>> 0) % 16).toString(16);
}
/** The spreads in key order: every customer is in one partition of this range. */
export const spreads: readonly string[] = Array.from({ length: 16 }, (_, index) => index.toString(16));

/**
 * Customer names spread over 16 partitions by the first hex digit of the tenant id. The whole
 * directory still reads as one key range (`customer-0` .. `customer-f`).
 */
export function customerNamePartition(tenantId: string): string {
  return `customer-${spreadOf(tenantId)}`;
}
export const customerNamePartitionRange = { from: 'customer-', to: 'customer.' } as const;

/** The customer directory's own row (in the customerNames table): when it was refreshed, from where, the last error. */
export const customerDirectoryStateKey = { partitionKey: 'directory', rowKey: 'state' } as const;

/**
 * The current state of every customer (the Customers table): one row per tenant, partitioned by
 * its spread, row key the tenant id. Rows of customers that are gone stay as tombstones until
 * retention, so a page of an earlier run can still list them.
 */
export function customerKey(tenantId: string): RowKeys {
  const key = toTableKey(tenantId.toLowerCase());
  return { partitionKey: spreadOf(key), rowKey: key };
}
/** Every current customer lies between these partition keys. */
export const customerPartitionRange = { from: '0', to: 'f' } as const;

/**
 * Which run the Customers table holds (in the Runs table, beside the ledger's source partitions):
 * the newest run whose change points have all been applied to it.
 */
export const appliedRunKey = { partitionKey: 'applied', rowKey: 'customers' } as const;

/**
 * In the Runs table too, one row per kind of run (row key: the source, or `detectRegressions`):
 * its lease, and the last run that did nothing because another held it.
 */
export const leasePartitions = { lease: 'lease', skipped: 'skipped' } as const;

/**
 * A change point in a customer's history (the CustomerHistory table): partition by the tenant's
 * spread, row key `tenantId_runId`, so one customer's history is one key range, newest first.
 */
export function customerHistoryKey(tenantId: string, runId: string): RowKeys {
  const key = toTableKey(tenantId.toLowerCase());
  return { partitionKey: spreadOf(key), rowKey: `${key}_${runId}` };
}

/** The row-key range of one customer's history. */
export function customerHistoryRange(tenantId: string): { partitionKey: string; from: string; to: string } {
  const key = toTableKey(tenantId.toLowerCase());
  return { partitionKey: spreadOf(key), from: `${key}_`, to: `${key}_~` };
}

/**
 * A run's own record of what it changed (the CustomerChanges table): partition `runId_spread`,
 * row key the tenant id. The run writes these while it collects; once it is complete they are
 * applied to the current state and copied to the history. A run's changes are one key range
 * (`runId_0` .. `runId_f`), which is how they are applied, undone for an earlier run and pruned.
 */
export function customerChangeKey(runId: string, tenantId: string): RowKeys {
  const key = toTableKey(tenantId.toLowerCase());
  return { partitionKey: `${runId}_${spreadOf(key)}`, rowKey: key };
}
export function runPartitionRange(runId: string): { from: string; to: string } {
  return { from: `${runId}_0`, to: `${runId}_f` };
}

/**
 * A run's non-MFA principals (the Principals table): partition `runId_spread` of the object id,
 * row key `objectId_requestTime`. Every read is "of a run" (a page of it, or one principal's UPN
 * in it), so the run is the partition key's prefix; the spread lets a run of 10,000 records write
 * in parallel transactions.
 */
export function principalKey(runId: string, objectId: string, lastNonMfaRequestDateTime: string): RowKeys {
  const key = toTableKey(objectId);
  return { partitionKey: `${runId}_${spreadOf(key)}`, rowKey: `${key}_${toTableKey(lastNonMfaRequestDateTime)}` };
}
/** The rows of one principal in a run: one key range of one partition. */
export function principalRange(runId: string, objectId: string): { partitionKey: string; from: string; to: string } {
  const key = toTableKey(objectId);
  return { partitionKey: `${runId}_${spreadOf(key)}`, from: `${key}_`, to: `${key}_~` };
}

export function requirementRowKey(runId: string, requirementType: string): string {
  return `${runId}_${toTableKey(requirementType)}`;
}
/** A run's requirements: one key range of their partition. */
export function requirementRange(runId: string): { partitionKey: string; from: string; to: string } {
  return { partitionKey: fixedPartitions.requirements, from: `${runId}_`, to: `${runId}_~` };
}

/** Audit row keys count down from here, so the newest sorts first until the year 2286. */
const maxAuditTime = 9_999_999_999_999;

/**
 * Waivers and their audit trail share one partition of the waivers table, so a change and its
 * audit row are one entity group transaction: both are stored or neither. Each is one key range:
 * `waiver_<id>`, and `audit_<inverted time>_<suffix>`, newest first (the log tail pattern).
 */
export const waiverRowKeys = {
  waiver: (id: string): string => `waiver_${toTableKey(id)}`,
  waiverRange: { from: 'waiver_', to: 'waiver`' },
  audit: (at: Date, suffix: string): string => `audit_${String(maxAuditTime - at.getTime()).padStart(13, '0')}_${suffix}`,
  auditRange: { from: 'audit_', to: 'audit`' },
} as const;

/**
 * Company mappings and their audit trail share one partition of the company mappings table, as
 * waivers do, so a change and its audit row are one entity group transaction. A mapping's key is
 * `mapping_<psa>_<tenantId>` (every mapping is one key range), audit rows are newest first.
 */
export const companyMappingRowKeys = {
  mapping: (psa: string, tenantId: string): string => `mapping_${psa}_${toTableKey(tenantId.toLowerCase())}`,
  mappingRange: { from: 'mapping_', to: 'mapping`' },
  audit: waiverRowKeys.audit,
  auditRange: waiverRowKeys.auditRange,
} as const;

/**
 * A ticket record (the Tickets table): partition the PSA's name, row key the group's key
 * (`<tenantId or partner>/<kind>`, or a finding's key) made safe for a key, so a PSA's records
 * are one partition read whole by each detector run and by the status.
 */
export function ticketKey(psa: string, groupKey: string): RowKeys {
  return { partitionKey: psa, rowKey: toTableKey(groupKey) };
}
