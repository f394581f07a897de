using System.Globalization;
using Fanout.Core.Options;
using Microsoft.Extensions.Configuration;

namespace Fanout.Core.Llm.Pool;

/// <summary>
/// Reads <c>Fanout:OpenAI:Pool:{i}</c> by hand rather than by list binding, so that every error names the member's own
/// key (the binder renumbers a list with gaps) and a value that does not parse is reported instead of thrown.
/// </summary>
public static partial class PoolConfiguration
{
    /// <summary>Whether the configuration has a <c>Fanout:OpenAI:Pool</c> section at all (even an empty one).</summary>
    public static bool IsConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(PoolOptions.SectionName);
        return section.Value is not null || section.GetChildren().Any();
    }

    /// <summary>Reads the members into <paramref name="options"/>, and the problems into its <see cref="PoolOptions.Errors"/>.</summary>
    public static void Read(IConfiguration configuration, PoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsConfigured(configuration))
        {
            return;
        }

        var section = configuration.GetSection(PoolOptions.SectionName);
        var children = section.GetChildren()
            .OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue)
            .ThenBy(c => c.Key, StringComparer.Ordinal)
            .ToList();
        if (children.Count == 0)
        {
            options.Errors.Add($"{PoolOptions.SectionName} is set but has no members: give at least {PoolOptions.SectionName}:0:Endpoint and :Deployment, or remove it.");
            return;
        }

        var read = new List<PoolMember>();
        foreach (var child in children)
        {
            if (ReadMember(child, options.Errors) is { } member)
            {
                if (read.FirstOrDefault(m => SameDeployment(m, member)) is { } first)
                {
                    options.Errors.Add($"{member.Key} duplicates {first.Key}: the same Endpoint and Deployment.");
                    continue;
                }

                read.Add(member);
            }
        }

        foreach (var member in read)
        {
            var shared = read.Count(m => string.Equals(m.Deployment, member.Deployment, StringComparison.OrdinalIgnoreCase)) > 1;
            options.Members.Add(shared ? member with { Name = $"{member.Deployment}@{member.Endpoint.Authority}" } : member);
        }
    }

    private static bool SameDeployment(PoolMember a, PoolMember b)
        => Uri.Compare(a.Endpoint, b.Endpoint, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
            && string.Equals(a.Deployment, b.Deployment, StringComparison.OrdinalIgnoreCase);

    private static PoolMember? ReadMember(IConfigurationSection member, IList<string> errors)
    {
        var key = member.Path;
        var before = errors.Count;
        Uri? endpoint = null;
        var endpointText = member["Endpoint"];
        if (string.IsNullOrWhiteSpace(endpointText))
        {
            errors.Add($"{key}:Endpoint must be set: every pool member needs its Azure OpenAI endpoint, e.g. https://my-aoai.openai.azure.com/.");
        }
        else if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            errors.Add($"{key}:Endpoint must be an absolute http(s) URI, not '{endpointText}'.");
        }

        var deployment = member["Deployment"];
        if (string.IsNullOrWhiteSpace(deployment))
        {
            errors.Add($"{key}:Deployment must be set: the deployment name at the member's endpoint.");
        }
        else if (!DeploymentName.IsValid(deployment))
        {
            errors.Add($"{key}:Deployment must be 1-64 letters, digits, '.', '_' or '-', not '{deployment}'.");
        }

        var model = member["Model"];
        if (model is not null && !DeploymentName.IsValid(model))
        {
            errors.Add($"{key}:Model must be 1-64 letters, digits, '.', '_' or '-', not '{model}'.");
        }

        var weight = ReadNumber(member, "Weight", 1.0, 0.001, 1_000_000, errors);
        var tpm = ReadNumber(member, "TokensPerMinute", 0.0, 1, long.MaxValue, errors);
        var rpm = ReadNumber(member, "RequestsPerMinute", 0.0, 1, int.MaxValue, errors);
        var tier = PoolTier.Parse(member["Tier"] is { Length: > 0 } t ? t : PoolTier.Standard);
        if (tier is null)
        {
            errors.Add($"{key}:Tier must be provisioned, standard or batch, not '{member["Tier"]}'.");
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new PoolMember(
            key, deployment!, endpoint!, deployment!, string.IsNullOrEmpty(member["ApiKey"]) ? null : member["ApiKey"], model ?? deployment!, weight,
            tpm > 0 ? (long)tpm : null, rpm > 0 ? (int)rpm : null, tier!);
    }

    private static double ReadNumber(IConfigurationSection member, string name, double absent, double min, double max, IList<string> errors)
    {
        var text = member[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return absent;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value) || value < min || value > max)
        {
            errors.Add($"{member.Path}:{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
            return absent;
        }

        return value;
    }
}
