import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostQueueSettings, queueTriggerSettings } from '../../src/adapters/hostJson';

/*
 * The queue trigger's settings, from "host.json settings" of "Azure Queue storage trigger and
 * bindings for Azure Functions" (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#hostjson-settings):
 * maxPollingInterval 00:01:00, visibilityTimeout 00:00:00, batchSize 16 (at most 32),
 * maxDequeueCount 5, newBatchThreshold N*batchSize/2 (N the vCPUs: 1 on Consumption plans),
 * messageEncoding base64 (extension 5.x). The values host.json sets are argued in docs/queue-settings.md.
 */

const root = join(__dirname, '../..');

describe('queue trigger settings', () => {
  test('when host.json sets none, then each has the documented default', () => {
    expect(queueTriggerSettings(undefined)).toEqual({ batchSize: 16, newBatchThreshold: 8, maxPollingIntervalMs: 60_000, visibilityTimeoutMs: 0, maxDequeueCount: 5, messageEncoding: 'base64' });
    expect(queueTriggerSettings({ batchSize: 6 }).newBatchThreshold).toBe(3);
  });

  test("when the app's host.json is read, then it sets every queue setting, each as docs/queue-settings.md argues it", () => {
    const settings = hostQueueSettings();
    expect(settings).toEqual({ batchSize: 8, newBatchThreshold: 4, maxPollingIntervalMs: 10_000, visibilityTimeoutMs: 30_000, maxDequeueCount: 5, messageEncoding: 'base64' });
    const queues = (JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as { extensions: { queues: Record<string, unknown> } }).extensions.queues;
    const argued = readFileSync(join(root, 'docs/queue-settings.md'), 'utf8');
    for (const [name, value] of Object.entries(queues)) expect({ name, argued: new RegExp(`^\\| \`${name}\` \\| [^|]+ \\| ${String(value)} \\|`, 'm').test(argued) }).toEqual({ name, argued: true });
    // The scan's global cap is stated from the same numbers.
    expect(argued).toContain(`\`batchSize + newBatchThreshold\` = ${settings.batchSize + settings.newBatchThreshold} scans at once`);
  });

  test('when a setting is malformed, then reading fails naming the property, as the host refuses to start', () => {
    expect(() => queueTriggerSettings({ batchSize: 33 })).toThrow('host.json extensions.queues.batchSize must be a whole number from 1 to 32');
    expect(() => queueTriggerSettings({ visibilityTimeout: '30s' })).toThrow('host.json extensions.queues.visibilityTimeout must be a time span');
    expect(() => queueTriggerSettings({ messageEncoding: 'utf8' })).toThrow('host.json extensions.queues.messageEncoding must be "base64" or "none"');
    expect(queueTriggerSettings({ maxPollingInterval: '00:00:00.250' }).maxPollingIntervalMs).toBe(250);
  });
});
