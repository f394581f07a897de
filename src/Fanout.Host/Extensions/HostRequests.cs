namespace Fanout.Host.Extensions;

/// <summary>
/// Marks the host's own app in its service provider, so the request spans are the API's only. The durable client's
/// loopback gRPC endpoint and the embedded simulator are ASP.NET Core apps in the same process, and ASP.NET Core's
/// request instrumentation listens to all of them (<c>TaskHubSidecarService</c> spans for every status read, plus the
/// simulator's), under the host's service. <c>Fanout:Telemetry:IncludeInternal=true</c> keeps them.
/// </summary>
public sealed class HostRequests
{
    /// <summary>True when a request's span is exported: one served by the host's own app, or any with <paramref name="includeInternal"/>.</summary>
    public static bool ShouldRecord(HttpContext context, bool includeInternal)
    {
        ArgumentNullException.ThrowIfNull(context);
        return includeInternal || context.RequestServices?.GetService<HostRequests>() is not null;
    }
}
