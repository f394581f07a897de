using System.ClientModel.Primitives;
using System.Diagnostics;

namespace Fanout.Core.Telemetry;

/// <summary>
/// Per try of a model call (after the throttle gate, next to the transport): counts the tries and the 429s, and sums
/// the time on the wire, so the call's span can tell its retries and how long it waited (gate and backoff) apart from
/// the service's own time.
/// </summary>
public sealed class CallTelemetryPolicy : PipelinePolicy
{
    private static readonly AsyncLocal<CallStats?> Current = new();

    /// <summary>Starts collecting the tries of the call that runs in this async flow.</summary>
    public static CallStats Begin() => Current.Value = new CallStats();

    /// <inheritdoc />
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            ProcessNext(message, pipeline, currentIndex);
        }
        finally
        {
            Observe(message, started);
        }
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        }
        finally
        {
            Observe(message, started);
        }
    }

    private static void Observe(PipelineMessage message, long started)
    {
        // The metrics of each attempt come from Attempts.AttemptCountingPolicy (one count for every figure).
        var status = message.Response?.Status ?? 0;
        if (Current.Value is { } stats)
        {
            stats.Tries++;
            stats.RateLimited += status == 429 ? 1 : 0;
            stats.OnWire += Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>What the tries of one call came to.</summary>
    public sealed class CallStats
    {
        /// <summary>Tries sent (1 + in-call retries).</summary>
        public int Tries { get; internal set; }

        /// <summary>Tries answered 429.</summary>
        public int RateLimited { get; internal set; }

        /// <summary>Time spent sending and awaiting the service.</summary>
        public TimeSpan OnWire { get; internal set; }
    }
}
