import { odata, type TableEntityResult } from '@azure/data-tables';
import { countOpenFindings, type Finding, type FindingState, type MeasureValue, type OpenFindingCounts, type ShareOfWhole, type StoredFinding } from '../core/findings';
import type { Delivery, DetectorCompletion, DetectorRun, DetectorState, DetectorStore, OutboxMessage, RecordedFindings } from '../ports';
import { fromTableKey, toTableKey } from './tableKey';
import { isPlainObject } from '../core/payloadReader';
import { snapshotSources } from '../core/model';
import { BatchWriter } from './batchWriter';
import { storageStatus } from './storageErrors';
import { fixedPartitions } from './tableLayout';
import type { Tables } from './tables';
import { jsonField, oneOf, optionalText, readRow, requiredText, type UnreadableRowHandler } from './unreadableRows';

type Row = Record<string, unknown>;

const statusOf = storageStatus;

/**
 * The detector's own state in Table Storage: findings (one partition, key = finding key),
 * the outbox (one partition of messages, oldest first, and one of their deliveries per target),
 * a state row, and the last run and last completed run for the status (its lease is in the Runs
 * table, beside the collectors'). Outbox updates are ETag-conditional, so two runs can never both claim one message or
 * one delivery.
 */
export class TableDetectorStore implements DetectorStore, RecordedFindings {
  constructor(private readonly tables: Tables) {}

  async recordRun(run: DetectorRun): Promise<void> {
    const table = await this.tables.client('detector');
    await table.upsertEntity({ partitionKey: fixedPartitions.detector, rowKey: 'lastRun', ...run }, 'Replace');
  }

