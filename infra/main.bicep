// partner-mfa-monitor on Azure: `azd up` deploys this (see infra/README.md).
// Names come from the environment name and a token unique to subscription + environment, with
// the prefixes in abbreviations.json, shaped to every resource's rules (see `names`). Every identity-based access is a role assignment on
// the single resource it concerns, named with guid() so re-deployments are idempotent.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and every resource.')
param environmentName string

// The regions that offer Flex Consumption (FC1), as Microsoft's Flex Consumption samples list
// them; `az functionapp list-flexconsumption-locations` gives today's list. azd offers only
// these when it asks for a region, and a deployment elsewhere is refused before anything is made.
@minLength(1)
@description('Region of the resource group and the regional resources (Flex Consumption regions only).')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Client id of the app registration: Graph application permissions PartnerSecurity.Read.All, Reports.Read.All and DelegatedAdminRelationship.Read.All, and the Partner Center delegated permission the admin consents to.')
param appClientId string

@description('Partner tenant id (the app registration\'s home tenant); empty = the subscription\'s tenant.')
param partnerTenantId string = ''

@allowed(['app', 'appUser'])
@description('Partner Center tokens: app-only, or App+User through the Secure Application Model (run `npm run consent` first).')
param partnerCenterAuth string = 'app'

@description('Application (client) id of the app registration people sign in to, with the app roles Monitor.Read and Waivers.Write (infra/hooks/preprovision.js makes it); empty = keys only.')
param signInClientId string = ''

@description('Comma-separated recipients of alerts.')
param alertTo string

@description('Sender of alerts; empty = DoNotReply@ the Azure-managed domain.')
param alertFrom string = ''

@description('Where Communication Services keeps data at rest.')
param communicationDataLocation string = 'Europe'

