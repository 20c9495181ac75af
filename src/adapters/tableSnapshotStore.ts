import type { TokenCredential } from '@azure/core-auth';
import { odata, TableClient, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import type { StorageConfig } from '../config';
import { MonitorError } from '../core/errors';
import type {
  CustomerMfaInsight,
  NonMfaPrincipal,
  PartnerSecurityScore,
  RegistrationCounts,
  ScoreHistoryEntry,
  SecurityRequirement,
  SnapshotSource,
} from '../core/model';
import type { SnapshotRunWriter, SnapshotStore } from '../ports';
import { isRunId, runIdRange, type SnapshotRun, type SnapshotRunCounts } from '../core/snapshotRun';
import { toTableKey } from '../core/tableKey';
import { attemptTimeoutOptions, defaultAzureRequestTimeoutMs } from './attemptTimeout';
import { BatchWriter, describeStorageError } from './batchWriter';
import { jsonField, readRow, requiredText, type UnreadableRowHandler } from './unreadableRows';
import {
  bucketOf,
  buckets,
  bucketTableName,
  customerHistoryRowKey,
  fixedPartitions,
  historyBucketOf,
  historyPartition,
  principalRowKey,
  requirementRowKey,
  tableNames,
  type BucketedTableName,
  type FixedTableName,
} from './tableLayout';

type Row = Record<string, unknown>;

/**
 * The table clients for a prefix. Fixed tables, and bucket tables about to be written, are
 * created once per process on first use; bucket tables only read are never created, so a read
 * costs one request and leaves no empty tables behind (a table not written yet reads as empty,
 * see readBucketTable).
 */
export class Tables {
  private readonly clients = new Map<string, TableClient>();
  private readonly created = new Map<string, Promise<void>>();

  constructor(
    private readonly config: StorageConfig,
    private readonly credential: () => TokenCredential,
    private readonly requestTimeoutMs: number = defaultAzureRequestTimeoutMs,
  ) {}

  client(name: FixedTableName): Promise<TableClient> {
    return this.open(tableNames[name]);
  }

  /** The table of one bucket of a bucketed kind (see tableLayout), to write to. */
  bucketClient(name: BucketedTableName, bucket: string): Promise<TableClient> {
    return this.open(bucketTableName(name, bucket));
  }

  /** The table of one bucket of a bucketed kind, to read or delete from: not created. */
  bucketReader(name: BucketedTableName, bucket: string): TableClient {
    return this.clientFor(bucketTableName(name, bucket));
  }

  protected async open(name: string): Promise<TableClient> {
    const client = this.clientFor(name);
    let created = this.created.get(name);
    if (!created) {
      const creating = client.createTable();
      created = creating.catch((error: unknown) => {
        this.created.delete(name);
        throw new MonitorError('StorageUnavailable', `Could not create or open table ${client.tableName}: ${describeStorageError(error)}`, { cause: error });
      });
      this.created.set(name, created);
    }
    await created;
    return client;
  }

  private clientFor(name: string): TableClient {
    let client = this.clients.get(name);
    if (!client) {
      const tableName = `${this.config.tablePrefix}${name}`;
      client =
        this.config.connectionString !== null
          ? TableClient.fromConnectionString(this.config.connectionString, tableName, {
              allowInsecureConnection: /TableEndpoint\s*=\s*http:/i.test(this.config.connectionString),
              ...attemptTimeoutOptions(this.requestTimeoutMs),
            })
          : new TableClient(this.config.endpoint ?? '', tableName, this.credential(), attemptTimeoutOptions(this.requestTimeoutMs));
      this.clients.set(name, client);
    }
    return client;
  }
}

/** Runs a read of a bucket table: a table that does not exist has had nothing written to it, and reads as empty. */
export async function readBucketTable(read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (error) {
    const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
    if (!(statusCode === 404 && (code === undefined || code === 'TableNotFound'))) throw error;
  }
}

/** Removes unknown (null) values: an absent property reads back as unknown. */
function defined(values: Row): Row {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== undefined));
}

function runEntity(run: SnapshotRun): TableEntity {
  return {
    partitionKey: run.source,
    rowKey: run.runId,
    ...defined({
      source: run.source,
      runId: run.runId,
      status: run.status,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      counts: JSON.stringify(run.counts),
      errorCode: run.errorCode,
      errorMessage: run.errorMessage?.slice(0, 2000),
      warnings: run.warnings.length > 0 ? JSON.stringify(run.warnings.map((warning) => warning.slice(0, 1000))) : null,
    }),
  };
}

