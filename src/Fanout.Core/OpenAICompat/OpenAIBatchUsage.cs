namespace Fanout.Core.OpenAICompat;

/// <summary>OpenAI's batch usage shape.</summary>
public sealed record OpenAIBatchUsage(long InputTokens, long OutputTokens)
{
    /// <summary>Input + output tokens.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Fanout does not see cached tokens: always 0.</summary>
    public object InputTokensDetails => new { cached_tokens = 0 };

    /// <summary>Fanout does not see reasoning tokens: always 0.</summary>
    public object OutputTokensDetails => new { reasoning_tokens = 0 };
}
