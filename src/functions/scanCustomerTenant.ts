import { app } from '@azure/functions';
import { customerAdminScan } from '../composition';
import { handleScanMessage } from '../customerAdmins/scanCustomerTenant';
import { invocationLogger } from '../invocation';

app.storageQueue('scanCustomerTenant', {
  queueName: '%ADMIN_SCAN_QUEUE_NAME%',
  connection: 'ADMIN_SCAN_QUEUE',
  handler: async (message, context) => {
    const scan = await customerAdminScan(invocationLogger(context));
    if (scan !== null) await handleScanMessage(scan, message);
  },
});
