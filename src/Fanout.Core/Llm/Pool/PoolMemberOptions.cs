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
