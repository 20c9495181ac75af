import { odata, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { findingKinds, severities } from '../core/findings';
import { isOneOf } from '../core/text';
import type { FailingTicketStep, TicketStanding } from '../core/ticketStanding';
import { psaNames, type CompanyMatch, type PendingTicketStep, type PsaName, type TicketRecord } from '../core/tickets';
import type { PsaRunRecord, TicketStore } from '../ports/psa';
import { unlessRefused } from './storageErrors';
import { fixedPartitions, ticketKey } from './tableLayout';
import type { Tables } from './tables';
import { jsonField, jsonObject, oneOf, optionalNumber, optionalText, requiredText, type StoredRow } from './unreadableRows';

/**
 * The Tickets table (see tableLayout.ticketKey): one row per PSA and ticket group, created only
 * by insert (a second run's create is refused, 409) and changed only with the ETag it was read
 * with (412 for a stale one), so two runs can never both take a step; and one row per PSA with its last run.
 */

/** A record's row: the record, with the company, the pending step and the lines as JSON, and absent values as ''. */
type TicketEntity = Omit<TicketRecord, 'etag' | 'company' | 'pending' | 'lines' | 'ticketId' | 'tenantId' | 'closedAt' | 'lastError' | 'lastErrorCode'> & {
  ticketId: string;
  tenantId: string;
  closedAt: string;
  lastError: string;
  lastErrorCode: string;
  company: string;
  pending: string;
  lines: string;
};

/** A PSA's last run: the counts as numbers, the failing steps and mapping gaps as JSON. */
type RunEntity = Omit<PsaRunRecord, 'failureCode' | 'failure' | 'failing' | 'mappingGaps'> & { failureCode: string; failure: string; failing: string; mappingGaps: string };

const table = 'tickets';

function toRow(record: Omit<TicketRecord, 'etag'>): TableEntity<TicketEntity> {
  return {
    ...ticketKey(record.psa, record.groupKey),
    psa: record.psa,
    groupKey: record.groupKey,
    tenantId: record.tenantId ?? '',
    kind: record.kind,
    severity: record.severity,
    reference: record.reference,
    ticketId: record.ticketId ?? '',
    state: record.state,
    company: record.company === null ? '' : JSON.stringify(record.company),
    lines: JSON.stringify(record.lines),
    pending: record.pending === null ? '' : JSON.stringify(record.pending),
    notes: record.notes,
    openedAt: record.openedAt,
    closedAt: record.closedAt ?? '',
    updatedAt: record.updatedAt,
    attempts: record.attempts,
    lastError: record.lastError ?? '',
    lastErrorCode: record.lastErrorCode ?? '',
  };
}

function fromRow(row: TableEntityResult<StoredRow<TicketEntity>>): TicketRecord {
  const text = (field: keyof TicketEntity): string | null => optionalText(row, field) || null;
  const lines = jsonField<unknown>(table, row, 'lines', []);
  return {
    psa: oneOf(table, row, 'psa', psaNames),
    groupKey: requiredText(table, row, 'groupKey'),
    tenantId: text('tenantId'),
    kind: oneOf(table, row, 'kind', findingKinds),
    severity: oneOf(table, row, 'severity', severities),
    reference: requiredText(table, row, 'reference'),
    ticketId: text('ticketId'),
    state: oneOf(table, row, 'state', ['creating', 'open', 'closed'] as const),
    company: text('company') === null ? null : jsonObject(table, row, 'company', companyOf),
    lines: Array.isArray(lines) ? lines.filter((line): line is string => typeof line === 'string') : [],
    pending: text('pending') === null ? null : jsonObject(table, row, 'pending', pendingOf),
    notes: optionalNumber(row, 'notes') ?? 0,
    openedAt: requiredText(table, row, 'openedAt'),
    closedAt: text('closedAt'),
    updatedAt: requiredText(table, row, 'updatedAt'),
    attempts: optionalNumber(row, 'attempts') ?? 0,
    lastError: text('lastError'),
    lastErrorCode: text('lastErrorCode'),
    etag: row.etag,
  };
}

function companyOf(value: Readonly<Record<string, unknown>>): CompanyMatch {
  return {
    companyId: requiredText(table, value, 'companyId'),
    companyName: optionalText(value, 'companyName'),
    matchedBy: oneOf(table, value, 'matchedBy', ['mapping', 'domain', 'name', 'fallback', 'partner'] as const),
  };
}

function pendingOf(value: Readonly<Record<string, unknown>>): PendingTicketStep {
  const lines: unknown = value.lines;
  return {
    step: oneOf(table, value, 'step', ['note', 'close', 'reopen'] as const),
    noteReference: requiredText(table, value, 'noteReference'),
    lines: Array.isArray(lines) ? lines.filter((line): line is string => typeof line === 'string') : [],
  };
}

function runToRow(run: PsaRunRecord): TableEntity<RunEntity> {
  return {
    partitionKey: fixedPartitions.ticketRuns,
    rowKey: run.psa,
    ...run,
    failureCode: run.failureCode ?? '',
    failure: run.failure ?? '',
    failing: JSON.stringify(run.failing),
    mappingGaps: JSON.stringify(run.mappingGaps),
  };
}

function runFromRow(row: TableEntityResult<StoredRow<RunEntity>>): PsaRunRecord | null {
  const psa = optionalText(row, 'psa');
  // A PSA this version does not know (a row of a later one) is left out, not a failure of the status.
  if (psa === null || !isOneOf(psaNames, psa)) return null;
  const count = (field: keyof RunEntity) => optionalNumber(row, field) ?? 0;
  return {
    psa,
    finishedAt: requiredText(table, row, 'finishedAt'),
    heldBack: count('heldBack'),
    steps: count('steps'),
    done: count('done'),
    requests: count('requests'),
    failureCode: optionalText(row, 'failureCode') || null,
    failure: optionalText(row, 'failure') || null,
    openTickets: count('openTickets'),
    creating: count('creating'),
    // Written by this adapter from the types it names: read back as they were written.
    failing: jsonField<FailingTicketStep[]>(table, row, 'failing', []),
    failingCount: count('failingCount'),
    mappingGaps: jsonField<TicketStanding['mappingGaps']>(table, row, 'mappingGaps', []),
    mappingGapCount: count('mappingGapCount'),
  };
}

export class TableTicketStore implements TicketStore {
  constructor(private readonly tables: Tables) {}

  list(psa: PsaName): Promise<TicketRecord[]> {
    return this.tables.rows(table, { filter: odata`PartitionKey eq ${psa}` }, fromRow);
  }

  async create(record: Omit<TicketRecord, 'etag'>): Promise<TicketRecord | null> {
    const response = await unlessRefused(this.tables.clientFor(table).createEntity(toRow(record)), 409);
    return response === null ? null : { ...record, etag: response.etag ?? '' };
  }

  update(record: TicketRecord): Promise<TicketRecord | null> {
    return this.tables.replaceIfUnchanged(table, toRow(record), record);
  }

  async recordRun(run: PsaRunRecord): Promise<void> {
    await this.tables.clientFor(table).upsertEntity(runToRow(run), 'Replace');
  }

  lastRuns(): Promise<PsaRunRecord[]> {
    return this.tables.rows(table, { filter: odata`PartitionKey eq ${fixedPartitions.ticketRuns}` }, runFromRow);
  }
}

