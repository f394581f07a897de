using Fanout.Core.Models;

namespace Fanout.Core.Webhooks;

/// <summary>The event types of OpenAI's batch webhooks, which Fanout sends when a batch reaches a final status.</summary>
public static class WebhookEventTypes
{
    /// <summary>Every line has a result.</summary>
    public const string Completed = "batch.completed";

    /// <summary>The batch as a whole could not run.</summary>
    public const string Failed = "batch.failed";

    /// <summary>Cancelled; finished results kept.</summary>
    public const string Cancelled = "batch.cancelled";

    /// <summary>Expired before it finished.</summary>
    public const string Expired = "batch.expired";

    /// <summary>Every type, for validating <c>:Events</c>.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Completed, Failed, Cancelled, Expired };

    /// <summary>The event of a batch that ended with <paramref name="status"/>; null when that status is not final.</summary>
    public static string? Of(string status) => status switch
    {
        BatchStatus.Completed => Completed,
        BatchStatus.Failed => Failed,
        BatchStatus.Cancelled => Cancelled,
        "expired" => Expired,
        _ => null,
    };
}
