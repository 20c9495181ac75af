import { odata, type TableClient } from '@azure/data-tables';
import { countOpenFindings, findingChanges, findingKinds, findingStates, severities, subjectTypes, type MeasureValue, type OpenFindingCounts, type ShareOfWhole, type StoredFinding } from '../core/findings';
import type { Delivery, DetectorCompletion, DetectorRun, DetectorState, DetectorStore, OutboxMessage, RecordedFindings } from '../ports';
import { snapshotSources } from '../core/model';
import { isPlainObject } from '../core/payloadReader';
import { fromTableKey, toTableKey } from './tableKey';
import { BatchWriter } from './batchWriter';
import { storageStatus } from './storageErrors';
import { fixedPartitions } from './tableLayout';
import type { Tables } from './tables';
import { jsonField, oneOf, optionalText, readRow, requiredText, type UnreadableRowHandler } from './unreadableRows';

/*
 * One entity type per kind of row, as the monitor writes it (an absent field is a null), and one
 * toRow/fromRow pair for each: fromRow checks what it narrows, since a row may have been edited by hand.
 */

type Keys = { partitionKey: string; rowKey: string };

/** A finding (Findings table, row key = its key). JSON keeps a measure's type: a status string and a count must not read back alike. */
export type FindingEntity = Keys & {
  kind: string; severity: string; subjectType: string; subjectId: string; subjectName?: string; measure: string; state: string;
  baseline: string; current: string; baselineOfWhole?: string; currentOfWhole?: string; openedAt: string; resolvedAt?: string; event: boolean;
  detail?: string; actionUrl?: string; helpUrl?: string; pendingChange?: string; announcedIn?: string; announcedChange?: string; silencedChange?: string;
};

/** An outbox message (Outbox table, outbox partition, row key = its id, oldest first). */
type MessageEntity = Keys & { messageId: string; status: string; createdAt: string; reminder: boolean; subject: string; lastError?: string; sentAt?: string };

/** A message's delivery to one target (Outbox table, delivery partition, row key `<messageId>~<target>`). */
type DeliveryEntity = Keys & {
  messageId: string; target: string; status: string; operationId: string; createdAt: string; attempts: number; refusals: number;
  firstAttemptAt?: string; lastError?: string; lastErrorCode?: string; sentAt?: string;
};

/** The Detector table's rows: its last run, its last completed run, and what it last compared. */
type LastRunEntity = Keys & { startedAt: string; finishedAt?: string; status: string; errorCode?: string };
type CompletionEntity = Keys & { startedAt: string; finishedAt: string };
type StateEntity = Keys & { lastSeen: string; lastEmailAt?: string; openFindings?: string };

const detectorRowKeys = { lastRun: 'lastRun', completed: 'completed', state: 'state' } as const;
const runStatuses: readonly DetectorRun['status'][] = ['running', 'complete', 'failed'];
const messageStatuses: readonly OutboxMessage['status'][] = ['composing', 'ready', 'sent', 'abandoned'];
const deliveryStatuses: readonly Delivery['status'][] = ['ready', 'sending', 'sent', 'abandoned'];

/**
 * The detector's own state in Table Storage: findings (one partition, key = finding key),
 * the outbox (one partition of messages, oldest first, and one of their deliveries per target),
 * a state row, and the last run and last completed run for the status (its lease is in the Runs
 * table, beside the collectors'). Outbox updates are ETag-conditional, so two runs can never both
 * claim one message or one delivery.
 */
export class TableDetectorStore implements DetectorStore, RecordedFindings {
  constructor(private readonly tables: Tables) {}

  async recordRun(run: DetectorRun): Promise<void> {
    await this.tables.clientFor('detector').upsertEntity<LastRunEntity>(lastRunToRow(run), 'Replace');
  }

  async lastRun(): Promise<DetectorRun | null> {
    const row = await pointRead<LastRunEntity>(this.tables.clientFor('detector'), fixedPartitions.detector, detectorRowKeys.lastRun);
    return row === null ? null : readRow('detector', row, lastRunFromRow);
  }

  async recordCompletedRun(completion: DetectorCompletion): Promise<void> {
    await this.tables.clientFor('detector').upsertEntity<CompletionEntity>(completionToRow(completion), 'Replace');
  }

  async lastCompletedRun(): Promise<DetectorCompletion | null> {
    const row = await pointRead<CompletionEntity>(this.tables.clientFor('detector'), fixedPartitions.detector, detectorRowKeys.completed);
    return row === null ? null : readRow('detector', row, completionFromRow);
  }