@description('Object id of the person deploying (azd fills it in); they get Key Vault Secrets Officer on the vault to run `npm run consent`.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('What principalId is (azd fills it in from AZURE_PRINCIPAL_TYPE): a person, or a service principal when azd runs in a pipeline.')
param principalType string = 'User'

@allowed(['managedIdentityFederation', 'clientSecret'])
@description('How the app proves it is the app registration: `managedIdentityFederation` (the registration trusts the app\'s managed identity: no secret exists) or `clientSecret` (stored in Key Vault as graph-client-secret before `azd provision`; the deployment fails while it is missing).')
param appCredential string = 'managedIdentityFederation'

@allowed(['default', 'recover'])
@description('`recover` brings back the soft-deleted vault of an earlier deployment of this environment (its name is kept for 90 days after `azd down`); the preprovision hook chooses it.')
param keyVaultCreateMode string = 'default'

@description('Days of snapshots kept (the newest complete run of each source is always kept).')
@minValue(1)
@maxValue(3650)
param retentionDays int = 400

param schedulePartnerSecurity string = '0 15 5 * * *'
param scheduleNonMfaPrincipals string = '0 0 */6 * * *'
param scheduleRegistrationCounts string = '0 30 5 * * *'
param scheduleDetectRegressions string = '0 45 * * * *'
param schedulePruneSnapshots string = '0 30 3 * * *'
param scheduleWeeklyDigest string = '0 0 7 * * 1'
param scheduleCustomerAdmins string = '0 0 6 * * *'

@allowed(['off', 'app', 'appUser'])
@description('CUSTOMER_TENANT_AUTH: how the customer-admin scan reads inside each customer tenant; `off` (the default) runs no scan.')
param customerTenantAuth string = 'off'

// Flex Consumption adds instances as the scan queue grows; each instance runs at most
// batchSize + newBatchThreshold (host.json extensions.queues: 8 + 4 = 12) tenant scans at once,
// so 12 x this is the most customer tenants scanned at once, the scan's global concurrency cap
// (docs/queue-settings.md). It caps every function of the app, HTTP included.
@minValue(1)
@maxValue(1000)
@description('Most instances Flex Consumption runs the app on; 12 x this caps the customer tenants scanned at once.')
param maximumInstanceCount int = 40

@description('Prefix of the app\'s table names.')
param tablePrefix string = 'mfa'

@secure()
@description('Signs the query API\'s continuation tokens; generated on each deployment.')
param apiTokenSecret string = newGuid()

@secure()
@description('Teams Workflows webhook URL for alerts; empty for none. Stored in Key Vault, referenced from the app setting.')
param teamsWebhookUrl string = ''

@secure()
@description('Slack incoming webhook URL for alerts; empty for none. Stored in Key Vault.')
param slackWebhookUrl string = ''

@secure()
@description('URL of your own signed-webhook receiver; empty for none. Stored in Key Vault.')
param alertWebhookUrl string = ''

@secure()
@description('Signing secret of alertWebhookUrl (whsec_ and base64), required with it. Stored in Key Vault.')
param alertWebhookSecret string = ''

@description('ALERT_ROUTES: which findings go to which channels; empty for every finding to every configured channel.')
param alertRoutes string = ''

// Tickets in the partner's PSAs (docs/psa-tickets.md). Each PSA's credential is a secure parameter
// stored in Key Vault like the channels' URLs; a credential not given gets no secret and an empty
// setting (the app's status names it when its PSA is configured). CONNECTWISE_PUBLIC_KEY is not one of them: it is the user-name half of the
// API key (ConnectWise signs in with companyId+publicKey:privateKey), no more secret than
// AUTOTASK_USERNAME or HALOPSA_CLIENT_ID, and seeing it in the app settings tells which key is in use.
@secure()
@description('CONNECTWISE_PRIVATE_KEY: private key of the ConnectWise PSA API member\'s API key; empty for none. Stored in Key Vault.')
param connectwisePrivateKey string = ''

@secure()
@description('AUTOTASK_SECRET: secret of the Autotask API-only resource; empty for none. Stored in Key Vault.')
param autotaskSecret string = ''

@secure()
@description('HALOPSA_CLIENT_SECRET: client secret of the HaloPSA API application; empty for none. Stored in Key Vault.')
param halopsaClientSecret string = ''

// Every other PSA setting, by its app setting's name: main.parameters.json maps each from the azd
// environment variable of the same name, so `azd env set CONNECTWISE_BASE_URL ...` sets it.
@description('The PSA settings that are not secrets (PSA_*, CONNECTWISE_*, AUTOTASK_*, HALOPSA_*, as src/settingDocs.ts names them), each a text value; one left out or empty takes the app\'s documented default. Never a credential: those are the secure parameters above.')
param psaSettings object = {}

var abbreviations = loadJsonContent('abbreviations.json')
var token = toLower(uniqueString(subscription().id, environmentName, location))
// azd accepts environment names of up to 64 letters, digits and - _ . ( ); most resources take
// only lowercase letters, digits and hyphens, and fewer characters. The stem keeps the name
// readable and the token keeps it unique. 13 characters keep the function app's name within
// 32, the part of it the Functions host makes its host id from, so the id holds the token.
var nameStem = take(replace(replace(replace(replace(toLower(environmentName), '_', '-'), '.', '-'), '(', '-'), ')', '-'), 13)
// Every resource's name, each within its rules for any environment name azd accepts (a test
// evaluates them). A resource group name may not end with a period.
var names = {
  resourceGroup: '${abbreviations.resourceGroup}${environmentName}${endsWith(environmentName, '.') ? '-' : ''}'
  managedIdentity: '${abbreviations.managedIdentity}${nameStem}-${token}'
  logAnalytics: '${abbreviations.logAnalytics}${nameStem}-${token}'
  appInsights: '${abbreviations.appInsights}${nameStem}-${token}'
  storageAccount: take('${abbreviations.storageAccount}${token}', 24)
  hostStorageAccount: take('${abbreviations.storageAccount}host${token}', 24)
  deploymentContainer: 'app-package-${take(token, 7)}'
  communicationServices: '${abbreviations.communicationServices}${nameStem}-${token}'
  emailServices: '${abbreviations.emailServices}${nameStem}-${token}'
  keyVault: take('${abbreviations.keyVault}${token}', 24)
  functionApp: '${abbreviations.functionApp}${nameStem}-${token}'
  functionPlan: '${abbreviations.functionPlan}${nameStem}-${token}'
  actionGroup: '${abbreviations.actionGroup}${nameStem}-${token}'
  failedInvocationsAlert: '${abbreviations.alertRule}failed-invocations-${nameStem}-${token}'
  healthTest: '${abbreviations.availabilityTest}health-${nameStem}-${token}'
  healthAlert: '${abbreviations.alertRule}health-${nameStem}-${token}'
}
var tags = { 'azd-env-name': environmentName }
var refreshTokenSecretName = 'partner-center-refresh-token'
var tenantId = empty(partnerTenantId) ? subscription().tenantId : partnerTenantId
// Every table src/adapters/tableLayout.ts names (a test keeps the two in step): the deployment
// creates them and scopes the app's table role to them; the app never creates a table.
var tableNames = ['Runs', 'Scores', 'Requirements', 'ScoreHistory', 'Customers', 'CustomerHistory', 'CustomerChanges', 'Principals', 'Registrations', 'Findings', 'Outbox', 'Detector', 'CustomerNames', 'Waivers', 'AdminScans', 'CompanyMappings', 'Tickets']
// ADMIN_SCAN_QUEUE_NAME's documented default; its poison queue is this and -poison.
var scanQueueName = 'admin-scans'

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: group
  params: {
    name: names.managedIdentity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: group
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    actionGroupName: names.actionGroup
    failedInvocationsAlertName: names.failedInvocationsAlert
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    alertTo: alertTo
  }
}

