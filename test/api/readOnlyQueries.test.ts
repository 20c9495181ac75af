import { customersAt } from '../support/customerChanges';
import { AzureNamedKeyCredential, generateAccountSas, TableClient } from '@azure/data-tables';
import { collectPartnerSecurity } from '../../src/collectors/collectPartnerSecurity';
import { partnerSecurityCollector } from '../../src/composition';
import { readConfig } from '../../src/config';
import { TableSnapshotStore } from '../../src/adapters/tableSnapshotStore';
import { TableAdminScanStore } from '../../src/adapters/tableAdminScanStore';
import { TableRunLedger } from '../../src/adapters/tableRunLedger';
import { newRunId, type SnapshotRun } from '../../src/core/snapshotRun';
import { Tables } from '../../src/adapters/tables';
import { tableNames, type TableName } from '../../src/adapters/tableLayout';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { startApiFixture, type ApiFixture } from './apiFixture';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/**
 * No HTTP read writes: every GET function is served with a Table Storage credential that can
 * only read, as a query API signed in with the built-in role Storage Table Data Reader would be.
 * - "Authorize access to tables using Microsoft Entra ID" and "Azure built-in roles for Storage"
 *   (https://learn.microsoft.com/azure/storage/tables/authorize-access-azure-active-directory,
 *   https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage#storage-table-data-reader):
 *   Storage Table Data Reader grants read access to tables and entities, nothing else.
 * - "Create an account SAS" (https://learn.microsoft.com/rest/api/storageservices/create-account-sas):
 *   an account SAS signed with the read (r) and list (l) permissions only, and none of add (a),
 *   update (u) or delete (d), may query and read entities and is refused every insert, update,
 *   merge and delete with 403 (AuthorizationPermissionMismatch). Azurite enforces the signed
 *   permissions on single-entity operations but lets an entity group transaction ($batch) through,
 *   so the test also compares every stored row (with its ETag) before and after the reads.
 */
let api: ApiFixture;
let readOnly: Record<string, string>;
let crashedRunId: string;
const noCredential = (): never => {
  throw new Error('connection string only');
};

/** The same account through an account SAS that may read and list, and write nothing. */
function readOnlyConnectionString(connectionString: string): string {
  const field = (name: string): string => new RegExp(`(?:^|;)${name}=([^;]+)`).exec(connectionString)?.[1] ?? '';
  const sas = generateAccountSas(new AzureNamedKeyCredential(field('AccountName'), field('AccountKey')), {
    permissions: { query: true, list: true },
    resourceTypes: 'sco',
    expiresOn: new Date(Date.now() + 60 * 60_000),
  });
  return `TableEndpoint=${field('TableEndpoint')};SharedAccessSignature=${sas}`;
}

/** The applied pointer, read with the account key: which run the Customers table holds. */
async function appliedRunId(settings: Record<string, string>): Promise<unknown> {
  const runs = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Runs`, { allowInsecureConnection: true });
  return (await runs.getEntity<Record<string, unknown>>('applied', 'customers')).runId;
}

/** Every row of every table of the deployment, with its ETag (a write changes it), read with the account key. */
async function storedRows(settings: Record<string, string>): Promise<Record<string, string[]>> {
  const rows: Record<string, string[]> = {};
  for (const name of Object.values(tableNames)) {
    const table = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}${name}`, { allowInsecureConnection: true });
    rows[name] = [];
    for await (const row of table.listEntities()) rows[name].push(`${row.partitionKey}|${row.rowKey}|${row.etag}`);
  }
  return rows;
}

beforeAll(async () => {
  api = await startApiFixture();
  const storage = readConfig(api.settings, ['storage']).storage;
  // A partnerSecurity run that completes and then fails while applying its change records (the
  // history table missing under it), as a run killed between the two leaves them.
  const missing = new Tables({ ...storage, tablePrefix: 'nothere' }, noCredential);
  class HistoryMissing extends Tables {
    override clientFor(name: TableName): TableClient {
      return name === 'customerHistory' ? missing.clientFor(name) : super.clientFor(name);
    }
  }
  api.cloud.sim.setDay(9);
  const collector = await partnerSecurityCollector({ info: () => undefined, warn: () => undefined, error: () => undefined }, api.settings);
  await expect(collectPartnerSecurity({ ...collector, store: new TableSnapshotStore(new HistoryMissing(storage, noCredential)) })).rejects.toMatchObject({ code: 'CustomerStateNotApplied' });
  const [latest] = await api.reader.listRuns('partnerSecurity', { status: 'complete', top: 1 });
  crashedRunId = latest!.runId;
  readOnly = { ...api.settings, TABLES_CONNECTION_STRING: readOnlyConnectionString(api.settings.TABLES_CONNECTION_STRING!) };
  // A complete customer-admin run with a scan of every customer, so the customer and admin reads find rows.
  const tables = new Tables(storage, noCredential);
  const ledger = new TableRunLedger(tables);
  const run: SnapshotRun = { source: 'customerAdmins', runId: newRunId(new Date(), 'feedbeef'), status: 'running', startedAt: new Date().toISOString(), finishedAt: null, counts: {}, errorCode: null, errorMessage: null, warnings: [] };
  const etag = await ledger.open(run);
  const listed = ((await (await api.get('customers?top=1000')).json()) as { items: { tenantId: string }[] }).items;
  for (const { tenantId } of listed) {
    const admin = { userId: '86462606-fde0-4fc4-9e0c-a20eb73e54c6', userPrincipalName: 'AlexW@Contoso.com', displayName: 'Alex Wilber', roleTemplateIds: [], roleNames: ['Global Administrator'], isMfaRegistered: false, isMfaCapable: false, methodsRegistered: [], mfaRequired: false, requiredBy: [], requirementNote: null };
    await new TableAdminScanStore(tables).recordScan({ runId: run.runId, tenantId, scannedAt: run.startedAt, requests: 3, outcome: 'scanned', source: 'registrationDetails', securityDefaultsEnabled: false, mfaPolicies: [], admins: [admin] });
  }
  await ledger.replaceIfUnchanged({ ...run, status: 'complete', finishedAt: new Date().toISOString() }, etag);
  await api.cloud.run('detectRegressions', api.settings);
}, 240_000);
afterAll(async () => {
  await api?.close();
});

