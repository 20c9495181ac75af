import { odata } from '@azure/data-tables';
import { TableDetectorStore } from '../../src/adapters/tableDetectorStore';
import { fixedPartitions } from '../../src/adapters/tableLayout';
import { oneOf, optionalText, requiredText } from '../../src/adapters/unreadableRows';
import type { OutboxMessage } from '../../src/ports';
import type { Migration } from './migrations';

/** Where a message stood when it carried its own send state. */
const earlierStatuses = ['composing', 'ready', 'sending'] as const;

/**
 * Migration 2: a message's send state lives in its deliveries. Until 2026-12-03 a message was
 * sent to ALERT_TO's email only, and carried that send's state itself (`operationId`, `attempts`,
 * `refusals`, `firstAttemptAt`, status `sending` once an attempt may have reached ACS). An unsent
 * message in that shape gets the `email` delivery that state belongs to (created first, so a
 * migration stopped in between only rewrites the message next time), under the same operation id,
 * so a send that reached ACS is looked up, never repeated; then the message is rewritten `ready`
 * (or still `composing`) without it. Sent and abandoned messages are history and stay as they are.
 */
export const outboxDeliveriesMigration: Migration = {
  id: 2,
  name: "a message's send state lives in its deliveries",
  async run({ tables, dryRun, log, afterStep }) {
    const store = new TableDetectorStore(tables);
    const filter = odata`PartitionKey eq ${fixedPartitions.outbox} and status ne ${'sent'} and status ne ${'abandoned'}`;
    let changed = 0;
    for await (const row of tables.clientFor('outbox').listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const operationId = optionalText(row, 'operationId');
      if (operationId === null) continue;
      const status = oneOf('outbox', row, 'status', earlierStatuses);
      const message: OutboxMessage = {
        messageId: requiredText('outbox', row, 'messageId'),
        status: status === 'composing' ? 'composing' : 'ready',
        createdAt: requiredText('outbox', row, 'createdAt'),
        reminder: row.reminder === true,
        subject: optionalText(row, 'subject') ?? '',
        lastError: optionalText(row, 'lastError'),
        sentAt: null,
        etag: row.etag,
      };
      const needsDelivery = status !== 'composing' && (await store.deliveriesOf(message.messageId)).length === 0;
      changed += 1;
      log(`   ${dryRun ? 'would move' : 'moving'} message ${message.messageId} (${status})${needsDelivery ? ': its send state to its email delivery' : ' to the current shape'}`);
      if (dryRun) continue;
      if (needsDelivery) {
        const count = (field: string): number => {
          const value = row[field];
          return typeof value === 'number' ? value : 0;
        };
        await store.createDeliveries([
          {
            messageId: message.messageId,
            target: 'email',
            status: status === 'sending' ? 'sending' : 'ready',
            operationId,
            createdAt: message.createdAt,
            attempts: count('attempts'),
            refusals: count('refusals'),
            firstAttemptAt: optionalText(row, 'firstAttemptAt'),
            lastError: message.lastError,
            lastErrorCode: null,
            sentAt: null,
          },
        ]);
        afterStep?.();
      }
      if ((await store.updateMessage(message)) === null) throw new Error(`Outbox message ${message.messageId} changed while it was migrated (is a detector of an earlier version still running?): run the migration again`);
      afterStep?.();
    }
    return changed;
  },
};
