import type { SentEmail } from './types';

type OperationStatus = 'Running' | 'Succeeded' | 'Failed';

interface EmailOperation {
  id: string;
  status: OperationStatus;
  error?: { code: string; message: string };
}

interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** How long an accepted email stays Running before it is delivered. */
const DELIVERY_MS = 25;
/** OASIS repeatable requests: a repeat within this window is answered from memory. */
export const REPEATABILITY_WINDOW_MS = 5 * 60 * 1000;
/** Keeps a long `npm start` session from growing without bound. */
const INBOX_LIMIT = 5000;

/** ACS Email's state: operations, delivered mail, remembered repeatable requests. */
export class Mailroom {
  private readonly operations = new Map<string, EmailOperation>();
  private readonly repeatable = new Map<string, { firstSentMs: number; response: StoredResponse }>();
  private readonly delivered: SentEmail[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  /**
   * Starts an operation; the email reaches the inbox (or fails) shortly after. An existing
   * operation id is not de-duplicated: the email is sent again under the same id.
   */
  accept(operationId: string, email: Omit<SentEmail, 'operationId' | 'deliveredAt'>, failure?: EmailOperation['error']): void {
    this.operations.set(operationId, { id: operationId, status: 'Running' });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (failure) {
        this.operations.set(operationId, { id: operationId, status: 'Failed', error: failure });
        return;
      }
      this.delivered.push({ operationId, ...email, deliveredAt: new Date().toISOString() });
      if (this.delivered.length > INBOX_LIMIT) this.delivered.shift();
      this.operations.set(operationId, { id: operationId, status: 'Succeeded' });
    }, DELIVERY_MS);
    timer.unref();
    this.timers.add(timer);
  }

  operation(id: string): EmailOperation | undefined {
    return this.operations.get(id);
  }

  recall(requestId: string): StoredResponse | undefined {
    const entry = this.repeatable.get(requestId);
    return entry && Date.now() - entry.firstSentMs <= REPEATABILITY_WINDOW_MS ? entry.response : undefined;
  }

  remember(requestId: string, firstSentMs: number, response: StoredResponse): void {
    const now = Date.now();
    for (const [id, entry] of this.repeatable) if (now - entry.firstSentMs > REPEATABILITY_WINDOW_MS) this.repeatable.delete(id);
    this.repeatable.set(requestId, { firstSentMs, response });
  }

  inbox(): SentEmail[] {
    return this.delivered.map((email) => ({ ...email, to: [...email.to] }));
  }

  /** Drops pending deliveries (simulator shutdown). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
