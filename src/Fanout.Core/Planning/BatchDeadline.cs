using System.Globalization;
using System.Text.RegularExpressions;

namespace Fanout.Core.Planning;

/// <summary>
/// Reads a batch's deadline: an ISO 8601 time with its offset (<c>2026-12-06T08:00:00Z</c>), or a duration from now
/// (<c>90m</c>, <c>6h</c>, <c>45s</c>, <c>2d</c>; on <c>/v1/batches</c> the <c>completion_window</c>, such as <c>24h</c>).
/// </summary>
public static partial class BatchDeadline
{
    /// <summary>What a wrong deadline is told.</summary>
    public const string Rule = "an ISO 8601 UTC time such as 2026-12-06T08:00:00Z, or a duration such as 90m or 6h (a number and s, m, h or d)";

    /// <summary>The deadline <paramref name="text"/> names, <paramref name="now"/> being the time the batch is created; false when it names none.</summary>
    public static bool TryParse(string? text, DateTimeOffset now, out DateTimeOffset deadline)
    {
        deadline = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (TryParseDuration(text, out var duration))
        {
            deadline = now + duration;
            return true;
        }

        // A time must say its offset: a local time on the server would be a guess.
        if ((text.EndsWith('Z') || text.EndsWith('z') || OffsetSuffix().IsMatch(text))
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            deadline = at.ToUniversalTime();
            return true;
        }

        return false;
    }

    /// <summary>A duration such as <c>90m</c>, <c>6h</c>, <c>45s</c> or <c>2d</c>; false when <paramref name="text"/> is none (or zero).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var match = DurationPattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 10_000_000)
        {
            return false;
        }

        duration = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
        return true;
    }

    [GeneratedRegex(@"^(\d{1,8})([smhdSMHD])$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"[+-]\d{2}:?\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetSuffix();
}
