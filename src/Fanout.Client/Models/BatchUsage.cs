namespace Fanout.Client.Models;

/// <summary><c>usage</c> of a batch.</summary>
/// <param name="PromptTokens">Prompt tokens so far.</param>
/// <param name="CompletionTokens">Completion tokens so far.</param>
/// <param name="TotalTokens">Prompt + completion tokens so far.</param>
public sealed record BatchUsage(long PromptTokens, long CompletionTokens, long TotalTokens);
