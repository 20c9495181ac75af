import { odata, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { isPlainObject } from '../core/payloadReader';
import type { DigestLedger, DigestRecord } from '../ports';
import { unlessRefused } from './storageErrors';
import type { Tables } from './tables';
import { optionalText, type StoredRow } from './unreadableRows';

/** The digests' partition of the detector table: one row a week. */
const partition = 'digest';

/**
 * Row keys sort newest week first (years and weeks counted down from 9999 and 99), so the
 * latest digest is the partition's first row: one request, however many years are kept.
 */
function rowKeyOf(week: string): string {
  const [, year, number] = /^(\d{4})-W(\d{2})$/.exec(week) ?? [];
  if (year === undefined || number === undefined) throw new Error(`not an ISO week: ${week}`);
  return `${String(9999 - Number(year)).padStart(4, '0')}-${String(99 - Number(number)).padStart(2, '0')}`;
}

/** One week's row: the record, with absent times and errors as '' and the deliveries as JSON. */
type DigestEntity = Omit<DigestRecord, 'etag' | 'sentAt' | 'lastError' | 'deliveries'> & { sentAt: string; lastError: string; deliveries: string };

function toRow(record: Omit<DigestRecord, 'etag'>): TableEntity<DigestEntity> {
  return {
    partitionKey: partition,
    rowKey: rowKeyOf(record.week),
    week: record.week,
    status: record.status,
    operationId: record.operationId,
    subject: record.subject,
    claimedAt: record.claimedAt,
    attempts: record.attempts,
    sentAt: record.sentAt ?? '',
    lastError: record.lastError ?? '',
    // A handful of targets: one JSON column keeps the week one row, updated ETag-conditionally as a whole.
    deliveries: JSON.stringify(record.deliveries),
    digestId: record.digestId,
  };
}

function fromRow(row: TableEntityResult<StoredRow<DigestEntity>>): DigestRecord {
  const text = (name: keyof DigestEntity): string => optionalText(row, name) ?? '';
  return {
    week: text('week'),
    status: text('status') === 'sent' ? 'sent' : 'sending',
    operationId: text('operationId'),
    subject: text('subject'),
    claimedAt: text('claimedAt'),
    attempts: typeof row.attempts === 'number' ? row.attempts : 0,
    sentAt: text('sentAt') || null,
    lastError: text('lastError') || null,
    deliveries: parseDeliveries(text('deliveries')),
    digestId: text('digestId') || text('operationId'),
    etag: row.etag,
  };
}

/** A row written before digests had targets has none: its status alone says whether the email went. */
function parseDeliveries(json: string): DigestRecord['deliveries'] {
  if (json === '') return {};
  const parsed: unknown = JSON.parse(json);
  const deliveries: DigestRecord['deliveries'] = {};
  if (!isPlainObject(parsed)) return deliveries;
  for (const [target, value] of Object.entries(parsed)) {
    const delivery = isPlainObject(value) ? value : {};
    deliveries[target] = { sentAt: optionalText(delivery, 'sentAt'), lastError: optionalText(delivery, 'lastError') };
  }
  return deliveries;
}

/** Which week's digest went out, in the detector's table; updates are ETag-conditional, so one run sends it. */
export class TableDigestLedger implements DigestLedger {
  constructor(private readonly tables: Tables) {}

  read(week: string): Promise<DigestRecord | null> {
    return this.tables.point('detector', { partitionKey: partition, rowKey: rowKeyOf(week) }, fromRow);
  }

  /** Null when another run claimed the week first. */
  async create(record: Omit<DigestRecord, 'etag'>): Promise<DigestRecord | null> {
    const response = await unlessRefused(this.tables.clientFor('detector').createEntity(toRow(record)), 409);
    return response === null ? null : { ...record, etag: response.etag ?? '' };
  }

  /** Null when another run changed the week's row since `record.etag`. */
  update(record: DigestRecord): Promise<DigestRecord | null> {
    return this.tables.replaceIfUnchanged('detector', toRow(record), record);
  }

  /** The newest week's record: the partition's first row (one request, unless Azure ends a page early, empty with a continuation). */
  async latest(): Promise<DigestRecord | null> {
    const [first] = await this.tables.rows('detector', { filter: odata`PartitionKey eq ${partition}` }, fromRow, { top: 1 });
    return first ?? null;
  }
}
