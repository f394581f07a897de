using Xunit;

namespace Fanout.InfraTests;

public sealed class StorageTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    private static System.Text.Json.Nodes.JsonNode StorageProperties =>
        Template.SingleResource("Microsoft.Storage/storageAccounts")["properties"]!;

    [Fact]
    public void Storage_account_disallows_shared_key_access()
    {
        Assert.False(StorageProperties["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.True(StorageProperties["defaultToOAuthAuthentication"]!.GetValue<bool>());
    }

    [Fact]
    public void Storage_account_requires_tls12_over_https_only()
    {
        Assert.Equal("TLS1_2", CompiledTemplate.Str(StorageProperties["minimumTlsVersion"]));
        Assert.True(StorageProperties["supportsHttpsTrafficOnly"]!.GetValue<bool>());
    }

    [Fact]
    public void Storage_account_disallows_public_blob_access()
    {
        Assert.False(StorageProperties["allowBlobPublicAccess"]!.GetValue<bool>());
        var containers = Template.SingleResource("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Equal("None", CompiledTemplate.Str(containers["properties"]?["publicAccess"]));
    }

    [Fact]
    public void Storage_account_gets_the_batch_containers_and_the_deployment_container()
    {
        var variables = Template.Root["variables"]!;
        var batchContainers = variables["batchContainerNames"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["batches-in", "batches-out", "batches-work", "batches-files"], batchContainers);
        Assert.Equal("deployment-package", CompiledTemplate.Str(variables["deploymentContainerName"]));
        Assert.Equal(
            "[concat(variables('batchContainerNames'), createArray(variables('deploymentContainerName')))]",
            Template.ModuleParameter("storage", "containerNames"));

        // One container per name passed in.
        var containers = Template.SingleResource("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Equal("[length(parameters('containerNames'))]", CompiledTemplate.Str(containers["copy"]?["count"]));
        Assert.Contains("parameters('containerNames')[copyIndex()]", CompiledTemplate.Str(containers["name"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Deployment_package_container_is_the_one_the_function_app_deploys_from()
    {
        Assert.Equal("[variables('deploymentContainerName')]", Template.ModuleParameter("api", "deploymentContainerName"));
        Assert.Equal("deployment-package", CompiledTemplate.Str(Template.Root["variables"]?["deploymentContainerName"]));
    }

    [Fact]
    public void Storage_is_closed_to_public_networks_only_when_vnet_is_enabled()
    {
        var publicAccess = CompiledTemplate.Str(StorageProperties["publicNetworkAccess"]);
        Assert.Equal("[if(parameters('vnetEnabled'), 'Disabled', 'Enabled')]", publicAccess);
        Assert.Equal("[parameters('vnetEnabled')]", Template.ModuleParameter("storage", "vnetEnabled"));
    }

    [Fact]
    public void Blob_events_are_published_to_an_event_grid_system_topic_for_the_blob_trigger()
    {
        var topic = Template.SingleResource("Microsoft.EventGrid/systemTopics");
        Assert.Equal("Microsoft.Storage.StorageAccounts", CompiledTemplate.Str(topic["properties"]?["topicType"]));
        Assert.Contains("Microsoft.Storage/storageAccounts", CompiledTemplate.Str(topic["properties"]?["source"]), StringComparison.Ordinal);
        Assert.Equal("[variables('names').storage]", Template.ModuleParameter("storage-events", "storageAccountName"));
    }
}