function customerFields(insight: CustomerMfaInsight): Row {
  return { ...insight };
}

export class TableSnapshotStore implements SnapshotStore {
  constructor(
    private readonly tables: Tables,
    private readonly options: { maxTransactionsInFlight: number } = { maxTransactionsInFlight: 8 },
  ) {}

  async openRun(source: SnapshotSource, runId: string, startedAt: Date): Promise<SnapshotRunWriter> {
    if (!isRunId(runId)) throw new MonitorError('InvalidRunId', 'A run id must be 13 digits, a dash and 6-16 lowercase letters or digits');
    const runs = await this.tables.client('runs');
    const run: SnapshotRun = {
      source,
      runId,
      status: 'running',
      startedAt: startedAt.toISOString(),
      finishedAt: null,
      counts: {},
      errorCode: null,
      errorMessage: null,
      warnings: [],
    };
    await runs.upsertEntity(runEntity(run), 'Replace');
    return new TableSnapshotRunWriter(this.tables, runs, run, new BatchWriter(this.options.maxTransactionsInFlight));
  }

  async markAbandonedRuns(source: SnapshotSource, startedBefore: Date, reason: string, markedAt: Date): Promise<SnapshotRun[]> {
    const runs = await this.tables.client('runs');
    // Older runs have larger keys: from the cut-off on is every run started before it.
    const { lowest } = runIdRange(undefined, startedBefore);
    const filter = odata`PartitionKey eq ${source} and RowKey ge ${lowest} and status eq ${'running'}`;
    const marked: SnapshotRun[] = [];
    for await (const entity of runs.listEntities<Row>({ queryOptions: { filter } })) {
      const run = readRow('runs', entity, toRun, () => undefined);
      // A run re-run under an old id keeps that id's key but starts anew: its start time decides.
      if (run === undefined || !(Date.parse(run.startedAt) < startedBefore.getTime())) continue;
      const abandoned: SnapshotRun = { ...run, status: 'failed', finishedAt: markedAt.toISOString(), errorCode: 'Abandoned', errorMessage: reason };
      try {
        // Conditional: a run that records its own end meanwhile keeps it.
        await runs.updateEntity(runEntity(abandoned), 'Replace', { etag: entity.etag });
        marked.push(abandoned);
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status !== 412 && status !== 404) throw error;
      }
    }
    return marked;
  }
}

class TableSnapshotRunWriter implements SnapshotRunWriter {
  constructor(
    private readonly tables: Tables,
    private readonly runs: TableClient,
    private readonly run: SnapshotRun,
    private readonly writer: BatchWriter,
  ) {}

  get runId(): string {
    return this.run.runId;
  }

  async addCustomerInsights(insights: readonly CustomerMfaInsight[]): Promise<void> {
    for (const insight of insights) {
      const [customers, history] = await Promise.all([
        this.tables.bucketClient('customers', bucketOf(insight.tenantId)),
        this.tables.bucketClient('customerHistory', historyBucketOf(insight.tenantId)),
      ]);
      const fields = defined(customerFields(insight));
      await this.writer.upsert(customers, { partitionKey: this.runId, rowKey: toTableKey(insight.tenantId), ...fields });
      // A history row is read whole and never filtered on a field: one JSON property costs less
      // to store and to read back than seven.
      await this.writer.upsert(history, {
        partitionKey: historyPartition,
        rowKey: customerHistoryRowKey(insight.tenantId, this.runId),
        runId: this.runId,
        point: JSON.stringify(insight),
      });
    }
  }

  async addRequirements(requirements: readonly SecurityRequirement[]): Promise<void> {
    const table = await this.tables.client('requirements');
    for (const requirement of requirements) {
      await this.writer.upsert(table, {
        partitionKey: fixedPartitions.requirements,
        rowKey: requirementRowKey(this.runId, requirement.requirementType),
        runId: this.runId,
        ...defined({ ...requirement }),
      });
    }
  }

  async putScore(score: PartnerSecurityScore): Promise<void> {
    const table = await this.tables.client('scores');
    await this.writer.upsert(table, { partitionKey: fixedPartitions.scores, rowKey: this.runId, runId: this.runId, ...defined({ ...score }) });
  }

