import { odata, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { adminsNotRequiredMfa, adminsWithoutMfa, cannotSeeReasonNames, type TenantAdmin, type TenantAdminScan } from '../core/adminScan';
import { MonitorError } from '../core/errors';
import type { AdminScanStore, TenantOutcome } from '../ports';
import type { AdminScanSummary, UnreadableRowSink } from '../ports/queryReader';
import { storageWriteFailure } from './batchWriter';
import { isConflict } from './storageErrors';
import { inPartitions, runPartitionRange, spreadOf } from './tableLayout';
import type { Tables } from './tables';
import { jsonField, oneOf, optionalNumber, optionalText, requiredText } from './unreadableRows';

/**
 * The AdminScans table. A run's tenant results are spread over 16 partitions (`<runId>_<spread>`,
 * row key the tenant id), so 10,000 workers never write one row or one partition in turn; its
 * manifest (`<runId>_manifest`) and throttle notes (`<runId>_throttled`) sort after them. A result
 * is inserted, never replaced: the first one of (run, tenant) is the one the run keeps. A scanned
 * tenant's row also holds its counts (admins, without an MFA method, not required to use MFA), so a
 * list of customers reads those columns and never the admins.
 */
const manifestChunk = 800;
/** What a list of customers shows of each one's scan, stored beside the admins so it is read without them. */
const summaryColumns = ['RowKey', 'outcome', 'reason', 'adminCount', 'withoutMfaMethod', 'notRequiredMfa'];
/** A string property holds at most 64 KiB (32 K UTF-16 characters); an entity at most 1 MiB. */
const chunkCharacters = 30_000;
const maxChunks = 15;

type ScanEntity = TableEntity<{
  tenantId: string;
  runId: string;
  scannedAt: string;
  outcome: string;
  reason?: string;
  detail?: string;
  source?: string;
  securityDefaultsEnabled?: boolean;
  mfaPolicies?: string;
  adminChunks?: number;
  adminCount?: number;
  withoutMfaMethod?: number;
  notRequiredMfa?: number;
  requests: number;
}> &
  Record<string, unknown>;

const resultPartition = (runId: string, tenantId: string) => `${runId}_${spreadOf(tenantId)}`;
const manifestPartition = (runId: string) => `${runId}_manifest`;
const throttledPartition = (runId: string) => `${runId}_throttled`;

function toRow(scan: TenantAdminScan): ScanEntity {
  const base = { partitionKey: resultPartition(scan.runId, scan.tenantId), rowKey: scan.tenantId, tenantId: scan.tenantId, runId: scan.runId, scannedAt: scan.scannedAt, outcome: scan.outcome, requests: scan.requests };
  if (scan.outcome === 'cannotSee') return { ...base, reason: scan.reason, ...(scan.detail === null ? {} : { detail: scan.detail.slice(0, 1000) }) };
  const admins = JSON.stringify(scan.admins);
  const chunks = Math.ceil(admins.length / chunkCharacters);
  if (chunks > maxChunks) throw new MonitorError('ScanTooLarge', `tenant ${scan.tenantId}: ${scan.admins.length} admins are more than one Table Storage row holds`);
  const adminColumns = Object.fromEntries(Array.from({ length: chunks }, (_, index) => [`admins${index}`, admins.slice(index * chunkCharacters, (index + 1) * chunkCharacters)]));
  return {
    ...base,
    source: scan.source,
    ...(scan.securityDefaultsEnabled === null ? {} : { securityDefaultsEnabled: scan.securityDefaultsEnabled }),
    mfaPolicies: JSON.stringify(scan.mfaPolicies),
    adminChunks: chunks,
    adminCount: scan.admins.length,
    withoutMfaMethod: adminsWithoutMfa(scan).length,
    notRequiredMfa: adminsNotRequiredMfa(scan).length,
    ...adminColumns,
  };
}

function fromRow(row: TableEntityResult<Record<string, unknown>>): TenantAdminScan {
  const common = { runId: requiredText('adminScans', row, 'runId'), tenantId: requiredText('adminScans', row, 'tenantId'), scannedAt: requiredText('adminScans', row, 'scannedAt'), requests: optionalNumber(row, 'requests') ?? 0 };
  if (oneOf('adminScans', row, 'outcome', ['scanned', 'cannotSee'] as const) === 'cannotSee') {
    return { ...common, outcome: 'cannotSee', reason: oneOf('adminScans', row, 'reason', cannotSeeReasonNames), detail: optionalText(row, 'detail') };
  }
  const chunks = optionalNumber(row, 'adminChunks') ?? 0;
  const admins = Array.from({ length: chunks }, (_, index) => optionalText(row, `admins${index}`) ?? '').join('');
  return {
    ...common,
    outcome: 'scanned',
    source: oneOf('adminScans', row, 'source', ['registrationDetails', 'directoryRoles'] as const),
    securityDefaultsEnabled: typeof row.securityDefaultsEnabled === 'boolean' ? row.securityDefaultsEnabled : null,
    mfaPolicies: jsonField<{ id: string; name: string }[]>('adminScans', row, 'mfaPolicies', []),
    admins: jsonField<TenantAdmin[]>('adminScans', { admins }, 'admins', []),
  };
}

export class TableAdminScanStore implements AdminScanStore {
  constructor(private readonly tables: Tables) {}

  private get client() {
    return this.tables.clientFor('adminScans');
  }

  async writeManifest(runId: string, tenantIds: readonly string[]): Promise<void> {
    const chunks = Array.from({ length: Math.ceil(tenantIds.length / manifestChunk) }, (_, index) => tenantIds.slice(index * manifestChunk, (index + 1) * manifestChunk));
    try {
      // One partition, at most 13 rows for 10,000 tenants: one transaction per 100.
      for (let start = 0; start < chunks.length; start += 100) {
        await this.client.submitTransaction(
          chunks.slice(start, start + 100).map((chunk, index) => ['upsert', { partitionKey: manifestPartition(runId), rowKey: String(start + index).padStart(5, '0'), tenantIds: JSON.stringify(chunk) }, 'Replace']),
        );
      }
      if (chunks.length === 0) await this.client.upsertEntity({ partitionKey: manifestPartition(runId), rowKey: '00000', tenantIds: '[]' }, 'Replace');
    } catch (error) {
      throw storageWriteFailure(this.client.tableName, `the tenant list of run ${runId}`, error);
    }
  }

  async readManifest(runId: string): Promise<string[]> {
    const chunks = await this.tables.rows('adminScans', { filter: inPartitions({ from: manifestPartition(runId), to: manifestPartition(runId) }) }, (row) => jsonField<string[]>('adminScans', row, 'tenantIds', []));
    return chunks.flat();
  }

  async recordScan(scan: TenantAdminScan): Promise<boolean> {
    try {
      await this.client.createEntity(toRow(scan));
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw storageWriteFailure(this.client.tableName, `the scan of tenant ${scan.tenantId} in run ${scan.runId}`, error);
    }
  }

  async markThrottled(runId: string, tenantId: string): Promise<void> {
    await this.client.upsertEntity({ partitionKey: throttledPartition(runId), rowKey: tenantId }, 'Replace');
  }

  async throttledTenants(runId: string): Promise<Set<string>> {
    const keys = await this.tables.keys('adminScans', inPartitions({ from: throttledPartition(runId), to: throttledPartition(runId) }));
    return new Set(keys.map((key) => key.rowKey));
  }

  outcomesOfRun(runId: string): Promise<TenantOutcome[]> {
    return this.tables.rows<{ outcome?: string; reason?: string }, TenantOutcome>('adminScans', { filter: inPartitions(runPartitionRange(runId)), select: ['RowKey', 'outcome', 'reason'] }, (row) => ({
      tenantId: row.rowKey ?? '',
      outcome: oneOf('adminScans', row, 'outcome', ['scanned', 'cannotSee'] as const),
      reason: row.reason === undefined ? null : oneOf('adminScans', row, 'reason', cannotSeeReasonNames),
    }));
  }

  scansOfRun(runId: string): Promise<TenantAdminScan[]> {
    return this.tables.rows('adminScans', { filter: inPartitions(runPartitionRange(runId)) }, fromRow);
  }

  /**
   * The summaries of some tenants' results in a run, keyed by tenant id, the summary's columns
   * only. A page of customers is a run of tenant ids in key order, and the scans share that order
   * within each spread: one key-range query per spread the page touches (never an `or`, which
   * the service answers by reading the whole partition), reading the page's own rows.
   */
  async summariesOf(runId: string, tenantIds: readonly string[], onUnreadable?: UnreadableRowSink): Promise<Map<string, AdminScanSummary>> {
    const wanted = new Set(tenantIds.map((id) => id.toLowerCase()));
    const byPartition = new Map<string, string[]>();
    for (const tenantId of wanted) byPartition.set(resultPartition(runId, tenantId), [...(byPartition.get(resultPartition(runId, tenantId)) ?? []), tenantId]);
    const read = await Promise.all(
      [...byPartition].map(([partition, ids]) => {
        const sorted = [...ids].sort();
        const filter = odata`PartitionKey eq ${partition} and RowKey ge ${sorted[0] ?? ''} and RowKey le ${sorted[sorted.length - 1] ?? ''}`;
        return this.tables.rows('adminScans', { filter, select: summaryColumns }, summaryFromRow, { onUnreadable });
      }),
    );
    return new Map(read.flat().filter((summary) => wanted.has(summary.tenantId)).map((summary) => [summary.tenantId, summary.summary]));
  }

  scanOf(runId: string, tenantId: string): Promise<TenantAdminScan | null> {
    return this.tables.point('adminScans', { partitionKey: resultPartition(runId, tenantId.toLowerCase()), rowKey: tenantId.toLowerCase() }, fromRow);
  }
}

function summaryFromRow(row: TableEntityResult<Record<string, unknown>>): { tenantId: string; summary: AdminScanSummary } {
  const outcome = oneOf('adminScans', row, 'outcome', ['scanned', 'cannotSee'] as const);
  return {
    tenantId: row.rowKey ?? '',
    summary: {
      outcome,
      reason: outcome === 'cannotSee' ? oneOf('adminScans', row, 'reason', cannotSeeReasonNames) : null,
      admins: optionalNumber(row, 'adminCount'),
      withoutMfaMethod: optionalNumber(row, 'withoutMfaMethod'),
      notRequiredMfa: optionalNumber(row, 'notRequiredMfa'),
    },
  };
}
