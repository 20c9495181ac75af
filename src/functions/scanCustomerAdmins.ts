import { app } from '@azure/functions';
import { customerAdminScan } from '../composition';
import { handleScanMessage, recordPoisonedScan } from '../customerAdmins/scanCustomerTenant';
import { startCustomerAdminScan } from '../customerAdmins/startCustomerAdminScan';
import { invocationLogger, scheduledRun } from '../invocation';

/*
 * The customer-admin scan, fanned out on one Azure Storage queue (see customerAdmins/): the timer
 * queues a message per customer tenant, the queue trigger scans one tenant per message (the
 * scale controller spreads them over instances), and the poison queue's trigger accounts for a
 * tenant whose every attempt failed.
 */
app.timer('scanCustomerAdmins', { schedule: '%SCHEDULE_CUSTOMER_ADMINS%', handler: scheduledRun(customerAdminScan, (scan) => (scan === null ? Promise.resolve(null) : startCustomerAdminScan(scan))) });

app.storageQueue('scanCustomerTenant', {
  queueName: '%ADMIN_SCAN_QUEUE_NAME%',
  connection: 'ADMIN_SCAN_QUEUE',
  handler: async (message, context) => {
    const scan = await customerAdminScan(invocationLogger(context));
    if (scan !== null) await handleScanMessage(scan, message);
  },
});

app.storageQueue('recordPoisonedScan', {
  queueName: '%ADMIN_SCAN_QUEUE_NAME%-poison',
  connection: 'ADMIN_SCAN_QUEUE',
  handler: async (message, context) => {
    const scan = await customerAdminScan(invocationLogger(context));
    if (scan !== null) await recordPoisonedScan(scan, message);
  },
});
