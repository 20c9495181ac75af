import { toTableKey } from '../core/tableKey';

/**
 * Where each kind of row lives. Keys serve the two reads that matter without a table scan:
 * - "latest complete snapshot of every customer": the customers table is partitioned by run
 *   id, so one run is one partition, read in key order;
 * - "history of one customer / requirement over time": customer history is partitioned into
 *   16 buckets by tenant, row key `tenantId_runId`, so one customer's history is one key range
 *   of one partition (newest first, as run ids sort newest first); time series of the score,
 *   requirements and registrations each live in one partition keyed by run id.
 * Every partition is also a unit of batch transactions (up to 100 rows).
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

const historyBuckets = 16;

/** A stable bucket from the tenant id (FNV-1a), so history writes batch and reads hit one partition. */
export function customerHistoryPartition(tenantId: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < tenantId.length; index += 1) {
    hash ^= tenantId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return `bucket${((hash >>> 0) % historyBuckets).toString(16)}`;
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