  async lastRun(): Promise<DetectorRun | null> {
    const table = await this.tables.client('detector');
    try {
      const row = await table.getEntity<Row>(fixedPartitions.detector, 'lastRun');
      const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
      return { startedAt: String(row.startedAt), finishedAt: text(row.finishedAt), status: row.status as DetectorRun['status'], errorCode: text(row.errorCode) };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async recordCompletedRun(completion: DetectorCompletion): Promise<void> {
    const table = await this.tables.client('detector');
    await table.upsertEntity({ partitionKey: fixedPartitions.detector, rowKey: 'completed', ...completion }, 'Replace');
  }

  async lastCompletedRun(): Promise<DetectorCompletion | null> {
    const table = await this.tables.client('detector');
    try {
      const row = await table.getEntity<Row>(fixedPartitions.detector, 'completed');
      return { startedAt: String(row.startedAt), finishedAt: String(row.finishedAt) };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async readState(): Promise<DetectorState> {
    const table = await this.tables.client('detector');
    try {
      const row = await table.getEntity<Row>(fixedPartitions.detector, 'state');
      return {
        lastSeen: JSON.parse(String(row.lastSeen ?? '{}')) as DetectorState['lastSeen'],
        lastEmailAt: typeof row.lastEmailAt === 'string' ? row.lastEmailAt : null,
        openFindings: toOpenFindingCounts(row.openFindings),
      };
    } catch (error) {
      if (statusOf(error) === 404) return { lastSeen: {}, lastEmailAt: null, openFindings: null };
      throw error;
    }
  }

  async writeState(state: DetectorState): Promise<void> {
    const table = await this.tables.client('detector');
    await table.upsertEntity(
      {
        partitionKey: fixedPartitions.detector,
        rowKey: 'state',
        lastSeen: JSON.stringify(state.lastSeen),
        ...(state.lastEmailAt ? { lastEmailAt: state.lastEmailAt } : {}),
        ...(state.openFindings ? { openFindings: JSON.stringify(state.openFindings) } : {}),
      },
      'Replace',
    );
  }

  /** Every finding; a row that cannot be read fails the read, unless `onUnreadable` takes it (then it is skipped). */
  async readFindings(onUnreadable?: UnreadableRowHandler): Promise<StoredFinding[]> {
    const table = await this.tables.client('findings');
    const findings: StoredFinding[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter: odata`PartitionKey eq ${fixedPartitions.findings}` } })) {
      const finding = readRow('findings', row, toFinding, onUnreadable);
      if (finding !== undefined) findings.push(finding);
    }
    return findings;
  }

  /** One point read: a finding's row key is its key. */
  async hasFinding(key: string): Promise<boolean> {
    const table = await this.tables.client('findings');
    try {
      await table.getEntity(fixedPartitions.findings, toTableKey(key), { queryOptions: { select: ['state'] } });
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  async hasRequirementFinding(requirementType: string): Promise<boolean> {
    const table = await this.tables.client('findings');
    const filter = odata`PartitionKey eq ${fixedPartitions.findings} and subjectType eq ${'requirement'} and subjectId eq ${requirementType}`;
    for await (const _row of table.listEntities({ queryOptions: { filter, select: ['subjectId'] } })) return true;
    return false;
  }

  async writeFindings(findings: readonly StoredFinding[]): Promise<void> {
    const table = await this.tables.client('findings');
    const writer = new BatchWriter(4);
    for (const finding of findings) await writer.upsert(table, toRow(finding));
    await writer.flush();
  }

  async deleteFindings(keys: readonly string[]): Promise<void> {
    const table = await this.tables.client('findings');
    for (const key of keys) {
      try {
        await table.deleteEntity(fixedPartitions.findings, toTableKey(key));
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
  }

  async unsentMessages(): Promise<OutboxMessage[]> {
    const table = await this.tables.client('outbox');
    const filter = odata`PartitionKey eq ${fixedPartitions.outbox} and status ne ${'sent'} and status ne ${'abandoned'}`;
    const messages: OutboxMessage[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter } })) messages.push(toMessage(row));
    return messages;
  }

  async createMessage(message: Omit<OutboxMessage, 'etag'>): Promise<OutboxMessage> {
    const table = await this.tables.client('outbox');
    const response = await table.createEntity(messageRow(message));
    return { ...message, etag: response.etag ?? '' };
  }

  async updateMessage(message: OutboxMessage): Promise<OutboxMessage | null> {
    const table = await this.tables.client('outbox');
    try {
      const response = await table.updateEntity(messageRow(message), 'Replace', { etag: message.etag });
      return { ...message, etag: response.etag ?? '' };
    } catch (error) {
      if (statusOf(error) === 412) return null;
      throw error;
    }
  }

  async unsentDeliveries(): Promise<Delivery[]> {
    const table = await this.tables.client('outbox');
    const filter = odata`PartitionKey eq ${fixedPartitions.deliveries} and status ne ${'sent'} and status ne ${'abandoned'}`;
    const deliveries: Delivery[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter } })) deliveries.push(toDelivery(row));
    return deliveries;
  }

  async deliveriesOf(messageId: string): Promise<Delivery[]> {
    const table = await this.tables.client('outbox');
    // `~` sorts after every character of a target id: the message's rows are this key range.
    const filter = odata`PartitionKey eq ${fixedPartitions.deliveries} and RowKey gt ${`${messageId}~`} and RowKey lt ${`${messageId}~~`}`;
    const deliveries: Delivery[] = [];
    for await (const row of table.listEntities<Row>({ queryOptions: { filter } })) deliveries.push(toDelivery(row));
    return deliveries;
  }

  async createDeliveries(deliveries: readonly Omit<Delivery, 'etag'>[]): Promise<void> {
    const table = await this.tables.client('outbox');
    for (const delivery of deliveries) {
      try {
        await table.createEntity(deliveryRow(delivery));
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    }
  }

  async updateDelivery(delivery: Delivery): Promise<Delivery | null> {
    const table = await this.tables.client('outbox');
    try {
      const response = await table.updateEntity(deliveryRow(delivery), 'Replace', { etag: delivery.etag });
      return { ...delivery, etag: response.etag ?? '' };
    } catch (error) {
      if (statusOf(error) === 412) return null;
      throw error;
    }
  }
}

function deliveryRow(delivery: Omit<Delivery, 'etag'>) {
  return {
    partitionKey: fixedPartitions.deliveries,
    rowKey: `${delivery.messageId}~${delivery.target}`,
    ...nonNull({ ...delivery, lastError: delivery.lastError?.slice(0, 1000) ?? null, etag: undefined }),
  };
}

function toDelivery(row: TableEntityResult<Row>): Delivery {
  const text = (field: string): string | null => optionalText(row, field);
  return {
    messageId: String(row.messageId),
    target: String(row.target),
    status: row.status as Delivery['status'],
    operationId: String(row.operationId),
    createdAt: String(row.createdAt),
    attempts: typeof row.attempts === 'number' ? row.attempts : 0,
    refusals: typeof row.refusals === 'number' ? row.refusals : 0,
    firstAttemptAt: text('firstAttemptAt'),
    lastError: text('lastError'),
    lastErrorCode: text('lastErrorCode'),
    sentAt: text('sentAt'),
    etag: row.etag,
  };
}

