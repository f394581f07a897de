namespace Fanout.Host.Extensions;

/// <summary>What the portable host's traces include (<c>Fanout:Telemetry:*</c>); the exporters are the OpenTelemetry variables.</summary>
public sealed class HostTelemetryOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Telemetry";

    /// <summary>Also export the in-process durable sidecar's gRPC spans and the embedded simulator's request spans (default false).</summary>
    public bool IncludeInternal { get; set; }
}
