import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { TableClient, type TableEntity, type TableEntityQueryOptions, type TableEntityResult } from '@azure/data-tables';
import type { StorageConfig } from '../config';
import { MonitorError } from '../core/errors';
import type { UnreadableRowSink } from '../ports/queryReader';
import { attemptTimeoutOptions, defaultAzureRequestTimeoutMs } from './attemptTimeout';
import { readUntil } from './keyRangePage';
import { describeStorageError, isTableNotFound, missingTable, storageStatus, unlessRefused } from './storageErrors';
import { tableNames, type RowKeys, type TableName } from './tableLayout';
import { readRow } from './unreadableRows';

/**
 * Names the table in what a call can fail with, after the SDK's retries (it sits outside them):
 * the service's 404 TableNotFound becomes `missingTable`, and no answer at all (every attempt
 * timed out or the connection failed) StorageUnavailable. Answers the adapters act on (404 of a
 * row, 409, 412) pass as they are. A batch's failure is translated where it is submitted.
 */
function tableErrorPolicy(tableName: string): PipelinePolicy {
  return {
    name: 'tableErrorPolicy',
    async sendRequest(request, next) {
      try {
        return await next(request);
      } catch (error) {
        if (isTableNotFound(error)) throw missingTable(tableName, error);
        if (storageStatus(error) === undefined && !(error instanceof MonitorError) && !(error instanceof Error && error.name === 'AbortError')) {
          throw new MonitorError('StorageUnavailable', `Table Storage did not answer a request to table ${tableName}: ${describeStorageError(error)} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
        }
        throw error;
      }
    },
  };
}

/** What a stored row of entity R is read into (the typed mapper of its table). */
type RowReader<R extends object, T> = (row: TableEntityResult<R>) => T;

/** At most `top` rows; an unreadable row is skipped and told to `onUnreadable` when given (see readRow). */
type RowsOptions = { top?: number; onUnreadable?: UnreadableRowSink };

/**
 * The table clients for a prefix, and the reads every store makes through them (each row through
 * readRow, a missing row as null). The tables themselves are the deployment's: the app never
 * creates one (its role is scoped to the tables, not the account), and a missing one fails the
 * call with TableMissing naming it.
 */
export class Tables {
  private readonly clients = new Map<string, TableClient>();

  constructor(
    private readonly config: StorageConfig,
    private readonly credential: () => TokenCredential,
    private readonly requestTimeoutMs: number = defaultAzureRequestTimeoutMs,
  ) {}

  /** The client of one of the monitor's tables, built once per process. */
  clientFor(name: TableName): TableClient {
    let client = this.clients.get(name);
    if (!client) {
      const tableName = `${this.config.tablePrefix}${tableNames[name]}`;
      const timeout = attemptTimeoutOptions(this.requestTimeoutMs);
      const options = { ...timeout, additionalPolicies: [...timeout.additionalPolicies, { policy: tableErrorPolicy(tableName), position: 'perCall' as const }] };
      client =
        this.config.connectionString !== null
          ? TableClient.fromConnectionString(this.config.connectionString, tableName, {
              allowInsecureConnection: /TableEndpoint\s*=\s*http:/i.test(this.config.connectionString),
              ...options,
            })
          : new TableClient(this.config.endpoint ?? '', tableName, this.credential(), options);
      this.clients.set(name, client);
    }
    return client;
  }

  /**
   * The rows `query` matches in key order, at most `top`, each read by `convert` (null: a row the
   * read leaves out). An unreadable row fails the read, unless `onUnreadable` takes it (see readRow).
   */
  async rows<R extends object, T>(name: TableName, query: TableEntityQueryOptions, convert: RowReader<R, T | null>, options: RowsOptions = {}): Promise<T[]> {
    const top = options.top ?? Infinity;
    const found: T[] = [];
    // A service page holds at most 1,000 rows (Query Timeout and Pagination): ask for no more than wanted.
    await readUntil<R>(this.clientFor(name), query, Math.min(top, 1000), (row) => {
      const item = readRow(name, row, convert, options.onUnreadable);
      if (item !== undefined && item !== null) found.push(item);
      return found.length >= top;
    });
    return found;
  }

  /** The keys of the rows `filter` matches: what a delete needs, and nothing else is read. */
  keys(name: TableName, filter: string): Promise<RowKeys[]> {
    return this.rows(name, { filter, select: ['PartitionKey', 'RowKey'] }, (row) => ({ partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '' }));
  }

  /** One row read by `convert` (an unreadable one fails the read), or null when there is none. */
  async point<R extends object, T>(name: TableName, key: RowKeys, convert: RowReader<R, T>, select?: string[]): Promise<T | null> {
    const query = select === undefined ? {} : { queryOptions: { select } };
    const row = await unlessRefused(this.clientFor(name).getEntity<R>(key.partitionKey, key.rowKey, query), 404);
    return row === null ? null : readRow(name, row, convert);
  }

  /** Replaces a row only if it is still the version `value` was read as (its ETag); null when it changed since. */
  async replaceIfUnchanged<T extends { etag: string }>(name: TableName, row: TableEntity, value: T): Promise<T | null> {
    const response = await unlessRefused(this.clientFor(name).updateEntity(row, 'Replace', { etag: value.etag }), 412);
    return response === null ? null : { ...value, etag: response.etag ?? '' };
  }
}
