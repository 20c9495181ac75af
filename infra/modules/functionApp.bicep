// The monitor: a Function App on the Flex Consumption plan (FC1), Node 22, running as the
// user-assigned identity. Every setting src/config.ts reads in Azure is set here (a test
// keeps the two in step); only local-development alternatives (connection strings, a
// certificate file, the local host's own settings) are left out.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
@description('The Functions host\'s own storage account (leases, keys, deployment package, diagnostic events).')
param hostStorageAccountName string
param hostStorageBlobEndpoint string
param hostStorageTableEndpoint string
param hostStorageQueueEndpoint string
@description('Table endpoint of the monitor\'s data account.')
param tablesEndpoint string
@description('Queue endpoint of the monitor\'s data account, where the customer-admin scan queue is.')
param queueServiceUri string
param scanQueueName string
@allowed(['off', 'app', 'appUser'])
param customerTenantAuth string
param deploymentContainerName string
param appInsightsConnectionString string
param keyVaultName string
param keyVaultUri string
@description('Versionless URI of the query API\'s token key in Key Vault (created with the vault).')
param apiTokenSecretUri string
@description('Each alert channel and PSA credential as { name, uri }: its Key Vault secret name and URI, \'\' for one not given.')
param channelSecretUris array
param alertRoutes string
@description('The PSA settings that are not secrets, by app setting name; one left out or empty takes the app\'s documented default.')
param psaSettings object
@allowed(['managedIdentityFederation', 'clientSecret'])
@description('How the app proves it is the app registration: a token of its managed identity that the registration trusts (federated credential), or the registration\'s client secret stored in Key Vault as graph-client-secret.')
param appCredential string
param acsEndpoint string
param alertFrom string
param alertTo string
param tablePrefix string
@description('Partner tenant id: Graph app-only tokens and the refresh-token redemption both use it.')
param partnerTenantId string
@description('Client id of the app registration (Graph application permissions; Partner Center consent).')
param appClientId string
@allowed(['app', 'appUser'])
param partnerCenterAuth string
param refreshTokenSecretName string
@description('The app registration people sign in to (SIGN_IN_CLIENT_ID); empty = keys only.')
param signInClientId string
param retentionDays int
param schedules object
@description('Flex Consumption\'s most instances of the app. Each runs at most batchSize + newBatchThreshold of host.json\'s extensions.queues (8 + 4) tenant scans at once, so this times 12 caps how many customer tenants are scanned at once.')
param maximumInstanceCount int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

// Key Vault references resolve with the app identity (keyVaultReferenceIdentity): the secret
// values never appear in the template, the deployment or the portal's settings blade. Each
// reference is built from the secret resource itself, so it can never name a secret that does
// not exist: a reference to a missing secret would stay its literal text in the app (every
// Graph call failing) until the platform refreshed it, up to a day later. The client secret is
// read only with appCredential 'clientSecret', and then a missing secret fails the deployment.
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName

  resource graphClientSecret 'secrets' existing = {
    name: 'graph-client-secret'
  }
}