  async addScoreHistory(entries: readonly ScoreHistoryEntry[]): Promise<void> {
    const table = await this.tables.client('scoreHistory');
    for (const entry of entries) {
      await this.writer.upsert(table, {
        partitionKey: fixedPartitions.scoreHistory,
        rowKey: toTableKey(entry.createdDateTime),
        lastSeenRunId: this.runId,
        ...defined({ ...entry }),
      });
    }
  }

  async addNonMfaPrincipals(principals: readonly NonMfaPrincipal[]): Promise<void> {
    for (const principal of principals) {
      const table = await this.tables.bucketClient('principals', bucketOf(principal.objectId));
      await this.writer.upsert(table, {
        partitionKey: this.runId,
        rowKey: principalRowKey(principal.objectId, principal.lastNonMfaRequestDateTime),
        ...defined({ ...principal }),
      });
    }
  }

  async putRegistrationCounts(counts: RegistrationCounts, fallbackReason: string | null): Promise<void> {
    const table = await this.tables.client('registrations');
    await this.writer.upsert(table, {
      partitionKey: fixedPartitions.registrations,
      rowKey: this.runId,
      runId: this.runId,
      ...defined({
        report: counts.report,
        totalUserCount: counts.totalUserCount,
        mfaRegisteredUserCount: counts.mfaRegisteredUserCount,
        countsByStatus: JSON.stringify(counts.countsByStatus),
        fallbackReason,
      }),
    });
  }

  async complete(counts: SnapshotRunCounts, warnings: readonly string[] = []): Promise<SnapshotRun> {
    await this.writer.flush();
    return this.finish({ status: 'complete', counts: { ...counts, entitiesWritten: this.writer.entitiesWritten }, warnings: [...warnings] });
  }

  async fail(error: { code: string; message: string }, counts: SnapshotRunCounts): Promise<SnapshotRun> {
    await this.writer.abandon();
    return this.finish({ status: 'failed', counts, errorCode: error.code, errorMessage: error.message });
  }

  private async finish(update: Partial<SnapshotRun>): Promise<SnapshotRun> {
    const finished: SnapshotRun = { ...this.run, ...update, finishedAt: new Date().toISOString() };
    await this.runs.upsertEntity(runEntity(finished), 'Replace');
    return finished;
  }
}

/**
 * How long a run id seen complete in the ledger is trusted without asking again. A complete run
 * stays complete unless re-run under the same id by hand, so this only bounds how long such a
 * re-run could go unnoticed, and spares a ledger query on most history reads.
 */
const completeRunMemoryMs = 5 * 60_000;

/** Reads snapshots back, using only partition and key-range queries. */
export class TableSnapshotReader {
  /** Run id -> when the ledger last showed it complete. */
  private readonly seenComplete = new Map<string, number>();

  constructor(
    private readonly tables: Tables,
    private readonly now: () => number = Date.now,
  ) {}

  async getRun(source: SnapshotSource, runId: string): Promise<SnapshotRun | null> {
    const runs = await this.tables.client('runs');
    try {
      return toRun(await runs.getEntity<Row>(source, runId));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  /** Newest first. A ledger row that cannot be read fails the read, unless `onUnreadable` takes it. */
  async listRuns(
    source: SnapshotSource,
    options: { top?: number; status?: SnapshotRun['status']; from?: Date; to?: Date; onUnreadable?: UnreadableRowHandler } = {},
  ): Promise<SnapshotRun[]> {
    const runs = await this.tables.client('runs');
    const range = runIdRange(options.from, options.to);
    const filter =
      options.status === undefined
        ? odata`PartitionKey eq ${source} and RowKey ge ${range.lowest} and RowKey le ${range.highest}`
        : odata`PartitionKey eq ${source} and RowKey ge ${range.lowest} and RowKey le ${range.highest} and status eq ${options.status}`;
    const found: SnapshotRun[] = [];
    // Ask for no more than wanted: the ledger keeps every run of the retention period.
    for await (const page of runs.listEntities<Row>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(options.top ?? 1000, 1000) })) {
      for (const entity of page) {
        const run = readRow('runs', entity, toRun, options.onUnreadable);
        if (run !== undefined) found.push(run);
        if (options.top !== undefined && found.length >= options.top) return found;
      }
    }
    return found;
  }

