using System.Text.RegularExpressions;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Api;

/// <summary>
/// The rules of a submit's settings, once for the query, the JSON form and the blob drop: the cap and the deployment.
/// Each message is "SUBJECT must be RULE." with the one wording of the rule.
/// </summary>
public sealed partial class SubmitRules(IOptions<BatchOptions> batchOptions)
{
    /// <summary>The deployment rule's wording.</summary>
    public const string DeploymentRule = "1-64 letters, digits, '.', '_' or '-'";

    /// <summary>The cap rule's wording.</summary>
    public string CapRule => $"an integer from 1 to {MaxConcurrencyLimit}";

    /// <summary>The largest cap a batch may ask for.</summary>
    public int MaxConcurrencyLimit => batchOptions.Value.MaxConcurrencyLimit;

    /// <summary>True for a deployment name the API accepts.</summary>
    public static bool IsValidDeployment(string value) => DeploymentName().IsMatch(value);

    /// <summary>True for a cap the API accepts.</summary>
    public bool IsValidCap(long value) => value >= 1 && value <= MaxConcurrencyLimit;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex DeploymentName();
}
