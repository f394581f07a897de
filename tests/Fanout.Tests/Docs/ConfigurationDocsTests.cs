using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;

namespace Fanout.Tests.Docs;

/// <summary>
/// docs/configuration.md lists every key: each settable property of each options class bound under <c>Fanout:*</c>
/// (found by reflection, so a new options class or property fails here until it is documented).
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    /// <summary>Options classes bound below a keyed section (a list or a dictionary of them), with their key prefix.</summary>
    private static readonly Dictionary<string, string> NestedSections = new(StringComparer.Ordinal)
    {
        ["PoolMemberOptions"] = "Fanout:OpenAI:Pool:{i}",
        ["SimulatorDeploymentOptions"] = "Fanout:Simulator:Deployments:{name}",
    };

    [Fact]
    public void Every_options_property_is_in_docs_configuration_md()
    {
        var docs = File.ReadAllLines(Path.Combine(RepoRoot(), "docs", "configuration.md"));
        var missing = new List<string>();
        foreach (var (section, type) in OptionsTypes())
        {
            var rows = docs.Where(line => line.Contains(section + ":", StringComparison.Ordinal)).ToList();
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                         .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0))
            {
                var name = property.GetCustomAttribute<Microsoft.Extensions.Configuration.ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
                var documented = rows.Any(row => BacktickTokens().Matches(row).Any(m =>
                    m.Groups[1].Value == name || m.Groups[1].Value.EndsWith(":" + name, StringComparison.Ordinal)));
                if (!documented)
                {
                    missing.Add($"{section}:{name} ({type.Name})");
                }
            }
        }

        Assert.True(missing.Count == 0, "Not in docs/configuration.md:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void The_search_finds_the_options_classes_of_every_project()
    {
        var names = OptionsTypes().Select(o => o.Type.Name).ToHashSet();

        Assert.Contains("OpenAIOptions", names);
        Assert.Contains("BatchOptions", names);
        Assert.Contains("DurableBackendOptions", names);
        Assert.Contains("SimulatorOptions", names);
        Assert.Contains("PoolMemberOptions", names);
        Assert.Contains("SimulatorDeploymentOptions", names);
    }

    private static IEnumerable<(string Section, Type Type)> OptionsTypes()
    {
        var assemblies = new[]
        {
            typeof(global::Fanout.Core.Options.BatchOptions).Assembly,
            typeof(global::Fanout.Durable.DurableBackendOptions).Assembly,
            typeof(global::Fanout.Simulator.Options.SimulatorOptions).Assembly,
        };
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsClass && !t.IsAbstract))
        {
            if (NestedSections.TryGetValue(type.Name, out var prefix))
            {
                yield return (prefix, type);
                continue;
            }

            var field = type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static);
            if (field is { IsLiteral: true } && field.GetRawConstantValue() is string section
                && section.StartsWith("Fanout:", StringComparison.Ordinal)
                && type.GetProperties().Any(p => p.SetMethod is { IsPublic: true }))
            {
                yield return (section, type);
            }
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No Functions.sln above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex BacktickTokens();
}
