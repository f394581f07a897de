using System.Diagnostics;
using Fanout.Core.Models;

namespace Fanout.Core.Telemetry;

/// <summary>
/// Records the spans of a batch: <c>batch</c> and <c>chunk</c> spans when they end (from the orchestrations, with the
/// orchestration clock, only when not replaying), and a <c>chat {deployment}</c> span around each model call.
/// </summary>
public static class BatchTracing
{
    /// <summary>Records the span of a batch that ran from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static void RecordBatch(string batchId, DateTime start, DateTime end, BatchResult result)
    {
        if (!FanoutTelemetry.Source.HasListeners())
        {
            return;
        }

        using var activity = FanoutTelemetry.Source.CreateActivity("batch", ActivityKind.Internal, new ActivityContext(TraceIds.TraceId(batchId), default, ActivityTraceFlags.Recorded));
        Record(activity, TraceIds.BatchSpanId(batchId), start, end, a =>
        {
            a.SetTag("fanout.batch.id", batchId);
            a.SetTag("fanout.batch.status", result.Status);
            a.SetTag("fanout.lines.total", result.Total);
            Tag(a, result.Counts);
            if (result.ErrorCode is not null)
            {
                a.SetStatus(ActivityStatusCode.Error, result.ErrorCode);
            }
        });
    }

    /// <summary>Records the span of one chunk of lines.</summary>
    public static void RecordChunk(string batchId, int chunk, int lines, DateTime start, DateTime end, BatchCounts counts)
    {
        if (!FanoutTelemetry.Source.HasListeners())
        {
            return;
        }

        using var activity = FanoutTelemetry.Source.CreateActivity("chunk", ActivityKind.Internal, TraceIds.BatchContext(batchId));
        Record(activity, TraceIds.ChunkSpanId(batchId, chunk), start, end, a =>
        {
            a.SetTag("fanout.batch.id", batchId);
            a.SetTag("fanout.chunk", chunk);
            a.SetTag("fanout.lines.total", lines);
            Tag(a, counts);
        });
    }

    /// <summary>Starts the span of one model call, a child of its chunk's span; null when nobody listens.</summary>
    public static Activity? StartCall(PromptWorkItem item, string deployment)
    {
        if (!FanoutTelemetry.Source.HasListeners())
        {
            // Nobody records spans: skip the span's name and the three hashes of its parent context (once per line).
            return null;
        }

        var activity = FanoutTelemetry.Source.StartActivity(
            $"chat {deployment}", ActivityKind.Client, TraceIds.ChunkContext(item.BatchId, item.Index / item.ChunkSize));
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gen_ai.operation.name", "chat");
            activity.SetTag("gen_ai.request.model", deployment);
            activity.SetTag("fanout.batch.id", item.BatchId);
            activity.SetTag("fanout.line.index", item.Index);
            activity.SetTag("fanout.attempt", item.Attempt);
        }

        return activity;
    }

    private static void Record(Activity? activity, ActivitySpanId spanId, DateTime start, DateTime end, Action<Activity> tag)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStartTime(DateTime.SpecifyKind(start, DateTimeKind.Utc));
        activity.Start();
        TraceIds.TrySetSpanId(activity, spanId);
        if (activity.IsAllDataRequested)
        {
            tag(activity);
        }

        activity.SetEndTime(DateTime.SpecifyKind(end < start ? start : end, DateTimeKind.Utc));
        activity.Stop();
    }

    private static void Tag(Activity a, BatchCounts counts)
    {
        a.SetTag("fanout.lines.completed", counts.Completed);
        a.SetTag("fanout.lines.failed", counts.Failed);
        a.SetTag("gen_ai.usage.input_tokens", counts.PromptTokens);
        a.SetTag("gen_ai.usage.output_tokens", counts.CompletionTokens);
        a.SetTag("fanout.rate_limited", counts.Throttled);
        a.SetTag("fanout.retries", counts.Retries);
    }
}