var graphClientSecretReference = appCredential == 'clientSecret' ? '@Microsoft.KeyVault(SecretUri=${vault::graphClientSecret.properties.secretUri})' : ''
var apiTokenSecretReference = '@Microsoft.KeyVault(SecretUri=${apiTokenSecretUri})'
// A channel is on when its setting is set: one not given stays empty, never a reference to nothing.
var channelReferences = toObject(channelSecretUris, secret => secret.name, secret => empty(secret.uri) ? '' : '@Microsoft.KeyVault(SecretUri=${secret.uri})')

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'monitor' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    // Flex Consumption refuses many siteConfig properties other plans take (ARM error 51021, "for
    // Flex Consumption sites is invalid"): it has no FTP to turn off (`ftpsState`), no instances of
    // a plan for App Service's health check to ping (`healthCheckPath`: an availability test
    // calls /api/health instead, see monitoring.bicep), and its runtime and scale live in
    // functionAppConfig. test/infra/fixtures/flexConsumptionUnsupported.json lists what not to set.
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // The host's own storage, through the identity (no AzureWebJobsStorage connection string).
      AzureWebJobsStorage__accountName: hostStorageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: hostStorageBlobEndpoint
      AzureWebJobsStorage__queueServiceUri: hostStorageQueueEndpoint
      AzureWebJobsStorage__tableServiceUri: hostStorageTableEndpoint
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

      // Storage and ACS through the managed identity.
      TABLES_ENDPOINT: tablesEndpoint
      TABLE_PREFIX: tablePrefix
      MANAGED_IDENTITY_CLIENT_ID: identityClientId
      ACS_ENDPOINT: acsEndpoint

      // Graph (application permissions) and Partner Center.
      AZURE_TENANT_ID: partnerTenantId
      AZURE_CLIENT_ID: appClientId
      APP_CREDENTIAL: appCredential == 'managedIdentityFederation' ? 'managedIdentityFederation' : 'auto'
      AZURE_CLIENT_SECRET: graphClientSecretReference
      // The same secret, named so that /api/status reads its expiry (its properties, never its value):
      // the identity's Key Vault Secrets User on the vault (keyVault.bicep) covers reading them.
      CLIENT_SECRET_KEY_VAULT_SECRET: appCredential == 'clientSecret' ? 'graph-client-secret' : ''
      AZURE_AUTHORITY_HOST: environment().authentication.loginEndpoint
      GRAPH_BASE_URL: 'https://graph.microsoft.com'
      PARTNER_CENTER_BASE_URL: 'https://api.partnercenter.microsoft.com'
      PARTNER_CENTER_AUTH: partnerCenterAuth
      PARTNER_CENTER_APP_CLIENT_ID: appClientId
      KEY_VAULT_URL: keyVaultUri
      PARTNER_CENTER_REFRESH_TOKEN_SECRET: refreshTokenSecretName
      HTTP_TIMEOUT_SECONDS: '30'
      HTTP_MAX_RETRIES: '5'
      HTTP_MAX_CONCURRENCY: '4'
      HTTP_MAX_RETRY_AFTER_SECONDS: '120'
      AZURE_REQUEST_TIMEOUT_SECONDS: '20'

      // The customer-admin scan, one queue message per customer tenant. The queue trigger's
      // connection is identity-based (<connection>__queueServiceUri, __credential, __clientId, as
      // the Queue storage extension documents); the app's sender reads the same settings.
      CUSTOMER_TENANT_AUTH: customerTenantAuth
      ADMIN_SCAN_QUEUE__queueServiceUri: queueServiceUri
      ADMIN_SCAN_QUEUE__credential: 'managedidentity'
      ADMIN_SCAN_QUEUE__clientId: identityClientId
      ADMIN_SCAN_QUEUE_NAME: scanQueueName
      CUSTOMER_ADMINS_DEADLINE_MINUTES: '30'

      // Schedules (NCRONTAB, UTC) and retention.
      SCHEDULE_PARTNER_SECURITY: schedules.partnerSecurity
      SCHEDULE_NON_MFA_PRINCIPALS: schedules.nonMfaPrincipals
      SCHEDULE_REGISTRATION_COUNTS: schedules.registrationCounts
      SCHEDULE_DETECT_REGRESSIONS: schedules.detectRegressions
      SCHEDULE_PRUNE_SNAPSHOTS: schedules.pruneSnapshots
      SCHEDULE_WEEKLY_DIGEST: schedules.weeklyDigest
      SCHEDULE_CUSTOMER_ADMINS: schedules.customerAdmins
      RETENTION_DAYS: string(retentionDays)

      // Alerts.
      ALERT_FROM: alertFrom
      ALERT_TO: alertTo
      PUBLIC_BASE_URL: 'https://${functionApp.properties.defaultHostName}'
      EMAIL_TIMEOUT_SECONDS: '120'
      ALERT_REMINDER_DAYS: '7'
      ALERT_MAX_LINES: '50'
      NON_ADMIN_SHARE_DROP_POINTS: '5'
      SOURCE_FAILURES_BEFORE_ALERT: '3'
      ALERT_UNDELIVERED_HOURS: '2'
      TEAMS_WEBHOOK_URL: channelReferences['teams-webhook-url']
      SLACK_WEBHOOK_URL: channelReferences['slack-webhook-url']
      ALERT_WEBHOOK_URL: channelReferences['alert-webhook-url']
      ALERT_WEBHOOK_SECRET: channelReferences['alert-webhook-secret']
      WEBHOOK_TIMEOUT_SECONDS: '30'
      ALERT_ROUTES: alertRoutes

      // Tickets in the partner's PSAs (docs/psa-tickets.md), each setting named so that none is
      // forgotten; empty is the app's documented default, and an empty CONNECTWISE_BASE_URL,
      // AUTOTASK_USERNAME or HALOPSA_BASE_URL leaves that PSA off. The PSAs are outside Azure, so
      // reaching them takes no role; their credentials are Key Vault references like the channels',
      // resolved with the identity's Key Vault Secrets User on the vault (keyVault.bicep), which
      // already covers every secret in it: no new role for the PSAs.
      PSA_TICKETS_PER_RUN: psaSettings.?PSA_TICKETS_PER_RUN ?? ''
      PSA_TICKET_PER: psaSettings.?PSA_TICKET_PER ?? ''
      PSA_WHEN_BACK: psaSettings.?PSA_WHEN_BACK ?? ''
      PSA_TIMEOUT_SECONDS: psaSettings.?PSA_TIMEOUT_SECONDS ?? ''
      CONNECTWISE_BASE_URL: psaSettings.?CONNECTWISE_BASE_URL ?? ''
      CONNECTWISE_COMPANY_ID: psaSettings.?CONNECTWISE_COMPANY_ID ?? ''
      CONNECTWISE_PUBLIC_KEY: psaSettings.?CONNECTWISE_PUBLIC_KEY ?? ''
      CONNECTWISE_PRIVATE_KEY: channelReferences['connectwise-private-key']
      CONNECTWISE_CLIENT_ID: psaSettings.?CONNECTWISE_CLIENT_ID ?? ''
      CONNECTWISE_BOARD: psaSettings.?CONNECTWISE_BOARD ?? ''
      CONNECTWISE_STATUS_NEW: psaSettings.?CONNECTWISE_STATUS_NEW ?? ''
      CONNECTWISE_STATUS_CLOSED: psaSettings.?CONNECTWISE_STATUS_CLOSED ?? ''
      CONNECTWISE_PRIORITIES: psaSettings.?CONNECTWISE_PRIORITIES ?? ''
      CONNECTWISE_TYPE: psaSettings.?CONNECTWISE_TYPE ?? ''
      CONNECTWISE_SOURCE: psaSettings.?CONNECTWISE_SOURCE ?? ''
      CONNECTWISE_FALLBACK_COMPANY_ID: psaSettings.?CONNECTWISE_FALLBACK_COMPANY_ID ?? ''
      CONNECTWISE_REQUESTS_PER_MINUTE: psaSettings.?CONNECTWISE_REQUESTS_PER_MINUTE ?? ''
      AUTOTASK_USERNAME: psaSettings.?AUTOTASK_USERNAME ?? ''
      AUTOTASK_SECRET: channelReferences['autotask-secret']
      AUTOTASK_INTEGRATION_CODE: psaSettings.?AUTOTASK_INTEGRATION_CODE ?? ''
      AUTOTASK_ZONE_URL: psaSettings.?AUTOTASK_ZONE_URL ?? ''
      AUTOTASK_ZONE_INFORMATION_URL: psaSettings.?AUTOTASK_ZONE_INFORMATION_URL ?? ''
      AUTOTASK_QUEUE_ID: psaSettings.?AUTOTASK_QUEUE_ID ?? ''
      AUTOTASK_STATUS_NEW: psaSettings.?AUTOTASK_STATUS_NEW ?? ''
      AUTOTASK_STATUS_CLOSED: psaSettings.?AUTOTASK_STATUS_CLOSED ?? ''
      AUTOTASK_PRIORITIES: psaSettings.?AUTOTASK_PRIORITIES ?? ''
      AUTOTASK_TICKET_TYPE: psaSettings.?AUTOTASK_TICKET_TYPE ?? ''
      AUTOTASK_SOURCE: psaSettings.?AUTOTASK_SOURCE ?? ''
      AUTOTASK_FALLBACK_COMPANY_ID: psaSettings.?AUTOTASK_FALLBACK_COMPANY_ID ?? ''
      AUTOTASK_REQUESTS_PER_MINUTE: psaSettings.?AUTOTASK_REQUESTS_PER_MINUTE ?? ''
      HALOPSA_BASE_URL: psaSettings.?HALOPSA_BASE_URL ?? ''
      HALOPSA_TENANT: psaSettings.?HALOPSA_TENANT ?? ''
      HALOPSA_CLIENT_ID: psaSettings.?HALOPSA_CLIENT_ID ?? ''
      HALOPSA_CLIENT_SECRET: channelReferences['halopsa-client-secret']
      HALOPSA_TICKET_TYPE_ID: psaSettings.?HALOPSA_TICKET_TYPE_ID ?? ''
      HALOPSA_TEAM: psaSettings.?HALOPSA_TEAM ?? ''
      HALOPSA_STATUS_NEW: psaSettings.?HALOPSA_STATUS_NEW ?? ''
      HALOPSA_STATUS_CLOSED: psaSettings.?HALOPSA_STATUS_CLOSED ?? ''
      HALOPSA_PRIORITIES: psaSettings.?HALOPSA_PRIORITIES ?? ''
      HALOPSA_FALLBACK_CLIENT_ID: psaSettings.?HALOPSA_FALLBACK_CLIENT_ID ?? ''
      HALOPSA_REQUESTS_PER_MINUTE: psaSettings.?HALOPSA_REQUESTS_PER_MINUTE ?? ''

      // Query API.
      API_TOKEN_SECRET: apiTokenSecretReference

      // Waivers.
      WAIVER_MAX_DAYS: '180'

      // People sign in with Entra ID and the app checks their tokens itself: the Flex Consumption
      // plan documented EasyAuth as not supported (docs/deploy.md, "People sign in").
      SIGN_IN_CLIENT_ID: signInClientId
    }
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
