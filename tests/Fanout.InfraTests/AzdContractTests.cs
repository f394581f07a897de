using System.Text.Json.Nodes;
using Xunit;

namespace Fanout.InfraTests;

/// <summary>What azd and the rest of the repo rely on: outputs, parameters, azure.yaml.</summary>
public sealed class AzdContractTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    private static JsonObject ParametersFile =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(CompiledTemplate.RepoRoot, "infra", "main.parameters.json")))!["parameters"]!.AsObject();

    [Fact]
    public void Template_compiles_without_warnings()
    {
        Assert.DoesNotContain("Warning", Template.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("Error", Template.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_deploys_at_subscription_scope_into_its_own_resource_group()
    {
        Assert.Contains("subscriptionDeploymentTemplate.json", CompiledTemplate.Str(Template.Root["$schema"]), StringComparison.Ordinal);
        var resourceGroup = Template.SingleResource("Microsoft.Resources/resourceGroups");
        Assert.Contains("format('rg-{0}', parameters('environmentName'))", CompiledTemplate.Str(resourceGroup["name"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AZURE_LOCATION")]
    [InlineData("AZURE_TENANT_ID")]
    [InlineData("AZURE_RESOURCE_GROUP")]
    [InlineData("RESOURCE_GROUP")]
    [InlineData("AZURE_FUNCTION_NAME")]
    [InlineData("AZURE_FUNCTION_URI")]
    [InlineData("AZURE_OPENAI_ENDPOINT")]
    [InlineData("AZURE_OPENAI_DEPLOYMENT")]
    [InlineData("AZURE_STORAGE_BLOB_ENDPOINT")]
    [InlineData("EVENTGRID_SYSTEM_TOPIC_NAME")]
    [InlineData("BATCHES_IN_CONTAINER")]
    public void Template_outputs_what_azd_and_the_postdeploy_hook_read(string output)
    {
        Assert.Equal("string", CompiledTemplate.Str(Template.Root["outputs"]?[output]?["type"]));
    }

    [Fact]
    public void Parameters_file_supplies_every_required_parameter_and_only_declared_ones()
    {
        var declared = Template.Root["parameters"]!.AsObject();
        var supplied = ParametersFile;

        foreach (var (name, parameter) in declared)
        {
            if (parameter?["defaultValue"] is null)
            {
                Assert.True(supplied.ContainsKey(name), $"main.parameters.json does not supply required parameter '{name}'");
            }
        }

        foreach (var (name, _) in supplied)
        {
            Assert.True(declared.ContainsKey(name), $"main.parameters.json sets '{name}', which main.bicep does not declare");
        }
    }

    [Theory]
    [InlineData("environmentName", "${AZURE_ENV_NAME}")]
    [InlineData("location", "${AZURE_LOCATION}")]
    [InlineData("principalId", "${AZURE_PRINCIPAL_ID}")]
    public void Parameters_file_takes_azd_environment_values(string parameter, string value)
    {
        Assert.Equal(value, CompiledTemplate.Str(ParametersFile[parameter]?["value"]));
    }

    [Fact]
    public void Vnet_is_off_unless_asked_for()
    {
        Assert.False(Template.Root["parameters"]!["vnetEnabled"]!["defaultValue"]!.GetValue<bool>());
        Assert.Equal("${VNET_ENABLED=false}", CompiledTemplate.Str(ParametersFile["vnetEnabled"]?["value"]));
    }

    [Fact]
    public void Azure_yaml_deploys_the_functions_project_as_the_api_service()
    {
        var lines = File.ReadAllLines(Path.Combine(CompiledTemplate.RepoRoot, "azure.yaml"))
            .Select(l => l.Trim())
            .ToList();

        Assert.Contains("name: fanout", lines);
        Assert.Contains("api:", lines);
        Assert.Contains("project: ./src/Fanout.Functions", lines);
        Assert.Contains("language: dotnet", lines);
        Assert.Contains("host: function", lines);

        var hook = lines.Single(l => l.StartsWith("run: ", StringComparison.Ordinal))["run: ".Length..];
        Assert.True(File.Exists(Path.Combine(CompiledTemplate.RepoRoot, hook)), $"azure.yaml runs {hook}, which does not exist");
    }
}
