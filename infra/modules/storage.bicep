// The monitor's data: its tables, and nothing else. The Functions host keeps its own account
// (hostStorage.bicep), because the host needs a role on every table of its account (it creates
// a diagnostic-events table each month), while the app's role here is scoped to each of its
// tables. No keys in use anywhere: shared-key access is off, so every caller authenticates with
// Entra ID (the app's managed identity, or a developer's own sign-in).
param name string
param location string
param tags object
@description('Full names (prefix + name) of every table the app uses: the deployment creates them all, the app creates none.')
param tableNames array
@description('Principal id of the app identity.')
param principalId string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource tableServices 'tableServices' = {
    name: 'default'
  }
}

resource appTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in tableNames: {
  parent: storage::tableServices
  name: tableName
}]

// Storage Table Data Contributor on each of the monitor's tables, not the account: the app
// reads and writes its rows and can neither create, delete nor read any other table.
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (tableName, index) in tableNames: {
  name: guid(storage.id, tableName, principalId, storageTableDataContributor)
  scope: appTables[index]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = storage.name
output tableEndpoint string = storage.properties.primaryEndpoints.table
