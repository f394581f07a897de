using System.Globalization;
using System.Text.Json;
using Fanout.Core.Models;

namespace Fanout.Cli.Commands;

/// <summary>Reads the figures of a batch object and says them in one line.</summary>
internal static class BatchText
{
    public static string Status(JsonElement batch) => batch.GetProperty("status").GetString() ?? "unknown";

    /// <summary>True when the batch has a final status (<see cref="BatchStatus.IsFinal(string?)"/>).</summary>
    public static bool IsFinal(JsonElement batch) => BatchStatus.IsFinal(Status(batch));

    public static (int Total, int Completed, int Failed) Counts(JsonElement batch)
    {
        var c = batch.GetProperty("request_counts");
        return (c.GetProperty("total").GetInt32(), c.GetProperty("completed").GetInt32(), c.GetProperty("failed").GetInt32());
    }

    /// <summary>True when the batch completed and every one of its lines succeeded.</summary>
    public static bool AllSucceeded(JsonElement batch)
    {
        var (total, completed, failed) = Counts(batch);
        return Status(batch) == "completed" && failed == 0 && completed == total;
    }

    public static long Tokens(JsonElement batch)
        => batch.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object && u.TryGetProperty("total_tokens", out var t) ? t.GetInt64() : 0;

    /// <summary>"in_progress 40/80 (50%) · 12.5 lines/s · 9,000 tok/min · ETA 3s · 429s 0 · retries 0".</summary>
    public static string Progress(JsonElement batch)
    {
        var (total, completed, failed) = Counts(batch);
        var done = completed + failed;
        var percent = total == 0 ? 0 : done * 100 / total;
        var text = string.Create(CultureInfo.InvariantCulture, $"{Status(batch)} {done}/{total} ({percent}%)");
        if (failed > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {failed} failed");
        }

        if (batch.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            if (!IsFinal(batch))
            {
                text += string.Create(CultureInfo.InvariantCulture, $" · {p.GetProperty("lines_per_second").GetDouble():0.#} lines/s · {p.GetProperty("tokens_per_minute").GetDouble():#,0} tok/min");
                text += p.GetProperty("eta_seconds") is { ValueKind: JsonValueKind.Number } eta ? $" · ETA {Duration(eta.GetDouble())}" : " · ETA ?";
            }

            text += string.Create(CultureInfo.InvariantCulture, $" · 429s {p.GetProperty("rate_limited").GetInt32()} · retries {p.GetProperty("retries").GetInt32()}");
            if (p.TryGetProperty("invalid_outputs", out var invalid) && invalid.ValueKind == JsonValueKind.Number && invalid.GetInt32() > 0)
            {
                // Answers rejected against their line's schema (each was asked again or failed the line invalid_output).
                text += string.Create(CultureInfo.InvariantCulture, $" · invalid outputs {invalid.GetInt32()}");
            }
        }

        return text;
    }

    /// <summary>"completed: 79 succeeded, 1 failed of 80 lines; 12,345 tokens".</summary>
    public static string Summary(JsonElement batch)
    {
        var (total, completed, failed) = Counts(batch);
        var text = string.Create(CultureInfo.InvariantCulture, $"{batch.GetProperty("id").GetString()} {Status(batch)}: {completed} succeeded, {failed} failed of {total} lines; {Tokens(batch):#,0} tokens");
        if (batch.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
        {
            text += $" ({e.GetProperty("code").GetString()}: {e.GetProperty("message").GetString()})";
        }

        if (Cost(batch) is { } cost)
        {
            text += "; " + cost;
        }

        return text;
    }

    /// <summary>"cost 0.0123 USD (provisioned 0 · standard 0.01 · batch 0.0023); lines provisioned 10 · standard 5 · batch 0"; null when the batch object has no cost.</summary>
    public static string? Cost(JsonElement batch)
    {
        if (!batch.TryGetProperty("cost", out var cost) || cost.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var c = CultureInfo.InvariantCulture;
        static string Amount(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDecimal().ToString("0.######", CultureInfo.InvariantCulture) : "unknown";
        var byTier = cost.GetProperty("by_tier");
        var text = string.Create(c, $"cost {Amount(cost.GetProperty("total"))} {cost.GetProperty("currency").GetString()} (provisioned {Amount(byTier.GetProperty("provisioned"))} · standard {Amount(byTier.GetProperty("standard"))} · batch {Amount(byTier.GetProperty("batch"))})");
        if (batch.TryGetProperty("lines_by_tier", out var lines) && lines.ValueKind == JsonValueKind.Object)
        {
            text += string.Create(c, $"; lines provisioned {lines.GetProperty("provisioned").GetInt64()} · standard {lines.GetProperty("standard").GetInt64()} · batch {lines.GetProperty("batch").GetInt64()} · cached {lines.GetProperty("cached").GetInt64()}");
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