describe('the query API with a read-only storage identity', () => {
  it('when the credential may only read, then a write through it is refused (the test is real)', async () => {
    const runs = TableClient.fromConnectionString(readOnly.TABLES_CONNECTION_STRING!, `${readOnly.TABLE_PREFIX}Runs`, { allowInsecureConnection: true });
    await expect(runs.upsertEntity({ partitionKey: 'probe', rowKey: 'probe' })).rejects.toMatchObject({ statusCode: 403 });
    expect((await runs.getEntity('applied', 'customers')).partitionKey).toBe('applied');
  });

  it('when every GET function is called after a run was cut short while applying, then each answers from what was applied, and none writes', async () => {
    const appliedBefore = await appliedRunId(api.settings);
    expect(appliedBefore).not.toBe(crashedRunId);
    const before = await storedRows(api.settings);
    const tenantId = before.Customers![0]!.split('|')[1]!;
    const gets = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).flatMap((fn) => (fn.trigger.type === 'http' && fn.trigger.methods.includes('GET') ? [fn.trigger.route] : []));
    expect(gets).toEqual(expect.arrayContaining(['status', 'health', 'dashboard', 'customers', 'customers/{tenantId}/history', 'customers/{tenantId}/admins', 'findings', 'openapi.json']));
    const saved = process.env.TABLES_CONNECTION_STRING;
    process.env.TABLES_CONNECTION_STRING = readOnly.TABLES_CONNECTION_STRING;
    try {
      const answers: Record<string, number> = {};
      const bodies: Record<string, string> = {};
      for (const route of gets) {
        const response = await api.get(route.replace('{tenantId}', tenantId));
        answers[route] = response.status;
        bodies[route] = await response.text();
      }
      // The status is unhealthy here for its own reasons (the run failed applying); storage answered it.
      const status = JSON.parse(bodies.status!) as { healthy: boolean; sources: { source: string; waitingToBeApplied: string | null }[] };
      expect(status.sources.map((one) => [one.source, one.waitingToBeApplied])).toEqual([['partnerSecurity', crashedRunId], ['nonMfaPrincipals', null], ['registrationCounts', null]]);
      const healthy = status.healthy ? 200 : 503;
      expect(answers).toEqual(Object.fromEntries(gets.map((route) => [route, route === 'status' || route === 'health' ? healthy : 200])));
      // The customers are the state last applied: the cut-short run waits for its source's next run.
      expect(JSON.parse(bodies.customers!)).toMatchObject({ runId: appliedBefore });
      // The customer-admin reads found the run's rows (and the findings the detector opened from them).
      expect(JSON.parse(bodies.customers!)).toMatchObject({ items: expect.arrayContaining([expect.objectContaining({ adminScan: expect.objectContaining({ withoutMfaMethod: 1 }) })]) });
      expect(JSON.parse(bodies['customers/{tenantId}/admins']!)).toMatchObject({ outcome: 'scanned', items: [{ openFindingKeys: expect.arrayContaining([expect.stringMatching(/\/mfaMethod$/)]) }] });
    } finally {
      process.env.TABLES_CONNECTION_STRING = saved;
    }
    expect(await storedRows(api.settings)).toEqual(before);
  });

  it("when the source's next run starts, then it applies the cut-short run first, and lists its own state", async () => {
    await api.cloud.run('collectPartnerSecurity', api.settings);
    const [latest] = await api.reader.listRuns('partnerSecurity', { status: 'complete', top: 1 });
    expect(await appliedRunId(api.settings)).toBe(latest!.runId);
    const history = (await (await api.get(`customers/${(await customersAt(api.reader, crashedRunId))[0]!.tenantId}/history`)).json()) as { asOf: { runId: string } };
    expect(history.asOf.runId).toBe(latest!.runId);
    const status = (await (await api.get('status')).json()) as { sources: { waitingToBeApplied: string | null }[] };
    expect(status.sources.map((one) => one.waitingToBeApplied)).toEqual([null, null, null]);
  });
});
