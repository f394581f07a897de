using System.Text.Json.Nodes;
using Xunit;

namespace Fanout.InfraTests;

public sealed class OpenAiTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    private static JsonObject Account => Template.SingleResource("Microsoft.CognitiveServices/accounts");

    [Fact]
    public void OpenAI_account_disables_local_auth()
    {
        Assert.True(Account["properties"]!["disableLocalAuth"]!.GetValue<bool>());
        Assert.DoesNotContain("listKeys", Template.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void OpenAI_account_has_a_custom_subdomain_for_entra_id_tokens()
    {
        Assert.Equal("OpenAI", CompiledTemplate.Str(Account["kind"]));
        Assert.Equal("[parameters('name')]", CompiledTemplate.Str(Account["properties"]?["customSubDomainName"]));
        Assert.Equal("[parameters('name')]", CompiledTemplate.Str(Account["name"]));
    }

    [Fact]
    public void Chat_deployment_model_version_sku_and_capacity_are_parameters()
    {
        var deployment = Template.SingleResource("Microsoft.CognitiveServices/accounts/deployments");
        Assert.Equal("OpenAI", CompiledTemplate.Str(deployment["properties"]?["model"]?["format"]));
        Assert.Equal("[parameters('modelName')]", CompiledTemplate.Str(deployment["properties"]?["model"]?["name"]));
        Assert.Equal("[parameters('modelVersion')]", CompiledTemplate.Str(deployment["properties"]?["model"]?["version"]));
        Assert.Equal("[parameters('skuName')]", CompiledTemplate.Str(deployment["sku"]?["name"]));
        Assert.Equal("[parameters('capacity')]", CompiledTemplate.Str(deployment["sku"]?["capacity"]));

        Assert.Equal("[parameters('openAiModelName')]", Template.ModuleParameter("openai", "modelName"));
        Assert.Equal("[parameters('openAiModelVersion')]", Template.ModuleParameter("openai", "modelVersion"));
        Assert.Equal("[parameters('openAiSkuName')]", Template.ModuleParameter("openai", "skuName"));
        Assert.Equal("[parameters('openAiCapacity')]", Template.ModuleParameter("openai", "capacity"));
    }

    [Fact]
    public void Default_deployment_is_a_pay_per_token_global_standard_one()
    {
        var parameters = Template.Root["parameters"]!;
        Assert.Equal("GlobalStandard", CompiledTemplate.Str(parameters["openAiSkuName"]?["defaultValue"]));
        Assert.Equal("[parameters('openAiModelName')]", CompiledTemplate.Str(parameters["openAiDeploymentName"]?["defaultValue"]));
    }
}
