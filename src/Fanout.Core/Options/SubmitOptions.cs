using System.ComponentModel.DataAnnotations;

namespace Fanout.Core.Options;

/// <summary>
/// How many submits the store takes at once (<c>Fanout:Submit</c>): beyond that a submit waits its turn, and one that
/// cannot start within <see cref="QueueSeconds"/> answers 503 with <c>Retry-After</c> before anything is stored.
/// </summary>
public sealed class SubmitOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Submit";

    /// <summary>Submits (native, <c>/v1/batches</c>, retry) that store and schedule at the same time.</summary>
    [Range(1, 10_000, ErrorMessage = "Fanout:Submit:MaxConcurrent must be between 1 and 10000.")]
    public int MaxConcurrent { get; set; } = 64;

    /// <summary>How long a submit may wait for its turn before it answers 503 (nothing stored, nothing scheduled).</summary>
    [Range(0, 600, ErrorMessage = "Fanout:Submit:QueueSeconds must be between 0 and 600.")]
    public int QueueSeconds { get; set; } = 30;

    /// <summary>
    /// How long a submit waits, after its batch was scheduled, for storage to confirm it is on disk (the embedded
    /// Azurite's save). The batch exists either way, so the answer is 202 either way; past this the host only logs.
    /// </summary>
    [Range(1, 600, ErrorMessage = "Fanout:Submit:FlushWaitSeconds must be between 1 and 600.")]
    public int FlushWaitSeconds { get; set; } = 15;

    /// <summary>The <c>Retry-After</c> of a 503, in seconds.</summary>
    [Range(1, 3600, ErrorMessage = "Fanout:Submit:RetryAfterSeconds must be between 1 and 3600.")]
    public int RetryAfterSeconds { get; set; } = 5;
}