  async readState(): Promise<DetectorState> {
    const row = await pointRead<StateEntity>(this.tables.clientFor('detector'), fixedPartitions.detector, detectorRowKeys.state);
    return row === null ? { lastSeen: {}, lastEmailAt: null, openFindings: null } : readRow('detector', row, stateFromRow);
  }

  async writeState(state: DetectorState): Promise<void> {
    await this.tables.clientFor('detector').upsertEntity<StateEntity>(stateToRow(state), 'Replace');
  }

  /** Every finding; a row that cannot be read fails the read, unless `onUnreadable` takes it (then it is skipped). */
  async readFindings(onUnreadable?: UnreadableRowHandler): Promise<StoredFinding[]> {
    const findings: StoredFinding[] = [];
    const rows = this.tables.clientFor('findings').listEntities<FindingEntity>({ queryOptions: { filter: odata`PartitionKey eq ${fixedPartitions.findings}` } });
    for await (const row of rows) {
      const finding = readRow('findings', row, findingFromRow, onUnreadable);
      if (finding !== undefined) findings.push(finding);
    }
    return findings;
  }

  /** One point read: a finding's row key is its key. */
  async hasFinding(key: string): Promise<boolean> {
    return (await pointRead(this.tables.clientFor('findings'), fixedPartitions.findings, toTableKey(key), ['state'])) !== null;
  }

  async hasRequirementFinding(requirementType: string): Promise<boolean> {
    const filter = odata`PartitionKey eq ${fixedPartitions.findings} and subjectType eq ${'requirement'} and subjectId eq ${requirementType}`;
    for await (const _row of this.tables.clientFor('findings').listEntities({ queryOptions: { filter, select: ['subjectId'] } })) return true;
    return false;
  }

  async writeFindings(findings: readonly StoredFinding[]): Promise<void> {
    const table = this.tables.clientFor('findings');
    const writer = new BatchWriter(4);
    for (const finding of findings) await writer.upsert(table, findingToRow(finding));
    await writer.flush();
  }

  /** Messages not yet sent or abandoned, oldest first; a row that cannot be read fails the read, unless `onUnreadable` takes it. */
  async unsentMessages(onUnreadable?: UnreadableRowHandler): Promise<OutboxMessage[]> {
    const filter = odata`PartitionKey eq ${fixedPartitions.outbox} and status ne ${'sent'} and status ne ${'abandoned'}`;
    const messages: OutboxMessage[] = [];
    for await (const row of this.tables.clientFor('outbox').listEntities<MessageEntity>({ queryOptions: { filter } })) {
      const message = readRow('outbox', row, (read) => messageFromRow(read, row.etag), onUnreadable);
      if (message !== undefined) messages.push(message);
    }
    return messages;
  }

  async createMessage(message: Omit<OutboxMessage, 'etag'>): Promise<OutboxMessage> {
    const response = await this.tables.clientFor('outbox').createEntity<MessageEntity>(messageToRow(message));
    return { ...message, etag: response.etag ?? '' };
  }

  async updateMessage(message: OutboxMessage): Promise<OutboxMessage | null> {
    return conditionalReplace(this.tables.clientFor('outbox'), messageToRow(message), message);
  }

  async unsentDeliveries(): Promise<Delivery[]> {
    return this.deliveries(odata`PartitionKey eq ${fixedPartitions.deliveries} and status ne ${'sent'} and status ne ${'abandoned'}`);
  }

  async deliveriesOf(messageId: string): Promise<Delivery[]> {
    // `~` sorts after every character of a target id: the message's rows are this key range.
    return this.deliveries(odata`PartitionKey eq ${fixedPartitions.deliveries} and RowKey gt ${`${messageId}~`} and RowKey lt ${`${messageId}~~`}`);
  }

  async createDeliveries(deliveries: readonly Omit<Delivery, 'etag'>[]): Promise<void> {
    const table = this.tables.clientFor('outbox');
    for (const delivery of deliveries) {
      try {
        await table.createEntity<DeliveryEntity>(deliveryToRow(delivery));
      } catch (error) {
        if (storageStatus(error) !== 409) throw error;
      }
    }
  }

  async updateDelivery(delivery: Delivery): Promise<Delivery | null> {
    return conditionalReplace(this.tables.clientFor('outbox'), deliveryToRow(delivery), delivery);
  }

