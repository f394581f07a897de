// Event Grid system topic for the storage account's blob events. On Flex Consumption the blob
// trigger only runs with Source = EventGrid; the subscription that points this topic at the
// app's blobs extension webhook needs the app's blobs_extension system key, which exists only
// after the code is deployed, so infra/hooks/postdeploy.sh creates it.

@description('Name of the system topic.')
param name string

@description('Name of the storage account whose events the topic publishes.')
param storageAccountName string

@description('Azure region; must be the storage account\'s.')
param location string

@description('Tags for the topic.')
param tags object = {}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
