// Is the monitor healthy, asked from outside: an Application Insights standard availability test
// calls the app's anonymous GET /api/health from several Azure locations, and a metric alert
// emails the action group when it fails from enough of them. Flex Consumption has no App Service
// health check (it pings the instances of a plan; Flex has none to ping), so this is what notices
// that the monitor stopped working, even when no function runs at all. Deployed after the
// function app: the test needs the app's host name, which Azure chooses.
param webTestName string
param alertName string
param location string
param tags object
param appInsightsName string
param actionGroupId string
@description('The health endpoint\'s URL: https://<the app\'s default host name>/api/health.')
param healthUrl string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Five locations on three continents, the minimum Microsoft recommends for an availability
// test: a network problem near one of them is not the monitor being down.
var testLocations = [
  'emea-nl-ams-azr' // West Europe
  'emea-gb-db3-azr' // North Europe
  'us-va-ash-azr' // East US
  'us-ca-sjc-azr' // West US
  'apac-sg-sin-azr' // Southeast Asia
]

resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: webTestName
  location: location
  // The portal lists a test under its Application Insights resource through this tag.
  tags: union(tags, { 'hidden-link:${appInsights.id}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: webTestName
    Name: 'MFA monitor health'
    Description: 'GET /api/health: 200 when the monitor is healthy, 503 when GET /api/status (with the function key) lists a reason.'
    Enabled: true
    Kind: 'standard'
    // Every 15 minutes from each location: the health judgement changes over hours (a run late
    // for its schedule), and each call reads storage.
    Frequency: 900
    Timeout: 30
    // A failure is tried again once before it counts, so a single cold start is not an outage.
    RetryEnabled: true
    Locations: [for id in testLocations: { Id: id }]
    Request: {
      RequestUrl: healthUrl
      HttpVerb: 'GET'
      ParseDependentRequests: false
      FollowRedirects: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

// Fires when the test failed from 3 of its 5 locations within the window (Microsoft's advice:
// the threshold two below the number of locations), which a 503 from the app does at once.
resource healthAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: alertName
  location: 'global'
  tags: union(tags, {
    'hidden-link:${appInsights.id}': 'Resource'
    'hidden-link:${healthTest.id}': 'Resource'
  })
  properties: {
    description: 'The MFA monitor is unhealthy or unreachable: GET /api/health failed (503, or no answer) from 3 of 5 locations. GET /api/status with the function key lists every reason; the Availability page of Application Insights shows each failed call.'
    severity: 1
    enabled: true
    scopes: [healthTest.id, appInsights.id]
    evaluationFrequency: 'PT5M'
    // One run per location fits in the window.
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: appInsights.id
      failedLocationCount: 3
    }
    autoMitigate: true
    actions: [
      { actionGroupId: actionGroupId }
    ]
  }
}
