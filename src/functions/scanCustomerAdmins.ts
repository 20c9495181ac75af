import { app } from '@azure/functions';
import { customerAdminScan } from '../composition';
import { startCustomerAdminScan } from '../customerAdmins/startCustomerAdminScan';
import { scheduledRun } from '../invocation';

/*
 * The customer-admin scan, fanned out on one Azure Storage queue (see customerAdmins/): this timer
 * queues a message per customer tenant; scanCustomerTenant scans one tenant per message, on as
 * many instances as the scale controller gives it; recordPoisonedScan accounts for a tenant whose
 * every attempt failed.
 */
app.timer('scanCustomerAdmins', { schedule: '%SCHEDULE_CUSTOMER_ADMINS%', handler: scheduledRun(customerAdminScan, (scan) => (scan === null ? Promise.resolve(null) : startCustomerAdminScan(scan))) });
