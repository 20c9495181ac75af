import { QueueClient } from '@azure/storage-queue';

/**
 * Creates a queue the app reads or writes, as the deployment does in Azure
 * (infra/modules/storage.bicep): for Azurite, the local host and the tests. The app itself never
 * creates one; the queue trigger creates only a missing `<queue>-poison`, when it first moves a message there.
 */
export async function createQueue(connectionString: string, queueName: string): Promise<void> {
  await new QueueClient(connectionString, queueName).createIfNotExists();
}
