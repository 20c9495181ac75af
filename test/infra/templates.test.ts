import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableNames } from '../../src/adapters/tableLayout';
import { settingDocs } from '../../src/config';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { bicepFiles, evaluate, evaluateExpression, parseBicep, type BicepFile, type BicepResource, type BicepValue } from './bicep';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

const root = join(__dirname, '../..');
let files: BicepFile[];

beforeAll(async () => {
  files = [];
  for (const path of bicepFiles(join(root, 'infra'))) files.push(await parseBicep(path, root));
});

const resources = (type: string): BicepResource[] => files.flatMap((file) => file.resources).filter((resource) => resource.type === type && !resource.existing);
const single = (type: string): BicepResource => {
  const found = resources(type);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const get = (value: BicepValue | undefined, path: string): BicepValue | undefined =>
  path.split('.').reduce<BicepValue | undefined>((at, key) => (at !== null && typeof at === 'object' && !Array.isArray(at) ? at[key] : undefined), value);

/** Settings the template leaves out on purpose, each with why. */
const notInAzure: Record<string, string> = {
  TABLES_CONNECTION_STRING: 'local development: Azure uses TABLES_ENDPOINT with the managed identity',
  ACS_CONNECTION_STRING: 'local development: Azure uses ACS_ENDPOINT with the managed identity',
  ADMIN_SCAN_QUEUE: 'local development: Azure uses the identity-based ADMIN_SCAN_QUEUE__queueServiceUri',
  AZURE_CLIENT_CERTIFICATE_PATH: 'an alternative to the client secret, for hosts with a certificate file',
  AZURE_CLIENT_CERTIFICATE_PASSWORD: 'goes with AZURE_CLIENT_CERTIFICATE_PATH',
  PORT: 'the local host only',
  LOCAL_FUNCTION_KEY: 'the local host only',
  LOCAL_ADMIN_KEY: 'the local host only: Azure has the master key',
  AZURITE_LOCATION: 'the local host only',
  HOST: 'the local host only',
  INVOCATION_DEADLINE_SECONDS: "derived from host.json's functionTimeout unless overridden",
  HEALTH_GRACE_MINUTES: 'derived from the invocation deadline unless overridden',
};

/** App settings the Functions host and its Application Insights integration read themselves, not src/config.ts. */
const hostSettings = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  // The queue trigger's identity-based connection (ADMIN_SCAN_QUEUE__queueServiceUri is the app's setting too).
  'ADMIN_SCAN_QUEUE__credential',
  'ADMIN_SCAN_QUEUE__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];

/**
 * Each resource's naming rules (Microsoft's "Naming rules and restrictions for Azure resources"):
 * length, allowed characters, first and last character.
 */
const namingRules: Record<string, { min: number; max: number; pattern: RegExp }> = {
  resourceGroup: { min: 1, max: 90, pattern: /^[-\w.()]*[-\w()]$/ },
  managedIdentity: { min: 3, max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/ },
  logAnalytics: { min: 4, max: 63, pattern: /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/ },
  // Application Insights refuses %&\?/ and control characters, and a trailing period or space (here: no whitespace at all).
  appInsights: { min: 1, max: 260, pattern: /^[^%&\\?/\s]*[^%&\\?/\s.]$/ },
  storageAccount: { min: 3, max: 24, pattern: /^[a-z0-9]+$/ },
  hostStorageAccount: { min: 3, max: 24, pattern: /^[a-z0-9]+$/ },
  deploymentContainer: { min: 3, max: 63, pattern: /^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$/ },
  communicationServices: { min: 1, max: 63, pattern: /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/ },
  emailServices: { min: 1, max: 63, pattern: /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/ },
  keyVault: { min: 3, max: 24, pattern: /^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/ },
  // Sites allow 60; 32 keeps the whole name, token included, in the host id the Functions host derives from it.
  functionApp: { min: 2, max: 32, pattern: /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/ },
  functionPlan: { min: 1, max: 60, pattern: /^[A-Za-z0-9-]+$/ },
  // Action groups refuse :<>+/&%\?| and control characters; alert rules *<>%{}&:\?/#|; neither may end with a space or period.
  actionGroup: { min: 1, max: 260, pattern: /^[^:<>+/&%\\?|\s]*[^:<>+/&%\\?|\s.]$/ },
  failedInvocationsAlert: { min: 1, max: 260, pattern: /^[^*<>%{}&:\\?/#|\s]*[^*<>%{}&:\\?/#|\s.]$/ },
  // Web tests refuse :<>+/&%\?| and control characters; metric alerts *#&+:<>?@%{}\/|; neither may end with a space or period.
  healthTest: { min: 1, max: 260, pattern: /^[^:<>+/&%\\?|\s]*[^:<>+/&%\\?|\s.]$/ },
  healthAlert: { min: 1, max: 260, pattern: /^[^*#&+:<>?@%{}\\/|\s]*[^*#&+:<>?@%{}\\/|\s.]$/ },
};

/** Environment names azd accepts (`^[a-zA-Z0-9-\(\)_\.]{1,64}$`), the awkward ones included. */
const environmentNames = ['a', 'mfa-prod', 'Partner_MFA.(prod)-2026', 'x.', '-', '(((', 'A'.repeat(64), '.'.repeat(64), '_'.repeat(64), 'a-'.repeat(32), 'ab'.repeat(32)];

/** Long runs of base64 or hex with letters and digits: what keys, secrets and tokens look like (not GUIDs, not resource types). */
function looksLikeSecret(text: string): boolean {
  if (/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/.test(text) || /^[A-Za-z.]+\/[A-Za-z/]+@\d{4}-\d\d-\d\d(-preview)?$/.test(text)) return false;
  return /[A-Za-z0-9+/=~]{24,}/.test(text) && /\d/.test(text) && /[A-Za-z]/.test(text);
}

/**
 * Population names of the availability test locations in Azure's public cloud, from "Availability
 * tests", Location population tags (https://learn.microsoft.com/azure/azure-monitor/app/availability-standard-tests).
 */
const availabilityLocations = [
  'emea-au-syd-edge', // Australia East
  'latam-br-gru-edge', // Brazil South
  'us-fl-mia-edge', // Central US
  'apac-hk-hkn-azr', // East Asia
  'us-va-ash-azr', // East US
  'emea-ch-zrh-edge', // France South
  'emea-fr-pra-edge', // France Central
  'apac-jp-kaw-edge', // Japan East
  'emea-gb-db3-azr', // North Europe
  'us-il-ch1-azr', // North Central US
  'us-tx-sn1-azr', // South Central US
  'apac-sg-sin-azr', // Southeast Asia
  'emea-se-sto-edge', // UK West
  'emea-nl-ams-azr', // West Europe
  'us-ca-sjc-azr', // West US
  'emea-ru-msa-edge', // UK South
];

/** Sites on a plan whose SKU tier is FlexConsumption (the plan named by `serverFarmId: <plan>.id`). */
function flexSites(resources: BicepResource[]): BicepResource[] {
  const flexPlans = resources.filter((resource) => resource.type === 'Microsoft.Web/serverfarms' && get(resource.body, 'sku.tier') === 'FlexConsumption').map((plan) => `${plan.symbol}.id`);
  return resources.filter((resource) => resource.type === 'Microsoft.Web/sites' && flexPlans.includes(String(get(resource.body, 'properties.serverFarmId'))));
}

/** Each listed property a Flex site or its `web` config sets, and each listed app setting it declares, as "<site>: <name>". */
function flexViolations(resources: BicepResource[], unsupported: { properties: string[]; appSettings: string[] }): string[] {
  const properties = new Set(unsupported.properties.map((name) => name.toLowerCase()));
  const appSettings = new Set(unsupported.appSettings.map((name) => name.toLowerCase()));
  const keys = (value: BicepValue | undefined): string[] => (value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : []);
  const found: string[] = [];
  for (const site of flexSites(resources)) {
    const siteConfig = get(site.body, 'properties.siteConfig');
    const children = resources.filter((resource) => resource.file === site.file && resource.type === 'Microsoft.Web/sites/config');
    const web = children.filter((config) => config.body.name === 'web').flatMap((config) => keys(get(config.body, 'properties')));
    for (const name of [...keys(get(site.body, 'properties')), ...keys(siteConfig), ...web]) {
      if (properties.has(name.toLowerCase())) found.push(`${site.symbol}: ${name}`);
    }
    const inline = get(siteConfig, 'appSettings');
    const settingNames = [
      ...(Array.isArray(inline) ? inline.map((setting) => String(get(setting, 'name'))) : []),
      ...children.filter((config) => config.body.name === 'appsettings').flatMap((config) => keys(get(config.body, 'properties'))),
    ];
    for (const name of settingNames) if (appSettings.has(name.toLowerCase())) found.push(`${site.symbol}: app setting ${name}`);
  }
  return found;
}

describe('infra/*.bicep, parsed with tree-sitter-bicep', () => {
  it('when every template is parsed, then none has a syntax error', () => {
    expect(files.map((file) => file.path)).toEqual(expect.arrayContaining(['infra/main.bicep', 'infra/modules/functionApp.bicep', 'infra/modules/storage.bicep']));
    expect(files.flatMap((file) => file.syntaxErrors)).toEqual([]);
  });

  it('when a template is broken, then the parser reports it (the check can fail)', async () => {
    const broken = await parseBicep(join(root, 'infra/broken.bicep'), root, "resource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n  properties: {\n}\n");
    expect(broken.syntaxErrors.length).toBeGreaterThan(0);
  });

  it('when main.bicep references a module, then the file exists and main.parameters.json names only parameters main.bicep declares', () => {
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    const modulePaths = [...main.source.matchAll(/^module \w+ '([^']+)'/gm)].map((match) => `infra/${match[1]}`);
    expect(modulePaths.length).toBeGreaterThanOrEqual(6);
    for (const path of modulePaths) expect(files.map((file) => file.path)).toContain(path);
    const parameters = JSON.parse(readFileSync(join(root, 'infra/main.parameters.json'), 'utf8')) as { parameters: Record<string, unknown> };
    const declared = main.parameters.map((parameter) => parameter.name);
    for (const name of Object.keys(parameters.parameters)) expect(declared).toContain(name);
    const required = main.parameters.filter((parameter) => parameter.defaultValue === null).map((parameter) => parameter.name);
    for (const name of required) expect(Object.keys(parameters.parameters)).toContain(name);
  });

  it('when the storage accounts are declared, then each has shared-key access off, HTTPS only, TLS 1.2 minimum, no public blobs, and the app\'s tables exist', () => {
    const accounts = resources('Microsoft.Storage/storageAccounts');
    expect(accounts.map((account) => account.file).sort()).toEqual(['infra/modules/hostStorage.bicep', 'infra/modules/storage.bicep']);
    for (const storage of accounts) {
      expect(get(storage.body, 'properties.allowSharedKeyAccess')).toBe(false);
      expect(get(storage.body, 'properties.supportsHttpsTrafficOnly')).toBe(true);
      expect(get(storage.body, 'properties.minimumTlsVersion')).toBe('TLS1_2');
      expect(get(storage.body, 'properties.allowBlobPublicAccess')).toBe(false);
    }
    expect(resources('Microsoft.Storage/storageAccounts/tableServices/tables').map((table) => table.file)).toEqual(['infra/modules/storage.bicep']);
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    const declared = /var tableNames = \[([^\]]*)\]/.exec(main.source)?.[1]?.match(/'([^']+)'/g)?.map((name) => name.slice(1, -1)) ?? [];
    expect(declared.sort()).toEqual(Object.values(tableNames).sort());
  });

  it("when the app's table role is assigned, then it is one assignment per declared table, scoped to that table and never to the data account; the host's is on its own account", () => {
    const tableRole = resources('Microsoft.Authorization/roleAssignments').filter((assignment) => String(get(assignment.body, 'properties.roleDefinitionId')).includes('storageTableDataContributor'));
    expect(tableRole.map((assignment) => [assignment.file, String(assignment.body.scope)]).sort()).toEqual([
      ['infra/modules/hostStorage.bicep', 'storage'],
      ['infra/modules/storage.bicep', 'appTables[index]'],
    ]);
    const storage = files.find((file) => file.path === 'infra/modules/storage.bicep')!;
    expect(storage.source).toMatch(/resource tableContributor '[^']+' = \[for \(tableName, index\) in tableNames: \{/);
    expect(storage.source).toMatch(/resource appTables '[^']+' = \[for tableName in tableNames: \{/);
    expect(storage.source).not.toMatch(/createTable|tableServices\/write/);
    // The host's account-wide table role (its diagnostic events) is on its own account, which holds none of the monitor's tables.
    const host = files.find((file) => file.path === 'infra/modules/hostStorage.bicep')!;
    expect(host.source).not.toMatch(/tableServices/);
    const settings = get(single('Microsoft.Web/sites/config').body, 'properties') as Record<string, BicepValue>;
    expect(settings.TABLES_ENDPOINT).toBe('tablesEndpoint');
    expect(settings.AzureWebJobsStorage__tableServiceUri).toBe('hostStorageTableEndpoint');
    expect(settings.AzureWebJobsStorage__accountName).toBe('hostStorageAccountName');
  });

  it('when the customer-admin scan queues are declared, then the scan queue and its poison queue are in the data account, each with the roles Microsoft names for the queue trigger and sender, scoped to the queue, and the trigger connects with the identity', () => {
    // Roles: "Azure Queue storage trigger and bindings for Azure Functions", identity-based connections
    // (includes/functions-queue-permissions.md: trigger = Storage Queue Data Reader + Storage Queue Data
    // Message Processor; sending = Storage Queue Data Message Sender). The poison queue is written by the
    // trigger with Put Message, creating it only on 404 (StorageQueueExtensions.AddMessageAndCreateIfNotExistsAsync),
    // so a queue made by the deployment needs no create right. Settings: "<CONNECTION>__queueServiceUri",
    // "__credential": managedidentity, "__clientId" for a user-assigned identity (same page).
    const queues = resources('Microsoft.Storage/storageAccounts/queueServices/queues');
    expect(queues.map((queue) => [queue.file, queue.symbol, String(queue.body.name)])).toEqual([
      ['infra/modules/storage.bicep', 'scanQueue', 'scanQueueName'],
      ['infra/modules/storage.bicep', 'poisonQueue', '${scanQueueName}-poison'],
    ]);
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    expect(main.source).toMatch(new RegExp(`var scanQueueName = '${settingDocs.find((doc) => doc.name === 'ADMIN_SCAN_QUEUE_NAME')?.default}'`));
    const queueRoles = resources('Microsoft.Authorization/roleAssignments').filter((assignment) => /Queue/.test(String(assignment.body.scope)));
    expect(queueRoles.map((assignment) => [assignment.file, assignment.symbol, String(assignment.body.scope)])).toEqual([
      ['infra/modules/storage.bicep', 'scanQueueRoles', 'scanQueue'],
      ['infra/modules/storage.bicep', 'poisonQueueRoles', 'poisonQueue'],
    ]);
    const storage = files.find((file) => file.path === 'infra/modules/storage.bicep')!;
    expect(storage.source).toMatch(/var queueRoles = \[storageQueueDataReader, storageQueueDataMessageProcessor, storageQueueDataMessageSender\]/);
    expect(storage.source).toMatch(/var storageQueueDataReader = '19e7f393-937e-4f77-808e-94535e297925'/);
    expect(storage.source).toMatch(/var storageQueueDataMessageProcessor = '8a0f0c08-91a1-4084-bc3d-661d67233fed'/);
    expect(storage.source).toMatch(/var storageQueueDataMessageSender = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'/);
    for (const symbol of ['scanQueueRoles', 'poisonQueueRoles']) expect(storage.source).toMatch(new RegExp(`resource ${symbol} '[^']+' = \\[for role in queueRoles: \\{`));
    // Never Storage Queue Data Contributor, nor any queue role on the account.
    expect(files.map((file) => file.source).join('\n')).not.toMatch(/974c5e8b-45b9-4653-ba55-5f855dd0fb88/);
    const settings = get(single('Microsoft.Web/sites/config').body, 'properties') as Record<string, BicepValue>;
    expect(settings).toMatchObject({
      ADMIN_SCAN_QUEUE__queueServiceUri: 'queueServiceUri',
      ADMIN_SCAN_QUEUE__credential: 'managedidentity',
      ADMIN_SCAN_QUEUE__clientId: 'identityClientId',
      ADMIN_SCAN_QUEUE_NAME: 'scanQueueName',
      CUSTOMER_TENANT_AUTH: 'customerTenantAuth',
      SCHEDULE_CUSTOMER_ADMINS: 'schedules.customerAdmins',
    });
    expect(main.parameters.find((parameter) => parameter.name === 'customerTenantAuth')?.defaultValue).toBe("'off'");
  });

  it("when Flex Consumption's instance count is set, then it is a parameter of main.bicep that says it caps the scan's concurrency with host.json's per-instance batch", () => {
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    expect(main.parameters.find((parameter) => parameter.name === 'maximumInstanceCount')?.defaultValue).toBe('40');
    const site = single('Microsoft.Web/sites');
    expect(get(site.body, 'properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount')).toBe('maximumInstanceCount');
    const hostJson = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as { extensions: { queues: { batchSize: number; newBatchThreshold: number } } };
    const perInstance = hostJson.extensions.queues.batchSize + hostJson.extensions.queues.newBatchThreshold;
    expect(main.source).toContain(`batchSize + newBatchThreshold (host.json extensions.queues: ${hostJson.extensions.queues.batchSize} + ${hostJson.extensions.queues.newBatchThreshold} = ${perInstance})`);
    expect(main.source).toContain(`${perInstance} x this caps the customer tenants scanned at once`);
  });

  it('when the function app is declared, then it runs Node 22 on Flex Consumption as the user-assigned identity, HTTPS only', () => {
    const plan = single('Microsoft.Web/serverfarms');
    expect(get(plan.body, 'sku.name')).toBe('FC1');
    expect(get(plan.body, 'sku.tier')).toBe('FlexConsumption');
    const site = single('Microsoft.Web/sites');
    expect(get(site.body, 'properties.functionAppConfig.runtime')).toEqual({ name: 'node', version: '22' });
    expect(get(site.body, 'properties.httpsOnly')).toBe(true);
    expect(get(site.body, 'properties.siteConfig.minTlsVersion')).toBe('1.2');
    expect(get(site.body, 'identity.type')).toBe('UserAssigned');
    expect(get(site.body, 'properties.functionAppConfig.deployment.storage.authentication.type')).toBe('UserAssignedIdentity');
    expect(get(site.body, 'properties.keyVaultReferenceIdentity')).toBe('identityId');
  });

  it('when the app settings are declared, then every setting the config module reads in Azure is set, and the host reaches storage with the identity', () => {
    const settings = get(single('Microsoft.Web/sites/config').body, 'properties') as Record<string, BicepValue>;
    const expected = settingDocs.map((doc) => doc.name).filter((name) => !(name in notInAzure));
    expect(expected.filter((name) => !(name in settings))).toEqual([]);
    for (const name of Object.keys(notInAzure)) expect(settingDocs.map((doc) => doc.name)).toContain(name);
    expect(settings).toMatchObject({
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: 'identityClientId',
      MANAGED_IDENTITY_CLIENT_ID: 'identityClientId',
      ALERT_FROM: 'alertFrom',
      ALERT_TO: 'alertTo',
    });
    expect(Object.keys(settings).filter((name) => /^AzureWebJobsStorage$|CONNECTION_STRING$|^ADMIN_SCAN_QUEUE$/.test(name))).toEqual(['APPLICATIONINSIGHTS_CONNECTION_STRING']);
    // The other way round: nothing the template sets is unknown to the app or the host (a typo would be silently ignored).
    const known = new Set([...settingDocs.map((doc) => doc.name), ...hostSettings]);
    expect(Object.keys(settings).filter((name) => !known.has(name))).toEqual([]);
    expect(hostSettings.filter((name) => !(name in settings))).toEqual([]);
    for (const name of Object.keys(notInAzure)) expect({ name, setInAzure: name in settings }).toEqual({ name, setInAzure: false });
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    for (const schedule of ['schedulePartnerSecurity', 'scheduleNonMfaPrincipals', 'scheduleRegistrationCounts', 'scheduleDetectRegressions', 'schedulePruneSnapshots', 'scheduleWeeklyDigest', 'scheduleCustomerAdmins']) {
      const name = `SCHEDULE_${schedule.slice('schedule'.length).replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
      const documented = settingDocs.find((doc) => doc.name === name)?.default;
      expect({ name, default: main.parameters.find((parameter) => parameter.name === schedule)?.defaultValue }).toEqual({ name, default: `'${documented}'` });
    }
  });

  it('when Key Vault is declared, then it is in RBAC mode with soft delete and purge protection', () => {
    const vault = single('Microsoft.KeyVault/vaults');
    expect(get(vault.body, 'properties.enableRbacAuthorization')).toBe(true);
    expect(get(vault.body, 'properties.enableSoftDelete')).toBe(true);
    expect(get(vault.body, 'properties.enablePurgeProtection')).toBe(true);
  });

  it('when Application Insights and ACS are declared, then telemetry uses Entra auth on a workspace and email has a linked Azure-managed domain', () => {
    const insights = single('Microsoft.Insights/components');
    expect(get(insights.body, 'properties.DisableLocalAuth')).toBe(true);
    expect(get(insights.body, 'properties.WorkspaceResourceId')).toBe('workspace.id');
    expect(get(single('Microsoft.Communication/emailServices/domains').body, 'properties.domainManagement')).toBe('AzureManaged');
    expect(get(single('Microsoft.Communication/communicationServices').body, 'properties.linkedDomains')).toEqual(['emailService::managedDomain.id']);
  });

  it('when a Flex Consumption site is declared, then it sets no site property or app setting the Flex Consumption documentation lists as deprecated or invalid', async () => {
    // The list, its sources (Microsoft's "Flex Consumption plan deprecations" table and ARM's 51021 answers) and the date read: in the fixture.
    const unsupported = JSON.parse(readFileSync(join(__dirname, 'fixtures/flexConsumptionUnsupported.json'), 'utf8')) as { properties: string[]; appSettings: string[]; sources: { url: string }[] };
    expect(unsupported.sources.map((source) => source.url)).toContain('https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations');
    expect(unsupported.properties).toEqual(expect.arrayContaining(['ftpsState', 'alwaysOn', 'linuxFxVersion', 'functionsRuntimeScaleMonitoringEnabled']));
    expect(unsupported.appSettings).toEqual(expect.arrayContaining(['WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_CONTENTSHARE', 'FUNCTIONS_WORKER_RUNTIME']));
    const all = files.flatMap((file) => file.resources);
    expect(flexSites(all).map((site) => site.symbol)).toEqual(['functionApp']);
    expect(flexViolations(all, unsupported)).toEqual([]);
    // The check finds what it looks for: a site with a refused siteConfig property and a deprecated app setting, in any case.
    const planted = await parseBicep(join(root, 'infra/planted.bicep'), root, [
      "resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {\n  name: 'p'\n  sku: { tier: 'FlexConsumption', name: 'FC1' }\n}",
      "resource site 'Microsoft.Web/sites@2024-04-01' = {\n  name: 's'\n  properties: {\n    serverFarmId: plan.id\n    siteConfig: {\n      FtpsState: 'Disabled'\n      appSettings: [\n        { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }\n      ]\n    }\n  }\n  resource web 'config' = {\n    name: 'appsettings'\n    properties: {\n      functions_worker_runtime: 'node'\n    }\n  }\n}\n",
    ].join('\n'));
    expect(flexViolations(planted.resources, unsupported)).toEqual(['site: FtpsState', 'site: app setting WEBSITE_RUN_FROM_PACKAGE', 'site: app setting functions_worker_runtime']);
  });

  it('when Azure Monitor watches the health endpoint, then a standard availability test GETs /api/health on the app from five locations, not App Service\'s health check', () => {
    // App Service's health check pings the instances of a plan ("Monitor App Service instances using Health check"); Flex Consumption has none.
    const site = single('Microsoft.Web/sites');
    expect(flexViolations(files.flatMap((file) => file.resources), { properties: ['healthCheckPath'], appSettings: [] })).toEqual([]);
    expect(get(site.body, 'properties.siteConfig')).toBeDefined();
    // The dashboard page is anonymous too, but static: it says nothing of the monitor's health.
    const anonymous = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).flatMap((fn) => (fn.trigger.type === 'http' && fn.trigger.authLevel === 'anonymous' && fn.name !== 'dashboard' ? [`/api/${fn.trigger.route}`] : []));
    expect(anonymous).toEqual(['/api/health']);

    // Shape from the ARM reference "Microsoft.Insights webtests 2022-06-15" (https://learn.microsoft.com/azure/templates/microsoft.insights/webtests).
    const test = single('Microsoft.Insights/webtests');
    expect(test.apiVersion).toBe('2022-06-15');
    expect(test.body.kind).toBe('standard');
    expect(get(test.body, 'properties')).toMatchObject({ Kind: 'standard', Enabled: true, SyntheticMonitorId: 'webTestName' });
    expect([300, 600, 900]).toContain(get(test.body, 'properties.Frequency'));
    expect(get(test.body, 'properties.Request')).toMatchObject({ RequestUrl: 'healthUrl', HttpVerb: 'GET' });
    expect(get(test.body, 'properties.ValidationRules.ExpectedHttpStatusCode')).toBe(200);
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    expect(/module availability 'modules\/availability\.bicep' = \{[\s\S]*?\n\}/.exec(main.source)?.[0]).toContain(`healthUrl: 'https://\${functionApp.outputs.defaultHostName}${anonymous[0]}'`);
    // A test belongs to its Application Insights resource through a `hidden-link:<component id>` tag valued 'Resource' (the
    // form the ARM reference's "Create or update a web test alert rule" sample, Microsoft.Insights/metricAlerts 2018-03-01, tags with).
    const module = files.find((file) => file.path === test.file)!;
    const insights = module.resources.find((resource) => resource.type === 'Microsoft.Insights/components');
    expect(insights?.existing).toBe(true);
    expect(String(test.body.tags)).toMatch(new RegExp(`^union\\(tags, \\{ 'hidden-link:\\$\\{${insights!.symbol}\\.id\\}': 'Resource' \\}\\)$`));
    // Locations by the population names of "Availability tests" (https://learn.microsoft.com/azure/azure-monitor/app/availability-standard-tests#location-population-tags); at least five, as it recommends.
    expect(String(get(test.body, 'properties.Locations'))).toBe('[for id in testLocations: { Id: id }]');
    const locations = evaluate(module.variables.testLocations!) as string[];
    expect(new Set(locations).size).toBeGreaterThanOrEqual(5);
    expect(locations.filter((id) => !availabilityLocations.includes(id))).toEqual([]);
  });

  it('when the availability test fails from enough locations, then a metric alert on it emails the action group, which emails ALERT_TO', () => {
    const test = single('Microsoft.Insights/webtests');
    const module = files.find((file) => file.path === test.file)!;
    const insights = module.resources.find((resource) => resource.type === 'Microsoft.Insights/components')!;
    // Shape from "Create or update a web test alert rule" in the ARM reference for Microsoft.Insights/metricAlerts 2018-03-01.
    const alert = single('Microsoft.Insights/metricAlerts');
    expect(alert.file).toBe(test.file);
    expect(alert.apiVersion).toBe('2018-03-01');
    expect(alert.body.location).toBe('global');
    expect(get(alert.body, 'properties')).toMatchObject({ enabled: true, autoMitigate: true, scopes: [`${test.symbol}.id`, `${insights.symbol}.id`] });
    const locations = evaluate(module.variables.testLocations!) as string[];
    expect(get(alert.body, 'properties.criteria')).toEqual({
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
      webTestId: `${test.symbol}.id`,
      componentId: `${insights.symbol}.id`,
      // "alert location threshold = number of test locations - 2, with a minimum of five test locations".
      failedLocationCount: locations.length - 2,
    });
    expect(get(alert.body, 'properties.actions')).toEqual([{ actionGroupId: 'actionGroupId' }]);
    // The window holds one run from each location.
    const windowMinutes = Number(/^PT(\d+)M$/.exec(String(get(alert.body, 'properties.windowSize')))?.[1]);
    expect(windowMinutes * 60).toBeGreaterThanOrEqual(Number(get(test.body, 'properties.Frequency')));

    // The action group it names is the one that emails the monitor's own recipients.
    const actionGroup = single('Microsoft.Insights/actionGroups');
    const monitoring = files.find((file) => file.path === actionGroup.file)!;
    expect(monitoring.source).toMatch(new RegExp(`^output actionGroupId string = ${actionGroup.symbol}\\.id$`, 'm'));
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    expect(/module availability 'modules\/availability\.bicep' = \{[\s\S]*?\n\}/.exec(main.source)?.[0]).toContain('actionGroupId: monitoring.outputs.actionGroupId');
    expect(get(actionGroup.body, 'properties.enabled')).toBe(true);
    expect(String(get(actionGroup.body, 'properties.groupShortName')).length).toBeLessThanOrEqual(12);
    expect(String(get(actionGroup.body, 'properties.emailReceivers'))).toMatch(/for \(address, index\) in filter\(split\(alertTo, ','\)[\s\S]*emailAddress: trim\(address\)/);
    expect(/module monitoring 'modules\/monitoring\.bicep' = \{[\s\S]*?\n\}/.exec(main.source)?.[0]).toContain('alertTo: alertTo');
    expect(main.source).toMatch(/functionApp 'modules\/functionApp\.bicep'[\s\S]*?\n {4}alertTo: alertTo\n/);
  });

  it('when a function invocation fails, then the log alert rule on Application Insights emails the action group, leaving the health endpoint\'s 503s to the availability test', () => {
    const rule = single('Microsoft.Insights/scheduledQueryRules');
    const insights = single('Microsoft.Insights/components');
    const actionGroup = single('Microsoft.Insights/actionGroups');
    expect({ rule: rule.symbol, file: rule.file }).toEqual({ rule: rule.symbol, file: insights.file });
    expect(get(rule.body, 'properties.enabled')).toBe(true);
    expect(get(rule.body, 'properties.scopes')).toEqual([`${insights.symbol}.id`]);
    expect(get(rule.body, 'properties.actions.actionGroups')).toEqual([`${actionGroup.symbol}.id`]);
    expect(get(rule.body, 'properties.autoMitigate')).toBe(true);
    const [criterion] = get(rule.body, 'properties.criteria.allOf') as Record<string, BicepValue>[];
    expect(criterion).toMatchObject({ timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 });
    expect(String(criterion!.query)).toMatch(/^requests \| where success == false \| where not\(name in \("apiHealth", "apiStatus"\) and resultCode == "503"\)/);
    // The names the query matches are the functions' own registered names.
    const registered = loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }).map((fn) => fn.name);
    expect(registered).toEqual(expect.arrayContaining(['apiHealth', 'apiStatus']));
  });

  it('when a role is assigned, then it is named with guid() and scoped to one resource of the same file, and each chosen role is there', () => {
    const assignments = resources('Microsoft.Authorization/roleAssignments');
    for (const assignment of assignments) {
      const file = files.find((candidate) => candidate.path === assignment.file)!;
      const symbols = file.resources.map((resource) => resource.symbol).concat(file.resources.map((resource) => resource.symbol).flatMap((parent) => file.resources.map((child) => `${parent}::${child.symbol}`)));
      expect({ symbol: assignment.symbol, name: String(assignment.body.name) }).toEqual({ symbol: assignment.symbol, name: expect.stringMatching(/^guid\(/) });
      // An assignment in a loop is scoped to one element of a resource loop (`appTables[index]`).
      expect({ symbol: assignment.symbol, scope: symbols.includes(String(assignment.body.scope).replace(/\[\w+\]$/, '')) }).toEqual({ symbol: assignment.symbol, scope: true });
    }
    const roles = assignments.map((assignment) => `${assignment.file} ${String(get(assignment.body, 'properties.roleDefinitionId'))}`).join('\n');
    const allSource = files.map((file) => file.source).join('\n');
    for (const [role, id] of Object.entries({
      'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
      'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      'Communication and Email Service Owner': '09976791-48a7-449e-bb21-39d1a415f350',
      'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
      'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
      'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
      'Storage Queue Data Reader': '19e7f393-937e-4f77-808e-94535e297925',
      'Storage Queue Data Message Processor': '8a0f0c08-91a1-4084-bc3d-661d67233fed',
      'Storage Queue Data Message Sender': 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
    })) {
      expect({ role, declared: allSource.includes(id) }).toEqual({ role, declared: true });
    }
    expect(roles).not.toMatch(/b24988ac-6180-42a0-ab88-20f7382dd24c|8e3af657-a8ff-443c-a75c-2fe8c4bcb635/); // Contributor, Owner
    // The app's write access to a secret is on the rotating secret alone.
    const rotator = assignments.find((assignment) => assignment.file === 'infra/modules/refreshTokenAccess.bicep');
    expect(rotator?.body.scope).toBe('vault::refreshToken');
  });

  it('when the templates are searched, then no secret, key or connection string is written in them', () => {
    for (const file of files) {
      expect({ file: file.path, listKeys: /listKeys\(|listConnectionStrings\(|AccountKey=|accesskey=|SharedAccessSignature|primaryKey/i.test(file.source) }).toEqual({ file: file.path, listKeys: false });
      expect({ file: file.path, suspicious: file.strings.filter(looksLikeSecret) }).toEqual({ file: file.path, suspicious: [] });
    }
    expect(looksLikeSecret('Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==')).toBe(true);
    expect(looksLikeSecret('sim~Qk3xv0a8Jd2PZl1Tq9YwE4rGmH7cNbVs')).toBe(true);
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    expect(main.source).toMatch(/@secure\(\)[^\n]*\n(@description[^\n]*\n)?param apiTokenSecret string = newGuid\(\)/);
  });

  it('when a resource names its API version, then it is a dated one, and main.bicep\'s outputs are UPPER_SNAKE for azd', () => {
    for (const resource of files.flatMap((file) => file.resources).filter((candidate) => candidate.apiVersion !== null)) {
      expect(`${resource.type}@${resource.apiVersion}`).toMatch(/@20\d\d-\d\d-\d\d(-preview)?$/);
    }
    const main = files.find((file) => file.path === 'infra/main.bicep')!;
    expect(main.outputs.length).toBeGreaterThan(5);
    for (const output of main.outputs) expect(output).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    expect(main.outputs).toEqual(expect.arrayContaining(['KEY_VAULT_URL', 'TABLES_ENDPOINT', 'ACS_ENDPOINT', 'AZURE_FUNCTION_APP_NAME']));
  });

  it('when azd reads azure.yaml, then it deploys this folder as a function app from infra/', () => {
    const azure = readFileSync(join(root, 'azure.yaml'), 'utf8');
    expect(azure).toMatch(/^services:\n {2}monitor:\n {4}project: \.\n {4}language: ts\n {4}host: function$/m);
    expect(files.find((file) => file.path === 'infra/modules/functionApp.bicep')?.source).toContain("'azd-service-name': 'monitor'");
  });
});

describe('infra/main.bicep refuses what cannot work', () => {
  const main = (): BicepFile => files.find((file) => file.path === 'infra/main.bicep')!;
  const parametersJson = (): Record<string, { value: string }> =>
    (JSON.parse(readFileSync(join(root, 'infra/main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> }).parameters;

  it('when azd asks for a region, then it offers only regions with Flex Consumption, through its location metadata', () => {
    const location = main().parameters.find((parameter) => parameter.name === 'location')!;
    expect(location.decorators.metadata).toEqual({ azd: { type: 'location' } });
    const allowed = location.decorators.allowed as string[];
    expect(allowed.length).toBeGreaterThanOrEqual(20);
    for (const region of allowed) expect(region).toMatch(/^[a-z]+[0-9]?$/);
    expect(allowed).toEqual(expect.arrayContaining(['eastus', 'westeurope', 'northeurope', 'australiaeast', 'uksouth']));
    expect(allowed.filter((region) => region.includes('euap'))).toEqual([]);
    expect(new Set(allowed).size).toBe(allowed.length);
    expect(parametersJson().location).toEqual({ value: '${AZURE_LOCATION}' });
  });

  it('when azd deploys as a person or as a service principal, then the deployer\'s role assignment says which, from AZURE_PRINCIPAL_TYPE', () => {
    expect(parametersJson().principalType).toEqual({ value: '${AZURE_PRINCIPAL_TYPE=User}' });
    expect(main().parameters.find((parameter) => parameter.name === 'principalType')?.decorators.allowed).toEqual(['User', 'ServicePrincipal', 'Group']);
    expect(main().source).toMatch(/adminPrincipalType: principalType/);
    const deployerRole = resources('Microsoft.Authorization/roleAssignments').find((assignment) => get(assignment.body, 'properties.principalId') === 'adminPrincipalId');
    expect(get(deployerRole?.body, 'properties.principalType')).toBe('adminPrincipalType');
    // The app's own identity is always a service principal; nothing else is written as a literal.
    for (const assignment of resources('Microsoft.Authorization/roleAssignments')) {
      expect([assignment.symbol, get(assignment.body, 'properties.principalType')]).toEqual([assignment.symbol, get(assignment.body, 'properties.principalId') === 'adminPrincipalId' ? 'adminPrincipalType' : 'ServicePrincipal']);
    }
  });

  it('when any environment name azd accepts is used, then every resource name keeps its length and character rules', () => {
    const file = main();
    const abbreviations = JSON.parse(readFileSync(join(root, 'infra/abbreviations.json'), 'utf8')) as Record<string, string>;
    const namesNode = file.variables.names;
    expect(namesNode?.type).toBe('object');
    const expressions = Object.fromEntries(
      namesNode!.namedChildren.filter((child) => child?.type === 'object_property').map((property) => [property!.namedChildren[0]!.text, property!.namedChildren[1]!]),
    );
    expect(Object.keys(expressions).sort()).toEqual(Object.keys(namingRules).sort());
    for (const environmentName of environmentNames) {
      expect(environmentName).toMatch(/^[a-zA-Z0-9\-()_.]{1,64}$/);
      // uniqueString gives 13 lowercase letters or digits, and may begin with a digit.
      const scope: Record<string, BicepValue> = { environmentName, location: 'westeurope', abbreviations };
      const context = { scope, uniqueString: '0k3v5x7z9b1d3' };
      for (const name of ['token', 'nameStem']) scope[name] = evaluateExpression(file.variables[name]!, context);
      for (const [resource, expression] of Object.entries(expressions)) {
        const name = String(evaluateExpression(expression, context));
        const rule = namingRules[resource]!;
        expect({ environmentName, resource, name, fits: name.length >= rule.min && name.length <= rule.max && rule.pattern.test(name) }).toEqual({ environmentName, resource, name, fits: true });
      }
    }
    // Every resource takes its name from `names`: nothing else builds one from the environment name.
    const withoutNames = file.source.replace(/^var names = \{[\s\S]*?^\}$/m, '');
    expect(withoutNames.match(/\$\{abbreviations\.[^}]*\}/g) ?? []).toEqual([]);
    expect(withoutNames.match(/^\s*(name|\w+Name): '.*\$\{environmentName\}.*$/gm) ?? []).toEqual([]);
  });

  it('when app settings name a Key Vault secret, then each reference is built from a secret resource, and the client secret only once it is chosen and stored', () => {
    const settings = get(single('Microsoft.Web/sites/config').body, 'properties') as Record<string, BicepValue>;
    const app = files.find((file) => file.path === 'infra/modules/functionApp.bicep')!;
    // By name, a reference can point at a secret that does not exist yet: the setting then holds the reference's text.
    expect(files.filter((file) => /SecretName=/.test(file.source)).map((file) => file.path)).toEqual([]);
    expect(settings.API_TOKEN_SECRET).toBe('apiTokenSecretReference');
    expect(app.source).toMatch(/^var apiTokenSecretReference = '@Microsoft\.KeyVault\(SecretUri=\$\{apiTokenSecretUri\}\)'$/m);
    expect(main().source).toMatch(/apiTokenSecretUri: keyVault\.outputs\.apiTokenSecretUri/);
    expect(files.find((file) => file.path === 'infra/modules/keyVault.bicep')?.source).toMatch(/^output apiTokenSecretUri string = vault::apiToken\.properties\.secretUri$/m);
    expect(settings.AZURE_CLIENT_SECRET).toBe('graphClientSecretReference');
    expect(app.source).toMatch(/^var graphClientSecretReference = appCredential == 'clientSecret' \? '@Microsoft\.KeyVault\(SecretUri=\$\{vault::graphClientSecret\.properties\.secretUri\}\)' : ''$/m);
    const graphSecret = app.resources.find((resource) => resource.symbol === 'graphClientSecret');
    expect({ existing: graphSecret?.existing, name: graphSecret?.body.name }).toEqual({ existing: true, name: 'graph-client-secret' });
    // The same secret is named for /api/status, which reads its expiry, only when the client secret is chosen.
    expect(settings.CLIENT_SECRET_KEY_VAULT_SECRET).toBe(`appCredential == 'clientSecret' ? '${graphSecret?.body.name as string}' : ''`);
    expect(settings.KEY_VAULT_URL).toBe('keyVaultUri');
    expect(main().parameters.find((parameter) => parameter.name === 'appCredential')).toMatchObject({
      defaultValue: "'managedIdentityFederation'",
      decorators: { allowed: ['managedIdentityFederation', 'clientSecret'] },
    });
    expect(parametersJson().appCredential).toEqual({ value: '${APP_CREDENTIAL=managedIdentityFederation}' });
    expect(settings.APP_CREDENTIAL).toBe("appCredential == 'managedIdentityFederation' ? 'managedIdentityFederation' : 'auto'");
  });

  it('when alert channels are given, then their URLs and the signing secret are Key Vault secrets the app settings refer to, and a channel not given has neither', () => {
    const settings = get(single('Microsoft.Web/sites/config').body, 'properties') as Record<string, BicepValue>;
    const app = files.find((file) => file.path === 'infra/modules/functionApp.bicep')!;
    const vault = files.find((file) => file.path === 'infra/modules/keyVault.bicep')!;
    const secrets = { TEAMS_WEBHOOK_URL: 'teams-webhook-url', SLACK_WEBHOOK_URL: 'slack-webhook-url', ALERT_WEBHOOK_URL: 'alert-webhook-url', ALERT_WEBHOOK_SECRET: 'alert-webhook-secret' };
    for (const [setting, secret] of Object.entries(secrets)) {
      expect(settings[setting]).toBe(`channelReferences['${secret}']`);
      expect(main().source).toContain(`'${secret}': ${setting.toLowerCase().replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())}`);
      expect(parametersJson()[setting.toLowerCase().replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())]).toEqual({ value: `\${${setting}=}` });
    }
    expect(app.source).toMatch(/^var channelReferences = toObject\(channelSecretUris, secret => secret\.name, secret => empty\(secret\.uri\) \? '' : '@Microsoft\.KeyVault\(SecretUri=\$\{secret\.uri\}\)'\)$/m);
    expect(vault.source).toMatch(/for secret in items\(channelSecrets\): if \(!empty\(secret\.value\)\)/);
    expect(vault.source).toMatch(/@secure\(\)\n@description[^\n]*\nparam channelSecrets object/);
    for (const name of ['teamsWebhookUrl', 'slackWebhookUrl', 'alertWebhookUrl', 'alertWebhookSecret']) expect(main().source).toMatch(new RegExp(`@secure\\(\\)\\n@description[^\\n]*\\nparam ${name} string = ''`));
    expect(settings.ALERT_ROUTES).toBe('alertRoutes');
  });

  it("when a setting's documentation calls it a Key Vault reference in Azure, then the template sets it to a reference to a Key Vault secret from a secure parameter, empty by default", () => {
    const settings = get(single('Microsoft.Web/sites/config').body, 'properties') as Record<string, BicepValue>;
    const documented = settingDocs.filter((doc) => /key vault reference in azure/i.test(doc.description)).map((doc) => doc.name);
    expect(documented).toEqual(expect.arrayContaining(['TEAMS_WEBHOOK_URL', 'CONNECTWISE_PRIVATE_KEY', 'AUTOTASK_SECRET', 'HALOPSA_CLIENT_SECRET']));
    for (const setting of documented) {
      const secret = /^channelReferences\['([a-z-]+)'\]$/.exec(String(settings[setting]))?.[1];
      expect({ setting, secret }).toEqual({ setting, secret: setting.toLowerCase().replaceAll('_', '-') });
      const parameter = setting.toLowerCase().replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());
      expect(main().source).toContain(`'${secret!}': ${parameter}\n`);
      expect({ setting, parameter: main().parameters.find((candidate) => candidate.name === parameter) }).toEqual({ setting, parameter: { name: parameter, defaultValue: "''", decorators: expect.objectContaining({ secure: true }) } });
      expect(parametersJson()[parameter]).toEqual({ value: `\${${setting}=}` });
    }
  });

  it('when a PSA is set up at deployment, then every PSA setting the app reads is an app setting: its credential a Key Vault reference absent when not given, the rest from psaSettings, each mapped from the azd variable of its name', () => {
    const settings = get(single('Microsoft.Web/sites/config').body, 'properties') as Record<string, BicepValue>;
    const psaNames = settingDocs.map((doc) => doc.name).filter((name) => /^(PSA|CONNECTWISE|AUTOTASK|HALOPSA)_/.test(name));
    expect(psaNames.length).toBeGreaterThanOrEqual(30);
    const credentials = { CONNECTWISE_PRIVATE_KEY: 'connectwise-private-key', AUTOTASK_SECRET: 'autotask-secret', HALOPSA_CLIENT_SECRET: 'halopsa-client-secret' };
    for (const [setting, secret] of Object.entries(credentials)) {
      expect(psaNames).toContain(setting);
      expect({ setting, value: settings[setting] }).toEqual({ setting, value: `channelReferences['${secret}']` });
    }
    // A credential not given: no secret (the loop's condition) and an empty setting (the reference's), never a reference to nothing.
    const vault = files.find((file) => file.path === 'infra/modules/keyVault.bicep')!;
    const app = files.find((file) => file.path === 'infra/modules/functionApp.bicep')!;
    expect(vault.source).toMatch(/for secret in items\(channelSecrets\): if \(!empty\(secret\.value\)\)/);
    expect(vault.source).toMatch(/uri: empty\(secret\.value\) \? '' : channelSecret\[index\]\.properties\.secretUri/);
    expect(app.source).toMatch(/secret => empty\(secret\.uri\) \? '' : '@Microsoft\.KeyVault\(SecretUri=\$\{secret\.uri\}\)'/);
    // Every other PSA setting comes from psaSettings by its own name; empty is the app's documented default.
    const plain = psaNames.filter((name) => !(name in credentials));
    for (const name of plain) expect({ name, value: settings[name] }).toEqual({ name, value: `psaSettings.?${name} ?? ''` });
    const mapped = (parametersJson().psaSettings as unknown as { value: Record<string, string> }).value;
    expect(mapped).toEqual(Object.fromEntries(plain.map((name) => [name, `\${${name}=}`])));
    expect(main().parameters.find((parameter) => parameter.name === 'psaSettings')).toEqual({ name: 'psaSettings', defaultValue: '{}', decorators: expect.not.objectContaining({ secure: true }) });
    expect(main().source).toMatch(/^ {4}psaSettings: psaSettings$/m);
    // psaSettings is seen in the deployment's history, so no credential may travel in it.
    expect(Object.keys(mapped).filter((name) => name in credentials)).toEqual([]);
    expect(app.source.match(/psaSettings\.\?\w+/g)?.filter((read) => read.slice('psaSettings.?'.length) in credentials)).toEqual([]);
    // The PSAs are outside Azure: no role is assigned for them, and the vault's one read role covers their references.
    expect(resources('Microsoft.Authorization/roleAssignments').filter((assignment) => /psa|connectwise|autotask|halo/i.test(`${assignment.symbol} ${assignment.file}`))).toEqual([]);
    expect(app.source).toMatch(/Key Vault Secrets User on the vault \(keyVault\.bicep\), which\n\s*\/\/ already covers every secret in it: no new role for the PSAs/);
  });

  it('when the environment was taken down, then the next deployment recovers its soft-deleted vault instead of failing on the name', () => {
    const vault = single('Microsoft.KeyVault/vaults');
    expect(get(vault.body, 'properties.createMode')).toBe('createMode');
    expect(files.find((file) => file.path === 'infra/modules/keyVault.bicep')?.parameters.find((parameter) => parameter.name === 'createMode')?.decorators.allowed).toEqual(['default', 'recover']);
    expect(main().source).toMatch(/createMode: keyVaultCreateMode/);
    expect(parametersJson().keyVaultCreateMode).toEqual({ value: '${KEY_VAULT_CREATE_MODE=default}' });
    // infra/hooks/preprovision.js chooses the mode (test/infra/preprovisionHook.test.ts), finding the vault as the template
    // names it: the azd-env-name tag, the region, the prefix. Those must stay what the vault is deployed with.
    expect(main().source).toContain("var tags = { 'azd-env-name': environmentName }");
    expect(/module keyVault 'modules\/keyVault\.bicep' = \{[\s\S]*?\n\}/.exec(main().source)?.[0]).toMatch(/name: names\.keyVault\n {4}location: location\n {4}tags: tags\n/);
    expect(vault.body).toMatchObject({ name: 'name', location: 'location', tags: 'tags' });
    expect(main().source).toMatch(/^ {2}keyVault: take\('\$\{abbreviations\.keyVault\}\$\{token\}', 24\)$/m);
    expect(readFileSync(join(root, 'infra/hooks/preprovision.js'), 'utf8')).toContain("const { keyVault: vaultPrefix } = require('../abbreviations.json');");
  });
});
