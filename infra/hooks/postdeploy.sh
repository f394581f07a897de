#!/bin/sh
# azd postdeploy hook: subscribes the app's blob-trigger functions to BlobCreated events of the
# batches-in container. On Flex Consumption the blob trigger works only with Source = EventGrid,
# and the webhook needs the blobs_extension system key, which exists only after the code is
# deployed. Safe to run again (the subscription is created or updated).
#
# Reads azd environment values (outputs of infra/main.bicep):
#   AZURE_RESOURCE_GROUP, AZURE_FUNCTION_NAME, EVENTGRID_SYSTEM_TOPIC_NAME, BATCHES_IN_CONTAINER
# Optional: FANOUT_BLOB_TRIGGER_FUNCTIONS="Name1 Name2" to skip discovery of blob-trigger functions.
set -eu

rg="${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set; run azd provision first}"
app="${AZURE_FUNCTION_NAME:?AZURE_FUNCTION_NAME is not set; run azd provision first}"
topic="${EVENTGRID_SYSTEM_TOPIC_NAME:?EVENTGRID_SYSTEM_TOPIC_NAME is not set; run azd provision first}"
container="${BATCHES_IN_CONTAINER:-batches-in}"

if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is required to create the Event Grid subscription for the blob trigger." >&2
  exit 1
fi

# Retries a command whose output must be non-empty (the host needs a moment after a deploy).
retry() {
  attempt=1
  while [ "$attempt" -le 12 ]; do
    if out=$("$@" 2>/dev/null) && [ -n "$out" ]; then
      printf '%s\n' "$out"
      return 0
    fi
    sleep 10
    attempt=$((attempt + 1))
  done
  return 1
}

functions="${FANOUT_BLOB_TRIGGER_FUNCTIONS:-}"
if [ -z "$functions" ]; then
  echo "postdeploy: looking for blob-trigger functions in $app..."
  functions=$(retry az functionapp function list --resource-group "$rg" --name "$app" \
    --query "[?config.bindings[?type=='blobTrigger']].name" --output tsv | sed 's|.*/||') || functions=""
fi
if [ -z "$functions" ]; then
  echo "postdeploy: no blob-trigger function found in $app; no Event Grid subscription created."
  exit 0
fi

echo "postdeploy: reading the blobs_extension system key of $app..."
key=$(retry az functionapp keys list --resource-group "$rg" --name "$app" \
  --query "systemKeys.blobs_extension" --output tsv) || {
  echo "postdeploy: $app has no blobs_extension key yet; run 'azd hooks run postdeploy' again in a minute." >&2
  exit 1
}

for fn in $functions; do
  subscription=$(printf '%s' "$container-$fn" | tr -c 'A-Za-z0-9-' '-' | cut -c1-64)
  endpoint="https://$app.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.$fn&code=$key"
  echo "postdeploy: subscribing $fn to BlobCreated in container $container (subscription $subscription)..."
  az eventgrid system-topic event-subscription create \
    --resource-group "$rg" \
    --system-topic-name "$topic" \
    --name "$subscription" \
    --endpoint-type webhook \
    --endpoint "$endpoint" \
    --included-event-types Microsoft.Storage.BlobCreated \
    --subject-begins-with "/blobServices/default/containers/$container/" \
    --output none
done
echo "postdeploy: done."
