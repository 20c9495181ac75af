import { odata, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { adminsNotRequiredMfa, adminsWithoutMfa, cannotSeeReasonNames, type TenantAdmin, type TenantAdminScan } from '../core/adminScan';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import { MonitorError } from '../core/errors';
import type { AdminScanStore, TenantOutcome } from '../ports';
import type { AdminScanSummary, UnreadableRowSink } from '../ports/queryReader';
import { storageWriteFailure } from './batchWriter';
import { isConflict } from './storageErrors';
import { inPartitions, spreadOf } from './tableLayout';
import type { Tables } from './tables';
import { jsonField, oneOf, optionalNumber, optionalText, requiredText } from './unreadableRows';

/**
 * The AdminScans table. A run's tenant results are spread over 16 partitions (`<runId>-<spread>`,
 * row key the tenant id), so 10,000 workers never write one row or one partition in turn; its
 * manifest (`<runId>-manifest`) and throttle notes (`<runId>-throttled`) sort after them. A result
 * is inserted, never replaced: the first one of (run, tenant) is the one the run keeps. A scanned
 * tenant's row also holds its counts (admins, without an MFA method, not required to use MFA), so a
 * list of customers reads those columns and never the admins.
 */
const manifestChunk = 800;
/** "No more than 15 discrete comparisons are permitted within a $filter string" (Querying tables and entities): the partition's and 14 row keys. */
const rowKeysPerQuery = 14;
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

const resultPartition = (runId: string, tenantId: string) => `${runId}-${spreadOf(tenantId)}`;
const resultPartitions = (runId: string) => ({ from: `${runId}-0`, to: `${runId}-f` });

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
          chunks.slice(start, start + 100).map((chunk, index) => ['upsert', { partitionKey: `${runId}-manifest`, rowKey: String(start + index).padStart(5, '0'), tenantIds: JSON.stringify(chunk) }, 'Replace']),
        );
      }
      if (chunks.length === 0) await this.client.upsertEntity({ partitionKey: `${runId}-manifest`, rowKey: '00000', tenantIds: '[]' }, 'Replace');
    } catch (error) {
      throw storageWriteFailure(this.client.tableName, `the tenant list of run ${runId}`, error);
    }
  }

  async readManifest(runId: string): Promise<string[]> {
    const chunks = await this.tables.rows('adminScans', { filter: inPartitions({ from: `${runId}-manifest`, to: `${runId}-manifest` }) }, (row) => jsonField<string[]>('adminScans', row, 'tenantIds', []));
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
    await this.client.upsertEntity({ partitionKey: `${runId}-throttled`, rowKey: tenantId }, 'Replace');
  }

  async throttledTenants(runId: string): Promise<Set<string>> {
    const keys = await this.tables.keys('adminScans', inPartitions({ from: `${runId}-throttled`, to: `${runId}-throttled` }));
    return new Set(keys.map((key) => key.rowKey));
  }

  outcomesOfRun(runId: string): Promise<TenantOutcome[]> {
    return this.tables.rows<{ outcome?: string; reason?: string }, TenantOutcome>('adminScans', { filter: inPartitions(resultPartitions(runId)), select: ['RowKey', 'outcome', 'reason'] }, (row) => ({
      tenantId: row.rowKey ?? '',
      outcome: oneOf('adminScans', row, 'outcome', ['scanned', 'cannotSee'] as const),
      reason: row.reason === undefined ? null : oneOf('adminScans', row, 'reason', cannotSeeReasonNames),
    }));
  }

  scansOfRun(runId: string): Promise<TenantAdminScan[]> {
    return this.tables.rows('adminScans', { filter: inPartitions(resultPartitions(runId)) }, fromRow);
  }

  /**
   * The summaries of some tenants' results in a run, keyed by tenant id: per spread partition,
   * their row keys 14 to a query, the summary's columns only, so a page of customers reads its
   * own rows and not the run's admins.
   */
  async summariesOf(runId: string, tenantIds: readonly string[], onUnreadable?: UnreadableRowSink): Promise<Map<string, AdminScanSummary>> {
    const byPartition = new Map<string, string[]>();
    for (const tenantId of new Set(tenantIds.map((id) => id.toLowerCase()))) {
      const partition = resultPartition(runId, tenantId);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), tenantId]);
    }
    const queries = [...byPartition].flatMap(([partition, ids]) =>
      Array.from({ length: Math.ceil(ids.length / rowKeysPerQuery) }, (_, index) => {
        const keys = ids.slice(index * rowKeysPerQuery, (index + 1) * rowKeysPerQuery).map((id) => odata`RowKey eq ${id}`);
        return `${odata`PartitionKey eq ${partition}`} and (${keys.join(' or ')})`;
      }),
    );
    const limit = new ConcurrencyLimit(16);
    const read = await Promise.all(queries.map((filter) => limit.run(() => this.tables.rows('adminScans', { filter, select: summaryColumns }, summaryFromRow, { onUnreadable }))));
    return new Map(read.flat().map((summary) => [summary.tenantId, summary.summary]));
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
