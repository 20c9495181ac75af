import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type LogLevel } from '@azure/functions';
import type { RegisteredFunction } from './functionsCore';

/** Where the local host writes: one line at a time, already timestamped. */
export type HostLog = (line: string) => void;

interface InvokeFunctionOptions {
  log: HostLog;
  /** Why it runs, as the Functions host logs it (e.g. "Timer fired at ..."). */
  reason: string;
  /** Handed to the function as `context.triggerMetadata`. */
  triggerMetadata?: Record<string, unknown>;
}

/**
 * Runs one function once with a real InvocationContext, logging its start, its own logs and its
 * outcome with a timestamp and its name, as `func start` does. Resolves to the handler's result
 * and rejects with its error, after logging either.
 */
export async function invokeFunction(fn: RegisteredFunction, triggerInput: unknown, options: InvokeFunctionOptions): Promise<unknown> {
  const invocationId = randomUUID();
  const write = (message: string): void => options.log(`${new Date().toISOString()} [${fn.name}] ${message}`);
  const context = new InvocationContext({
    invocationId,
    functionName: fn.name,
    triggerMetadata: options.triggerMetadata,
    logHandler: (level: LogLevel, ...args: unknown[]) => write(level === 'information' ? format(...args) : `${level}: ${format(...args)}`),
  });
  write(`Executing (Reason='${options.reason}', Id=${invocationId})`);
  const started = performance.now();
  const elapsed = (): string => `${Math.round(performance.now() - started)}ms`;
  try {
    const result: unknown = await fn.handler(triggerInput, context);
    write(`Executed (Succeeded, Id=${invocationId}, Duration=${elapsed()})`);
    return result;
  } catch (error) {
    write(`Executed (Failed, Id=${invocationId}, Duration=${elapsed()}): ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}
