import { app, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { queryApi, sharedHealthVerdict, type HealthVerdict } from '../composition';
import { monitorStatus } from '../api/monitorStatus';
import { errorCode, toError } from '../core/errors';
import { commonHeaders, skippingUnreadable } from '../api/serveEndpoint';

/**
 * The health check, without a key: 200 when `/api/status` would say healthy, 503 otherwise, and
 * nothing else, so an anonymous caller learns no more than that. The reasons are behind the key
 * in `/api/status`. A monitor that cannot even read its own state is unhealthy. The verdict is
 * shared (see sharedHealthVerdict): up to 30 s old, or as new as the last `/api/status`.
 */
export async function getHealth(_request: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  return { status: await sharedHealthVerdict(() => judgeHealth(context)), headers: commonHeaders };
}

async function judgeHealth(context: InvocationContext): Promise<HealthVerdict> {
  try {
    // A damaged row is left out as the status leaves it out; the status (asked with the key) counts and logs it.
    const result = await monitorStatus(skippingUnreadable(await queryApi(), () => undefined));
    return result.httpStatus === 503 ? 503 : 200;
  } catch (thrown) {
    context.error(`Health check failed (${errorCode(thrown)}), correlation id ${context.invocationId}: ${toError(thrown).message}`);
    return 503;
  }
}

// HEAD too: uptime monitors probe with it, and the host answers 404 to a method a function does not list.
app.http('apiHealth', { route: 'health', methods: ['GET', 'HEAD'], authLevel: 'anonymous', handler: getHealth });
