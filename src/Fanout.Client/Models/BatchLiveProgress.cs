namespace Fanout.Client.Models;

/// <summary><c>progress</c> of a batch object: its current rate, the ETA at that rate and the throttling met so far.</summary>
/// <param name="LinesPerSecond">Lines finished per second over the service's window.</param>
/// <param name="TokensPerMinute">Tokens per minute over the same window.</param>
/// <param name="EtaSeconds">Seconds until every line is finished at that rate; null while the rate is zero.</param>
/// <param name="RateLimited">Calls answered 429.</param>
/// <param name="Retries">Lines scheduled again after a 429 or a transient error.</param>
/// <param name="InvalidOutputs">Answers rejected against their line's schema.</param>
public sealed record BatchLiveProgress(double LinesPerSecond, double TokensPerMinute, double? EtaSeconds, int RateLimited, int Retries, int InvalidOutputs);
