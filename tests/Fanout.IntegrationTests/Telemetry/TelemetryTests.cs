using System.Diagnostics;
using Fanout.Core.Telemetry;
using OpenTelemetry.Metrics;
using Xunit;

namespace Fanout.IntegrationTests.Telemetry;

/// <summary>Fanout's spans and metrics, read back from an in-memory OpenTelemetry exporter.</summary>
public sealed class TelemetryTests(TelemetryRun run) : IClassFixture<TelemetryRun>
{
    [Fact]
    public void Spans_form_a_batch_chunk_call_tree_carrying_counts_and_never_text()
    {
        var trace = run.Spans.Where(s => s.TraceId == TraceIds.TraceId(run.BatchId) && s.Source.Name == FanoutTelemetry.Name).ToList();

        var batch = Assert.Single(trace, s => s.OperationName == "batch");
        Assert.Equal(TraceIds.BatchSpanId(run.BatchId), batch.SpanId);
        Assert.Equal("completed", batch.GetTagItem("fanout.batch.status"));
        Assert.Equal(TelemetryRun.Lines, Convert.ToInt32(batch.GetTagItem("fanout.lines.completed"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(Convert.ToInt64(batch.GetTagItem("gen_ai.usage.output_tokens"), System.Globalization.CultureInfo.InvariantCulture) > 0);

        var chunks = trace.Where(s => s.OperationName == "chunk").ToList();
        Assert.Equal([0, 1, 2], chunks.Select(c => (int)c.GetTagItem("fanout.chunk")!).Order());
        Assert.All(chunks, c => Assert.Equal(batch.SpanId, c.ParentSpanId));
        Assert.All(chunks, c => Assert.Equal(TraceIds.ChunkSpanId(run.BatchId, (int)c.GetTagItem("fanout.chunk")!), c.SpanId));
        Assert.All(chunks, c => Assert.True(c.StartTimeUtc >= batch.StartTimeUtc && c.StartTimeUtc + c.Duration <= batch.StartTimeUtc + batch.Duration));

        var calls = trace.Where(s => s.OperationName == "chat gpt-4o-mini").ToList();
        Assert.True(calls.Count >= TelemetryRun.Lines, $"{calls.Count} call spans");
        Assert.All(calls, c => Assert.Equal(ActivityKind.Client, c.Kind));
        Assert.All(calls, c => Assert.Equal(TraceIds.ChunkSpanId(run.BatchId, (int)c.GetTagItem("fanout.line.index")! / TelemetryRun.ChunkSize), c.ParentSpanId));
        Assert.All(calls, c => Assert.Equal("gpt-4o-mini", c.GetTagItem("gen_ai.request.model")));
        Assert.All(calls, c => Assert.NotNull(c.GetTagItem("fanout.wait_ms")));
        // Every line has a successful call span; at-least-once delivery may call a line twice (seen once: 301 of 300).
        var answered = calls.Where(c => (int)c.GetTagItem("http.response.status_code")! == 200 && (int)c.GetTagItem("gen_ai.usage.output_tokens")! > 0);
        Assert.Equal(TelemetryRun.Lines, answered.Select(c => (int)c.GetTagItem("fanout.line.index")!).Distinct().Count());
        Assert.Contains(calls, c => (int)c.GetTagItem("fanout.retries")! > 0 && (int)c.GetTagItem("fanout.rate_limited")! > 0);

        var batchTokens = Convert.ToInt64(batch.GetTagItem("gen_ai.usage.output_tokens"), System.Globalization.CultureInfo.InvariantCulture);
        // A try that got no answer (a 429, a timeout) carries no usage: it adds nothing.
        Assert.Equal(batchTokens, calls.Sum(c => c.GetTagItem("gen_ai.usage.output_tokens") as int? ?? 0));
    }

    [Fact]
    public void Metrics_count_calls_tokens_429s_retries_and_line_latency()
    {
        long Sum(string name, Func<MetricPoint, bool>? where = null)
        {
            long total = 0;
            foreach (var m in run.Metrics.Where(m => m.Name == name))
            {
                foreach (var p in m.MetricPoints.Where(p => where is null || where(p)))
                {
                    total += m.MetricType == MetricType.Histogram ? p.GetHistogramCount() : p.GetSumLong();
                }
            }

            return total;
        }

        static bool Tag(MetricPoint p, string key, string value)
        {
            foreach (var t in p.Tags)
            {
                if (t.Key == key && Equals(t.Value, value))
                {
                    return true;
                }
            }

            return false;
        }

        // Other test classes may run batches at the same time: at least this batch's numbers.
        Assert.True(Sum("fanout.lines.finished", p => Tag(p, "fanout.line.outcome", "succeeded")) >= TelemetryRun.Lines);
        Assert.True(Sum("fanout.line.duration") >= TelemetryRun.Lines);
        Assert.True(Sum("fanout.llm.tokens", p => Tag(p, "gen_ai.token.type", "output")) >= run.Result.Counts.CompletionTokens);
        Assert.True(Sum("fanout.llm.tokens", p => Tag(p, "gen_ai.token.type", "input")) >= run.Result.Counts.PromptTokens);
        Assert.True(Sum("fanout.llm.rate_limited") > 0);
        Assert.True(Sum("fanout.llm.retries", p => Tag(p, "fanout.retry.kind", "in_call")) > 0);
        Assert.Contains(run.Metrics, m => m.Name == "fanout.llm.calls_in_flight");
    }

    [Fact]
    public void No_prompt_or_response_text_reaches_the_logs_or_any_span()
    {
        Assert.NotEmpty(run.Logs);
        Assert.Equal(TelemetryRun.Lines, run.Answers.Count);
        var secrets = run.Answers.Append(run.PromptMarker).ToList();

        foreach (var span in run.Spans)
        {
            var text = string.Join('\n', new[] { span.DisplayName, span.StatusDescription ?? string.Empty }
                .Concat(span.TagObjects.Select(t => $"{t.Key}={t.Value}"))
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name} {t.Key}={t.Value}")))
                .Concat(span.Baggage.Select(b => $"{b.Key}={b.Value}")));
            Assert.DoesNotContain(secrets, text.Contains);
        }

        foreach (var log in run.Logs)
        {
            Assert.DoesNotContain(secrets, log.Contains);
        }
    }
}
