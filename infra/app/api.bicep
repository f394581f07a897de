// The Fanout function app on a Flex Consumption (FC1) plan: Linux, dotnet-isolated, scales to zero.
// Every connection is identity-based through one user-assigned managed identity; no key or
// connection string with a key appears in the app settings.

@description('Name of the function app (also its default host name).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for the plan and the app; the app also gets azd-service-name.')
param tags object = {}

@description('azd service name from azure.yaml.')
param serviceName string = 'api'

@description('.NET version of the dotnet-isolated worker.')
param runtimeVersion string = '10.0'

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on the instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Name of the storage account used by the host, Durable Functions and the batch blobs.')
param storageAccountName string

@description('Blob container in that account that holds the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure OpenAI endpoint, https://<name>.openai.azure.com/.')
param openAiEndpoint string

@description('Azure OpenAI chat deployment used when a request names none.')
param openAiDeploymentName string

@description('Subnet for outbound VNet integration; empty for none.')
param subnetId string = ''

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        // Functions host storage and the blob trigger's "AzureWebJobsStorage" connection.
        // Durable Functions (Azure Storage backend) needs blob, queue and table.
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storage.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: storage.properties.primaryEndpoints.queue
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: storage.properties.primaryEndpoints.table
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        // DefaultAzureCredential picks the user-assigned identity from AZURE_CLIENT_ID.
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        {
          name: 'Fanout__OpenAI__Endpoint'
          value: openAiEndpoint
        }
        {
          name: 'Fanout__OpenAI__Deployment'
          value: openAiDeploymentName
        }
        {
          name: 'Fanout__OpenAI__ManagedIdentityClientId'
          value: identityClientId
        }
        {
          name: 'Fanout__Storage__BlobServiceUri'
          value: storage.properties.primaryEndpoints.blob
        }
        {
          name: 'Fanout__Storage__ClientId'
          value: identityClientId
        }
        // The blob trigger's container (its %Fanout:Storage:InputContainer% binding) and the store's input container.
        {
          name: 'Fanout__Storage__InputContainer'
          value: 'batches-in'
        }
        // History retention: the timer that purges finished batches' orchestration history (Fanout:Durable:HistoryRetention, default 1 day).
        {
          name: 'Fanout__Durable__HistoryPurgeSchedule'
          value: '0 */5 * * * *'
        }
        // Entra ID telemetry ingestion (the component has local auth disabled).
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
      ]
    }
  }
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
