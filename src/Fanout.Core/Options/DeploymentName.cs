using System.Text.RegularExpressions;

namespace Fanout.Core.Options;

/// <summary>The rule for a deployment (or model) name, wherever one is accepted: configuration, a batch, a pool member.</summary>
public static partial class DeploymentName
{
    /// <summary>1-64 letters, digits, '.', '_' or '-'.</summary>
    public const string Pattern = "^[A-Za-z0-9._-]{1,64}$";

    /// <summary>Whether <paramref name="value"/> is a valid deployment name.</summary>
    public static bool IsValid(string? value) => value is not null && Regex().IsMatch(value);

    [GeneratedRegex(Pattern)]
    private static partial Regex Regex();
}
