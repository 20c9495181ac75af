// Key Vault in RBAC mode, soft delete and purge protection on: it holds the partner admin's
// refresh token (every rotation a new version), the query API's token key, the alert channels'
// and PSAs' credentials given and, only where the app registration uses one, its client secret.
// After `azd down` the vault stays soft-deleted for 90 days and keeps its name;
// `createMode: 'recover'` brings it back, secrets included.
param name string
param location string
param tags object
@allowed(['default', 'recover'])
param createMode string = 'default'
@description('Principal id of the app identity (reads secrets).')
param principalId string
@description('Object id of the person deploying (azd sets it), so they can run `npm run consent`; empty to skip.')
param adminPrincipalId string = ''
@allowed(['User', 'ServicePrincipal', 'Group'])
@description('What adminPrincipalId is: a person, or azd\'s service principal in a pipeline.')
param adminPrincipalType string = 'User'
@secure()
@description('Key that signs the query API\'s continuation tokens. A new one each deployment only invalidates paging links in flight.')
param apiTokenSecret string
@secure()
@description('Alert channel and PSA credentials (Teams and Slack webhook URLs, the signed webhook\'s URL and secret, the PSAs\' keys and secrets), by secret name; one left empty gets no secret.')
param channelSecrets object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    createMode: createMode
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }

  resource apiToken 'secrets' = {
    name: 'api-token-secret'
    properties: {
      value: apiTokenSecret
      contentType: 'text/plain'
    }
  }
}

// Only the credentials given: an empty secret would be a reference that turns a channel on with no URL
// (or a PSA's credential into one that resolves to nothing).
resource channelSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in items(channelSecrets): if (!empty(secret.value)) {
  parent: vault
  name: secret.key
  properties: {
    value: secret.value
    contentType: 'text/plain'
  }
}]

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

// Read access to the vault's secrets: Key Vault references in app settings (the PSAs' credentials
// included, so they need no role of their own) and the refresh token.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The person deploying stores the first refresh token and the app's client secret.
resource adminSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(adminPrincipalId)) {
  name: guid(vault.id, adminPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: adminPrincipalId
    principalType: adminPrincipalType
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
// Through this output the app setting's Key Vault reference depends on the secret it names.
output apiTokenSecretUri string = vault::apiToken.properties.secretUri
// Each channel secret by name with its URI ('' for one not given), the references built from the secrets themselves.
output channelSecretUris array = [for (secret, index) in items(channelSecrets): {
  name: secret.key
  uri: empty(secret.value) ? '' : channelSecret[index].properties.secretUri
}]
