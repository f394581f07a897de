using System.Text.Json.Nodes;
using Xunit;

namespace Fanout.InfraTests;

public sealed class FunctionAppTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    private static JsonObject Site => Template.SingleResource("Microsoft.Web/sites");

    private static JsonNode FunctionAppConfig => Site["properties"]!["functionAppConfig"]!;

    [Fact]
    public void Function_app_runs_on_a_flex_consumption_plan()
    {
        var plan = Template.SingleResource("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", CompiledTemplate.Str(plan["sku"]?["name"]));
        Assert.Equal("FlexConsumption", CompiledTemplate.Str(plan["sku"]?["tier"]));
        Assert.True(plan["properties"]!["reserved"]!.GetValue<bool>(), "Flex Consumption is Linux only (reserved: true)");
        Assert.Equal("functionapp,linux", CompiledTemplate.Str(Site["kind"]));
        Assert.Contains("Microsoft.Web/serverfarms", CompiledTemplate.Str(Site["properties"]?["serverFarmId"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Function_app_runs_dotnet_isolated_10()
    {
        Assert.Equal("dotnet-isolated", CompiledTemplate.Str(FunctionAppConfig["runtime"]?["name"]));
        Assert.Equal("[parameters('runtimeVersion')]", CompiledTemplate.Str(FunctionAppConfig["runtime"]?["version"]));
        Assert.Equal("10.0", Template.ModuleParameter("api", "runtimeVersion"));
    }

    [Fact]
    public void Instance_memory_and_maximum_instance_count_are_parameters()
    {
        var scale = FunctionAppConfig["scaleAndConcurrency"]!;
        Assert.Equal("[parameters('instanceMemoryMB')]", CompiledTemplate.Str(scale["instanceMemoryMB"]));
        Assert.Equal("[parameters('maximumInstanceCount')]", CompiledTemplate.Str(scale["maximumInstanceCount"]));
        Assert.Equal("[parameters('instanceMemoryMB')]", Template.ModuleParameter("api", "instanceMemoryMB"));
        Assert.Equal("[parameters('maximumInstanceCount')]", Template.ModuleParameter("api", "maximumInstanceCount"));
        Assert.NotNull(Template.Root["parameters"]?["instanceMemoryMB"]);
        Assert.NotNull(Template.Root["parameters"]?["maximumInstanceCount"]);
    }

    [Fact]
    public void Function_app_runs_as_the_user_assigned_identity()
    {
        Assert.Equal("UserAssigned", CompiledTemplate.Str(Site["identity"]?["type"]));
        var identities = Site["identity"]!["userAssignedIdentities"]!.AsObject();
        Assert.Equal("[format('{0}', parameters('identityId'))]", Assert.Single(identities).Key);

        var identityId = Template.ModuleParameter("api", "identityId");
        Assert.Contains("'Microsoft.Resources/deployments', 'identity')", identityId, StringComparison.Ordinal);
        Assert.EndsWith(".outputs.id.value]", identityId, StringComparison.Ordinal);
    }

    [Fact]
    public void Deployment_package_is_read_from_blob_storage_with_the_user_assigned_identity()
    {
        var storage = FunctionAppConfig["deployment"]!["storage"]!;
        Assert.Equal("blobContainer", CompiledTemplate.Str(storage["type"]));
        Assert.Contains("primaryEndpoints.blob", CompiledTemplate.Str(storage["value"]), StringComparison.Ordinal);
        Assert.Contains("parameters('deploymentContainerName')", CompiledTemplate.Str(storage["value"]), StringComparison.Ordinal);
        Assert.Equal("UserAssignedIdentity", CompiledTemplate.Str(storage["authentication"]?["type"]));
        Assert.Equal("[parameters('identityId')]", CompiledTemplate.Str(storage["authentication"]?["userAssignedIdentityResourceId"]));
    }

    [Fact]
    public void Host_storage_connects_with_the_managed_identity_and_service_uris()
    {
        var settings = Template.AppSettings;
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("[parameters('identityClientId')]", settings["AzureWebJobsStorage__clientId"]);
        Assert.Contains("primaryEndpoints.blob", settings["AzureWebJobsStorage__blobServiceUri"], StringComparison.Ordinal);
        Assert.Contains("primaryEndpoints.queue", settings["AzureWebJobsStorage__queueServiceUri"], StringComparison.Ordinal);
        Assert.Contains("primaryEndpoints.table", settings["AzureWebJobsStorage__tableServiceUri"], StringComparison.Ordinal);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
    }

    [Fact]
    public void App_settings_never_hold_a_storage_key_or_a_connection_string_with_a_key()
    {
        foreach (var (name, value) in Template.AppSettings)
        {
            Assert.DoesNotContain("AccountKey", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessSignature", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("listKeys", value, StringComparison.OrdinalIgnoreCase);
            Assert.False(name.Contains("ApiKey", StringComparison.OrdinalIgnoreCase), $"app setting {name} looks like a key");
        }

        // Nothing anywhere in the template reads a key.
        var json = Template.Text;
        Assert.DoesNotContain("listKeys(", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AccountKey=", json, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("FUNCTIONS_WORKER_RUNTIME")]
    [InlineData("FUNCTIONS_EXTENSION_VERSION")]
    [InlineData("FUNCTIONS_WORKER_RUNTIME_VERSION")]
    [InlineData("WEBSITE_RUN_FROM_PACKAGE")]
    [InlineData("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING")]
    [InlineData("WEBSITE_CONTENTSHARE")]
    public void App_settings_omit_what_flex_consumption_rejects(string setting)
    {
        Assert.DoesNotContain(setting, Template.AppSettings.Keys);
    }

    [Fact]
    public void Fanout_reaches_azure_openai_and_blob_storage_through_the_identity()
    {
        var settings = Template.AppSettings;
        Assert.Equal("[parameters('openAiEndpoint')]", settings["Fanout__OpenAI__Endpoint"]);
        Assert.Equal("[parameters('openAiDeploymentName')]", settings["Fanout__OpenAI__Deployment"]);
        Assert.Equal("[parameters('identityClientId')]", settings["Fanout__OpenAI__ManagedIdentityClientId"]);
        Assert.Equal("[parameters('identityClientId')]", settings["AZURE_CLIENT_ID"]);
        Assert.Contains("primaryEndpoints.blob", settings["Fanout__Storage__BlobServiceUri"], StringComparison.Ordinal);
        Assert.Equal("[parameters('identityClientId')]", settings["Fanout__Storage__ClientId"]);
        Assert.Equal("batches-in", settings["Fanout__Storage__InputContainer"]); // the blob trigger's %Fanout:Storage:InputContainer%
        Assert.DoesNotContain("Fanout__OpenAI__ApiKey", settings.Keys);
        Assert.DoesNotContain("Fanout__Storage__ConnectionString", settings.Keys);

        Assert.Contains("'Microsoft.Resources/deployments', 'openai')", Template.ModuleParameter("api", "openAiEndpoint"), StringComparison.Ordinal);
        Assert.Contains("'Microsoft.Resources/deployments', 'identity')", Template.ModuleParameter("api", "identityClientId"), StringComparison.Ordinal);
    }

    [Fact]
    public void Telemetry_is_sent_with_the_identity_not_a_key()
    {
        var settings = Template.AppSettings;
        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains("ConnectionString", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"], StringComparison.Ordinal);
        Assert.DoesNotContain("APPINSIGHTS_INSTRUMENTATIONKEY", settings.Keys);
    }

    [Fact]
    public void Function_app_is_https_only_and_tagged_as_the_azd_api_service()
    {
        Assert.True(Site["properties"]!["httpsOnly"]!.GetValue<bool>());
        Assert.Equal("1.2", CompiledTemplate.Str(Site["properties"]?["siteConfig"]?["minTlsVersion"]));
        Assert.Contains("createObject('azd-service-name', parameters('serviceName'))", CompiledTemplate.Str(Site["tags"]), StringComparison.Ordinal);
        Assert.Equal("api", Template.ModuleParameter("api", "serviceName"));
    }

    [Fact]
    public void Function_app_starts_only_after_its_identity_holds_its_roles()
    {
        var dependsOn = Template.Module("api")["dependsOn"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();
        Assert.Contains(dependsOn, d => d.Contains("'rbac')", StringComparison.Ordinal));
    }

    [Fact]
    public void Function_app_joins_the_vnet_only_when_vnet_is_enabled()
    {
        Assert.Equal("[if(empty(parameters('subnetId')), null(), parameters('subnetId'))]", CompiledTemplate.Str(Site["properties"]?["virtualNetworkSubnetId"]));
        Assert.StartsWith("[if(parameters('vnetEnabled')", Template.ModuleParameter("api", "subnetId"), StringComparison.Ordinal);
        Assert.Equal("[parameters('vnetEnabled')]", CompiledTemplate.Str(Template.Module("network")["condition"]));

        var vnet = Template.SingleResource("Microsoft.Network/virtualNetworks");
        var delegations = vnet["properties"]!["subnets"]!.AsArray()
            .SelectMany(s => s!["properties"]?["delegations"]?.AsArray() ?? [])
            .Select(d => CompiledTemplate.Str(d!["properties"]?["serviceName"]));
        Assert.Contains("Microsoft.App/environments", delegations);
    }
}
