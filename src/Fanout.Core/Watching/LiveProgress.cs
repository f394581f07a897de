namespace Fanout.Core.Watching;

/// <summary>
/// The live figures of a batch object (<c>progress</c>): the current rate over the last
/// <see cref="WindowSeconds"/>, the ETA at that rate, and the throttling the batch met so far.
/// </summary>
/// <param name="LinesPerSecond">Lines finished (answered or failed) per second over the window.</param>
/// <param name="TokensPerMinute">Prompt + completion tokens per minute over the window.</param>
/// <param name="EtaSeconds">Seconds until every line is finished at the current rate; null while the rate is zero.</param>
/// <param name="WindowSeconds">How many seconds the rate was measured over (30 once the batch has run that long).</param>
/// <param name="RateLimited">Calls that came back 429 (or were held back by a closed throttle gate).</param>
/// <param name="Retries">Lines scheduled again on a durable timer (after a 429 or a transient error).</param>
/// <param name="InvalidOutputs">Answers rejected as invalid against their line's requested format (each re-ask counts).</param>
public sealed record LiveProgress(double LinesPerSecond, double TokensPerMinute, double? EtaSeconds, double WindowSeconds, int RateLimited, int Retries, int InvalidOutputs = 0);
