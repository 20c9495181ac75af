// Write access to the one secret that rotates: Key Vault Secrets Officer scoped to the
// refresh-token secret, not the vault. The secret is created by `npm run consent` (a template
// that created it would overwrite the live token with a placeholder on every `azd provision`),
// so this module is deployed once it exists: with PARTNER_CENTER_AUTH=appUser.
param vaultName string
param secretName string
@description('Principal id of the app identity.')
param principalId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName

  resource refreshToken 'secrets' existing = {
    name: secretName
  }
}

var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource rotator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault::refreshToken.id, principalId, keyVaultSecretsOfficer)
  scope: vault::refreshToken
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
