import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { TableClient } from '@azure/data-tables';
import type { StorageConfig } from '../config';
import { MonitorError } from '../core/errors';
import { attemptTimeoutOptions, defaultAzureRequestTimeoutMs } from './attemptTimeout';
import { describeStorageError, isTableNotFound, missingTable, storageStatus } from './storageErrors';
import { tableNames, type TableName } from './tableLayout';

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

/**
 * The table clients for a prefix. The tables themselves are the deployment's: the app never
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

  /** The client of one of the monitor's tables, as a promise for the callers that await it (nothing is created or checked first). */
  client(name: TableName): Promise<TableClient> {
    return Promise.resolve(this.clientFor(name));
  }

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
}
