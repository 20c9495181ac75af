import { RestError } from '@azure/core-rest-pipeline';
import { TableServiceClient } from '@azure/data-tables';
import { tableNames } from '../src/adapters/tableLayout';

/**
 * Creates every table the monitor uses under a prefix, as the deployment does in Azure
 * (infra/modules/storage.bicep): for Azurite, the local host, the tests and the bench. The list
 * is the app's own (tableLayout.tableNames), so a table added there is created here too.
 */
export async function createTables(connectionString: string, tablePrefix: string): Promise<void> {
  const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: /TableEndpoint\s*=\s*http:/i.test(connectionString) });
  await Promise.all(
    Object.values(tableNames).map(async (name) => {
      try {
        await service.createTable(`${tablePrefix}${name}`);
      } catch (error) {
        // Already there: creating is idempotent for the tooling.
        if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      }
    }),
  );
}
