import type { TableEntity } from '@azure/data-tables';
import type { CustomerChange } from '../core/customerChanges';
import { customerMeasureNames, readMeasures, type CustomerMeasure, type CustomerMfaInsight } from '../core/model';
import { customerChangeKey, customerHistoryKey, customerKey } from './tableLayout';
import { jsonField, requiredText, type StoredRow } from './unreadableRows';

type Row = Record<string, unknown>;

/**
 * The rows of the customers' state, one typed shape and one mapper pair per table. A state's
 * measures are stored as the measure table names them; a null (unknown) measure is left out, as
 * Azure Tables stores no nulls. Rows written before `measuresVersion` existed read as version 1.
 */
type StoredMeasures = Partial<Record<CustomerMeasure, number | string>>;

/** A customer as the Customers table holds it: its state (null: gone) and the run that first saw that state. */
export interface CurrentCustomer {
  tenantId: string;
  state: CustomerMfaInsight | null;
  sinceRunId: string;
  /** The version of the measure table the state was recorded with. */
  version: number;
}

/** A Customers row: one per tenant, the state of the newest applied run, or a tombstone (`gone`). */
type CustomerRow = StoredMeasures & { tenantId: string; runId: string; measuresVersion: number; gone?: true };

/** A CustomerChanges row: one change point of a run, with the state before it (as JSON). */
type ChangeRow = {
  tenantId: string;
  before?: string;
  beforeRunId?: string;
  beforeVersion: number;
  after?: string;
};

/** A CustomerHistory row: a customer's change point of a complete run (as JSON), or the run it was gone from. */
type HistoryRow = { tenantId: string; runId: string } & ({ point: string } | { gone: true });

/** The rows as read back: every field unknown until narrowed. */
export type StoredCustomerRow = StoredRow<CustomerRow>;
type StoredChangeRow = StoredRow<ChangeRow>;
type StoredHistoryRow = StoredRow<{ tenantId: string; runId: string; point: string; gone: true }>;

function measuresOf(state: CustomerMfaInsight): StoredMeasures {
  return Object.fromEntries(customerMeasureNames.flatMap((name) => (state[name] === null ? [] : [[name, state[name]]])));
}

function stateOf(tenantId: string, stored: StoredRow<StoredMeasures>): CustomerMfaInsight {
  return readMeasures(tenantId, (name, kind) => {
    const value = stored[name];
    if (kind === 'count') return typeof value === 'number' ? value : null;
    return typeof value === 'string' ? value : null;
  });
}

function versionOf(value: unknown): number {
  return typeof value === 'number' ? value : 1;
}

function jsonState(table: string, row: StoredChangeRow, field: 'before' | 'after', tenantId: string): CustomerMfaInsight | null {
  const stored = jsonField<Row | null>(table, row, field, null);
  return stored === null ? null : stateOf(tenantId, stored);
}

export const customerRow = {
  /** The properties a page of current customers selects. */
  select: ['tenantId', 'runId', 'gone', 'measuresVersion', ...customerMeasureNames],
  to(customer: CurrentCustomer): TableEntity<CustomerRow> {
    const state = customer.state === null ? { gone: true as const } : measuresOf(customer.state);
    return { ...customerKey(customer.tenantId), tenantId: customer.tenantId, runId: customer.sinceRunId, measuresVersion: customer.version, ...state };
  },
  from(row: StoredCustomerRow): CurrentCustomer {
    const tenantId = requiredText('customers', row, 'tenantId');
    return { tenantId, sinceRunId: requiredText('customers', row, 'runId'), state: row.gone === true ? null : stateOf(tenantId, row), version: versionOf(row.measuresVersion) };
  },
};

export const changeRow = {
  to(runId: string, change: CustomerChange): TableEntity<ChangeRow> {
    return {
      ...customerChangeKey(runId, change.tenantId),
      tenantId: change.tenantId,
      beforeVersion: change.beforeVersion,
      ...(change.before === null ? {} : { before: JSON.stringify(measuresOf(change.before)) }),
      ...(change.beforeRunId === null ? {} : { beforeRunId: change.beforeRunId }),
      ...(change.after === null ? {} : { after: JSON.stringify(measuresOf(change.after)) }),
    };
  },
  from(row: StoredChangeRow): CustomerChange {
    const tenantId = requiredText('customerChanges', row, 'tenantId');
    return {
      tenantId,
      before: jsonState('customerChanges', row, 'before', tenantId),
      beforeRunId: typeof row.beforeRunId === 'string' ? row.beforeRunId : null,
      beforeVersion: versionOf(row.beforeVersion),
      after: jsonState('customerChanges', row, 'after', tenantId),
    };
  },
};

export const historyRow = {
  select: ['tenantId', 'runId', 'point', 'gone'],
  to(runId: string, change: CustomerChange): TableEntity<HistoryRow> {
    const point = change.after === null ? { gone: true as const } : { point: JSON.stringify(measuresOf(change.after)) };
    return { ...customerHistoryKey(change.tenantId, runId), tenantId: change.tenantId, runId, ...point };
  },
  from(row: StoredHistoryRow): { runId: string; value: CustomerMfaInsight | null } {
    const tenantId = requiredText('customerHistory', row, 'tenantId');
    return { runId: requiredText('customerHistory', row, 'runId'), value: row.gone === true ? null : stateOf(tenantId, jsonField<Row>('customerHistory', row, 'point', {})) };
  },
};
