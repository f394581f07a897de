namespace Fanout.Core.Models;

/// <summary>Token usage of a batch.</summary>
public sealed record Usage(long PromptTokens, long CompletionTokens)
{
    /// <summary>Prompt + completion tokens.</summary>
    public long TotalTokens => PromptTokens + CompletionTokens;
}
