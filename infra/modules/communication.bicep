// Azure Communication Services Email: an Email Communication Service with an Azure-managed
// domain (DoNotReply@<guid>.azurecomm.net, no DNS work), linked to a Communication Services
// resource the app sends through with its managed identity. A custom domain can be linked
// later in the portal; set ALERT_FROM to one of its MailFrom addresses.
param communicationServicesName string
param emailServicesName string
@description('Where ACS stores data at rest, e.g. Europe, United States.')
param dataLocation string
param tags object
@description('Principal id of the app identity.')
param principalId string

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServicesName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }

  resource managedDomain 'domains' = {
    name: 'AzureManagedDomain'
    location: 'global'
    tags: tags
    properties: {
      domainManagement: 'AzureManaged'
      userEngagementTracking: 'Disabled'
    }
  }
}

resource communicationServices 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServicesName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      emailService::managedDomain.id
    ]
  }
}

// Sending email with Entra ID needs an Azure role on the Communication Services resource.
// Contributor would also let the app change any resource in the group; ACS has no
// "sender" built-in role, and custom roles are reported not to be honoured by ACS's data
// plane, so the least built-in role that sends is "Communication and Email Service Owner",
// scoped to this one resource (not the group, not the email service).
var communicationAndEmailServiceOwner = '09976791-48a7-449e-bb21-39d1a415f350'

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationServices.id, principalId, communicationAndEmailServiceOwner)
  scope: communicationServices
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', communicationAndEmailServiceOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = 'https://${communicationServices.properties.hostName}'
output senderDomain string = emailService::managedDomain.properties.mailFromSenderDomain
output name string = communicationServices.name
