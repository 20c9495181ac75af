import type { InvocationContext, Timer } from '@azure/functions';
import { invocationDeadline } from './composition';
import type { Logger } from './ports';

/** The use cases log through a port; in a function, that is the invocation's own log (App Insights). */
export function invocationLogger(context: InvocationContext): Logger {
  return {
    info: (message) => context.log(message),
    warn: (message) => context.warn(message),
    error: (message) => context.error(message),
  };
}

/**
 * A timer's handler: the use case runs with dependencies that log to the invocation, the time
 * by which the invocation must stop, and the run id a manual invocation asks to re-run.
 */
export function scheduledRun<D>(build: (log: Logger) => Promise<D>, run: (dependencies: D, options: { runId: string | undefined; deadline: Date }) => Promise<unknown>) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const deadline = await invocationDeadline();
    // `npm run invoke -- <name> --run-id X` passes a run id to re-run; the Functions host never does.
    const runId = context.triggerMetadata?.runId;
    await run(await build(invocationLogger(context)), { runId: typeof runId === 'string' ? runId : undefined, deadline });
  };
}
