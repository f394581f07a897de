namespace Fanout.Core.Watching;

/// <summary>The health check's answer.</summary>
public sealed record HealthReport(string Status, string Storage, string Durable)
{
    /// <summary>True when every dependency answered.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Healthy => Status == "ok";

    /// <summary>The report of two probes.</summary>
    public static HealthReport Of(bool storage, bool durable)
        => new(storage && durable ? "ok" : "unhealthy", storage ? "ok" : "unreachable", durable ? "ok" : "unreachable");
}
