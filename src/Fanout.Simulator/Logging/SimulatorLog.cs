namespace Fanout.Simulator.Logging;

/// <summary>The simulator's log messages.</summary>
internal static partial class SimulatorLog
{
    /// <summary>Logger category; the standalone server lets Information through for it alone.</summary>
    public const string Category = "Fanout.Simulator";

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Fanout simulator listening on {Addresses} (latency {LatencyMs} ms, RPM {RequestsPerMinute}, TPM {TokensPerMinute}, failure rate {FailureRate})")]
    public static partial void Listening(ILogger logger, string addresses, int latencyMs, int requestsPerMinute, long tokensPerMinute, double failureRate);
}
