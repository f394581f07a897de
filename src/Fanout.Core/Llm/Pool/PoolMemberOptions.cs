namespace Fanout.Core.Llm.Pool;

/// <summary>One deployment of a pool, as configured under <c>Fanout:OpenAI:Pool:{i}</c>.</summary>
public sealed class PoolMemberOptions
{
    /// <summary>The Azure OpenAI endpoint of this member (required).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The deployment name at <see cref="Endpoint"/> (required).</summary>
    public string? Deployment { get; set; }

    /// <summary>API key; absent = managed identity / <c>DefaultAzureCredential</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The name lines and batches use (<c>body.model</c> / <c>deployment</c>); members with the same model form one pool. Default: <see cref="Deployment"/>.</summary>
    public string? Model { get; set; }

    /// <summary>Relative preference among the pool's members (default 1).</summary>
    public double Weight { get; set; } = 1;

    /// <summary>Optional hint: the member's token quota per minute (used before its headers are known, and by estimates).</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Optional hint: the member's request quota per minute.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary><c>provisioned</c>, <c>standard</c> (default) or <c>batch</c>: see <see cref="PoolTier"/>.</summary>
    public string? Tier { get; set; }
}

/// <summary>
/// The pool members read from <c>Fanout:OpenAI:Pool</c> (by <see cref="PoolConfiguration"/>), with the configuration
/// key of each, and what was wrong with them: <see cref="PoolOptionsValidator"/> fails the start on <see cref="Errors"/>.
/// </summary>
public sealed class PoolOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:OpenAI:Pool";

    /// <summary>The valid members in configuration order.</summary>
    public IList<PoolMember> Members { get; } = new List<PoolMember>();

    /// <summary>One message per configuration problem, each naming its key.</summary>
    public IList<string> Errors { get; } = new List<string>();
}

/// <summary>A validated pool member.</summary>
/// <param name="Key">Its configuration key, e.g. <c>Fanout:OpenAI:Pool:0</c>.</param>
/// <param name="Name">The name it is reported under in <c>usage_by_deployment</c>: the deployment, or <c>deployment@host</c> when two members share a deployment name.</param>
/// <param name="Endpoint">Its endpoint.</param>
/// <param name="Deployment">Its deployment at <paramref name="Endpoint"/>.</param>
/// <param name="ApiKey">Its key, or null for a token credential.</param>
/// <param name="Model">The pool it belongs to.</param>
/// <param name="Weight">Relative preference.</param>
/// <param name="TokensPerMinute">Quota hint, or null.</param>
/// <param name="RequestsPerMinute">Quota hint, or null.</param>
/// <param name="Tier">Its <see cref="PoolTier"/>: <c>provisioned</c>, <c>standard</c> or <c>batch</c>.</param>
public sealed record PoolMember(
    string Key, string Name, Uri Endpoint, string Deployment, string? ApiKey, string Model, double Weight = 1, long? TokensPerMinute = null, int? RequestsPerMinute = null,
    string Tier = PoolTier.Standard);
