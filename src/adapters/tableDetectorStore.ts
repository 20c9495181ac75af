import { odata, type TableEntityResult } from '@azure/data-tables';
import { countOpenFindings, findingChanges, findingKinds, findingStates, severities, subjectTypes, type MeasureValue, type OpenFindingCounts, type ShareOfWhole, type StoredFinding } from '../core/findings';
import type { Delivery, DetectorCompletion, DetectorRun, DetectorState, DetectorStore, OutboxMessage, RecordedFindings } from '../ports';
import { snapshotSources } from '../core/model';
import { isPlainObject } from '../core/payloadReader';
import { fromTableKey, toTableKey } from './tableKey';
import { BatchWriter } from './batchWriter';
import { unlessRefused } from './storageErrors';
import { fixedPartitions, type RowKeys } from './tableLayout';
import type { Tables } from './tables';
import type { UnreadableRowSink } from '../ports/queryReader';
import { jsonField, oneOf, optionalText, requiredText } from './unreadableRows';

/*
 * One entity type per kind of row, as the monitor writes it (an absent field is a null), and one
 * toRow/fromRow pair for each: fromRow checks what it narrows, since a row may have been edited by hand.
 */

/** A finding (Findings table, row key = its key). JSON keeps a measure's type: a status string and a count must not read back alike. */
export type FindingEntity = RowKeys & {
  kind: string; severity: string; subjectType: string; subjectId: string; subjectName?: string; measure: string; state: string;
  baseline: string; current: string; baselineOfWhole?: string; currentOfWhole?: string; openedAt: string; resolvedAt?: string; event: boolean;
  detail?: string; actionUrl?: string; helpUrl?: string; pendingChange?: string; announcedIn?: string; announcedChange?: string; silencedChange?: string;
  adminUserId?: string; adminUpn?: string; adminDisplayName?: string;
};

/** An outbox message (Outbox table, outbox partition, row key = its id, oldest first). */
type MessageEntity = RowKeys & { messageId: string; status: string; createdAt: string; reminder: boolean; subject: string; lastError?: string; sentAt?: string };

/** A message's delivery to one target (Outbox table, delivery partition, row key `<messageId>~<target>`). */
type DeliveryEntity = RowKeys & {
  messageId: string; target: string; status: string; operationId: string; createdAt: string; attempts: number; refusals: number;
  firstAttemptAt?: string; lastError?: string; lastErrorCode?: string; sentAt?: string;
};

/** The Detector table's rows: its last run, its last completed run, and what it last compared. */
type LastRunEntity = RowKeys & { startedAt: string; finishedAt?: string; status: string; errorCode?: string };
type CompletionEntity = RowKeys & { startedAt: string; finishedAt: string };
type StateEntity = RowKeys & { lastSeen: string; lastEmailAt?: string; openFindings?: string };

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

  lastRun(): Promise<DetectorRun | null> {
    return this.tables.point('detector', { partitionKey: fixedPartitions.detector, rowKey: detectorRowKeys.lastRun }, lastRunFromRow);
  }

  async recordCompletedRun(completion: DetectorCompletion): Promise<void> {
    await this.tables.clientFor('detector').upsertEntity<CompletionEntity>(completionToRow(completion), 'Replace');
  }

  lastCompletedRun(): Promise<DetectorCompletion | null> {
    return this.tables.point('detector', { partitionKey: fixedPartitions.detector, rowKey: detectorRowKeys.completed }, completionFromRow);
  }

  async readState(): Promise<DetectorState> {
    const state = await this.tables.point('detector', { partitionKey: fixedPartitions.detector, rowKey: detectorRowKeys.state }, stateFromRow);
    return state ?? { lastSeen: {}, lastEmailAt: null, openFindings: null };
  }

  async writeState(state: DetectorState): Promise<void> {
    await this.tables.clientFor('detector').upsertEntity<StateEntity>(stateToRow(state), 'Replace');
  }

  /** Every finding; a row that cannot be read fails the read, unless `onUnreadable` takes it (then it is skipped). */
  readFindings(onUnreadable?: UnreadableRowSink): Promise<StoredFinding[]> {
    return this.tables.rows('findings', { filter: odata`PartitionKey eq ${fixedPartitions.findings}` }, findingFromRow, { onUnreadable });
  }

  /** One point read: a finding's row key is its key. */
  async hasFinding(key: string): Promise<boolean> {
    return (await this.tables.point('findings', { partitionKey: fixedPartitions.findings, rowKey: toTableKey(key) }, () => true, ['state'])) !== null;
  }

  async hasRequirementFinding(requirementType: string): Promise<boolean> {
    const filter = odata`PartitionKey eq ${fixedPartitions.findings} and subjectType eq ${'requirement'} and subjectId eq ${requirementType}`;
    return (await this.tables.rows('findings', { filter, select: ['subjectId'] }, () => true, { top: 1 })).length > 0;
  }

  async writeFindings(findings: readonly StoredFinding[]): Promise<void> {
    const table = this.tables.clientFor('findings');
    const writer = new BatchWriter(4);
    for (const finding of findings) await writer.upsert(table, findingToRow(finding));
    await writer.flush();
  }

  /** Messages not yet sent or abandoned, oldest first; a row that cannot be read fails the read, unless `onUnreadable` takes it. */
  unsentMessages(onUnreadable?: UnreadableRowSink): Promise<OutboxMessage[]> {
    const filter = odata`PartitionKey eq ${fixedPartitions.outbox} and status ne ${'sent'} and status ne ${'abandoned'}`;
    return this.tables.rows('outbox', { filter }, messageFromRow, { onUnreadable });
  }

  async createMessage(message: Omit<OutboxMessage, 'etag'>): Promise<OutboxMessage> {
    const response = await this.tables.clientFor('outbox').createEntity<MessageEntity>(messageToRow(message));
    return { ...message, etag: response.etag ?? '' };
  }

  updateMessage(message: OutboxMessage): Promise<OutboxMessage | null> {
    return this.tables.replaceIfUnchanged('outbox', messageToRow(message), message);
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
    for (const delivery of deliveries) await unlessRefused(table.createEntity<DeliveryEntity>(deliveryToRow(delivery)), 409);
  }

  updateDelivery(delivery: Delivery): Promise<Delivery | null> {
    return this.tables.replaceIfUnchanged('outbox', deliveryToRow(delivery), delivery);
  }

  private deliveries(filter: string): Promise<Delivery[]> {
    return this.tables.rows('outbox', { filter }, deliveryFromRow);
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

function messageFromRow(row: TableEntityResult<MessageEntity>): OutboxMessage {
  return {
    messageId: requiredText('outbox', row, 'messageId'),
    status: oneOf('outbox', row, 'status', messageStatuses),
    createdAt: requiredText('outbox', row, 'createdAt'),
    reminder: row.reminder === true,
    subject: optionalText(row, 'subject') ?? '',
    lastError: optionalText(row, 'lastError'),
    sentAt: optionalText(row, 'sentAt'),
    etag: row.etag,
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

function deliveryFromRow(row: TableEntityResult<DeliveryEntity>): Delivery {
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
    etag: row.etag,
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
    adminUserId: finding.admin?.userId,
    adminUpn: finding.admin?.userPrincipalName ?? undefined,
    adminDisplayName: finding.admin?.displayName ?? undefined,
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
    ...(text('adminUserId') ? { admin: { userId: required('adminUserId'), userPrincipalName: text('adminUpn'), displayName: text('adminDisplayName') } } : {}),
  };
}
