using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Fanout.Core.Telemetry;

/// <summary>
/// Fanout's traces and metrics, on plain <see cref="System.Diagnostics"/> (no OpenTelemetry SDK here): the hosts
/// decide whether and where they are exported. Spans and metrics carry counts, ids, statuses and timings, never the
/// text of a prompt or a response.
/// </summary>
public static class FanoutTelemetry
{
    /// <summary>Name of the <see cref="ActivitySource"/> and the <see cref="Meter"/>.</summary>
    public const string Name = "Fanout";

    /// <summary>Spans: <c>batch</c> → <c>chunk</c> → <c>chat {deployment}</c>.</summary>
    public static readonly ActivitySource Source = new(Name, "1.0");

    /// <summary>Fanout's instruments.</summary>
    public static readonly Meter Meter = new(Name, "1.0");

    /// <summary>Model calls being sent or awaited in this process.</summary>
    public static readonly UpDownCounter<long> CallsInFlight = Meter.CreateUpDownCounter<long>(
        "fanout.llm.calls_in_flight", "{call}", "Model calls in flight in this process.");

    /// <summary>Tokens used (its rate is tokens/s), by <c>gen_ai.token.type</c> (input, output).</summary>
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>(
        "fanout.llm.tokens", "{token}", "Tokens used by answered calls; its rate is the token throughput.");

    /// <summary>429 answers, counted per try (the SDK's own retries included).</summary>
    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>(
        "fanout.llm.rate_limited", "{response}", "429 answers from the model service, per try.");

    /// <summary>
    /// HTTP attempts to model endpoints, by <c>fanout.deployment</c> and <c>fanout.attempt.outcome</c> (succeeded,
    /// rate_limited, http_4xx, http_5xx, timeout, connection): the same count, at the same place, as the batch's
    /// <c>usage_by_deployment</c> (<see cref="Attempts.AttemptCountingPolicy"/>).
    /// </summary>
    public static readonly Counter<long> Attempts = Meter.CreateCounter<long>(
        "fanout.llm.attempts", "{attempt}", "HTTP attempts to model endpoints (SDK retries included), by outcome.");

    /// <summary>Retries: <c>fanout.retry.kind</c> = in_call (the SDK retried) or durable (handed back to a durable timer).</summary>
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "fanout.llm.retries", "{retry}", "Retries of model calls: inside a call, or after a durable timer.");

    /// <summary>How long a line's final attempt took, from reading the line to its result stored.</summary>
    public static readonly Histogram<double> LineDuration = Meter.CreateHistogram<double>(
        "fanout.line.duration", "s", "Latency of a line's final attempt: read, model call (with in-call retries), result stored.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });

    /// <summary>Lines with a result, by <c>fanout.line.outcome</c> (succeeded, failed).</summary>
    public static readonly Counter<long> LinesFinished = Meter.CreateCounter<long>(
        "fanout.lines.finished", "{line}", "Lines whose result (answer or error) was stored.");
}
