using System.Diagnostics;
using Fanout.Core.Llm;
using Fanout.Core.Models;

namespace Fanout.Core.Telemetry;

/// <summary>
/// The telemetry of one prompt activity: the <c>chat {deployment}</c> span, calls in flight, in-call retries, 429s,
/// tokens, the line's outcome and latency. Only numbers, ids and codes are recorded, never a prompt or an answer.
/// </summary>
public sealed class CallRecording : IDisposable
{
    private readonly long _lineStarted;
    private Activity? _span;
    private long _callStarted;
    private CallTelemetryPolicy.CallStats? _stats;
    private bool _inFlight;

    private CallRecording(long lineStarted) => _lineStarted = lineStarted;

    /// <summary>Starts timing a line (before it is read).</summary>
    public static CallRecording StartLine() => new(Stopwatch.GetTimestamp());

    /// <summary>The model call starts.</summary>
    public void CallStarting(PromptWorkItem item, string deployment)
    {
        _span = BatchTracing.StartCall(item, deployment);
        _stats = CallTelemetryPolicy.Begin();
        _callStarted = Stopwatch.GetTimestamp();
        _inFlight = true;
        FanoutTelemetry.CallsInFlight.Add(1, new KeyValuePair<string, object?>("gen_ai.request.model", deployment));
        Deployment = deployment;
    }

    /// <summary>The deployment called.</summary>
    public string? Deployment { get; private set; }

    /// <summary>The model call returned (after the SDK's own retries).</summary>
    public void CallEnded(ChatCallResult result)
    {
        EndInFlight();
        var retries = Math.Max(0, (_stats?.Tries ?? 1) - 1);
        if (retries > 0)
        {
            FanoutTelemetry.Retries.Add(retries, new KeyValuePair<string, object?>("fanout.retry.kind", "in_call"));
        }

        if (_span is { IsAllDataRequested: true } span)
        {
            var wait = Stopwatch.GetElapsedTime(_callStarted) - (_stats?.OnWire ?? TimeSpan.Zero);
            span.SetTag("http.response.status_code", result.Status);
            span.SetTag("fanout.retries", retries);
            span.SetTag("fanout.rate_limited", _stats?.RateLimited ?? 0);
            span.SetTag("fanout.wait_ms", Math.Max(0, Math.Round(wait.TotalMilliseconds, 1)));
            span.SetTag("fanout.deferred", result.Deferred);
            if (result.RequestId is not null)
            {
                span.SetTag("gen_ai.response.id", result.RequestId);
            }
        }
    }

    /// <summary>The line's result was stored: an answer with its usage, or an error with its code.</summary>
    public void LineFinished(bool succeeded, string? errorCode, int promptTokens = 0, int completionTokens = 0)
    {
        var model = new KeyValuePair<string, object?>("gen_ai.request.model", Deployment);
        FanoutTelemetry.LinesFinished.Add(1, new KeyValuePair<string, object?>("fanout.line.outcome", succeeded ? "succeeded" : "failed"), model);
        FanoutTelemetry.LineDuration.Record(Stopwatch.GetElapsedTime(_lineStarted).TotalSeconds, model);
        if (promptTokens > 0)
        {
            FanoutTelemetry.Tokens.Add(promptTokens, new KeyValuePair<string, object?>("gen_ai.token.type", "input"), model);
        }

        if (completionTokens > 0)
        {
            FanoutTelemetry.Tokens.Add(completionTokens, new KeyValuePair<string, object?>("gen_ai.token.type", "output"), model);
        }

        if (_span is { IsAllDataRequested: true } span)
        {
            span.SetTag("gen_ai.usage.input_tokens", promptTokens);
            span.SetTag("gen_ai.usage.output_tokens", completionTokens);
            if (!succeeded)
            {
                span.SetTag("error.type", errorCode);
                span.SetStatus(ActivityStatusCode.Error, errorCode);
            }
        }
    }

    /// <summary>Nothing was stored: the line goes back to the orchestrator for a durable timer of <paramref name="wait"/>.</summary>
    public void HandedBack(TimeSpan wait)
    {
        FanoutTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("fanout.retry.kind", "durable"));
        _span?.SetTag("fanout.handed_back_ms", (long)wait.TotalMilliseconds);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        EndInFlight();
        _span?.Dispose();
    }

    private void EndInFlight()
    {
        if (_inFlight)
        {
            _inFlight = false;
            FanoutTelemetry.CallsInFlight.Add(-1, new KeyValuePair<string, object?>("gen_ai.request.model", Deployment));
        }
    }
}
