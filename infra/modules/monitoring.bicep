// Application Insights on a Log Analytics workspace. Local (key-based) ingestion is off: the
// app sends telemetry with its managed identity (Monitoring Metrics Publisher, below). The action
// group emails the admins: here for a failed function invocation, and from availability.bicep
// when the health endpoint fails its availability test (see infra/README.md, "Azure Monitor alerts").
param logAnalyticsName string
param appInsightsName string
param actionGroupName string
param failedInvocationsAlertName string
param location string
param tags object
@description('Principal id of the app identity that publishes telemetry.')
param principalId string
@description('Comma-separated addresses the alerts go to: the same admins as the monitor\'s own emails.')
param alertTo string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    // The first 5 GB a month are free; the monitor writes a few MB.
    workspaceCapping: { dailyQuotaGb: 1 }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The admins the monitor itself emails (ALERT_TO) hear from Azure Monitor too: when the monitor
// cannot run, it cannot send its own email to say so.
resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'MFA monitor'
    enabled: true
    emailReceivers: [for (address, index) in filter(split(alertTo, ','), candidate => !empty(trim(candidate))): {
      name: 'admin-${index + 1}'
      emailAddress: trim(address)
      useCommonAlertSchema: true
    }]
  }
}

// Every failed invocation of a function (timers included: a collector that failed, the detector
// unable to deliver an alert, pruneSnapshots past its deadline) is a request with success false.
// The status and health endpoints answering 503 are the availability test's, not failures of the app.
resource failedInvocationsAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: failedInvocationsAlertName
  location: location
  tags: tags
  properties: {
    displayName: 'MFA monitor: a function invocation failed'
    description: 'A function of the MFA monitor failed; its log in Application Insights says why (the error code and what it waited for). /api/status lists what is wrong now.'
    severity: 1
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'requests | where success == false | where not(name in ("apiHealth", "apiStatus") and resultCode == "503") | project timestamp, functionName = name, resultCode'
          // One time series (one rule's price): the alert's query results name each failed function.
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [actionGroup.id]
    }
  }
}

output connectionString string = appInsights.properties.ConnectionString
output name string = appInsights.name
output actionGroupId string = actionGroup.id
