using Fanout.Core.Options;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Api;

/// <summary>
/// The rules of a submit's settings, once for the query, the JSON form and the blob drop: the cap (<see cref="ConcurrencyCap"/>) and the deployment.
/// Each message is "SUBJECT must be RULE." with the one wording of the rule.
/// </summary>
public sealed class SubmitRules(IOptions<BatchOptions> batchOptions)
{
    /// <summary>The deployment rule's wording.</summary>
    public const string DeploymentRule = "1-64 letters, digits, '.', '_' or '-'";

    /// <summary>The largest cap a batch may ask for.</summary>
    public int MaxConcurrencyLimit => batchOptions.Value.MaxConcurrencyLimit;

    /// <summary>True for a deployment name the API accepts.</summary>
    public static bool IsValidDeployment(string value) => DeploymentName.IsValid(value);
}