  private async deliveries(filter: string): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    for await (const row of this.tables.clientFor('outbox').listEntities<DeliveryEntity>({ queryOptions: { filter } })) deliveries.push(readRow('outbox', row, (read) => deliveryFromRow(read, row.etag)));
    return deliveries;
  }
}

/** One row, or null when there is none. */
async function pointRead<T extends object>(table: TableClient, partitionKey: string, rowKey: string, select?: string[]): Promise<T | null> {
  try {
    return await table.getEntity<T>(partitionKey, rowKey, select === undefined ? {} : { queryOptions: { select } });
  } catch (error) {
    if (storageStatus(error) === 404) return null;
    throw error;
  }
}

/** Replaces a row only if it is still the version read (its ETag); null when it changed since. */
async function conditionalReplace<R extends { partitionKey: string; rowKey: string }, T extends { etag: string }>(table: TableClient, row: R, value: T): Promise<T | null> {
  try {
    const response = await table.updateEntity<R>(row, 'Replace', { etag: value.etag });
    return { ...value, etag: response.etag ?? '' };
  } catch (error) {
    if (storageStatus(error) === 412) return null;
    throw error;
  }
}

function lastRunToRow(run: DetectorRun): LastRunEntity {
  return { partitionKey: fixedPartitions.detector, rowKey: detectorRowKeys.lastRun, startedAt: run.startedAt, finishedAt: run.finishedAt ?? undefined, status: run.status, errorCode: run.errorCode ?? undefined };
}

function lastRunFromRow(row: LastRunEntity): DetectorRun {
  return { startedAt: requiredText('detector', row, 'startedAt'), finishedAt: optionalText(row, 'finishedAt'), status: oneOf('detector', row, 'status', runStatuses), errorCode: optionalText(row, 'errorCode') };
}

function completionToRow(completion: DetectorCompletion): CompletionEntity {
  return { partitionKey: fixedPartitions.detector, rowKey: detectorRowKeys.completed, ...completion };
}

function completionFromRow(row: CompletionEntity): DetectorCompletion {
  return { startedAt: requiredText('detector', row, 'startedAt'), finishedAt: requiredText('detector', row, 'finishedAt') };
}

function stateToRow(state: DetectorState): StateEntity {
  return {
    partitionKey: fixedPartitions.detector,
    rowKey: detectorRowKeys.state,
    lastSeen: JSON.stringify(state.lastSeen),
    lastEmailAt: state.lastEmailAt ?? undefined,
    openFindings: state.openFindings === null ? undefined : JSON.stringify(state.openFindings),
  };
}

function stateFromRow(row: StateEntity): DetectorState {
  return { lastSeen: jsonField<DetectorState['lastSeen']>('detector', row, 'lastSeen', {}), lastEmailAt: optionalText(row, 'lastEmailAt'), openFindings: toOpenFindingCounts(row.openFindings) };
}

/** The summary the detector stored, or null when the row has none (written before summaries) or holds something else. */
function toOpenFindingCounts(stored: unknown): OpenFindingCounts | null {
  if (typeof stored !== 'string') return null;
  const counts = countOpenFindings([]);
  try {
    const parsed: unknown = JSON.parse(stored);
    for (const source of snapshotSources) {
      const count: unknown = isPlainObject(parsed) ? parsed[source] : null;
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return null;
      counts[source] = count;
    }
    return counts;
  } catch {
    return null;
  }
}

function messageToRow(message: Omit<OutboxMessage, 'etag'>): MessageEntity {
  return {
    partitionKey: fixedPartitions.outbox,
    rowKey: message.messageId,
    messageId: message.messageId,
    status: message.status,
    createdAt: message.createdAt,
    reminder: message.reminder,
    subject: message.subject.slice(0, 1000),
    lastError: message.lastError ?? undefined,
    sentAt: message.sentAt ?? undefined,
  };
}

function messageFromRow(row: MessageEntity, etag: string): OutboxMessage {
  return {
    messageId: requiredText('outbox', row, 'messageId'),
    status: oneOf('outbox', row, 'status', messageStatuses),
    createdAt: requiredText('outbox', row, 'createdAt'),
    reminder: row.reminder === true,
    subject: optionalText(row, 'subject') ?? '',
    lastError: optionalText(row, 'lastError'),
    sentAt: optionalText(row, 'sentAt'),
    etag,
  };
}

