namespace Fanout.Core.Watching;

/// <summary>
/// The rate of a running batch over its last <see cref="Window"/>, from samples of its own status (the counts the
/// batch object shows): no second source of truth, just the same numbers remembered with the time they were read.
/// Pure apart from the samples it keeps; callers pass the time.
/// </summary>
public sealed class RateWindow
{
    /// <summary>How far back the current rate looks.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly List<Sample> _samples = [];

    /// <summary>One reading of a batch's counters.</summary>
    public readonly record struct Sample(DateTimeOffset At, long Lines, long Tokens);

    /// <summary>
    /// Records <paramref name="now"/>'s reading and returns the rate since the newest sample at least
    /// <see cref="Window"/> old. Without one, a batch younger than the window is measured since its creation (which is
    /// then exactly the last 30 s); an older batch seen only recently by this process is measured over the samples it
    /// has, or, with fewer than 2 s of them, since its creation.
    /// </summary>
    public LiveProgress Observe(Sample now, DateTimeOffset createdAt, long total, int rateLimited, int retries)
    {
        Sample from;
        lock (_gate)
        {
            // Keep the newest sample that is at least a window old, and everything after it.
            var firstOld = _samples.FindLastIndex(s => now.At - s.At >= Window);
            if (firstOld > 0)
            {
                _samples.RemoveRange(0, firstOld);
            }

            var baseline = new Sample(createdAt, 0, 0);
            if (_samples.Count > 0 && now.At - _samples[0].At >= Window)
            {
                from = _samples[0];
            }
            else if (now.At - createdAt <= Window || _samples.Count == 0 || now.At - _samples[0].At < TimeSpan.FromSeconds(2))
            {
                from = baseline;
            }
            else
            {
                from = _samples[0];
            }

            if (_samples.Count == 0 || now.At > _samples[^1].At)
            {
                _samples.Add(now);
            }
        }

        var seconds = Math.Max((now.At - from.At).TotalSeconds, 0.001);
        var lps = Math.Max(0, now.Lines - from.Lines) / seconds;
        var tpm = Math.Max(0, now.Tokens - from.Tokens) / seconds * 60;
        var remaining = Math.Max(0, total - now.Lines);
        double? eta = remaining == 0 ? 0 : lps > 0 ? Math.Round(remaining / lps, 1) : null;
        return new LiveProgress(Math.Round(lps, 3), Math.Round(tpm, 1), eta, Math.Round(seconds, 1), rateLimited, retries);
    }
}