  async latestCompleteRun(source: SnapshotSource): Promise<SnapshotRun | null> {
    return (await this.listRuns(source, { status: 'complete', top: 1 }))[0] ?? null;
  }

  async customersOfRun(runId: string): Promise<CustomerMfaInsight[]> {
    return (await this.runPartitions('customers', runId)).map(toCustomer);
  }

  /** One customer's insight in every complete run between from and to, newest first. */
  async customerHistory(tenantId: string, options: { from?: Date; to?: Date; onUnreadable?: UnreadableRowHandler } = {}): Promise<(CustomerMfaInsight & { runId: string })[]> {
    const key = tenantId.toLowerCase();
    const history = this.tables.bucketReader('customerHistory', historyBucketOf(key));
    const range = runIdRange(options.from, options.to);
    const filter = odata`PartitionKey eq ${historyPartition} and RowKey ge ${customerHistoryRowKey(key, range.lowest)} and RowKey le ${customerHistoryRowKey(key, range.highest)}`;
    const rows: (CustomerMfaInsight & { runId: string })[] = [];
    await readBucketTable(async () => {
      for await (const entity of history.listEntities<Row>({ queryOptions: { filter, select: ['runId', 'point'] } })) {
        const point = readRow('customerHistory', entity, (row) => ({ ...toCustomer(jsonField<Row>('customerHistory', row, 'point', {})), runId: requiredText('customerHistory', row, 'runId') }), options.onUnreadable);
        if (point !== undefined) rows.push(point);
      }
    });
    // A run writes its rows before the ledger says how it ended: keep those of complete runs.
    if (rows.some((row) => !this.knownComplete(row.runId))) {
      const seenAt = this.now();
      for (const run of await this.listRuns('partnerSecurity', { status: 'complete', from: options.from, to: options.to, onUnreadable: options.onUnreadable })) this.seenComplete.set(run.runId, seenAt);
    }
    return rows.filter((row) => this.knownComplete(row.runId));
  }

  private knownComplete(runId: string): boolean {
    return (this.seenComplete.get(runId) ?? -Infinity) > this.now() - completeRunMemoryMs;
  }

  async requirementsOfRun(runId: string): Promise<SecurityRequirement[]> {
    const table = await this.tables.client('requirements');
    const filter = odata`PartitionKey eq ${fixedPartitions.requirements} and RowKey gt ${`${runId}_`} and RowKey lt ${`${runId}_~`}`;
    const rows: SecurityRequirement[] = [];
    for await (const entity of table.listEntities<Row>({ queryOptions: { filter } })) rows.push(toRequirement(entity));
    return rows;
  }

  async scoreOfRun(runId: string): Promise<PartnerSecurityScore | null> {
    const row = await this.point('scores', fixedPartitions.scores, runId);
    return row === null ? null : (pick(row, ['id', 'currentScore', 'maxScore', 'lastRefreshDateTime', 'updatedDateTime']) as unknown as PartnerSecurityScore);
  }

  async scoreHistory(): Promise<ScoreHistoryEntry[]> {
    return (await this.partition('scoreHistory', fixedPartitions.scoreHistory)).map(
      (row) => pick(row, ['id', 'createdDateTime', 'score', 'compliantRequirementsCount', 'totalRequirementsCount']) as unknown as ScoreHistoryEntry,
    );
  }

  async principalsOfRun(runId: string): Promise<NonMfaPrincipal[]> {
    return (await this.runPartitions('principals', runId)).map(
      (row) => pick(row, ['objectId', 'tenantId', 'upn', 'lastNonMfaRequestDateTime']) as unknown as NonMfaPrincipal,
    );
  }

  async registrationCountsOfRun(runId: string): Promise<(RegistrationCounts & { fallbackReason: string | null }) | null> {
    const row = await this.point('registrations', fixedPartitions.registrations, runId);
    if (row === null) return null;
    return {
      report: row.report as RegistrationCounts['report'],
      totalUserCount: numberOrNull(row.totalUserCount),
      mfaRegisteredUserCount: numberOrNull(row.mfaRegisteredUserCount),
      countsByStatus: JSON.parse(String(row.countsByStatus ?? '{}')) as Record<string, number>,
      fallbackReason: typeof row.fallbackReason === 'string' ? row.fallbackReason : null,
    };
  }

