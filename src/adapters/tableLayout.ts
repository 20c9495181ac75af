import { toTableKey } from '../core/tableKey';

/**
 * Where each kind of row lives. Keys serve the two reads that matter without a table scan:
 * - "latest complete snapshot of every customer": the customers table is partitioned by run
 *   id and one of 64 tenant buckets, so one run is 64 known partitions, read in parallel;
 * - "history of one customer / requirement over time": customer history is partitioned into
 *   64 buckets by tenant, row key `tenantId_runId`, so one customer's history is one key range
 *   of one partition (newest first, as run ids sort newest first); time series of the score,
 *   requirements and registrations each live in one partition keyed by run id.
 * Every partition is also a unit of batch transactions (up to 100 rows). Large snapshots are
 * spread over 64 buckets because one partition takes about 2,000 entities a second in Azure,
 * and Azurite's cost per entity grows with the partition (20,000 rows: 15 s over 4 buckets,
 * 5 s over 16, 3-4 s over 64 or 256).
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
} as const;

export type TableName = keyof typeof tableNames;

export const fixedPartitions = {
  scores: 'partnerSecurityScore',
  requirements: 'requirement',
  scoreHistory: 'scoreHistory',
  registrations: 'registrationCounts',
  findings: 'finding',
  outbox: 'outbox',
  detector: 'detector',
} as const;

export const bucketCount = 64;
export const buckets: readonly string[] = Array.from({ length: bucketCount }, (_, index) => index.toString(16).padStart(2, '0'));

/** A stable bucket (two hex digits) from an id, by FNV-1a. */
export function bucketOf(id: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index += 1) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 0) % bucketCount).toString(16).padStart(2, '0');
}

/** One customer's history lives in one partition, so reading it is one key-range query. */
export function customerHistoryPartition(tenantId: string): string {
  return `bucket${bucketOf(tenantId)}`;
}

/** The partition of one run's rows (customers, principals) for one bucket. */
export function runPartition(runId: string, bucket: string): string {
  return `${runId}-${bucket}`;
}

export function customerHistoryRowKey(tenantId: string, runId: string): string {
  return `${toTableKey(tenantId)}_${runId}`;
}

export function requirementRowKey(runId: string, requirementType: string): string {
  return `${runId}_${toTableKey(requirementType)}`;
}

export function principalRowKey(objectId: string, lastNonMfaRequestDateTime: string): string {
  return `${toTableKey(objectId)}_${toTableKey(lastNonMfaRequestDateTime)}`;
}