module hostStorage 'modules/hostStorage.bicep' = {
  name: 'hostStorage'
  scope: group
  params: {
    name: names.hostStorageAccount
    location: location
    tags: tags
    deploymentContainerName: names.deploymentContainer
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: group
  params: {
    name: names.storageAccount
    location: location
    tags: tags
    tableNames: [for tableName in tableNames: '${tablePrefix}${tableName}']
    scanQueueName: scanQueueName
    principalId: identity.outputs.principalId
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  scope: group
  params: {
    communicationServicesName: names.communicationServices
    emailServicesName: names.emailServices
    dataLocation: communicationDataLocation
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  scope: group
  params: {
    name: names.keyVault
    location: location
    tags: tags
    createMode: keyVaultCreateMode
    principalId: identity.outputs.principalId
    adminPrincipalId: principalId
    adminPrincipalType: principalType
    apiTokenSecret: apiTokenSecret
    channelSecrets: {
      'teams-webhook-url': teamsWebhookUrl
      'slack-webhook-url': slackWebhookUrl
      'alert-webhook-url': alertWebhookUrl
      'alert-webhook-secret': alertWebhookSecret
      'connectwise-private-key': connectwisePrivateKey
      'autotask-secret': autotaskSecret
      'halopsa-client-secret': halopsaClientSecret
    }
  }
}

// Only once `npm run consent` has created the secret (see the module).
module refreshTokenAccess 'modules/refreshTokenAccess.bicep' = if (partnerCenterAuth == 'appUser') {
  name: 'refreshTokenAccess'
  scope: group
  params: {
    vaultName: keyVault.outputs.name
    secretName: refreshTokenSecretName
    principalId: identity.outputs.principalId
  }
}

var sender = empty(alertFrom) ? 'DoNotReply@${communication.outputs.senderDomain}' : alertFrom

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  scope: group
  params: {
    name: names.functionApp
    planName: names.functionPlan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: hostStorage.outputs.name
    hostStorageBlobEndpoint: hostStorage.outputs.blobEndpoint
    hostStorageTableEndpoint: hostStorage.outputs.tableEndpoint
    hostStorageQueueEndpoint: hostStorage.outputs.queueEndpoint
    tablesEndpoint: storage.outputs.tableEndpoint
    queueServiceUri: storage.outputs.queueEndpoint
    scanQueueName: scanQueueName
    customerTenantAuth: customerTenantAuth
    maximumInstanceCount: maximumInstanceCount
    deploymentContainerName: names.deploymentContainer
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultName: keyVault.outputs.name
    keyVaultUri: keyVault.outputs.uri
    apiTokenSecretUri: keyVault.outputs.apiTokenSecretUri
    channelSecretUris: keyVault.outputs.channelSecretUris
    alertRoutes: alertRoutes
    psaSettings: psaSettings
    appCredential: appCredential
    acsEndpoint: communication.outputs.endpoint
    alertFrom: sender
    alertTo: alertTo
    tablePrefix: tablePrefix
    partnerTenantId: tenantId
    appClientId: appClientId
    partnerCenterAuth: partnerCenterAuth
    signInClientId: signInClientId
    refreshTokenSecretName: refreshTokenSecretName
    retentionDays: retentionDays
    schedules: {
      partnerSecurity: schedulePartnerSecurity
      nonMfaPrincipals: scheduleNonMfaPrincipals
      registrationCounts: scheduleRegistrationCounts
      detectRegressions: scheduleDetectRegressions
      pruneSnapshots: schedulePruneSnapshots
      weeklyDigest: scheduleWeeklyDigest
      customerAdmins: scheduleCustomerAdmins
    }
  }
}

module availability 'modules/availability.bicep' = {
  name: 'availability'
  scope: group
  params: {
    webTestName: names.healthTest
    alertName: names.healthAlert
    location: location
    tags: tags
    appInsightsName: monitoring.outputs.name
    actionGroupId: monitoring.outputs.actionGroupId
    healthUrl: 'https://${functionApp.outputs.defaultHostName}/api/health'
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenantId
output AZURE_RESOURCE_GROUP string = group.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
// What the app registration's federated identity credential names (see infra/README.md):
// the managed identity's object id, issued by the subscription's tenant.
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output MANAGED_IDENTITY_ISSUER string = '${environment().authentication.loginEndpoint}${subscription().tenantId}/v2.0'
output APP_CREDENTIAL string = appCredential
output KEY_VAULT_NAME string = keyVault.outputs.name
output KEY_VAULT_URL string = keyVault.outputs.uri
output PARTNER_CENTER_REFRESH_TOKEN_SECRET string = refreshTokenSecretName
output PARTNER_CENTER_APP_CLIENT_ID string = appClientId
output TABLES_ENDPOINT string = storage.outputs.tableEndpoint
output ACS_ENDPOINT string = communication.outputs.endpoint
output ALERT_FROM string = sender
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.name
