using System.Globalization;
using System.Text.Json;
using Fanout.Client.Models;

namespace Fanout.Cli.Commands;

/// <summary>Reads the figures of a batch object and says them in one line.</summary>
internal static class BatchText
{
    /// <summary>"in_progress 40/80 (50%) · 12.5 lines/s · 9,000 tok/min · ETA 3s · 429s 0 · retries 0".</summary>
    public static string Progress(FanoutBatch batch)
    {
        var counts = batch.RequestCounts;
        var percent = counts.Total == 0 ? 0 : counts.Done * 100 / counts.Total;
        var text = string.Create(CultureInfo.InvariantCulture, $"{batch.Status} {counts.Done}/{counts.Total} ({percent}%)");
        if (counts.Failed > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {counts.Failed} failed");
        }

        if (batch.Progress is { } p)
        {
            if (!batch.IsFinal)
            {
                text += string.Create(CultureInfo.InvariantCulture, $" · {p.LinesPerSecond:0.#} lines/s · {p.TokensPerMinute:#,0} tok/min");
                text += p.EtaSeconds is { } eta ? $" · ETA {Duration(eta)}" : " · ETA ?";
            }

            text += string.Create(CultureInfo.InvariantCulture, $" · 429s {p.RateLimited} · retries {p.Retries}");
            if (p.InvalidOutputs > 0)
            {
                // Answers rejected against their line's schema (each was asked again or failed the line invalid_output).
                text += string.Create(CultureInfo.InvariantCulture, $" · invalid outputs {p.InvalidOutputs}");
            }
        }

        return text;
    }

    /// <summary>"completed: 79 succeeded, 1 failed of 80 lines; 12,345 tokens".</summary>
    public static string Summary(FanoutBatch batch)
    {
        var counts = batch.RequestCounts;
        var text = string.Create(CultureInfo.InvariantCulture, $"{batch.Id} {batch.Status}: {counts.Completed} succeeded, {counts.Failed} failed of {counts.Total} lines; {batch.Usage?.TotalTokens ?? 0:#,0} tokens");
        if (batch.Error is { } e)
        {
            text += $" ({e.Code}: {e.Message})";
        }

        if (Cost(batch) is { } cost)
        {
            text += "; " + cost;
        }

        return text;
    }

    /// <summary>"cost 0.0123 USD (provisioned 0 · standard 0.01 · batch 0.0023); lines provisioned 10 · standard 5 · batch 0"; null when the batch object has no cost.</summary>
    public static string? Cost(FanoutBatch batch)
    {
        if (batch.Cost is not { } cost)
        {
            return null;
        }

        var c = CultureInfo.InvariantCulture;
        static string Amount(decimal? amount) => amount is { } a ? a.ToString("0.######", CultureInfo.InvariantCulture) : "unknown";
        var text = string.Create(c, $"cost {Amount(cost.Total)} {cost.Currency} (provisioned {Amount(cost.ByTier.Provisioned)} · standard {Amount(cost.ByTier.Standard)} · batch {Amount(cost.ByTier.Batch)})");
        if (batch.LinesByTier is { } lines)
        {
            text += string.Create(c, $"; lines provisioned {lines.Provisioned} · standard {lines.Standard} · batch {lines.Batch} · cached {lines.Cached}");
        }

        return text;
    }

    /// <summary>A dry run's estimate (<c>batch_estimate</c>) in a few lines: counts, tokens, cost, time, first line errors.</summary>
    public static string Estimate(JsonElement e)
    {
        var text = new System.Text.StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"lines {e.GetProperty("lines").GetInt32()}, invalid {e.GetProperty("invalid").GetInt32()}");
        if (e.TryGetProperty("cached_lines", out var cached) && cached.ValueKind == JsonValueKind.Number && cached.GetInt32() > 0)
        {
            text.AppendLine(c, $"cached {cached.GetInt32()} (answered without a call; left out of tokens, cost and time)");
        }

        text.AppendLine(c, $"prompt tokens {e.GetProperty("prompt_tokens").GetInt64():N0}, output bound {e.GetProperty("max_completion_tokens").GetInt64():N0} tokens");
        var cost = e.GetProperty("estimated_cost");
        text.AppendLine(cost.ValueKind == JsonValueKind.Object && cost.GetProperty("low").ValueKind == JsonValueKind.Number
            ? string.Create(c, $"cost {cost.GetProperty("low").GetDouble():0.####} - {cost.GetProperty("high").GetDouble():0.####} {cost.GetProperty("currency").GetString()}")
            : "cost unknown (no price configured for the model: Fanout:Pricing:{model}:InputPerMillion / OutputPerMillion)");
        var seconds = e.GetProperty("estimated_seconds_at_quota");
        text.Append(seconds.ValueKind == JsonValueKind.Number
            ? $"time at quota {Duration(seconds.GetDouble())}"
            : "time at quota unknown (no TokensPerMinute configured for the model)");
        if (e.TryGetProperty("plans", out var plans) && plans.ValueKind == JsonValueKind.Array)
        {
            foreach (var plan in plans.EnumerateArray())
            {
                var pc = plan.GetProperty("estimated_cost");
                var ps = plan.GetProperty("estimated_seconds");
                text.AppendLine().Append(c, $"  plan {plan.GetProperty("name").GetString()}: cost ")
                    .Append(pc.ValueKind == JsonValueKind.Object ? string.Create(c, $"{pc.GetProperty("low").GetDouble():0.####} - {pc.GetProperty("high").GetDouble():0.####} {pc.GetProperty("currency").GetString()}") : "unknown")
                    .Append(", time ").Append(ps.ValueKind == JsonValueKind.Number ? Duration(ps.GetDouble()) : "unknown");
            }
        }

        foreach (var error in e.GetProperty("line_errors").EnumerateArray().Take(10))
        {
            var err = error.GetProperty("error");
            text.AppendLine().Append(c, $"  line {error.GetProperty("index").GetInt32()} ({(error.TryGetProperty("custom_id", out var id) ? id.ToString() : "?")}): {err.GetProperty("code").GetString()}: {err.GetProperty("message").GetString()}");
        }

        return text.ToString();
    }

    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.Seconds}s";
    }
}
