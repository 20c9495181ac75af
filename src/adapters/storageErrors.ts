import { isRestError } from '@azure/core-rest-pipeline';
import { MonitorError } from '../core/errors';

/** The HTTP status of a failed Table Storage call, or undefined when the service never answered. */
export function storageStatus(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

/** A row (or a table) that is not there: the answer a delete of a row already gone or a point read of a missing row gets. */
export function isNotFound(error: unknown): boolean {
  return storageStatus(error) === 404;
}

/**
 * A missing table: 404 with the service's `TableNotFound` code, which the SDK reports as the
 * error's code or, when it leaves the code out, only in the OData error body it puts in the message.
 */
export function isTableNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404 && (error.code === 'TableNotFound' || /"code"\s*:\s*"TableNotFound"/.test(error.message));
}

/** A conditional update or delete that lost to another writer (412), or a row that is already there (409). */
export function isConflict(error: unknown): boolean {
  const status = storageStatus(error);
  return status === 409 || status === 412;
}

/** Status and service code of a storage failure: enough to act on, nothing from the request. */
export function describeStorageError(error: unknown): string {
  if (!isRestError(error)) return 'no response';
  return [error.statusCode === undefined ? null : `status ${error.statusCode}`, error.code ?? null].filter(Boolean).join(', ') || 'no response';
}

/** The error a call to a table the deployment did not create fails with: it names the table and the fix. */
export function missingTable(tableName: string, cause?: unknown): MonitorError {
  return new MonitorError(
    'TableMissing',
    `Table ${tableName} does not exist: the deployment creates every table the monitor uses (run \`azd provision\`; locally \`npm start\` and the tests create them)`,
    { cause },
  );
}


/**
 * What a storage call answers, or null when the service refused it with one of `statuses`: a row
 * not there (404), there already (409) or changed since it was read (412), answers a caller acts on. Any other failure is thrown.
 */
export async function unlessRefused<T>(call: Promise<T>, ...statuses: number[]): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (statuses.includes(storageStatus(error) ?? 0)) return null;
    throw error;
  }
}
