namespace Fanout.Core.Jsonl;

/// <summary>Limits applied by <see cref="JsonlBatchReader"/>; the defaults are the Azure OpenAI Batch limits.</summary>
public sealed class JsonlReaderOptions
{
    /// <summary>The largest line accepted, in bytes, not counting the line break; longer lines become <c>line_too_large</c>.</summary>
    public int MaxLineBytes { get; init; } = 1024 * 1024;

    /// <summary>The most lines a batch may have; one more throws <see cref="BatchLimitExceededException"/> (<c>too_many_lines</c>).</summary>
    public int MaxLines { get; init; } = 100_000;

    /// <summary>The most bytes a batch may have; one more throws <see cref="BatchLimitExceededException"/> (<c>batch_too_large</c>).</summary>
    public long MaxTotalBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>The batch's OpenAI <c>endpoint</c> (<see cref="BatchEndpoints"/>) every line's url must match; null = chat completions only.</summary>
    public string? Endpoint { get; init; }
}
