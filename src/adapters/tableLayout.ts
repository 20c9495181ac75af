import { toTableKey } from '../core/tableKey';

/**
 * Where each kind of row lives. Keys serve the two reads that matter without a table scan:
 * - "latest complete snapshot of every customer": a run's customers are spread over 32 tenant
 *   buckets, one partition (the run id) in each bucket's table, read side by side;
 * - "history of one customer over time": the customer's history bucket table holds it in one
 *   partition under row keys `tenantId_runId`, so it is one key range, newest first (run ids
 *   sort newest first). The score, requirements and registrations are one partition each,
 *   keyed by run id.
 *
 * The three large kinds (customers, their history, principals) are split into one table per
 * bucket rather than one partition per bucket. In Azure the two are alike: a partition is the
 * unit of batch transactions (up to 100 rows) and of throughput (about 2,000 entities a
 * second), and tables cost nothing. Azurite, which the local host, tests and bench run on,
 * evaluates a query against every row of its table, so 30 days of 10,000 customers in one
 * table (300,000 history rows) would make every read walk them all. History, which keeps
 * every run, has 256 buckets (about 1,200 rows a table at 30 days); a run's customers and
 * principals have 32, so reading a whole run is 32 queries and a run's partitions fill
 * transactions of 100 while it is still being collected (about 300 rows each at 10,000).
 */
export const tableNames = {
  runs: 'Runs',
  scores: 'Scores',
  requirements: 'Requirements',
  scoreHistory: 'ScoreHistory',
  customers: 'Customers',
  customerHistory: 'CustomerHistory',
  principals: 'Principals',
  registrations: 'Registrations',
  findings: 'Findings',
  outbox: 'Outbox',
  detector: 'Detector',
  customerNames: 'CustomerNames',
} as const;

export type TableName = keyof typeof tableNames;

/** Kinds stored as one table per bucket: the table name is the kind's name and the bucket. */
export const bucketedTables = ['customers', 'customerHistory', 'principals'] as const satisfies readonly TableName[];
export type BucketedTableName = (typeof bucketedTables)[number];
export type FixedTableName = Exclude<TableName, BucketedTableName>;

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
} as const;

/**
 * Customer names spread over 16 partitions by the first hex digit of the tenant id. A partition
 * takes about 2,000 entities a second (Azure's scalability target), and a first refresh writes a
 * name for every customer at once: 16 partitions take their transactions in parallel. The whole
 * directory still reads as one key range (`customer-0` .. `customer-f`).
 */
export function customerNamePartition(tenantId: string): string {
  return `customer-${tenantId.charAt(0).toLowerCase()}`;
}
export const customerNamePartitionRange = { from: 'customer-', to: 'customer.' } as const;

/** The customer directory's own row (in the customerNames table): when it was refreshed, from where, the last error. */
export const customerDirectoryStateKey = { partitionKey: 'directory', rowKey: 'state' } as const;

const bucketCount = 32;
export const buckets: readonly string[] = bucketNames(bucketCount);
const historyBucketCount = 256;
const historyBuckets: readonly string[] = bucketNames(historyBucketCount);

function bucketNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => index.toString(16).padStart(2, '0'));
}

/** FNV-1a: stable across processes and versions, unlike anything keyed on memory. */
function hashOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index += 1) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The bucket (two hex digits) of a customer's or principal's rows in a run. */
export function bucketOf(id: string): string {
  return (hashOf(id) % bucketCount).toString(16).padStart(2, '0');
}

/** The history bucket (two hex digits) of a customer. */
export function historyBucketOf(tenantId: string): string {
  return (hashOf(tenantId) % historyBucketCount).toString(16).padStart(2, '0');
}

/** Every bucket of a bucketed kind. */
export function bucketsOf(name: BucketedTableName): readonly string[] {
  return name === 'customerHistory' ? historyBuckets : buckets;
}

/** The table of a bucketed kind for one bucket, without the deployment's prefix. */
export function bucketTableName(name: BucketedTableName, bucket: string): string {
  return `${tableNames[name]}${bucket}`;
}

/** A bucket table's history partition: one per table, so a run's history rows batch together. */
export const historyPartition = 'history';

export function customerHistoryRowKey(tenantId: string, runId: string): string {
  return `${toTableKey(tenantId)}_${runId}`;
}

export function requirementRowKey(runId: string, requirementType: string): string {
  return `${runId}_${toTableKey(requirementType)}`;
}

export function principalRowKey(objectId: string, lastNonMfaRequestDateTime: string): string {
  return `${toTableKey(objectId)}_${toTableKey(lastNonMfaRequestDateTime)}`;
}
