using Xunit;

namespace Fanout.InfraTests;

public sealed class MonitoringTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    [Fact]
    public void Application_insights_disables_local_auth()
    {
        var component = Template.SingleResource("Microsoft.Insights/components");
        Assert.True(component["properties"]!["DisableLocalAuth"]!.GetValue<bool>());
    }

    [Fact]
    public void Application_insights_stores_its_data_in_the_log_analytics_workspace()
    {
        var component = Template.SingleResource("Microsoft.Insights/components");
        Assert.Contains(
            "Microsoft.OperationalInsights/workspaces",
            CompiledTemplate.Str(component["properties"]?["WorkspaceResourceId"]),
            StringComparison.Ordinal);

        var workspace = Template.SingleResource("Microsoft.OperationalInsights/workspaces");
        Assert.Equal("PerGB2018", CompiledTemplate.Str(workspace["properties"]?["sku"]?["name"]));
    }
}
