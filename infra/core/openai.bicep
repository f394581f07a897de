// Azure OpenAI account with one chat model deployment. Keys are disabled (disableLocalAuth):
// callers need an Entra ID token and the Cognitive Services OpenAI User role.

@description('Name of the Azure OpenAI account; also its custom subdomain.')
param name string

@description('Azure region of the account (must offer the model and SKU below).')
param location string

@description('Tags for the account.')
param tags object = {}

@description('Name of the chat deployment; this is what Fanout__OpenAI__Deployment and body.model refer to.')
param deploymentName string

@description('Model name, for example gpt-4.1-mini.')
param modelName string

@description('Model version, for example 2025-04-14.')
param modelVersion string

@description('Deployment SKU: GlobalStandard, DataZoneStandard or Standard are pay per token.')
param skuName string

@description('Deployment capacity in units of 1,000 tokens per minute.')
@minValue(1)
param capacity int

resource account 'Microsoft.CognitiveServices/accounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource chat 'Microsoft.CognitiveServices/accounts/deployments@2025-06-01' = {
  parent: account
  name: deploymentName
  sku: {
    name: skuName
    capacity: capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: modelName
      version: modelVersion
    }
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.endpoint
output deploymentName string = chat.name
