// Fanout on Azure: a Flex Consumption function app (Durable Functions on the Azure Storage
// backend) that fans batches of prompts out to an Azure OpenAI deployment and writes the
// results to Blob Storage. Everything authenticates with one user-assigned managed identity.
// Deployed by `azd up`; see infra/README.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used to name the resource group and to derive unique resource names.')
param environmentName string

@minLength(1)
@description('Region for all resources (must offer Flex Consumption: az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Region of the Azure OpenAI account; empty means location. Pick one that offers the model and SKU.')
param openAiLocation string = ''

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID); gets the same data roles as the app. Empty to skip.')
param principalId string = ''

@description('Kind of principal principalId is (ServicePrincipal when a pipeline deploys).')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Name of the resource group; defaults to rg-<environmentName>.')
param resourceGroupName string = ''

@description('Memory of each Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on the instances the function app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Azure OpenAI chat model name.')
param openAiModelName string = 'gpt-4.1-mini'

@description('Azure OpenAI chat model version.')
param openAiModelVersion string = '2025-04-14'

@description('Name of the Azure OpenAI deployment; defaults to the model name.')
param openAiDeploymentName string = openAiModelName

@description('Deployment SKU (GlobalStandard, DataZoneStandard, Standard: pay per token).')
param openAiSkuName string = 'GlobalStandard'

@description('Deployment capacity in thousands of tokens per minute; must fit your subscription quota.')
@minValue(1)
param openAiCapacity int = 30

@description('When true, storage is reachable only through private endpoints in a new VNet the app is integrated with.')
param vnetEnabled bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var names = {
  identity: 'id-fanout-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  storage: 'st${resourceToken}'
  storageEvents: 'evgt-${resourceToken}'
  openAi: 'oai-${resourceToken}'
  vnet: 'vnet-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-fanout-${resourceToken}'
}
var deploymentContainerName = 'deployment-package'
var batchContainerNames = [
  'batches-in'
  'batches-out'
  'batches-work'
  'batches-files'
]

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    containerNames: concat(batchContainerNames, [deploymentContainerName])
    vnetEnabled: vnetEnabled
  }
}

module storageEvents 'core/storage-events.bicep' = {
  name: 'storage-events'
  scope: rg
  params: {
    name: names.storageEvents
    storageAccountName: names.storage
    location: location
    tags: tags
  }
  dependsOn: [
    storage
  ]
}

module openAi 'core/openai.bicep' = {
  name: 'openai'
  scope: rg
  params: {
    name: names.openAi
    location: empty(openAiLocation) ? location : openAiLocation
    tags: tags
    deploymentName: openAiDeploymentName
    modelName: openAiModelName
    modelVersion: openAiModelVersion
    skuName: openAiSkuName
    capacity: openAiCapacity
  }
}

module network 'core/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: names.vnet
    location: location
    tags: tags
  }
}

module storagePrivateEndpoints 'core/storage-private-endpoints.bicep' = if (vnetEnabled) {
  name: 'storage-private-endpoints'
  scope: rg
  params: {
    storageAccountName: names.storage
    vnetId: network.?outputs.id ?? ''
    subnetId: network.?outputs.privateEndpointSubnetId ?? ''
    location: location
    tags: tags
  }
  dependsOn: [
    storage
  ]
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: names.storage
    openAiAccountName: names.openAi
    applicationInsightsName: names.applicationInsights
    identityName: names.identity
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
  dependsOn: [
    identity
    monitoring
    openAi
    storage
  ]
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    serviceName: 'api'
    runtimeVersion: '10.0'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: names.storage
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: names.applicationInsights
    openAiEndpoint: openAi.outputs.endpoint
    openAiDeploymentName: openAi.outputs.deploymentName
    subnetId: vnetEnabled ? network.?outputs.appSubnetId ?? '' : ''
  }
  // The app starts as soon as it exists: its identity must already hold its data roles,
  // and the storage account must be reachable through its private endpoints.
  dependsOn: [
    monitoring
    rbac
    storage
    storagePrivateEndpoints
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output AZURE_FUNCTION_URI string = api.outputs.uri
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_OPENAI_ENDPOINT string = openAi.outputs.endpoint
output AZURE_OPENAI_DEPLOYMENT string = openAi.outputs.deploymentName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output EVENTGRID_SYSTEM_TOPIC_NAME string = storageEvents.outputs.name
output BATCHES_IN_CONTAINER string = batchContainerNames[0]
