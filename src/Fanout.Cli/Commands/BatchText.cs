using System.Globalization;
using System.Text.Json;

namespace Fanout.Cli.Commands;

/// <summary>Reads the figures of a batch object and says them in one line.</summary>
internal static class BatchText
{
    public static string Status(JsonElement batch) => batch.GetProperty("status").GetString() ?? "unknown";

    public static bool IsFinal(JsonElement batch) => Status(batch) is "completed" or "failed" or "cancelled" or "expired";

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

        return text;
    }

    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.Seconds}s";
    }
}
