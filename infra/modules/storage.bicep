// The monitor's data: its tables and the customer-admin scan's queues. The Functions host keeps its own account
// (hostStorage.bicep), because the host needs a role on every table of its account (it creates
// a diagnostic-events table each month), while the app's role here is scoped to each of its
// tables. No keys in use anywhere: shared-key access is off, so every caller authenticates with
// Entra ID (the app's managed identity, or a developer's own sign-in).
param name string
param location string
param tags object
@description('Full names (prefix + name) of every table the app uses: the deployment creates them all, the app creates none.')
param tableNames array
@description('The customer-admin scan queue (ADMIN_SCAN_QUEUE_NAME); its poison queue is this name and -poison, as the Functions queue trigger names it.')
param scanQueueName string
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

  resource queueServices 'queueServices' = {
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

// The scan queue and its poison queue, both made here: the app creates no queue, and the queue
// trigger, which would create a missing poison queue, then needs no right to create one.
resource scanQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: storage::queueServices
  name: scanQueueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: storage::queueServices
  name: '${scanQueueName}-poison'
}

// Each queue's roles are the built-in ones Microsoft names for the Queue storage extension
// ("Azure Queue storage trigger and bindings for Azure Functions", identity-based connections:
// trigger: Storage Queue Data Reader and Storage Queue Data Message Processor; sending: Storage
// Queue Data Message Sender), scoped to the queue, never the account:
// - scan queue: Reader + Message Processor for scanCustomerTenant's trigger (Get Queue Metadata,
//   Get Messages, Delete Message) and the status's depth; Message Sender for scanCustomerAdmins
//   and for a throttled tenant put back with a visibility delay (Put Message);
// - poison queue: Message Sender for the trigger moving a message there after maxDequeueCount
//   (it sends first and creates the queue only on 404, which cannot happen since it is made
//   above); Reader + Message Processor for recordPoisonedScan's trigger and the status's depth.
// Neither role grants Update Message (messages/write), which the trigger uses to hide a failed
// message for host.json's visibilityTimeout: without it a failed attempt comes back when the
// trigger's own hold on it ends (docs/queue-settings.md).
var storageQueueDataReader = '19e7f393-937e-4f77-808e-94535e297925'
var storageQueueDataMessageProcessor = '8a0f0c08-91a1-4084-bc3d-661d67233fed'
var storageQueueDataMessageSender = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
var queueRoles = [storageQueueDataReader, storageQueueDataMessageProcessor, storageQueueDataMessageSender]

resource scanQueueRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in queueRoles: {
  name: guid(scanQueue.id, principalId, role)
  scope: scanQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource poisonQueueRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in queueRoles: {
  name: guid(poisonQueue.id, principalId, role)
  scope: poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = storage.name
output tableEndpoint string = storage.properties.primaryEndpoints.table
output queueEndpoint string = storage.properties.primaryEndpoints.queue
