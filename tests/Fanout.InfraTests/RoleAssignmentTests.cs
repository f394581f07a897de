using System.Text.Json.Nodes;
using Xunit;

namespace Fanout.InfraTests;

public sealed class RoleAssignmentTests
{
    // Azure built-in role definition ids.
    public const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    public const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    public const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    public const string CognitiveServicesOpenAIUser = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";
    public const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    private const string StorageAccount = "Microsoft.Storage/storageAccounts";
    private const string OpenAiAccount = "Microsoft.CognitiveServices/accounts";
    private const string ApplicationInsights = "Microsoft.Insights/components";

    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    public static TheoryData<string, string> Roles => new()
    {
        { StorageBlobDataOwner, StorageAccount },
        { StorageQueueDataContributor, StorageAccount },
        { StorageTableDataContributor, StorageAccount },
        { CognitiveServicesOpenAIUser, OpenAiAccount },
        { MonitoringMetricsPublisher, ApplicationInsights },
    };

    private static IReadOnlyList<JsonObject> Assignments(string roleId) =>
        Template.ResourcesOfType("Microsoft.Authorization/roleAssignments")
            .Where(a => CompiledTemplate.Str(a["properties"]?["roleDefinitionId"])?.Contains(roleId, StringComparison.OrdinalIgnoreCase) == true)
            .ToList();

    private static bool IsTheAppIdentity(JsonObject assignment) =>
        CompiledTemplate.Str(assignment["properties"]?["principalId"]) is { } principal
        && principal.Contains("resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName'))", StringComparison.Ordinal)
        && principal.EndsWith(".principalId]", StringComparison.Ordinal);

    private static bool IsTheDeployingUser(JsonObject assignment) =>
        CompiledTemplate.Str(assignment["properties"]?["principalId"]) == "[parameters('userPrincipalId')]";

    [Theory]
    [MemberData(nameof(Roles))]
    public void App_identity_holds_role_scoped_to_the_resource(string roleId, string resourceType)
    {
        var assignment = Assert.Single(Assignments(roleId), IsTheAppIdentity);

        Assert.Equal(
            $"[subscriptionResourceId(variables('roleDefinitions'), '{roleId}')]",
            CompiledTemplate.Str(assignment["properties"]?["roleDefinitionId"]));
        Assert.StartsWith($"[resourceId('{resourceType}', ", CompiledTemplate.Str(assignment["scope"]), StringComparison.Ordinal);
        Assert.Equal("ServicePrincipal", CompiledTemplate.Str(assignment["properties"]?["principalType"]));
        Assert.Null(assignment["condition"]);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public void Deploying_user_holds_role_scoped_to_the_resource_when_a_principal_id_is_given(string roleId, string resourceType)
    {
        var assignment = Assert.Single(Assignments(roleId), IsTheDeployingUser);

        Assert.StartsWith($"[resourceId('{resourceType}', ", CompiledTemplate.Str(assignment["scope"]), StringComparison.Ordinal);
        Assert.Equal("[not(empty(parameters('userPrincipalId')))]", CompiledTemplate.Str(assignment["condition"]));
        Assert.Equal("[parameters('userPrincipalType')]", CompiledTemplate.Str(assignment["properties"]?["principalType"]));
    }

    [Fact]
    public void Role_assignments_are_exactly_the_listed_roles_for_the_app_and_the_user()
    {
        var all = Template.ResourcesOfType("Microsoft.Authorization/roleAssignments");
        Assert.Equal(10, all.Count);
        Assert.Equal(5, all.Count(IsTheAppIdentity));
        Assert.Equal(5, all.Count(IsTheDeployingUser));
    }

    [Fact]
    public void Role_assignments_name_the_same_identity_the_function_app_runs_as()
    {
        Assert.Equal(Template.ModuleParameter("identity", "name"), Template.ModuleParameter("rbac", "identityName"));
        Assert.Equal("[parameters('principalId')]", Template.ModuleParameter("rbac", "userPrincipalId"));
        Assert.Equal("[variables('names').storage]", Template.ModuleParameter("rbac", "storageAccountName"));
        Assert.Equal(Template.ModuleParameter("openai", "name"), Template.ModuleParameter("rbac", "openAiAccountName"));
        Assert.Equal(Template.ModuleParameter("monitoring", "applicationInsightsName"), Template.ModuleParameter("rbac", "applicationInsightsName"));
    }

    [Fact]
    public void Role_definitions_are_the_built_in_ones_at_subscription_scope()
    {
        var rbac = Template.Module("rbac")["properties"]!["template"]!;
        Assert.Equal("Microsoft.Authorization/roleDefinitions", CompiledTemplate.Str(rbac["variables"]?["roleDefinitions"]));
    }

    [Fact]
    public void Role_assignment_names_are_deterministic()
    {
        foreach (var assignment in Template.ResourcesOfType("Microsoft.Authorization/roleAssignments"))
        {
            var name = CompiledTemplate.Str(assignment["name"]);
            Assert.StartsWith("[guid(", name, StringComparison.Ordinal);
            Assert.DoesNotContain("reference(", name, StringComparison.Ordinal);
        }
    }
}
