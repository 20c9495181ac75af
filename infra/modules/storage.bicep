// One storage account for the Functions host (leases, deployment package) and the app's
// tables. No keys in use anywhere: shared-key access is off, so every caller authenticates
// with Entra ID (the app's managed identity, or a developer's own sign-in).
param name string
param location string
param tags object
@description('Container of the Flex Consumption deployment package.')
param deploymentContainerName string
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

  resource blobServices 'blobServices' = {
    name: 'default'
    resource deployments 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
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

// Storage Blob Data Owner: the Functions host keeps its leases (timer singletons) and keys in
// blobs, and Flex Consumption reads the deployment package from the container above.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Table Data Contributor on each of the monitor's tables, not the account: the app
// reads and writes its rows and can neither create, delete nor read any other table.
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

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
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output tableEndpoint string = storage.properties.primaryEndpoints.table
output queueEndpoint string = storage.properties.primaryEndpoints.queue
