using Fanout.Core.Cost;
using Fanout.Core.Options;

namespace Fanout.Core.Models;

/// <summary>The orchestration input: small, never the prompts themselves.</summary>
public sealed record BatchInput(
    string BatchId,
    string Deployment,
    int MaxConcurrency,
    long CreatedAt,
    BatchSource? Source = null,
    PreparedBatch? Prepared = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    int ChunkSize = BatchOptions.DefaultChunkSize,
    int MinChunkWindow = BatchOptions.DefaultMinChunkWindow,
    int MaxDurableRetries = OpenAIOptions.DefaultMaxDurableRetries,
    int MaxCallSeconds = 0,
    string? Endpoint = null,
    long? MaxTotalTokens = null,
    RetrySource? Retry = null,
    ChunkResume? Resume = null,
    BatchPricing? Pricing = null,
    bool AllowStandard = true,
    long? Deadline = null,
    bool Cache = false,
    bool SkipAnswered = false)
{
    /// <summary>
    /// This input with the batch's spend settings: <paramref name="standardSpend"/> false forbids standard pool members;
    /// <paramref name="deadline"/> (<see cref="Planning.BatchDeadline"/>, already checked) counts from <see cref="CreatedAt"/>.
    /// </summary>
    public BatchInput WithSpend(bool? standardSpend, string? deadline)
        => this with
        {
            AllowStandard = standardSpend ?? true,
            Deadline = Planning.BatchDeadline.TryParse(deadline, DateTimeOffset.FromUnixTimeSeconds(CreatedAt), out var at) ? at.ToUnixTimeSeconds() : null,
        };
}
