import { app } from '@azure/functions';
import { customerAdminScan } from '../composition';
import { recordPoisonedScan } from '../customerAdmins/scanCustomerTenant';
import { invocationLogger } from '../invocation';

/** The scan queue's poison queue, `<queue>-poison`, as the queue trigger names it. */
app.storageQueue('recordPoisonedScan', {
  queueName: '%ADMIN_SCAN_QUEUE_NAME%-poison',
  connection: 'ADMIN_SCAN_QUEUE',
  handler: async (message, context) => {
    const scan = await customerAdminScan(invocationLogger(context));
    if (scan !== null) await recordPoisonedScan(scan, message);
  },
});