function nonNull(values: Row): Row {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== undefined));
}

function messageRow(message: Omit<OutboxMessage, 'etag'>) {
  return {
    partitionKey: fixedPartitions.outbox,
    rowKey: message.messageId,
    ...nonNull({ ...message, subject: message.subject.slice(0, 1000), etag: undefined }),
  };
}

function toMessage(row: TableEntityResult<Row>): OutboxMessage {
  const text = (field: string): string | null => optionalText(row, field);
  return {
    messageId: String(row.messageId),
    operationId: String(row.operationId),
    status: row.status as OutboxMessage['status'],
    createdAt: String(row.createdAt),
    reminder: row.reminder === true,
    subject: text('subject') ?? '',
    attempts: typeof row.attempts === 'number' ? row.attempts : 0,
    refusals: typeof row.refusals === 'number' ? row.refusals : 0,
    firstAttemptAt: text('firstAttemptAt'),
    lastError: text('lastError'),
    sentAt: text('sentAt'),
    etag: row.etag,
  };
}

function toRow(finding: StoredFinding) {
  return {
    partitionKey: fixedPartitions.findings,
    rowKey: toTableKey(finding.key),
    ...nonNull({
      kind: finding.kind,
      severity: finding.severity,
      subjectType: finding.subject.type,
      subjectId: finding.subject.id,
      subjectName: finding.subject.name,
      measure: finding.measure,
      state: finding.state,
      // JSON keeps the type: a status string and a count must not read back alike.
      baseline: JSON.stringify(finding.baseline),
      current: JSON.stringify(finding.current),
      baselineOfWhole: finding.baselineOfWhole ? JSON.stringify(finding.baselineOfWhole) : null,
      currentOfWhole: finding.currentOfWhole ? JSON.stringify(finding.currentOfWhole) : null,
      openedAt: finding.openedAt,
      resolvedAt: finding.resolvedAt,
      event: finding.event,
      detail: finding.detail,
      actionUrl: finding.actionUrl,
      helpUrl: finding.helpUrl,
      pendingChange: finding.pendingChange,
      announcedIn: finding.announcedIn,
      announcedChange: finding.announcedChange,
      silencedChange: finding.silencedChange,
    }),
  };
}

const findingStates: readonly FindingState[] = ['open', 'resolved'];

export function toFinding(row: Row): StoredFinding {
  const text = (field: string): string | null => optionalText(row, field);
  const required = (field: string): string => requiredText('findings', row, field);
  const json = <T>(field: string): T => jsonField<T | null>('findings', row, field, null) as T;
  return {
    key: fromTableKey(required('rowKey')),
    kind: required('kind') as Finding['kind'],
    severity: required('severity') as Finding['severity'],
    subject: { type: required('subjectType') as Finding['subject']['type'], id: required('subjectId'), ...(text('subjectName') ? { name: text('subjectName') } : {}) },
    measure: required('measure'),
    state: oneOf('findings', row, 'state', findingStates),
    baseline: json<MeasureValue>('baseline'),
    current: json<MeasureValue>('current'),
    ...(text('baselineOfWhole') ? { baselineOfWhole: json<ShareOfWhole>('baselineOfWhole') } : {}),
    ...(text('currentOfWhole') ? { currentOfWhole: json<ShareOfWhole>('currentOfWhole') } : {}),
    openedAt: required('openedAt'),
    resolvedAt: text('resolvedAt'),
    event: row.event === true,
    detail: text('detail'),
    ...(text('actionUrl') ? { actionUrl: text('actionUrl') } : {}),
    ...(text('helpUrl') ? { helpUrl: text('helpUrl') } : {}),
    pendingChange: text('pendingChange') as StoredFinding['pendingChange'],
    announcedIn: text('announcedIn'),
    announcedChange: text('announcedChange') as StoredFinding['announcedChange'],
    silencedChange: text('silencedChange') as StoredFinding['silencedChange'],
  };
}

/** The summary the detector stored, or null when the row has none (written before summaries) or holds something else. */
function toOpenFindingCounts(stored: unknown): OpenFindingCounts | null {
  const counts = countOpenFindings([]);
  try {
    const parsed: unknown = JSON.parse(String(stored));
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
