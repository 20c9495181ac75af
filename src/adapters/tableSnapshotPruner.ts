import { ConcurrencyLimit } from '../core/concurrencyLimit';
import type { SnapshotRun } from '../core/snapshotRun';
import type { SnapshotPruner } from '../ports';
import { deleteRows } from './batchWriter';
import { fixedPartitions, inPartitions, inRowRange, requirementRange, runPartitionRange, type RowKeys, type TableName } from './tableLayout';
import { TableSnapshotReader } from './tableSnapshotStore';

/**
 * Deletes old snapshot runs through the store's key design, never a table scan, in transactions
 * of up to 100 rows of one partition. What a run leaves in the customers' state is the customer
 * state's to prune (it knows which change points a later read still needs); a run's
 * requirements, score, principals and registration counts go with it, its ledger row last.
 */
export class TableSnapshotPruner extends TableSnapshotReader implements SnapshotPruner {
  private readonly limit = new ConcurrencyLimit(8);

  async deleteRun(run: SnapshotRun, signal?: AbortSignal): Promise<number> {
    const { runId } = run;
    let deleted = 0;
    if (run.source === 'partnerSecurity') {
      deleted += await this.customers.prune(run, signal);
      deleted += await this.delete('requirements', await this.tables.keys('requirements', inRowRange(requirementRange(runId))), signal);
      deleted += await this.delete('scores', [{ partitionKey: fixedPartitions.scores, rowKey: runId }], signal);
    } else if (run.source === 'nonMfaPrincipals') {
      deleted += await this.delete('principals', await this.tables.keys('principals', inPartitions(runPartitionRange(runId))), signal);
    } else if (run.source === 'customerAdmins') {
      // Its results, manifest and throttle notes: every partition whose key starts with the run id.
      deleted += await this.delete('adminScans', await this.tables.keys('adminScans', inPartitions({ from: `${runId}_`, to: `${runId}_~` })), signal);
    } else {
      deleted += await this.delete('registrations', [{ partitionKey: fixedPartitions.registrations, rowKey: runId }], signal);
    }
    // The ledger row last: until it goes, the run is listed and the next prune finishes it.
    return deleted + (await this.delete('runs', [{ partitionKey: run.source, rowKey: runId }], signal));
  }

  private async delete(name: TableName, keys: readonly RowKeys[], signal: AbortSignal | undefined): Promise<number> {
    return keys.length === 0 ? 0 : deleteRows(this.tables.clientFor(name), keys, this.limit, signal);
  }
}