  private async partition(name: FixedTableName, partitionKey: string): Promise<TableEntityResult<Row>[]> {
    const table = await this.tables.client(name);
    const rows: TableEntityResult<Row>[] = [];
    for await (const entity of table.listEntities<Row>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })) rows.push(entity);
    return rows;
  }

  /** Every bucket of one run, in bucket order: one partition query per bucket table, side by side. */
  private async runPartitions(name: BucketedTableName, runId: string): Promise<TableEntityResult<Row>[]> {
    const perBucket = await Promise.all(
      buckets.map(async (bucket) => {
        const table = this.tables.bucketReader(name, bucket);
        const rows: TableEntityResult<Row>[] = [];
        await readBucketTable(async () => {
          for await (const entity of table.listEntities<Row>({ queryOptions: { filter: odata`PartitionKey eq ${runId}` } })) rows.push(entity);
        });
        return rows;
      }),
    );
    return perBucket.flat();
  }

  private async point(name: FixedTableName, partitionKey: string, rowKey: string): Promise<TableEntityResult<Row> | null> {
    const table = await this.tables.client(name);
    try {
      return await table.getEntity<Row>(partitionKey, rowKey);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

function pick(row: Row, fields: string[]): Row {
  return Object.fromEntries(fields.map((field) => [field, row[field] ?? null]));
}

function toRun(row: Row): SnapshotRun {
  return {
    source: row.source as SnapshotSource,
    runId: requiredText('runs', row, 'runId'),
    status: requiredText('runs', row, 'status') as SnapshotRun['status'],
    startedAt: requiredText('runs', row, 'startedAt'),
    finishedAt: typeof row.finishedAt === 'string' ? row.finishedAt : null,
    counts: jsonField<SnapshotRunCounts>('runs', row, 'counts', {}),
    errorCode: typeof row.errorCode === 'string' ? row.errorCode : null,
    errorMessage: typeof row.errorMessage === 'string' ? row.errorMessage : null,
    warnings: jsonField<string[]>('runs', row, 'warnings', []),
  };
}

/** The stored fields of a customer insight, also the `$select` of reads that want nothing else. */
export const customerFieldNames: (keyof CustomerMfaInsight)[] = [
  'tenantId',
  'compliantAdminsCount',
  'compliantNonAdminsCount',
  'totalUsersCount',
  'securityDefaultsStatus',
  'mfaConditionalAccessPolicyStatus',
  'legacyPerUserMfaStatus',
];

/** A stored row (or history point) as an insight: one object literal, as it is built for every row read. */
export function toCustomer(row: Row): CustomerMfaInsight {
  return {
    tenantId: String(row.tenantId),
    compliantAdminsCount: (row.compliantAdminsCount ?? null) as CustomerMfaInsight['compliantAdminsCount'],
    compliantNonAdminsCount: (row.compliantNonAdminsCount ?? null) as CustomerMfaInsight['compliantNonAdminsCount'],
    totalUsersCount: (row.totalUsersCount ?? null) as CustomerMfaInsight['totalUsersCount'],
    securityDefaultsStatus: (row.securityDefaultsStatus ?? null) as CustomerMfaInsight['securityDefaultsStatus'],
    mfaConditionalAccessPolicyStatus: (row.mfaConditionalAccessPolicyStatus ?? null) as CustomerMfaInsight['mfaConditionalAccessPolicyStatus'],
    legacyPerUserMfaStatus: (row.legacyPerUserMfaStatus ?? null) as CustomerMfaInsight['legacyPerUserMfaStatus'],
  };
}

const requirementFieldNames: (keyof SecurityRequirement)[] = [
  'requirementType', 'kind', 'odataType', 'id', 'complianceStatus', 'state', 'score', 'maxScore', 'actionUrl', 'helpUrl',
  'updatedDateTime', 'totalTenantCount', 'compliantTenantCount', 'totalAdminsCount', 'adminsRequiredNotUsingMfaCount',
  'mfaEnabledAdminsCount', 'totalUsersCount', 'usersRequiredNotUsingMfaCount', 'mfaEnabledUsersCount', 'compliantUsersCount',
  'incompleteRegistrationUsersCount', 'totalCustomersCount', 'customersWithSpendBudgetCount', 'averageResponseTimeInHours',
  'securityDefaultsStatus', 'mfaConditionalAccessPolicyStatus', 'perUserMfaStatus',
];

export function toRequirement(row: Row): SecurityRequirement {
  return pick(row, requirementFieldNames) as unknown as SecurityRequirement;
}
