import { odata } from '@azure/data-tables';
import { ConcurrencyLimit } from '../core/concurrencyLimit';
import type { SnapshotSource } from '../core/model';
import type { SnapshotRun } from '../core/snapshotRun';
import type { SnapshotPruner } from '../ports';
import { deleteRows } from './batchWriter';
import { TableCustomerState } from './tableCustomerState';
import { fixedPartitions, runPartitionRange, type TableName } from './tableLayout';
import { TableSnapshotReader } from './tableSnapshotStore';
import type { Tables } from './tables';

type Key = { partitionKey: string; rowKey: string };

/**
 * Deletes old snapshot runs through the store's key design, never a table scan, in transactions
 * of up to 100 rows of one partition. What a run leaves in the customers' state is the customer
 * state's to prune (it knows which change points a later read still needs); a run's
 * requirements, score, principals and registration counts go with it, its ledger row last.
 */
export class TableSnapshotPruner implements SnapshotPruner {
  private readonly reader: TableSnapshotReader;
  private readonly customers: TableCustomerState;
  private readonly limit: ConcurrencyLimit;

  constructor(
    private readonly tables: Tables,
    options: { maxTransactionsInFlight: number } = { maxTransactionsInFlight: 8 },
  ) {
    this.reader = new TableSnapshotReader(tables);
    this.customers = new TableCustomerState(tables, options);
    this.limit = new ConcurrencyLimit(options.maxTransactionsInFlight);
  }

  listRuns(source: SnapshotSource, options: { to: Date }): Promise<SnapshotRun[]> {
    return this.reader.listRuns(source, options);
  }

  latestCompleteRun(source: SnapshotSource): Promise<SnapshotRun | null> {
    return this.reader.latestCompleteRun(source);
  }

  async deleteRun(run: SnapshotRun, signal?: AbortSignal): Promise<number> {
    const { runId } = run;
    let deleted = 0;
    if (run.source === 'partnerSecurity') {
      deleted += await this.customers.prune(run, signal);
      const requirements = await this.keys('requirements', odata`PartitionKey eq ${fixedPartitions.requirements} and RowKey gt ${`${runId}_`} and RowKey lt ${`${runId}_~`}`);
      deleted += await this.delete('requirements', requirements, signal);
      deleted += await this.delete('scores', [{ partitionKey: fixedPartitions.scores, rowKey: runId }], signal);
    } else if (run.source === 'nonMfaPrincipals') {
      const { from, to } = runPartitionRange(runId);
      deleted += await this.delete('principals', await this.keys('principals', odata`PartitionKey ge ${from} and PartitionKey le ${to}`), signal);
    } else {
      deleted += await this.delete('registrations', [{ partitionKey: fixedPartitions.registrations, rowKey: runId }], signal);
    }
    // The ledger row last: until it goes, the run is listed and the next prune finishes it.
    return deleted + (await this.delete('runs', [{ partitionKey: run.source, rowKey: runId }], signal));
  }

  private async keys(name: TableName, filter: string): Promise<Key[]> {
    const found: Key[] = [];
    for await (const entity of (await this.tables.client(name)).listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      found.push({ partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
    }
    return found;
  }

  private async delete(name: TableName, keys: readonly Key[], signal: AbortSignal | undefined): Promise<number> {
    return keys.length === 0 ? 0 : deleteRows(await this.tables.client(name), keys, this.limit, signal);
  }
}
