import type { InvocationContext } from '@azure/functions';
import type { Logger } from './ports';

/** The use cases log through a port; in a function, that is the invocation's own log (App Insights). */
export function invocationLogger(context: InvocationContext): Logger {
  return {
    info: (message) => context.log(message),
    warn: (message) => context.warn(message),
    error: (message) => context.error(message),
  };
}

/** `npm run invoke -- <name> --run-id X` passes a run id to re-run; the Functions host never does. */
export function requestedRunId(context: InvocationContext): string | undefined {
  const runId = context.triggerMetadata?.runId;
  return typeof runId === 'string' ? runId : undefined;
}
