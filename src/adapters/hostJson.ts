import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MonitorError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';

let hostJson: { value: Record<string, unknown> } | undefined;

/**
 * The app's host.json (the app root: above src/ in development, above dist/src/ when deployed),
 * read once; empty when there is none.
 */
function readHostJson(): Record<string, unknown> {
  hostJson ??= { value: findHostJson() };
  return hostJson.value;
}

function findHostJson(): Record<string, unknown> {
  for (let directory = __dirname, depth = 0; depth < 4; directory = dirname(directory), depth += 1) {
    let text: string;
    try {
      text = readFileSync(join(directory, 'host.json'), 'utf8');
    } catch {
      continue;
    }
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : {};
  }
  return {};
}

/** The `functionTimeout` of the app's host.json; undefined when there is none. */
export function hostFunctionTimeout(): unknown {
  return readHostJson().functionTimeout;
}

/**
 * How the Functions queue trigger takes messages off a queue: host.json's `extensions.queues`
 * ("host.json settings" of "Azure Queue storage trigger and bindings for Azure Functions").
 * The values this app sets, and why, are argued in docs/queue-settings.md; host.json takes no comments.
 */
export interface QueueTriggerSettings {
  /** Messages fetched at once (1-32). */
  batchSize: number;
  /** When the messages in hand fall to this many, the next batch is fetched: at most batchSize + newBatchThreshold run at once per instance. */
  newBatchThreshold: number;
  /** The longest wait between polls of an empty queue. */
  maxPollingIntervalMs: number;
  /** How long a message whose invocation failed stays hidden before its next attempt. */
  visibilityTimeoutMs: number;
  /** Attempts before the message is moved to `<queue>-poison`. */
  maxDequeueCount: number;
  /** `base64`: message text is base64 of the payload (extension 5.x's default); `none`: the text is the payload. */
  messageEncoding: 'base64' | 'none';
}

/** The extension's documented defaults (newBatchThreshold is batchSize / 2 on one vCPU, as on Flex Consumption). */
const queueDefaults = { batchSize: 16, maxPollingIntervalMs: 60_000, visibilityTimeoutMs: 0, maxDequeueCount: 5, messageEncoding: 'base64' } as const;

/** The queue trigger's settings of the app's host.json, the documented default for each one absent. */
export function hostQueueSettings(): QueueTriggerSettings {
  const extensions = readHostJson().extensions;
  return queueTriggerSettings(isPlainObject(extensions) ? extensions.queues : undefined);
}

/** Reads `extensions.queues`; a malformed value is an error naming the property, as the host refuses to start on one. */
export function queueTriggerSettings(queues: unknown): QueueTriggerSettings {
  const section = isPlainObject(queues) ? queues : {};
  const integer = (name: string, min: number, max: number, fallback: number): number => {
    const value = section[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(name, `a whole number from ${min} to ${max}`);
    return value;
  };
  const timeSpan = (name: string, fallback: number): number => {
    const value = section[name];
    if (value === undefined) return fallback;
    const ms = typeof value === 'string' ? timeSpanMs(value) : null;
    if (ms === null) throw invalid(name, 'a time span such as "00:00:30"');
    return ms;
  };
  const batchSize = integer('batchSize', 1, 32, queueDefaults.batchSize);
  const encoding = section.messageEncoding ?? queueDefaults.messageEncoding;
  if (encoding !== 'base64' && encoding !== 'none') throw invalid('messageEncoding', '"base64" or "none"');
  return {
    batchSize,
    newBatchThreshold: integer('newBatchThreshold', 0, 1000, Math.floor(batchSize / 2)),
    maxPollingIntervalMs: timeSpan('maxPollingInterval', queueDefaults.maxPollingIntervalMs),
    visibilityTimeoutMs: timeSpan('visibilityTimeout', queueDefaults.visibilityTimeoutMs),
    maxDequeueCount: integer('maxDequeueCount', 1, 1000, queueDefaults.maxDequeueCount),
    messageEncoding: encoding,
  };
}

function invalid(property: string, expected: string): MonitorError {
  return new MonitorError('InvalidConfiguration', `host.json extensions.queues.${property} must be ${expected}`);
}

/** A .NET TimeSpan as host.json writes one: `[d.]hh:mm:ss[.fff]`. */
function timeSpanMs(value: string): number | null {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(\.\d{1,7})?$/.exec(value.trim());
  if (match === null) return null;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = '.0'] = match;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + Math.round(Number(fraction) * 1000);
}
