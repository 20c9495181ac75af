import { app } from '@azure/functions';
import { weeklyDigest } from '../composition';
import { sendWeeklyDigest } from '../digest/sendWeeklyDigest';
import { invocationLogger } from '../invocation';

// A digest that failed is retried within the hour rather than a week later; each retry is one
// more failed invocation for Azure Monitor, and the ledger keeps it from going out twice.
app.timer('sendWeeklyDigest', {
  schedule: '%SCHEDULE_WEEKLY_DIGEST%',
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 5, minimumInterval: { minutes: 1 }, maximumInterval: { minutes: 15 } },
  handler: async (_timer, context) => {
    await sendWeeklyDigest(await weeklyDigest(invocationLogger(context)));
  },
});
