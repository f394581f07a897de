namespace Fanout.Core.Models;

/// <summary>
/// Batch statuses of the public contract, and the one rule for "is this status final". Fanout.Client compiles this
/// file too, as an internal type (it does not reference Fanout.Core), so it stays free of any other type.
/// </summary>
#if FANOUT_CLIENT
internal static class BatchStatus
#else
public static class BatchStatus
#endif
{
    /// <summary>Reading and validating the input.</summary>
    public const string Validating = "validating";
    /// <summary>Running.</summary>
    public const string InProgress = "in_progress";
    /// <summary>Every line is done; the ordered output is being written.</summary>
    public const string Finalizing = "finalizing";
    /// <summary>Every line has a result.</summary>
    public const string Completed = "completed";
    /// <summary>The batch as a whole could not run.</summary>
    public const string Failed = "failed";
    /// <summary>Cancel requested; in-flight calls finishing.</summary>
    public const string Cancelling = "cancelling";
    /// <summary>Cancelled; finished results kept.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>Ran out of its completion window (an OpenAI batch status: <c>/v1/batches</c>, <c>batch.expired</c>).</summary>
    public const string Expired = "expired";

    /// <summary>The statuses after which a batch never changes again.</summary>
    public static readonly IReadOnlySet<string> Final = new HashSet<string>(StringComparer.Ordinal) { Completed, Failed, Cancelled, Expired };

    /// <summary>True for a status after which a batch never changes again (<see cref="Final"/>).</summary>
    public static bool IsFinal(string? status) => status is not null && Final.Contains(status);
}
