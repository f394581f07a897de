namespace Fanout.Core.Orchestrations;

/// <summary>
/// AIMD concurrency under a hard ceiling: the window grows by one per window's worth of successes and halves on a
/// throttling signal, at most once per window of completions (one burst of 429s is one congestion event).
/// Deterministic: driven only by activity outcomes, so it replays identically.
/// </summary>
public sealed class AdaptiveWindow(int ceiling)
{
    /// <summary>
    /// Rounds (a window's worth of completions) per +1: quota windows react in seconds while a call takes milliseconds,
    /// so growth is slower than TCP's one per round trip to avoid probing straight back into 429s.
    /// </summary>
    public const int IncreaseRounds = 4;

    private double _window = ceiling;
    private int _completionsSinceDecrease = int.MaxValue / 2;

    /// <summary>The hard cap (the batch's <c>maxConcurrency</c> share).</summary>
    public int Ceiling { get; } = ceiling;

    /// <summary>The number of calls allowed in flight now.</summary>
    public int Current => Math.Clamp((int)_window, 1, Ceiling);

    /// <summary>A call succeeded (or failed for a reason that is not throttling).</summary>
    public void OnSuccess()
    {
        _completionsSinceDecrease++;
        _window = Math.Min(Ceiling, _window + (1.0 / (IncreaseRounds * Math.Max(1.0, _window))));
    }

    /// <summary>A call was throttled (429).</summary>
    public void OnThrottled()
    {
        _completionsSinceDecrease++;
        if (_completionsSinceDecrease >= Current)
        {
            _window = Math.Max(1, _window / 2);
            _completionsSinceDecrease = 0;
        }
    }
}
