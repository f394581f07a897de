namespace Fanout.Core.OpenAICompat;

/// <summary>One entry of <see cref="OpenAIBatchErrors"/>.</summary>
public sealed record OpenAIBatchError(string Code, string Message, string? Param = null, int? Line = null);
