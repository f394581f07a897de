using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Xunit;

namespace Fanout.InfraTests;

/// <summary>infra/main.bicep compiled to ARM JSON by the Bicep CLI from NuGet, once per test run.</summary>
internal sealed class CompiledTemplate
{
    private static readonly Lazy<CompiledTemplate> Instance = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    private CompiledTemplate(string text, string diagnostics)
    {
        Text = text;
        Root = JsonNode.Parse(text)?.AsObject()
            ?? throw new InvalidOperationException("bicep build printed no template");
        Diagnostics = diagnostics;
    }

    public static CompiledTemplate Main => Instance.Value;

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The ARM template as the compiler printed it.</summary>
    public string Text { get; }

    /// <summary>The ARM template of main.bicep; modules are nested Microsoft.Resources/deployments.</summary>
    public JsonObject Root { get; }

    /// <summary>What the compiler printed besides the template (warnings, errors).</summary>
    public string Diagnostics { get; }

    /// <summary>Every resource, in main.bicep and in every module, however deeply nested.</summary>
    public IReadOnlyList<JsonObject> AllResources => ResourcesOf(Root).SelectMany(Flatten).ToList();

    public IReadOnlyList<JsonObject> ResourcesOfType(string type) =>
        AllResources.Where(r => string.Equals(Str(r["type"]), type, StringComparison.OrdinalIgnoreCase)).ToList();

    public JsonObject SingleResource(string type)
    {
        var matches = ResourcesOfType(type);
        Assert.True(matches.Count == 1, $"expected one {type}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>The module deployment that main.bicep declares with this deployment name.</summary>
    public JsonObject Module(string name) =>
        ResourcesOf(Root).Single(r => Str(r["type"]) == "Microsoft.Resources/deployments" && Str(r["name"]) == name);

    /// <summary>
    /// The value main.bicep passes to a module parameter: a literal or an ARM expression. A conditional
    /// value compiles to an expression for the whole {"value": ...} object, returned as is.
    /// </summary>
    public string ModuleParameter(string module, string parameter)
    {
        var node = Module(module)["properties"]?["parameters"]?[parameter];
        return (node is JsonObject wrapper ? Str(wrapper["value"]) : Str(node))
            ?? throw new Xunit.Sdk.XunitException($"module '{module}' gets no string value for '{parameter}'");
    }

    /// <summary>The function app's app settings, name to value (values are ARM expressions or literals).</summary>
    public IReadOnlyDictionary<string, string> AppSettings =>
        (SingleResource("Microsoft.Web/sites")["properties"]?["siteConfig"]?["appSettings"]?.AsArray()
            ?? throw new Xunit.Sdk.XunitException("the function app has no siteConfig.appSettings"))
        .Select(s => s!.AsObject())
        .ToDictionary(s => Str(s["name"])!, s => Str(s["value"]) ?? s["value"]?.ToJsonString() ?? "");

    public static string? Str(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    private static IEnumerable<JsonObject> Flatten(JsonObject resource)
    {
        yield return resource;
        if (Str(resource["type"]) == "Microsoft.Resources/deployments"
            && resource["properties"]?["template"] is JsonObject nested)
        {
            foreach (var inner in ResourcesOf(nested).SelectMany(Flatten))
            {
                yield return inner;
            }
        }
    }

    // Templates in languageVersion 2.0 keep resources in an object keyed by symbolic name.
    private static IEnumerable<JsonObject> ResourcesOf(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject map => map.Select(kv => kv.Value).OfType<JsonObject>(),
        _ => [],
    };

    private static CompiledTemplate Compile()
    {
        var bicep = FindBicep();
        var main = Path.Combine(RepoRoot, "infra", "main.bicep");
        var start = new ProcessStartInfo(bicep)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "build", main, "--stdout", "--no-restore" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {bicep}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep build {main} took more than 2 minutes");
        }

        var output = stdout.GetAwaiter().GetResult();
        var diagnostics = stderr.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build {main} failed ({process.ExitCode}):\n{diagnostics}");
        }

        return new CompiledTemplate(output, diagnostics);
    }

    private static string FindBicep()
    {
        var path = Environment.GetEnvironmentVariable("BICEP_BIN");
        if (string.IsNullOrEmpty(path))
        {
            path = Metadata("BicepPath");
        }

        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new FileNotFoundException(
                $"No Bicep CLI at '{path}'. It comes from the Azure.Bicep.CommandLine.linux-x64 package (restored with this project); set BICEP_BIN to use another binary.");
        }

        // NuGet extracts without keeping the executable bit on some setups.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute);
            }
        }

        return path;
    }

    private static string FindRepoRoot()
    {
        var fromBuild = Metadata("RepoRoot");
        if (!string.IsNullOrEmpty(fromBuild) && File.Exists(Path.Combine(fromBuild, "infra", "main.bicep")))
        {
            return fromBuild;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "infra", "main.bicep")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("could not find the repository root (the folder with infra/main.bicep)");
    }

    private static string? Metadata(string key) =>
        typeof(CompiledTemplate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value;
}