function deliveryToRow(delivery: Omit<Delivery, 'etag'>): DeliveryEntity {
  return {
    partitionKey: fixedPartitions.deliveries,
    rowKey: `${delivery.messageId}~${delivery.target}`,
    messageId: delivery.messageId,
    target: delivery.target,
    status: delivery.status,
    operationId: delivery.operationId,
    createdAt: delivery.createdAt,
    attempts: delivery.attempts,
    refusals: delivery.refusals,
    firstAttemptAt: delivery.firstAttemptAt ?? undefined,
    lastError: delivery.lastError?.slice(0, 1000),
    lastErrorCode: delivery.lastErrorCode ?? undefined,
    sentAt: delivery.sentAt ?? undefined,
  };
}

function deliveryFromRow(row: DeliveryEntity, etag: string): Delivery {
  const count = (value: unknown): number => (typeof value === 'number' ? value : 0);
  return {
    messageId: requiredText('outbox', row, 'messageId'),
    target: requiredText('outbox', row, 'target'),
    status: oneOf('outbox', row, 'status', deliveryStatuses),
    operationId: requiredText('outbox', row, 'operationId'),
    createdAt: requiredText('outbox', row, 'createdAt'),
    attempts: count(row.attempts),
    refusals: count(row.refusals),
    firstAttemptAt: optionalText(row, 'firstAttemptAt'),
    lastError: optionalText(row, 'lastError'),
    lastErrorCode: optionalText(row, 'lastErrorCode'),
    sentAt: optionalText(row, 'sentAt'),
    etag,
  };
}

export function findingToRow(finding: StoredFinding): FindingEntity {
  const whole = (value: ShareOfWhole | null | undefined) => (value ? JSON.stringify(value) : undefined);
  return {
    partitionKey: fixedPartitions.findings,
    rowKey: toTableKey(finding.key),
    kind: finding.kind,
    severity: finding.severity,
    subjectType: finding.subject.type,
    subjectId: finding.subject.id,
    subjectName: finding.subject.name ?? undefined,
    measure: finding.measure,
    state: finding.state,
    baseline: JSON.stringify(finding.baseline),
    current: JSON.stringify(finding.current),
    baselineOfWhole: whole(finding.baselineOfWhole),
    currentOfWhole: whole(finding.currentOfWhole),
    openedAt: finding.openedAt,
    resolvedAt: finding.resolvedAt ?? undefined,
    event: finding.event,
    detail: finding.detail ?? undefined,
    actionUrl: finding.actionUrl ?? undefined,
    helpUrl: finding.helpUrl ?? undefined,
    pendingChange: finding.pendingChange ?? undefined,
    announcedIn: finding.announcedIn ?? undefined,
    announcedChange: finding.announcedChange ?? undefined,
    silencedChange: finding.silencedChange ?? undefined,
  };
}

export function findingFromRow(row: FindingEntity): StoredFinding {
  const text = (field: keyof FindingEntity & string): string | null => optionalText(row, field);
  const required = (field: keyof FindingEntity & string): string => requiredText('findings', row, field);
  const change = <T extends string>(field: 'pendingChange' | 'announcedChange' | 'silencedChange', changes: readonly T[]) => (text(field) === null ? null : oneOf('findings', row, field, changes));
  return {
    key: fromTableKey(required('rowKey')),
    kind: oneOf('findings', row, 'kind', findingKinds),
    severity: oneOf('findings', row, 'severity', severities),
    subject: { type: oneOf('findings', row, 'subjectType', subjectTypes), id: required('subjectId'), ...(text('subjectName') ? { name: text('subjectName') } : {}) },
    measure: required('measure'),
    state: oneOf('findings', row, 'state', findingStates),
    baseline: jsonField<MeasureValue>('findings', row, 'baseline', null),
    current: jsonField<MeasureValue>('findings', row, 'current', null),
    ...(text('baselineOfWhole') ? { baselineOfWhole: jsonField<ShareOfWhole | null>('findings', row, 'baselineOfWhole', null) } : {}),
    ...(text('currentOfWhole') ? { currentOfWhole: jsonField<ShareOfWhole | null>('findings', row, 'currentOfWhole', null) } : {}),
    openedAt: required('openedAt'),
    resolvedAt: text('resolvedAt'),
    event: row.event === true,
    detail: text('detail'),
    ...(text('actionUrl') ? { actionUrl: text('actionUrl') } : {}),
    ...(text('helpUrl') ? { helpUrl: text('helpUrl') } : {}),
    pendingChange: change('pendingChange', findingChanges),
    announcedIn: text('announcedIn'),
    announcedChange: change('announcedChange', findingChanges),
    silencedChange: change('silencedChange', ['opened', 'reopened'] as const),
  };
}
